#!/usr/bin/env node
// Browser benchmark: the paircap viewer and Wiregasm (Wireshark compiled to WebAssembly)
// opening the same capture in the same Debian Chromium, one after the other in one run.
//
//   node bench/browser/bench.mjs [--runs N] [--filter EXPR] [--no-wiregasm] FILE...
//
// paircap: time from choosing the file to the first rows painted, to the full index, scroll
// latency (jump to 25/50/75/100 % and wait for the rows), details of a middle packet, a
// display filter, JS heap, and the peak RSS of the page (renderer) process and of all of
// Chromium. Wiregasm: ../shared/perf/browser/run.mjs (copied next to this file so it finds
// this folder's node_modules), same file, same browser binary, same flags.
// Prints a TSV per engine and the ratios; writes everything to results/*.json.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serve, launch, openViewer, DIST, SHARED } from '../../tests/browser/lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const opt = { runs: 1, filter: 'tcp.port == 443', wiregasm: true, files: [] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--runs') opt.runs = Number(process.argv[++i]);
  else if (a === '--filter') opt.filter = process.argv[++i];
  else if (a === '--no-wiregasm') opt.wiregasm = false;
  else if (a.startsWith('--')) throw new Error('unknown option ' + a);
  else opt.files.push(path.resolve(a));
}
if (!opt.files.length) { console.error('usage: bench.mjs [--runs N] [--filter EXPR] [--no-wiregasm] FILE...'); process.exit(1); }
if (!fs.existsSync(path.join(DIST, 'index.html'))) { console.error(`no viewer build in ${DIST}: run scripts/build-viewer.sh`); process.exit(1); }

// Peak RSS of Chromium's processes (children of this node process), sampled every 100 ms.
function sampler() {
  const kids = () => {
    const m = new Map();
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
        if (!m.has(ppid)) m.set(ppid, []);
        m.get(ppid).push(Number(d));
      } catch { /* gone */ }
    }
    return m;
  };
  const tree = () => { const k = kids(); const out = [process.pid]; for (let i = 0; i < out.length; i++) out.push(...(k.get(out[i]) || [])); return out.slice(1); };
  let pids = tree(); let peakTotal = 0; let peakRenderer = 0; let n = 0;
  const tick = () => {
    if (++n % 5 === 0) pids = tree();
    let total = 0;
    for (const p of pids) {
      try {
        const st = fs.readFileSync(`/proc/${p}/status`, 'utf8');
        const rss = Number((st.match(/^VmRSS:\s+(\d+)/m) || [0, 0])[1]);
        const hwm = Number((st.match(/^VmHWM:\s+(\d+)/m) || [0, 0])[1]);
        total += rss;
        if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type=renderer')) peakRenderer = Math.max(peakRenderer, hwm);
      } catch { /* gone */ }
    }
    peakTotal = Math.max(peakTotal, total);
  };
  const t = setInterval(tick, 100);
  return { stop() { pids = tree(); tick(); return { renderer_peak_MiB: peakRenderer / 1024, total_peak_MiB: peakTotal / 1024 }; }, end() { clearInterval(t); } };
}

async function runPaircap(file) {
  const server = await serve();
  const browser = await launch();
  const mem = sampler();
  const res = {};
  try {
    const { page, errors } = await openViewer(browser, server);
    const t0 = Date.now();
    await page.setInputFiles('[data-testid=open-file]', file);
    const o = await page.evaluate(() => window.bench.open());
    res.wall_open_ms = Date.now() - t0;
    res.after_open = mem.stop();
    Object.assign(res, { packets: o.packet_count, first_rows_ms: o.first_rows_ms, index_ms: o.index_ms,
      index_read_wait_ms: o.index_read_wait_ms, index_feed_ms: o.index_feed_ms, rows_in_dom: o.rows_in_dom,
      index_MiB: o.index_MiB, worker_wasm_MiB: o.worker_wasm_MiB });
    for (const to of [0.25, 0.5, 0.75, 1]) {
      const s = await page.evaluate((x) => window.bench.scroll({ to: x }), to);
      res[`scroll_${to * 100}_ms`] = s.ms;
    }
    // Wheel scrolling: 20 wheel steps, time until each screen of rows is painted.
    const sc = page.locator('[data-testid=packet-list]');
    await sc.hover();
    const w0 = Date.now();
    for (let i = 0; i < 20; i++) {
      await page.mouse.wheel(0, 600);
      await page.waitForFunction(() => !document.querySelector('.row.pending'));
    }
    res.wheel_step_ms = (Date.now() - w0) / 20;
    const mid = Math.floor(res.packets / 2);
    await page.fill('[data-testid=goto-input]', String(mid));
    const d0 = Date.now();
    await page.press('[data-testid=goto-input]', 'Enter');
    await page.waitForSelector(`[data-testid=packet-row][data-frame="${mid}"].selected`);
    await page.waitForSelector('[data-testid=details] .node');
    res.goto_details_ms = Date.now() - d0;
    const f = await page.evaluate((expr) => window.bench.filter({ expr }), opt.filter);
    res.filter_ms = f.ms; res.filter_total_ms = f.total_ms; res.filter_matched = f.matched;
    const f2 = await page.evaluate(() => window.bench.filter({ expr: '' }));
    res.clear_ms = f2.total_ms;
    res.js_heap_MiB = (await page.evaluate(() => window.bench.jsMem())).js_heap_used / 1048576;
    await page.screenshot({ path: path.join(HERE, 'results', `paircap-${path.basename(file)}.png`) });
    if (errors.length) res.errors = errors.slice(0, 5);
  } catch (e) {
    res.error = String(e.message || e).split('\n')[0];
  }
  Object.assign(res, mem.stop());
  mem.end();
  res.open_renderer_peak_MiB = res.after_open?.renderer_peak_MiB;
  delete res.after_open;
  await browser.close();
  await server.close();
  return res;
}

