// Reads a File in slices on its own thread and transfers each slice (no copy) to the worker
// that indexes it. Reading here keeps the browser's blob reads going while the index worker
// is busy parsing: a worker's own reads make progress only when its event loop is idle.
// Credits bound memory: at most `ahead` slices are read but not yet consumed.
let file, size, first, chunk, credits = 0, at = 0;
const inflight = [];
let draining = false;

onmessage = (e) => {
  if (e.data === 'ack') { credits++; pump(); return; }
  ({ file, size, first, chunk } = e.data);
  credits = e.data.ahead;
  at = 0;
  pump();
};

function pump() {
  while (credits > 0 && at < size && inflight.length < 2) {
    const off = at;
    const n = Math.min(off === 0 ? first : chunk, size - off);
    at += n;
    credits--;
    inflight.push(file.slice(off, off + n).arrayBuffer().then((buf) => ({ off, buf }), (err) => ({ off, error: String(err) })));
  }
  if (!draining) drain();
}

async function drain() {
  draining = true;
  while (inflight.length) {
    const r = await inflight[0];
    inflight.shift();
    if (r.buf) postMessage(r, [r.buf]); else postMessage(r);
    pump();
  }
  draining = false;
}
