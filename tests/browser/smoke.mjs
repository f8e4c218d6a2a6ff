// Manual look: node smoke.mjs FILE [out.png] [row, 0-based; default 2] [filter]
import { serve, launch, openViewer, openFile } from './lib.mjs';
const server = await serve();
const browser = await launch();
const { page, errors } = await openViewer(browser, server);
const r = await openFile(page, process.argv[2]);
console.log(JSON.stringify(r));
if (process.argv[5]) {
  await page.fill('[data-testid=filter-input]', process.argv[5]);
  await page.press('[data-testid=filter-input]', 'Enter');
  await page.waitForTimeout(1500);
}
const row = Number(process.argv[4] ?? 2);
await page.locator('[data-testid=packet-row]').nth(Math.min(row, r.packet_count - 1)).click();
await page.waitForSelector('[data-testid=details] .node');
await page.screenshot({ path: process.argv[3] || '/tmp/smoke.png' });
console.log('errors:', errors);
await browser.close();
await server.close();