function runWiregasm(file) {
  const anchor = path.join(HERE, '.anchor');
  fs.mkdirSync(anchor, { recursive: true });
  for (const f of ['index.html', 'bench.js', 'wg-worker.js', 'server.mjs', 'run.mjs', 'package.json']) {
    fs.copyFileSync(path.join(SHARED, 'perf/browser', f), path.join(anchor, f));
  }
  if (!fs.existsSync(path.join(anchor, 'node_modules'))) fs.symlinkSync(path.join(HERE, 'node_modules'), path.join(anchor, 'node_modules'));
  const out = path.join(HERE, 'results', `wiregasm-${Date.now()}.json`);
  try {
    execFileSync('node', [path.join(anchor, 'run.mjs'), '--engines', 'wiregasm', '--runs', '1', '--filter', opt.filter, '--out', out, file],
      { stdio: ['ignore', 'ignore', 'inherit'], timeout: 40 * 60 * 1000 });
  } catch (e) {
    return { error: 'wiregasm run failed: ' + String(e.message).split('\n')[0] };
  }
  const r = JSON.parse(fs.readFileSync(out, 'utf8')).results[0];
  return { packets: r.packets, first_rows_ms: r.open_total_ms, filter_total_ms: r.filter_total_ms, filter_matched: r.filter_matched,
    mid_page_ms: r.mid_page_ms, detail_ms: r.detail_ms, renderer_peak_MiB: r.renderer_peak_MiB, total_peak_MiB: r.total_peak_MiB,
    wasm_heap_MiB: r.wasm_heap_MiB, error: r.error };
}

fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
const meta = { date: new Date().toISOString(), host: `${os.cpus().length} cpus ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  loadavg: os.loadavg(), filter: opt.filter };
const all = [];
for (const file of opt.files) {
  for (let run = 1; run <= opt.runs; run++) {
    process.stderr.write(`>> paircap ${path.basename(file)} run ${run}\n`);
    const p = await runPaircap(file);
    p.engine = 'paircap'; p.file = path.basename(file); p.run = run;
    process.stderr.write('   ' + JSON.stringify(p) + '\n');
    all.push(p);
    if (opt.wiregasm) {
      process.stderr.write(`>> wiregasm ${path.basename(file)} run ${run}\n`);
      const w = runWiregasm(file);
      w.engine = 'wiregasm'; w.file = path.basename(file); w.run = run;
      process.stderr.write('   ' + JSON.stringify(w) + '\n');
      all.push(w);
    }
  }
}
const outFile = path.join(HERE, 'results', `browser-${Date.now()}.json`);
fs.writeFileSync(outFile, JSON.stringify({ meta, results: all }, null, 1));

const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : v ?? '-');
const cols = ['packets', 'first_rows_ms', 'index_ms', 'scroll_50_ms', 'scroll_100_ms', 'wheel_step_ms', 'goto_details_ms', 'mid_page_ms', 'detail_ms',
  'filter_total_ms', 'filter_matched', 'index_MiB', 'worker_wasm_MiB', 'js_heap_MiB', 'open_renderer_peak_MiB', 'renderer_peak_MiB', 'total_peak_MiB', 'error'];
console.log(`# browser bench ${meta.date}; ${meta.host}; loadavg ${meta.loadavg.map((x) => x.toFixed(2)).join(' ')}; filter ${opt.filter}`);
console.log(['engine', 'file', 'run', ...cols].join('\t'));
for (const r of all) console.log([r.engine, r.file, r.run, ...cols.map((c) => fmt(r[c]))].join('\t'));
for (const file of opt.files.map((f) => path.basename(f))) {
  const p = all.filter((r) => r.engine === 'paircap' && r.file === file && !r.error);
  const w = all.filter((r) => r.engine === 'wiregasm' && r.file === file && !r.error);
  if (!p.length || !w.length) continue;
  const med = (rs, k) => { const a = rs.map((r) => r[k]).filter(Number.isFinite).sort((x, y) => x - y); return a[Math.floor(a.length / 2)]; };
  console.log(`# ${file}: first rows ${fmt(med(w, 'first_rows_ms') / med(p, 'first_rows_ms'))}x faster than Wiregasm; ` +
    `full index ${fmt(med(w, 'first_rows_ms') / med(p, 'index_ms'))}x faster than Wiregasm's open; ` +
    `filter ${fmt(med(w, 'filter_total_ms') / med(p, 'filter_total_ms'))}x; ` +
    `page memory ${fmt(med(p, 'renderer_peak_MiB'))} vs ${fmt(med(w, 'renderer_peak_MiB'))} MiB`);
}
console.log(`# json: ${outFile}`);
