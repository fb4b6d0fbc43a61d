/**
 * The report page in a real browser (headless Chromium through playwright-core: Debian's when installed, otherwise
 * the one the npm package @sparticuz/chromium ships; see support/browser.ts):
 * the matrix shows, a click on a cell shows that cell's sequence diagram and only it, the page asks for nothing
 * beyond its own file, and a screenshot lands in out/report.png for a person to look at.
 * A browser that cannot start is a failure, not a skip: a skipped browser test proves nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../src/report/html.js';
import { launchBrowser } from './support/browser.js';
import { SAMPLE_REPORT } from './support/report-sample.js';

const SCREENSHOT = 'out/report.png';

let dir = '';
let url = '';
let browser: Browser | null = null;

/** The browser, launched once. */
async function launch(): Promise<Browser> {
  browser ??= await launchBrowser();
  return browser;
}

/** A fresh page on the report, recording every request that is not the file itself and every script error. */
async function open(): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await (await launch()).newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, requests, errors };
}

const cellLink = (page: Page, key: string) => page.locator(`#matrix td[data-cell="${key}"] a`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ioasid-report-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, renderReport(SAMPLE_REPORT));
  url = pathToFileURL(file).href;
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the report page in headless Chromium', () => {
  it('shows the matrix and no diagram until a cell is chosen; asks for nothing beyond its file', async () => {
    const { page, requests, errors } = await open();
    await expect.poll(() => page.locator('#matrix').isVisible()).toBe(true);
    expect(await page.locator('#matrix td.cell').count()).toBe(6);
    expect(await page.locator('#compare').isVisible()).toBe(true);
    expect(await cellLink(page, 'rfc-v1|host-pasid-table|P-OWNER').textContent()).toBe('✘ 4');
    expect(await page.locator('svg.sequence:visible').count()).toBe(0);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('clicking a cell shows exactly its sequence diagram, with one arrow per step, and marks the cell', async () => {
    const { page, errors } = await open();
    await cellLink(page, 'rfc-v1|host-pasid-table|P-OWNER').click();
    const shown = page.locator('svg.sequence:visible');
    await expect.poll(() => shown.count()).toBe(1);
    expect(await shown.getAttribute('data-cell')).toBe('rfc-v1|host-pasid-table|P-OWNER');
    const box = await shown.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);
    expect(box?.height ?? 0).toBeGreaterThan(100);
    expect(await shown.locator('g.arrow').count()).toBe(4);
    expect(await page.locator('section.detail:visible p.rules').textContent()).toContain('VFIO_BIND_IOASID_FD.EBADF.fd');
    expect(await page.locator('#matrix td.selected').getAttribute('data-cell')).toBe('rfc-v1|host-pasid-table|P-OWNER');

    mkdirSync('out', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);

    // another cell replaces it
    await cellLink(page, 'iommufd|host-pasid-table|R-DMA').click();
    await expect.poll(() => shown.getAttribute('data-cell')).toBe('iommufd|host-pasid-table|R-DMA');
    expect(await shown.count()).toBe(1);
    expect(await page.locator('#matrix td.selected').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a cell without a trace shows its verdict and no diagram', async () => {
    const { page } = await open();
    await cellLink(page, 'iommufd|host-pasid-table|P-OWNER').click();
    const detail = page.locator('section.detail:visible');
    await expect.poll(() => detail.count()).toBe(1);
    expect(await detail.textContent()).toContain('Holds: the search saw all 900 states of this vocabulary and none breaks it');
    expect(await page.locator('svg.sequence:visible').count()).toBe(0);
    await page.close();
  });
});
