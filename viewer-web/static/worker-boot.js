// Module worker entry: loads the worker's wasm; its main() installs the message handler and
// posts Ready (the page queues its messages until then).
import init from './worker/worker.js';
init().catch((e) => postMessage({ Error: { message: 'worker failed to start: ' + e } }));
