/**
 * npm run screenshot: run the explorer on its defaults, render the report, and save docs/report.png (the README's
 * picture) through headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { explore } from '../src/check/explore.js';
import { renderReport } from '../src/report/html.js';
import { DESIGN_NAMES, HW_KINDS } from '../src/uapi/index.js';

const report = explore(DESIGN_NAMES, HW_KINDS, 16, 20_000, 30_000);
mkdirSync('out', { recursive: true });
writeFileSync('out/report.html', renderReport(report));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
await page.goto(`file://${process.cwd()}/out/report.html`);
const cell = page.locator('[data-cell="per-device-sva|host-pasid-table|shared-invalidation"]').first();
const witness = page.locator('[data-cell="iommufd|host-pasid-table|shared-invalidation"]').first();
await (await witness.count() ? witness : cell).click();
await page.screenshot({ path: 'docs/report.png', fullPage: true });
await browser.close();
console.log('wrote docs/report.png');
