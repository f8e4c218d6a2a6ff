// Module worker entry. Defines the slice channel the wasm worker reads files through (a
// reader thread, see reader.js), then loads the wasm; its main() installs the message
// handler and posts Ready (the page queues its messages until then).
import init from './worker/worker.js';

self.paircapRead = function (file, size, first, chunk, ahead) {
  const w = new Worker(new URL('./reader.js', import.meta.url));
  const queue = [];
  let waiting = null;
  w.onmessage = (e) => {
    if (waiting) { const r = waiting; waiting = null; r(e.data); } else queue.push(e.data);
  };
  w.postMessage({ file, size, first, chunk, ahead });
  return {
    // The next slice {off, buf, len} (or {off, error}).
    next() {
      return queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => { waiting = r; });
    },
    // Gives a slice's buffer back to the reader's pool once its bytes are copied.
    recycle(buf) { w.postMessage({ recycle: buf }, [buf]); },
    close() { w.terminate(); },
  };
};

init().catch((e) => postMessage({ Error: { message: 'worker failed to start: ' + e } }));
