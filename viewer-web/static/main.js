// Starts the page's wasm (the Yew app mounts itself on #app).
import init from './app/app.js';
init().catch((e) => {
  document.getElementById('app').textContent = 'paircap could not start: ' + e;
});
