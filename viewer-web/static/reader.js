// Reads a File on its own thread and hands each slice to the worker that indexes it.
// Reading here keeps the browser's file reads going while the index worker is busy parsing
// (a worker's own reads make progress only when its event loop is idle). A small pool of
// buffers is filled through a BYOB stream reader, transferred (not copied) to the index
// worker and transferred back once copied into wasm memory: memory stays at pool size and
// no garbage builds up, however large the file (4 GB files pass through 4 × 32 MiB).
let reader, size, first, chunk, maxBufs, allocated = 0, at = 0, busy = false;
const pool = [];

onmessage = (e) => {
  const m = e.data;
  if (m.recycle) { pool.push(m.recycle); pump(); return; }
  ({ size, first, chunk } = m);
  maxBufs = m.ahead;
  reader = m.file.stream().getReader({ mode: 'byob' });
  pump();
};

async function pump() {
  if (busy) return;
  busy = true;
  try {
    while (at < size) {
      let buf = pool.pop();
      if (!buf) {
        if (allocated >= maxBufs) break;
        buf = new ArrayBuffer(chunk);
        allocated++;
      }
      const want = Math.min(at === 0 ? first : chunk, size - at, buf.byteLength);
      let filled = 0;
      while (filled < want) {
        const x = await reader.read(new Uint8Array(buf, filled, want - filled));
        if (x.value) buf = x.value.buffer;
        if (x.done) break;
        filled += x.value.byteLength;
      }
      postMessage({ off: at, buf, len: filled }, [buf]);
      at += filled;
      if (filled < want) {
        postMessage({ off: at, error: `the file ended at ${at} bytes, ${size} expected (changed while reading?)` });
        break;
      }
    }
  } catch (err) {
    postMessage({ off: at, error: String(err) });
  }
  busy = false;
}
