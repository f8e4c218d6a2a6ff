// End-to-end tests of the viewer in Debian's Chromium (playwright-core), with tshark as the
// reference: packet counts, fields, filters, damaged files, keyboard, sorting, large files,
// and that the capture never leaves the tab. Screenshots of each state go to screenshots/.
//
//   bash scripts/build-viewer.sh && (cd tests/browser && npm ci && node --test)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { serve, launch, openViewer, openFile, text, CORPUS, HERE, SHARED, REPO, DIST } from './lib.mjs';

const SHOTS = path.join(HERE, 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'paircap-viewer-'));
let server, browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv')), `corpus not found at ${CORPUS}`);
  server = await serve(DIST, { '/samples/': path.join(REPO, 'samples') });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(TMP, { recursive: true, force: true });
});

const tshark = (...args) => execFileSync('tshark', ['-n', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
const tsharkCount = (file, filter) => {
  try {
    return tshark('-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-e', 'frame.number').split('\n').filter(Boolean).length;
  } catch (e) {
    // tshark exits non-zero on a damaged file but prints what it read.
    return String(e.stdout || '').split('\n').filter(Boolean).length;
  }
};
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
const corpus = (name) => path.join(CORPUS, name);
const num = async (page, id) => Number((await text(page, id)).replace(/[^0-9]/g, ''));

const FILES = [
  'pcpp__TwoHttpRequests.pcap',
  'pcpp__sll.pcap',
  'pcap-parser__wireshark_samples-test.pcapng',
  'pcpp__example.pcap',
  'zeek__tcp_timestamp.pcap',
];

test('opens corpus files: packet counts equal tshark, rows and details match its fields', async () => {
  const { page, errors } = await openViewer(browser, server);
  await shot(page, '00-empty-state');
  assert.match(await text(page, 'empty-state'), /Open a capture/);
  for (const name of FILES) {
    const file = corpus(name);
    assert.ok(fs.existsSync(file), file);
    const r = await openFile(page, file);
    const want = tsharkCount(file);
    assert.equal(r.packet_count, want, `${name}: bench count`);
    assert.equal(await num(page, 'status-total'), want, `${name}: status-total`);
    assert.equal(await num(page, 'status-displayed'), want, `${name}: status-displayed`);
    // Click the second row (or the first) and compare its details with tshark's fields.
    const n = Math.min(2, want);
    await page.locator(`[data-testid=packet-row][data-frame="${n}"]`).click();
    await page.waitForSelector('[data-testid=details] .node');
    const details = await text(page, 'details');
    assert.match(details, new RegExp(`^Frame ${n}:`, 'm'), `${name}: frame line`);
    const [src, dst, proto] = tshark('-r', file, '-Y', `frame.number == ${n}`, '-T', 'fields', '-E', 'separator=\t',
      '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', 'frame.protocols').trim().split('\t');
    const row = await page.locator(`[data-testid=packet-row][data-frame="${n}"]`).innerText();
    if (src) assert.ok(row.includes(src), `${name}: row ${n} source ${src} in ${row}`);
    if (dst) assert.ok(row.includes(dst), `${name}: row ${n} destination ${dst} in ${row}`);
    assert.ok(details.includes(`Protocols in frame: ${proto}`), `${name}: protocols ${proto}`);
    await shot(page, `01-open-${name}`);
  }
  assert.deepEqual(errors, []);
});

test('selecting a field highlights its bytes; clicking a byte selects its field', async () => {
  const { page } = await openViewer(browser, server);
  await openFile(page, corpus('pcpp__TwoHttpRequests.pcap'));
  await page.locator('[data-testid=packet-row][data-frame="1"]').click();
  const node = page.locator('[data-testid=details] .node[data-field="ip.src"]');
  await node.click();
  const hl = await page.locator('[data-testid=hex] .b.hl').allInnerTexts();
  // Ethernet (14 bytes) + 12: the IPv4 source address, 10.0.0.1.
  assert.deepEqual(hl, ['0a', '00', '00', '01']);
  assert.equal(await node.getAttribute('title').then((t) => t.split(' ')[0]), 'ip.src');
  await shot(page, '02-field-highlight');
  // Byte 0x24 (36) is inside the TCP source port (34..36)? 34 and 35 are; take 34.
  await page.locator('[data-testid=hex] .b[data-off="34"]').click();
  const sel = await page.locator('[data-testid=details] .node.selected').getAttribute('data-field');
  assert.equal(sel, 'tcp.srcport');
  // Apply as filter from the tree.
  await page.locator('[data-testid=details] .node.selected [data-testid=apply-as-filter]').click();
  await page.waitForFunction(() => document.documentElement.getAttribute('data-filter-seq') === '1');
  assert.match(await page.inputValue('[data-testid=filter-input]'), /^tcp\.srcport == \d+$/);
  assert.equal(await num(page, 'status-displayed'), tsharkCount(corpus('pcpp__TwoHttpRequests.pcap'), await page.inputValue('[data-testid=filter-input]')));
});

test('a damaged file shows the error with its offset and keeps every readable packet', async () => {
  const { page } = await openViewer(browser, server);
  const manifest = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
  const damaged = manifest.filter((c) => c[6] === 'malformed-file' && /^\d+ before error/.test(c[4]));
  assert.ok(damaged.length >= 4);
  for (const [name, , , , packets] of damaged) {
    await openFile(page, corpus(name));
    const banner = await text(page, 'error-banner');
    assert.match(banner, /offset \d+/, `${name}: ${banner}`);
    const kept = Number(packets.split(' ')[0]);
    assert.ok(await num(page, 'status-total') >= kept, `${name}: kept ${await num(page, 'status-total')} < ${kept}`);
    await shot(page, `03-damaged-${name}`);
  }
});

test('filters: display and tcpdump syntax give tshark\'s counts; errors point at the problem', async () => {
  const { page } = await openViewer(browser, server);
  const file = corpus('pcap-parser__wireshark_samples-test.pcapng');
  await openFile(page, file);
  for (const [expr, ref] of [
    ['tcp', 'tcp'],
    ['udp.port == 53 || dns.flags.response == 1', 'udp.port == 53 || dns.flags.response == 1'],
    ['ip.addr == 10.0.0.0/8 && !arp', 'ip.addr == 10.0.0.0/8 && !arp'],
    ['host 192.168.1.1 or port 80', 'ip.addr == 192.168.1.1 || tcp.port == 80 || udp.port == 80'],
    ['frame.len > 200', 'frame.len > 200'],
  ]) {
    const r = await page.evaluate((e) => window.bench.filter({ expr: e }), expr);
    assert.equal(r.matched, tsharkCount(file, ref), expr);
    assert.equal(await num(page, 'status-displayed'), r.matched);
  }
  await shot(page, '04-filter-applied');
  await page.fill('[data-testid=filter-input]', 'tcp.prot == 80');
  const err = await text(page, 'filter-error');
  assert.match(err, /tcp\.prot == 80\n\^~+\nunknown field tcp\.prot \(did you mean tcp\.port\?\)/);
  await shot(page, '05-filter-error');
  // Completions for a field prefix.
  await page.fill('[data-testid=filter-input]', 'tcp.analysis.re');
  const offers = await page.locator('[data-testid=filter-completions] li code').allInnerTexts();
  assert.ok(offers.includes('tcp.analysis.retransmission'), offers.join(' '));
  await shot(page, '06-filter-completions');
  // Esc clears the filter and shows everything again.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('[data-testid=filter-input]').value === '');
  await page.waitForFunction((t) => document.querySelector('[data-testid=status-displayed]').innerText === String(t), tsharkCount(file));
});

test('keyboard, go-to, sorting and time formats', async () => {
  const { page } = await openViewer(browser, server);
  const file = corpus('pcap-parser__wireshark_samples-test.pcapng');
  const r = await openFile(page, file);
  await page.locator('[data-testid=packet-row]').first().click();
  await page.keyboard.press('End');
  await page.waitForSelector(`[data-testid=packet-row][data-frame="${r.packet_count}"].selected`);
  await page.keyboard.press('Home');
  await page.waitForSelector('[data-testid=packet-row][data-frame="1"].selected');
  await page.keyboard.press('ArrowDown');
  await page.waitForSelector('[data-testid=packet-row][data-frame="2"].selected');
  await page.keyboard.press('Control+g');
  await page.keyboard.type(String(Math.min(40, r.packet_count)));
  await page.keyboard.press('Enter');
  await page.waitForSelector(`[data-testid=packet-row][data-frame="${Math.min(40, r.packet_count)}"].selected`);
  // Sort by length, descending (second click).
  await page.click('[data-testid=sort-length]');
  await page.click('[data-testid=sort-length]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid=packet-row] .c-len')].map((e) => Number(e.innerText));
    return rows.length > 3 && rows.every((v, i) => i === 0 || rows[i - 1] >= v) && rows[0] > rows[rows.length - 1];
  });
  await shot(page, '07-sorted-by-length');
  await page.selectOption('[data-testid=time-format]', 'utc');
  await page.waitForFunction(() => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(document.querySelector('[data-testid=packet-row] .c-time')?.innerText || ''));
  await page.click('[data-testid=show-properties]');
  assert.match(await text(page, 'properties'), /Interfaces/);
  await shot(page, '08-properties');
});

