// Shared helpers for the viewer's browser tests and benchmark: a static server for dist/
// (with the MIME types module workers and wasm need) and Debian's Chromium via playwright-core.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '../..');
export const DIST = process.env.PAIRCAP_DIST || path.join(REPO, 'dist');
export const SHARED = process.env.PAIRCAP_SHARED || path.resolve(REPO, '../shared');
export const CORPUS = path.join(SHARED, 'corpus/public');
export const CHROME = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROME_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-precise-memory-info',
];

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml',
};

/// Serves `dir` on 127.0.0.1 (an ephemeral port); `extra` maps URL prefixes to directories.
export function serve(dir = DIST, extra = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push({ method: req.method, path: url.pathname, length: Number(req.headers['content-length'] || 0) });
    let root = dir;
    let rel = decodeURIComponent(url.pathname);
    for (const [prefix, d] of Object.entries(extra)) {
      if (rel.startsWith(prefix)) { root = d; rel = rel.slice(prefix.length - 1); }
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root)) { res.writeHead(403); return res.end(); }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) { res.writeHead(404); return res.end('not found'); }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'content-length': st.size, 'cache-control': 'no-store' });
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    resolve({ url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((r) => server.close(r)) });
  }));
}

export async function launch() {
  return chromium.launch({ executablePath: CHROME, headless: true, args: CHROME_ARGS });
}

/// A page with the viewer loaded and its console/page errors collected.
export async function openViewer(browser, server, { width = 1280, height = 800, colorScheme = 'light' } = {}) {
  const ctx = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(server.url);
  await page.waitForFunction(() => window.bench && document.querySelector('[data-testid=open-file]'));
  return { page, errors, ctx };
}

/// Opens a capture through the file input and waits for the index.
export async function openFile(page, file, { timeout = 600000 } = {}) {
  const seq = Number(await page.evaluate(() => document.documentElement.getAttribute('data-open-seq') || 0));
  await page.setInputFiles('[data-testid=open-file]', file);
  await page.waitForFunction((s) => Number(document.documentElement.getAttribute('data-open-seq') || 0) > s
    && document.documentElement.getAttribute('data-phase') === 'ready', seq, { timeout });
  return page.evaluate(() => window.bench.open());
}

export const text = (page, testid) => page.locator(`[data-testid=${testid}]`).first().innerText();
