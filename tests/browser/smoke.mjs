// Manual look: node smoke.mjs FILE [out.png]
import { serve, launch, openViewer, openFile } from './lib.mjs';
const server = await serve();
const browser = await launch();
const { page, errors } = await openViewer(browser, server);
const r = await openFile(page, process.argv[2]);
console.log(JSON.stringify(r));
await page.locator('[data-testid=packet-row]').nth(Math.min(2, r.packet_count - 1)).click();
await page.waitForSelector('[data-testid=details] .node');
await page.screenshot({ path: process.argv[3] || '/tmp/smoke.png' });
console.log('errors:', errors);
await browser.close();
await server.close();
