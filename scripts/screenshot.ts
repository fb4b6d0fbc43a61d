/**
 * npm run screenshot: run the explorer on its defaults, render the report, and save docs/report.png (the README's
 * picture) through headless Chromium (Debian's when installed, else the npm-bundled one: properties/support/browser.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { explore } from '../src/explore/index.js';
import { renderReport } from '../src/report/html.js';
import { DESIGN_NAMES, HW_KINDS } from '../src/uapi/index.js';
import { launchBrowser } from '../properties/support/browser.js';

const report = explore(DESIGN_NAMES, HW_KINDS);
mkdirSync('out', { recursive: true });
writeFileSync('out/report.html', renderReport(report));
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
await page.goto(`file://${process.cwd()}/out/report.html`);
const cell = page.locator('[data-cell="per-device-sva|host-pasid-table|shared-invalidation"]').first();
const witness = page.locator('[data-cell="iommufd|host-pasid-table|shared-invalidation"]').first();
await (await witness.count() ? witness : cell).click();
await page.screenshot({ path: 'docs/report.png', fullPage: true });
await browser.close();
console.log('wrote docs/report.png');
