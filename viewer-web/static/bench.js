// Hooks for tests and benchmarks (../shared/perf/browser/run.mjs contract): they drive the
// page through its real controls (#file, the filter box) and read the progress the page
// mirrors on <html data-*>. Nothing here touches packet data.
(function () {
  const root = () => document.documentElement;
  const ds = (k) => root().getAttribute('data-' + k);
  const num = (k) => Number(ds(k) || 0);
  function until(pred, timeoutMs) {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      (function poll() {
        let v;
        try { v = pred(); } catch (e) { return reject(e); }
        if (v) return resolve(v);
        if (performance.now() - t0 > timeoutMs) return reject(new Error('timeout waiting for the viewer'));
        setTimeout(poll, 5);
      })();
    });
  }
  function frame() { return new Promise((r) => requestAnimationFrame(() => r())); }
  window.bench = {
    // Opens the file chosen in #file (if the change event has not opened it already) and
    // waits for the index. Times come from the page: open → first rows, open → indexed.
    async open({ limit } = {}) {
      const input = document.getElementById('file');
      if (!input || !input.files || !input.files.length) throw new Error('no file in #file');
      if (num('open-seq') === 0) input.dispatchEvent(new Event('change', { bubbles: true }));
      await until(() => ds('phase') === 'ready', 30 * 60 * 1000);
      await until(() => ds('first-rows-ms') || num('total') === 0, 60000);
      await frame();
      const rows = document.querySelectorAll('[data-testid=packet-row]').length;
      const m = performance.memory || {};
      return {
        packet_count: num('total'),
        first_rows_ms: Number(ds('first-rows-ms')),
        index_ms: num('index-ms'),
        index_read_wait_ms: num('index-read-wait-ms'),
        index_feed_ms: num('index-feed-ms'),
        index_MiB: num('index-bytes') / 1048576,
        worker_wasm_MiB: num('wasm-bytes') / 1048576,
        open_total_ms: num('index-ms'),
        rows_in_dom: rows,
        js_heap_used: m.usedJSHeapSize || 0,
      };
    },
    // Applies a filter through the filter box (Enter) and waits for the worker's answer.
    async filter({ expr } = {}) {
      const box = document.querySelector('[data-testid=filter-input]');
      const seq = num('filter-seq');
      const t0 = performance.now();
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
      setter.call(box, expr);
      box.dispatchEvent(new Event('input', { bubbles: true }));
      box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      await until(() => num('filter-seq') > seq || box.getAttribute('aria-invalid') === 'true', 10 * 60 * 1000);
      if (box.getAttribute('aria-invalid') === 'true') throw new Error('invalid filter: ' + expr);
      await frame();
      return { matched: num('displayed'), ms: num('filter-ms'), total_ms: performance.now() - t0 };
    },
    // Scrolls the list to a fraction of its height and waits until the rows there are shown.
    async scroll({ to = 0.5 } = {}) {
      const sc = document.querySelector('[data-testid=packet-list]');
      const t0 = performance.now();
      sc.scrollTop = (sc.scrollHeight - sc.clientHeight) * to;
      await frame();
      await frame();
      await until(() => !document.querySelector('.row.pending') && document.querySelector('[data-testid=packet-row]'), 60000);
      await frame();
      const first = document.querySelector('[data-testid=packet-row]');
      return { ms: performance.now() - t0, first_frame: Number(first && first.getAttribute('data-frame')) };
    },
    // Opens the Statistics dialog (if needed), asks for one statistic (`conv,tcp`, `io,phs` …)
    // and waits for its table: the time from the request to the rows drawn.
    async stats({ kind = 'conv,tcp' } = {}) {
      const done = (k) => () => {
        const s = document.querySelector('[data-testid=stats-summary]');
        return s && s.getAttribute('data-kind') === k && s;
      };
      const result = async (t0) => {
        const s = await until(done(kind), 30 * 60 * 1000);
        await frame();
        return { kind, ms: performance.now() - t0, rows: Number(s.getAttribute('data-rows')), packets: Number(s.getAttribute('data-packets')) };
      };
      if (!document.querySelector('[data-testid=stats-dialog]')) {
        // The dialog opens on TCP conversations.
        const t0 = performance.now();
        document.querySelector('[data-testid=stats]').click();
        if (kind === 'conv,tcp') return result(t0);
        await until(done('conv,tcp'), 30 * 60 * 1000);
      }
      const sel = document.querySelector('[data-testid=stats-kind]');
      if (sel.value === kind) return result(performance.now());
      const t0 = performance.now();
      sel.value = kind;
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      return result(t0);
    },
    jsMem() {
      const m = performance.memory || {};
      return { js_heap_used: m.usedJSHeapSize || 0, js_heap_total: m.totalJSHeapSize || 0 };
    },
  };
})();