test('dark theme follows the system', async () => {
  const { page } = await openViewer(browser, server, { colorScheme: 'dark' });
  await openFile(page, corpus('pcpp__example.pcap'));
  await page.locator('[data-testid=packet-row]').nth(3).click();
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(13, 17, 23)');
  await shot(page, '09-dark');
});

test('gzip captures open; the file never leaves the tab', async () => {
  const gz = path.join(TMP, 'example.pcap.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(corpus('pcpp__example.pcap'))));
  const { page } = await openViewer(browser, server);
  const before = server.requests.length;
  const r = await openFile(page, gz);
  assert.equal(r.packet_count, tsharkCount(corpus('pcpp__example.pcap')));
  await page.locator('[data-testid=packet-row]').nth(1).click();
  await page.waitForSelector('[data-testid=details] .node');
  const after = server.requests.slice(before);
  assert.deepEqual(after.filter((q) => q.method !== 'GET' || q.length > 0), [], 'a request carried data');
  assert.deepEqual(after.filter((q) => !/\.(wasm|js|css|html)$|\/$/.test(q.path)), [], 'unexpected requests');
});

test('a large capture: the list stays virtual and scrolls to any row', async () => {
  const prefix = path.join(TMP, 'w200k');
  execFileSync('python3', [path.join(SHARED, 'perf/gen_workload.py'), '-n', '200000', '-o', prefix, '--format', 'pcapng'], { stdio: 'ignore' });
  const file = `${prefix}.pcapng`;
  const { page } = await openViewer(browser, server);
  const r = await openFile(page, file);
  assert.equal(r.packet_count, 200000);
  assert.ok(r.rows_in_dom < 120, `rows in DOM: ${r.rows_in_dom}`);
  const s = await page.evaluate(() => window.bench.scroll({ to: 0.5 }));
  assert.ok(s.first_frame > 90000 && s.first_frame < 110000, `middle row ${s.first_frame}`);
  const e = await page.evaluate(() => window.bench.scroll({ to: 1 }));
  await page.waitForSelector('[data-testid=packet-row][data-frame="200000"]');
  assert.ok(e.first_frame > 199900);
  const f = await page.evaluate(() => window.bench.filter({ expr: 'tcp.analysis.retransmission' }));
  assert.equal(f.matched, tsharkCount(file, 'tcp.analysis.retransmission'));
  await shot(page, '10-large-file');
});

test('#open= opens a capture served beside the page (the demo link)', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(server.url + '#open=samples/demo.pcapng');
  await page.waitForFunction(() => document.documentElement.getAttribute('data-phase') === 'ready', null, { timeout: 60000 });
  assert.equal(await num(page, 'status-total'), tsharkCount(path.join(REPO, 'samples/demo.pcapng')));
  await page.locator('[data-testid=packet-row]').nth(4).click();
  await page.waitForSelector('[data-testid=details] .node');
  await shot(page, '11-demo');
  const other = await ctx.newPage();
  for (const bad of ['https://example.com/x.pcap', 'https:evil.example/x.pcap', '//evil.example/x', '%68ttps:%2f%2fevil.example/x']) {
    await other.goto('about:blank');
    await other.goto(server.url + '#open=' + bad);
    await other.waitForSelector('[data-testid=error-banner]');
    assert.match(await text(other, 'error-banner'), /takes a path on this server/, bad);
  }
});

