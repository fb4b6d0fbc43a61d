/**
 * The browser the report tests use needs nothing from the system: with Debian's chromium hidden, the Chromium that
 * the npm package ships is unpacked and renders a page. On a machine that has the system browser this still runs
 * the bundled one, so every run proves the bare-machine path.
 */
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chooseBrowser, resolveBrowser } from './support/browser.js';

describe('choosing the browser', () => {
  it('uses the system chromium when present and the bundled one otherwise', () => {
    expect(chooseBrowser(undefined, true)).toEqual({ source: 'system' });
    expect(chooseBrowser(undefined, false)).toEqual({ source: 'bundled' });
    expect(chooseBrowser('', false)).toEqual({ source: 'bundled' });
  });
  it('IOASID_LAB_CHROMIUM forces a choice, and a bad value is refused with its name', () => {
    expect(chooseBrowser('bundled', true)).toEqual({ source: 'bundled' });
    expect(chooseBrowser('system', false)).toEqual({ source: 'system' });
    expect(chooseBrowser('/opt/chrome/chrome', true)).toEqual({ source: 'path', path: '/opt/chrome/chrome' });
    expect(() => chooseBrowser('firefox', true)).toThrow(/IOASID_LAB_CHROMIUM="firefox"/);
  });
});

describe('the bundled Chromium, with the system browser hidden', () => {
  it('unpacks from node_modules and renders an SVG', async () => {
    const b = await resolveBrowser({ IOASID_LAB_CHROMIUM: 'bundled' });
    expect(b.source).toBe('bundled');
    expect(b.executablePath).not.toBe('/usr/bin/chromium');
    const browser = await chromium.launch({ executablePath: b.executablePath, args: [...b.args] });
    try {
      const page = await browser.newPage();
      await page.setContent('<svg id="s" width="200" height="120"><rect width="200" height="120"/></svg>');
      const box = await page.locator('#s').boundingBox();
      expect(box?.width).toBe(200);
      expect(box?.height).toBe(120);
    } finally {
      await browser.close();
    }
  });
});