test('share links: the view comes back from the link; another file gives a warning; nothing leaves 127.0.0.1', async () => {
  const file = corpus('pcap-parser__wireshark_samples-test.pcapng');
  const { page, ctx } = await openViewer(browser, server);
  const urls = [];
  ctx.on('request', (r) => urls.push(r.url()));
  await openFile(page, file);
  await page.evaluate(() => window.bench.filter({ expr: 'tcp || dns.flags.response == 1' }));
  const displayed = await num(page, 'status-displayed');
  const row = page.locator('[data-testid=packet-row]').nth(5);
  const frame = Number(await row.getAttribute('data-frame'));
  await row.click();
  await page.waitForSelector('[data-testid=details] .node');
  await page.selectOption('[data-testid=time-format]', 'abs');
  // Wait for the hash so the link carries it.
  await page.waitForFunction(() => /SHA-256 [0-9a-f]/.test(document.querySelector('[data-testid=status-sha256]').innerText));
  await page.click('[data-testid=share-link]');
  await page.fill('[data-testid=share-note]', 'look at the selected packet');
  const url = await page.inputValue('[data-testid=share-link-url]');
  assert.match(url, /#v=1&s=pcap-parser__wireshark_samples-test\.pcapng~\d+~[0-9a-f]{64}&f=tcp/);
  assert.ok(url.length <= 2048 + server.url.length);
  await shot(page, '12-share-dialog');

  // A fresh page with the link: it says what to open, then restores the view.
  const page2 = await ctx.newPage();
  await page2.goto(url);
  await page2.waitForSelector('[data-testid=link-banner]');
  assert.match(await text(page2, 'link-banner'), /Open the file/);
  assert.match(await text(page2, 'link-note'), /look at the selected packet/);
  await shot(page2, '13-link-opened');
  await page2.setInputFiles('[data-testid=open-file]', file);
  // The link's filter is shown, not run, until the user says so.
  await page2.waitForSelector('[data-testid=link-apply-filter]', { timeout: 60000 });
  assert.match(await text(page2, 'link-filter'), /tcp \|\| dns\.flags\.response == 1/);
  assert.equal(await num(page2, 'status-displayed'), await num(page2, 'status-total'));
  await shot(page2, '13b-link-filter-waits');
  await page2.click('[data-testid=link-apply-filter]');
  await page2.waitForSelector(`[data-testid=packet-row][data-frame="${frame}"].selected`, { timeout: 60000 });
  assert.equal(await num(page2, 'status-displayed'), displayed);
  assert.equal(await page2.inputValue('[data-testid=filter-input]'), 'tcp || dns.flags.response == 1');
  assert.equal(await page2.locator('[data-testid=time-format]').inputValue(), 'abs');
  await page2.waitForFunction(() => /matches the link/.test(document.querySelector('[data-testid=link-banner]')?.innerText || ''));
  await shot(page2, '14-link-restored');

  // Another file: a clear warning.
  const page3 = await ctx.newPage();
  await page3.goto(url);
  await page3.setInputFiles('[data-testid=open-file]', corpus('pcpp__example.pcap'));
  await page3.waitForSelector('[data-testid=link-warning]');
  assert.match(await text(page3, 'link-warning'), /Not the file this link was made with/);
  await shot(page3, '15-link-mismatch');
  const outside = urls.filter((u) => !u.startsWith(server.url) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(outside, []);
});

test('paircap link prints a link the viewer restores', async () => {
  const file = corpus('pcap-parser__wireshark_samples-test.pcapng');
  const bin = path.join(REPO, 'target/debug/paircap');
  assert.ok(fs.existsSync(bin), `${bin}: build it first (cargo build -p capture-cli)`);
  const link = execFileSync(bin, ['link', file, '-Y', 'udp.port == 53', '--packet', '20', '--base', server.url], { encoding: 'utf8' }).trim();
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(link);
  await page.waitForSelector('[data-testid=link-banner]');
  await page.setInputFiles('[data-testid=open-file]', file);
  await page.click('[data-testid=link-apply-filter]', { timeout: 60000 });
  await page.waitForSelector('[data-testid=packet-row][data-frame="20"].selected', { timeout: 60000 });
  assert.equal(await num(page, 'status-displayed'), tsharkCount(file, 'udp.port == 53'));
  await page.waitForFunction(() => /matches the link/.test(document.querySelector('[data-testid=link-banner]')?.innerText || ''));
});

test('paircap view serves the viewer and opens the named file', async () => {
  const bin = path.join(REPO, 'target/debug/paircap');
  const { spawn } = await import('node:child_process');
  const child = spawn(bin, ['view', path.join(REPO, 'samples/demo.pcapng'), '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d) => { buf += d; const m = buf.match(/paircap viewer: (\S+)/); if (m) resolve(m[1]); });
      child.on('exit', (c) => reject(new Error('paircap view exited ' + c)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/login\?code=[0-9a-f]{32}#open=files\/0\/0\/demo\.pcapng$/);
    const code = url.match(/code=([0-9a-f]+)/)[1];
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-phase') === 'ready', null, { timeout: 60000 });
    assert.equal(await num(page, 'status-total'), tsharkCount(path.join(REPO, 'samples/demo.pcapng')));
    await shot(page, '16-paircap-view');
    // The login code is gone from the address bar; the session is an HttpOnly cookie.
    assert.ok(!page.url().includes(code), page.url());
    assert.match(page.url(), /^http:\/\/127\.0\.0\.1:\d+\/#open=/);
    const cookie = (await ctx.cookies()).find((c) => c.name === 'paircap_view');
    assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
    assert.equal(await page.evaluate(() => document.cookie), '');
    // No secret in the links the Share dialog makes.
    await page.waitForFunction(() => !/SHA-256 …/.test(document.querySelector('[data-testid=status-sha256]').innerText), null, { timeout: 60000 });
    await page.click('[data-testid=share-link]');
    const link = await page.inputValue('[data-testid=share-link-url]');
    assert.ok(link.length > 20 && !link.includes(code) && !link.includes(cookie.value), link);
    // The login link works once: another browser gets nothing.
    const other = await (await browser.newContext()).newPage();
    const resp = await other.goto(url);
    assert.equal(resp.status(), 403);
  } finally {
    child.kill();
  }
});

test('export: the displayed packets as pcapng, plain and anonymised', async () => {
  const file = corpus('pcap-parser__wireshark_samples-test.pcapng');
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.bench);
  await openFile(page, file);
  await page.evaluate(() => window.bench.filter({ expr: 'udp.port == 53 || arp' }));
  const displayed = await num(page, 'status-displayed');
  assert.equal(displayed, tsharkCount(file, 'udp.port == 53 || arp'));
  // Plain.
  await page.click('[data-testid=export]');
  await shot(page, '17-export-dialog');
  let [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-download]')]);
  const plain = path.join(TMP, dl.suggestedFilename());
  await dl.saveAs(plain);
  assert.match(dl.suggestedFilename(), /-export\.pcapng$/);
  assert.equal(tsharkCount(plain), displayed);
  const info = execFileSync('capinfos', [plain], { encoding: 'utf8' });
  assert.match(info, /display filter: udp\.port == 53 \|\| arp/);
  assert.match(info, /sha256 [0-9a-f]{64}|exported by the paircap viewer/);
  // Anonymised, payloads zeroed: same packets, no original address left.
  await page.click('[data-testid=export]');
  await page.check('[data-testid=export-anonymize]');
  await page.selectOption('[data-testid=export-payload]', '1');
  [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-download]')]);
  const anon = path.join(TMP, dl.suggestedFilename());
  await dl.saveAs(anon);
  assert.equal(tsharkCount(anon), displayed);
  const fields = (f) => new Set(tshark('-r', f, '-T', 'fields', '-E', 'separator=\n', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'eth.src', '-e', 'arp.src.proto_ipv4').split('\n').filter(Boolean));
  const before = fields(plain);
  const after = fields(anon);
  const kept = [...after].filter((a) => before.has(a) && !/^(255\.|0\.0\.0\.0|ff:ff|22[4-9]\.|23\d\.)/.test(a));
  assert.deepEqual(kept, [], 'original addresses left in the anonymised export');
  const bytes = fs.readFileSync(anon);
  // No trace of the origin: neither its SHA-256 nor its name.
  assert.equal(bytes.indexOf(Buffer.from('sha256')), -1, 'the origin hash is in the anonymised file');
  assert.match(bytes.toString('latin1'), /anonymized export by paircap \(payloads zeroed\)/);
  for (const a of before) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(a) || /^(255\.|0\.|22[4-9]\.|23\d\.)/.test(a)) continue;
    const needle = Buffer.from(a.split('.').map(Number));
    assert.equal(bytes.indexOf(needle), -1, `${a} found in the anonymised bytes`);
  }
});

test('compare: a source/target pair shows the counts paircap compare prints, aligned rows, the diff, and filters on the compare status', async () => {
  const prefix = path.join(TMP, 'pair');
  execFileSync('python3', [path.join(SHARED, 'perf/gen_workload.py'), 'pair', '-n', '20000', '-o', prefix, '--directions', 'both', '--dup-rate', '0.002'], { stdio: 'ignore' });
  const [src, tgt] = [`${prefix}.src.pcapng`, `${prefix}.tgt.pcapng`];
  const bin = path.join(REPO, 'target/debug/paircap');
  const cli = JSON.parse(execFileSync(bin, ['compare', src, tgt, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  // The size the compare issue was seen at: the lists must keep most of the height.
  const { page, errors } = await openViewer(browser, server, { width: 1280, height: 800 });
  await openFile(page, src);
  await page.setInputFiles('[data-testid=open-target]', tgt);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-phase') === 'compared', null, { timeout: 300000 });
  for (const k of ['matched', 'lost', 'extra', 'duplicated', 'reordered', 'modified']) {
    assert.equal(await num(page, `compare-${k}`), cli.counts[k], `compare-${k}`);
  }
  assert.ok(cli.counts.lost > 100 && cli.counts.duplicated > 0, JSON.stringify(cli.counts));
  // Both directions lose packets; the summary says so per direction, and the first finding
  // is the direction that lost more.
  const dirs = cli.counts.directions;
  assert.ok(dirs.source_to_target.lost > 0 && dirs.target_to_source.lost > 0, JSON.stringify(dirs));
  const lines = await page.locator('[data-testid=compare-direction]').allInnerTexts();
  assert.equal(lines.length, 2);
  assert.match(lines[0], new RegExp(`source → target\\s+${dirs.source_to_target.sent} sent · ${dirs.source_to_target.lost} lost`));
  assert.match(lines[1], new RegExp(`target → source\\s+${dirs.target_to_source.sent} sent · ${dirs.target_to_source.lost} lost`));
  const worse = dirs.target_to_source.lost > dirs.source_to_target.lost ? 'target' : 'source';
  assert.match(await text(page, 'compare-diagnosis'), new RegExp(`packets the ${worse} sent never reached`));
  await page.waitForSelector('[data-testid=pair-row]');
  // The folded summary leaves the list most of the window: more than 20 rows in view.
  const rowsInView = await page.evaluate(() => {
    const pane = document.querySelector('[data-testid=packet-list]');
    const h = pane.getBoundingClientRect();
    return [...document.querySelectorAll('[data-testid=pair-row]')].filter((r) => {
      const b = r.getBoundingClientRect();
      return b.top >= h.top && b.bottom <= h.bottom;
    }).length;
  });
  assert.ok(rowsInView >= 18, `${rowsInView} rows in view`);
  // Every row says which capture sent its packet; both do.
  const ways = await page.locator('[data-testid=pair-row]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-sent-by')));
  assert.ok(ways.includes('source') && ways.includes('target'), ways.join(','));
  // The status bar counts rows, not packets of one file.
  assert.match(await page.locator('footer.status').innerText(), /Rows: \d+ of \d+/);
  await shot(page, '18-compare');
  await page.click('[data-testid=compare-summary-toggle]');
  await page.waitForSelector('[data-testid=compare-delay-plot]');
  await shot(page, '18b-compare-summary');
  await page.click('[data-testid=compare-summary-toggle]');
  // Lost packets only: the status is a display-filter field.
  const f = await page.evaluate(() => window.bench.filter({ expr: 'paircap.compare.status == "lost"' }));
  assert.equal(f.matched, cli.counts.lost);
  // A packet the source sent that never arrived (the target's lost packets are rows of
  // their own, with no source packet).
  const row = page.locator('[data-testid=pair-row][data-frame]').first();
  assert.equal(await row.getAttribute('data-status'), 'lost');
  assert.equal(await row.getAttribute('data-sent-by'), 'source');
  await row.click();
  await page.waitForSelector('[data-testid=details] .node');
  assert.match(await text(page, 'twin-details'), /no twin/);
  assert.match(await text(page, 'details'), /paircap compare: lost/);
  await shot(page, '19-compare-lost');
  // A matched pair through NAT: the diff names what the path rewrote.
  await page.evaluate(() => window.bench.filter({ expr: 'paircap.compare.status == "matched" && ip' }));
  await page.locator('[data-testid=pair-row]').nth(2).click();
  await page.waitForSelector('[data-testid=compare-diff]');
  const diff = await text(page, 'compare-diff');
  assert.match(diff, /ip\.(src|dst)|ip\.ttl/, diff);
  await shot(page, '20-compare-diff');
  assert.deepEqual(errors, []);

  // A view link of the compare: both files, a manual clock offset, the filter, the pair.
  await page.fill('[data-testid=compare-offset]', String(cli.clock.offset_ms));
  await page.press('[data-testid=compare-offset]', 'Enter');
  await page.waitForFunction(() => Number(document.documentElement.getAttribute('data-compare-seq')) >= 2);
  await page.evaluate(() => window.bench.filter({ expr: 'paircap.compare.status == "lost"' }));
  await page.locator('[data-testid=pair-row][data-frame]').nth(1).click();
  const frame = await page.locator('[data-testid=pair-row][data-frame]').nth(1).getAttribute('data-frame');
  await page.waitForSelector('[data-testid=details] .node');
  await page.waitForFunction(() => !/SHA-256 …/.test(document.querySelector('[data-testid=status-sha256]').innerText));
  await page.click('[data-testid=share-link]');
  const url = await page.inputValue('[data-testid=share-link-url]');
  assert.match(url, /&t=pair\.tgt\.pcapng~\d+~/);
  assert.match(url, /&o=/);
  const page2 = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await page2.goto(url);
  await page2.waitForSelector('[data-testid=link-banner]');
  assert.match(await text(page2, 'link-banner'), /pair\.src\.pcapng .* and pair\.tgt\.pcapng/);
  await page2.setInputFiles('[data-testid=open-file]', src);
  await page2.waitForFunction(() => document.documentElement.getAttribute('data-phase') === 'ready');
  await page2.setInputFiles('[data-testid=open-target]', tgt);
  await page2.click('[data-testid=link-apply-filter]', { timeout: 120000 });
  await page2.waitForSelector(`[data-testid=pair-row][data-frame="${frame}"].selected`, { timeout: 120000 });
  assert.equal(await num(page2, 'status-displayed'), cli.counts.lost);
  assert.match(await page2.getAttribute('[data-testid=compare-offset]', 'placeholder'), /ms/);
  await shot(page2, '21-compare-link-restored');
});

test('compare sets: several files per side are one capture, in time order, with file boundaries marked; counts equal paircap compare DIR DIR', async () => {
  const bin = path.join(REPO, 'target/debug/paircap');
  const [sdir, tdir] = [path.join(TMP, 'set-src'), path.join(TMP, 'set-tgt')];
  fs.mkdirSync(sdir);
  fs.mkdirSync(tdir);
  // The sample pair cut into files: the source every 300 packets, the target every 500.
  execFileSync('editcap', ['-c', '300', path.join(REPO, 'samples/pair/source.pcapng'), path.join(sdir, 'src.pcapng')]);
  execFileSync('editcap', ['-c', '500', path.join(REPO, 'samples/pair/target.pcapng'), path.join(tdir, 'tgt.pcapng')]);
  const json = (args) => JSON.parse(execFileSync(bin, ['compare', ...args, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  const one = json([path.join(REPO, 'samples/pair/source.pcapng'), path.join(REPO, 'samples/pair/target.pcapng')]);
  const set = json([sdir, tdir]);
  assert.deepEqual(set.counts, one.counts);
  assert.ok(set.source.files.length >= 3 && set.target.files.length >= 2, JSON.stringify(set.source.files));
  // Given in reverse name order: the viewer puts them in the order of their first packets.
  const sfiles = fs.readdirSync(sdir).sort().reverse().map((f) => path.join(sdir, f));
  const tfiles = fs.readdirSync(tdir).sort().reverse().map((f) => path.join(tdir, f));
  const { page, errors } = await openViewer(browser, server, { width: 1400, height: 900 });
  await openFile(page, sfiles);
  assert.equal(await num(page, 'status-total'), set.source.packets);
  await page.setInputFiles('[data-testid=open-target]', tfiles);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-phase') === 'compared', null, { timeout: 300000 });
  for (const k of ['matched', 'lost', 'extra', 'duplicated', 'reordered', 'modified']) {
    assert.equal(await num(page, `compare-${k}`), set.counts[k], `compare-${k}`);
  }
  // The second source file starts at the frame the CLI names: its row is marked.
  const second = set.source.files[1];
  await page.evaluate((n) => window.bench.filter({ expr: `frame.number == ${n}` }), second.first_frame);
  await page.waitForSelector('[data-testid=pair-row] .side.file-start');
  const mark = await page.locator('[data-testid=pair-row] .side.file-start').first().getAttribute('data-file-start');
  assert.equal(mark, path.basename(second.file));
  await shot(page, '22-compare-sets');
  assert.deepEqual(errors, []);
});

test('network or server: the transactions table matches paircap compare --transactions, sorts, and a click selects the request at both captures', async () => {
  const bin = path.join(REPO, 'target/debug/paircap');
  const [src, tgt] = ['source', 'target'].map((s) => path.join(REPO, `samples/transactions/${s}.pcapng`));
  const cli = JSON.parse(execFileSync(bin, ['compare', src, tgt, '--transactions', '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  const tx = cli.transactions;
  assert.equal(tx.list.length, 60);
  const { page, errors } = await openViewer(browser, server, { width: 1400, height: 1000 });
  await openFile(page, src);
  await page.setInputFiles('[data-testid=open-target]', tgt);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-phase') === 'compared', null, { timeout: 300000 });
  // One click on the band opens the table (the diagnosis names what dominates).
  assert.match(await text(page, 'compare-tx-toggle'), /Network or server\? \(60\)/);
  await page.click('[data-testid=compare-tx-toggle]');
  await page.waitForSelector('[data-testid=compare-transactions] [data-testid=tx-row]');
  const kinds = await page.locator('[data-testid=tx-kind]').evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-kind'), Number(r.getAttribute('data-count'))]));
  assert.deepEqual(Object.fromEntries(kinds), Object.fromEntries(Object.entries(tx.kinds).map(([k, v]) => [k, v.count])));
  const rows = await page.locator('[data-testid=tx-row]').evaluateAll((rs) => rs.map((r) => ({
    kind: r.getAttribute('data-kind'), side: r.getAttribute('data-client-side'),
    req: Number(r.getAttribute('data-client-request')), sreq: Number(r.getAttribute('data-server-request')),
    total: Number(r.getAttribute('data-total')), there: Number(r.getAttribute('data-there')),
    server: Number(r.getAttribute('data-server')), back: Number(r.getAttribute('data-back')),
  })));
  assert.equal(rows.length, tx.list.length);
  rows.forEach((r, i) => {
    const c = tx.list[i];
    assert.equal(r.kind, c.kind, `row ${i}`);
    assert.equal(r.side, c.client_side, `row ${i}`);
    assert.equal(r.req, c.client_request_last, `row ${i}`);
    assert.equal(r.sreq, c.server_request_last, `row ${i}`);
    for (const k of ['total', 'there', 'server', 'back']) {
      assert.ok(Math.abs(r[k] - c[`${k}_ms`]) < 0.0015, `row ${i} ${k}: ${r[k]} vs ${c[`${k}_ms`]}`);
    }
  });
  await shot(page, '23-transactions');
  // Sort by the server's time: descending.
  await page.locator('[data-testid=tx-sort]', { hasText: 'Server' }).click();
  const servers = await page.locator('[data-testid=tx-row]').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-server'))));
  assert.deepEqual(servers, [...servers].sort((a, b) => b - a));
  // A click selects the request's row: its source frame and its twin at the target.
  const pick = page.locator('[data-testid=tx-row][data-kind=dns]').first();
  const [req, sreq] = [await pick.getAttribute('data-client-request'), await pick.getAttribute('data-server-request')];
  await pick.click();
  await page.waitForSelector(`[data-testid=pair-row].selected[data-frame="${req}"][data-twin="${sreq}"]`, { timeout: 30000 });
  await shot(page, '24-transaction-selected');
  assert.deepEqual(errors, []);
});

test('statistics: conversations, endpoints, the protocol hierarchy and expert information equal paircap read -z; columns sort; a row applies its filter', async () => {
  const bin = path.join(REPO, 'target/debug/paircap');
  const file = corpus('zeek__wikipedia.pcap');
  const cli = (z) => JSON.parse(execFileSync(bin, ['read', '--format', 'json', '-z', z, file], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  const { page, errors } = await openViewer(browser, server, { width: 1400, height: 1000 });
  await openFile(page, file);
  await page.click('[data-testid=stats]');
  const summary = page.locator('[data-testid=stats-summary]');
  await summary.waitFor({ timeout: 60000 });
  const rowsOf = () => page.locator('[data-testid=stats-row]').evaluateAll((rs) => rs.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  // TCP conversations: same rows, same order, same counts as the CLI.
  const tcp = cli('conv,tcp');
  assert.equal(Number(await summary.getAttribute('data-rows')), tcp.rows.length);
  assert.ok(tcp.rows.length > 1);
  let rows = await rowsOf();
  rows.forEach((r, i) => {
    const c = tcp.rows[i];
    assert.deepEqual([r[0], Number(r[1]), r[2], Number(r[3])], [c.a, c.a_port, c.b, c.b_port], `row ${i}`);
    assert.equal(Number(r[4]), c.frames_ab + c.frames_ba, `row ${i} packets`);
    assert.equal(Number(r[5]), c.bytes_ab + c.bytes_ba, `row ${i} bytes`);
  });
  await shot(page, '25-statistics-conversations');
  // Endpoints and the hierarchy, through the menu.
  for (const z of ['endpoints,ip', 'io,phs', 'expert', 'io,stat,auto']) {
    await page.selectOption('[data-testid=stats-kind]', z);
    await page.waitForFunction(() => document.querySelector('[data-testid=stats-summary]') !== null
      && document.querySelector('[data-testid=stats-busy]') === null);
    rows = await rowsOf();
    const want = z === 'io,stat,auto' ? null : cli(z);
    if (z === 'io,phs') {
      const flat = [];
      const walk = (ns) => ns.forEach((n) => { flat.push([n.protocol, n.frames, n.bytes]); walk(n.children); });
      walk(want.tree);
      assert.deepEqual(rows.map((r) => [r[0].trim(), Number(r[1]), Number(r[3])]), flat);
      await shot(page, '26-statistics-hierarchy');
    } else if (z === 'expert') {
      assert.ok(want.entries.length > 3);
      assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[3], Number(r[4])]),
        want.entries.map((e) => [e.severity, e.group, e.protocol, e.summary, e.count]));
      // Each entry's row selects its packets.
      const filters = await page.locator('[data-testid=stats-row]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-filter')));
      filters.forEach((f, i) => assert.equal(f, `frame.number in {${want.entries[i].frames.join(' ')}}`));
      await shot(page, '27-statistics-expert');
    } else if (z === 'io,stat,auto') {
      // The interval the viewer chose, asked of the CLI: the same packets and bytes per row.
      const step = Number(rows[1][0]) - Number(rows[0][0]);
      const io = cli(`io,stat,${Number(step.toFixed(6))}`);
      assert.deepEqual(rows.map((r) => [Number(r[1]), Number(r[2])]), io.rows.map((x) => [x.cells[0].frames, x.cells[0].bytes]));
      assert.equal(await page.locator('[data-testid=io-interval]').count(), rows.length);
      await shot(page, '30-statistics-io-graph');
    } else {
      assert.deepEqual(rows.map((r) => [r[0], Number(r[1]), Number(r[2])]), want.rows.map((e) => [e.address, e.frames, e.bytes]));
    }
  }
  // Back to TCP conversations; sort by bytes (largest first), then click the first row.
  await page.selectOption('[data-testid=stats-kind]', 'conv,tcp');
  await page.waitForFunction(() => document.querySelector('[data-testid=stats-busy]') === null && document.querySelector('[data-testid=stats-row]') !== null);
  await page.locator('[data-testid=stats-col]', { hasText: /^Bytes$/ }).click();
  rows = await rowsOf();
  const bytes = rows.map((r) => Number(r[5]));
  assert.deepEqual(bytes, [...bytes].sort((a, b) => b - a));
  const first = page.locator('[data-testid=stats-row]').first();
  const filter = await first.getAttribute('data-filter');
  assert.match(filter, /^tcp\.stream == \d+$/);
  const packets = Number(rows[0][4]);
  await first.click();
  await page.waitForFunction(() => document.documentElement.getAttribute('data-filter-seq') === '1');
  assert.equal(await page.inputValue('[data-testid=filter-input]'), filter);
  assert.equal(await num(page, 'status-displayed'), packets);
  assert.equal(packets, tsharkCount(file, filter));
  assert.equal(await page.locator('[data-testid=stats-dialog]').count(), 0);
  assert.deepEqual(errors, []);
});

test('follow TCP stream: the selected packet\'s stream equals paircap read -z follow; previous/next; filter to the stream', async () => {
  const bin = path.join(REPO, 'target/debug/paircap');
  const file = corpus('zeek__wikipedia.pcap');
  const { page, errors } = await openViewer(browser, server, { width: 1400, height: 1000 });
  await openFile(page, file);
  // Frame 6 is the first HTTP request (tcp.stream 0).
  await page.locator('[data-testid=packet-row][data-frame="6"]').click();
  await page.keyboard.press('Control+Alt+Shift+T');
  await page.waitForSelector('[data-testid=follow-chunk]', { timeout: 60000 });
  const stream = Number(await page.getAttribute('[data-testid=follow-dialog]', 'data-stream'));
  const check = async (n) => {
    const raw = execFileSync(bin, ['read', '-z', `follow,tcp,raw,${n}`, file], { encoding: 'utf8' });
    const want = raw.split('\n').slice(6).filter((l) => l && !l.startsWith('=')).map((l) => [l.startsWith('\t') ? '1' : '0', l.replace(/^\t/, '')]);
    // Raw mode shows each chunk's bytes as hex, as -z follow,tcp,raw does.
    await page.selectOption('[data-testid=follow-mode]', 'raw');
    const got = await page.locator('[data-testid=follow-chunk]').evaluateAll((cs) => cs.map((c) => [c.getAttribute('data-node'), c.textContent.replace(/\n$/, '')]));
    assert.deepEqual(got, want, `stream ${n}`);
    assert.ok(got.length > 0);
    await page.selectOption('[data-testid=follow-mode]', 'ascii');
  };
  await check(stream);
  // The text is the request and its answer.
  assert.match(await page.textContent('[data-testid=follow-text]'), /GET \/ HTTP\/1\.1[\s\S]*HTTP\/1\.0 304 Not Modified/);
  await shot(page, '27-follow-stream');
  // Next stream, and back.
  await page.click('[data-testid=follow-next]');
  await page.waitForSelector(`[data-testid=follow-dialog][data-stream="${stream + 1}"] [data-testid=follow-chunk]`);
  await check(stream + 1);
  await page.click('[data-testid=follow-prev]');
  await page.waitForSelector(`[data-testid=follow-dialog][data-stream="${stream}"] [data-testid=follow-chunk]`);
  // Hex dump mode: tshark's layout, the first line of the client's bytes.
  await page.selectOption('[data-testid=follow-mode]', 'hex');
  assert.match(await page.locator('[data-testid=follow-chunk]').first().textContent(), /^00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET \/ HT TP\/1\.1\.\./);
  // Filter to the stream.
  await page.click('[data-testid=follow-filter]');
  await page.waitForFunction(() => document.documentElement.getAttribute('data-filter-seq') === '1');
  assert.equal(await page.inputValue('[data-testid=filter-input]'), `tcp.stream == ${stream}`);
  assert.equal(await num(page, 'status-displayed'), tsharkCount(file, `tcp.stream == ${stream}`));
  assert.deepEqual(errors, []);
});

test('compare statistics: every conversation\'s sent, received, lost and duplicated per direction equal paircap compare', async () => {
  const prefix = path.join(TMP, 'pairconv');
  execFileSync('python3', [path.join(SHARED, 'perf/gen_workload.py'), 'pair', '-n', '6000', '-o', prefix, '--directions', 'both', '--loss', '0.02', '--dup-rate', '0.01', '--nat-ip', '198.51.100.7'], { stdio: 'ignore' });
  const [src, tgt] = [`${prefix}.src.pcapng`, `${prefix}.tgt.pcapng`];
  const bin = path.join(REPO, 'target/debug/paircap');
  const cli = JSON.parse(execFileSync(bin, ['compare', src, tgt, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  const { page, errors } = await openViewer(browser, server, { width: 1400, height: 1000 });
  await openFile(page, src);
  await page.setInputFiles('[data-testid=open-target]', tgt);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-phase') === 'compared', null, { timeout: 300000 });
  await page.click('[data-testid=stats]');
  await page.waitForSelector('[data-testid=stats-summary][data-kind="compare,conv"]', { timeout: 60000 });
  const rows = await page.locator('[data-testid=stats-row]').evaluateAll((rs) => rs.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  const want = [];
  for (const c of cli.conversations) {
    for (const [d, from, to] of [['a_to_b', c.a, c.b], ['b_to_a', c.b, c.a]]) {
      const x = c[d];
      if (x.sent + x.received === 0) continue;
      want.push([c.proto, from, to, x.sent_by, x.sent, x.received, x.lost, x.partly_lost, x.duplicated, x.reordered].map(String));
    }
  }
  assert.ok(want.length > 10);
  const shown = Math.min(want.length, 500);
  assert.equal(rows.length, shown);
  assert.deepEqual(rows.map((r) => r.slice(0, 10)), want.slice(0, shown));
  const lost = (v) => v.reduce((n, r) => n + Number(r[6]), 0);
  assert.ok(lost(rows) > 0, 'the pair lost packets');
  // Sorted by Lost, the first row is a conversation that lost the most.
  await page.locator('[data-testid=stats-col]', { hasText: /^Lost$/ }).click();
  const top = await page.locator('[data-testid=stats-row]').first().evaluate((r) => Number(r.querySelectorAll('td')[6].textContent));
  assert.equal(top, Math.max(...want.map((r) => Number(r[6]))));
  await shot(page, '28-compare-conversations');
  // The IO graph of the pair: every packet of each capture in one interval, the losses of
  // each direction where their sender sent them (the compare's counts), bars drawn.
  await page.selectOption('[data-testid=stats-kind]', 'compare,io,0');
  await page.waitForSelector('[data-testid=stats-summary][data-kind="compare,io,0"]', { timeout: 60000 });
  const io = await page.locator('[data-testid=stats-row]').evaluateAll((rs) => rs.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.textContent))));
  const sum = (k) => io.reduce((n, r) => n + r[k], 0);
  assert.ok(io.length > 20 && io.length <= 500, `${io.length} intervals`);
  assert.equal(sum(1), cli.source.packets);
  assert.equal(sum(2), cli.target.packets);
  const dirs = cli.counts.directions;
  assert.equal(sum(3), dirs.source_to_target.lost + dirs.source_to_target.partly_lost);
  assert.equal(sum(4), dirs.target_to_source.lost + dirs.target_to_source.partly_lost);
  assert.ok(sum(3) > 0 && sum(4) > 0);
  assert.equal(await page.locator('[data-testid=io-interval]').count(), io.length);
  assert.ok(await page.locator('[data-testid=io-bar]').count() > 0);
  await shot(page, '29-compare-io-graph');
  // A click on an interval filters the source capture to it.
  const busy = io.findIndex((r) => r[1] > 0);
  const f = await page.locator('[data-testid=io-interval]').nth(busy).getAttribute('data-filter');
  assert.match(f, /^frame\.time_epoch >= \d+\.\d{9} && frame\.time_epoch < \d+\.\d{9}$/);
  await page.locator('[data-testid=io-interval]').nth(busy).click();
  await page.waitForFunction((f) => document.querySelector('[data-testid=filter-input]').value === f, f);
  assert.deepEqual(errors, []);
});
