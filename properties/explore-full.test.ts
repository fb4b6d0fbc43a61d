/**
 * The default explorer run (what `npm start` prints): every witness replays on the spec and the simulated kernel
 * with no property broken, the README's matrix is exactly what the explorer says today, and the real report
 * renders in headless Chromium with a visible sequence diagram for a real cell.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explore } from '../src/check/explore.js';
import { replaySteps } from '../src/check/replay.js';
import { renderReport } from '../src/report/html.js';
import { DESIGN_NAMES, HW_KINDS } from '../src/uapi/index.js';
import { launchBrowser } from './support/browser.js';

const report = explore(DESIGN_NAMES, HW_KINDS, 16, 20_000, 120_000);
const mark = (design: string, hw: string, req: string) => {
  const c = report.cells.find((x) => x.design === design && x.hardware === hw && x.requirement === req);
  if (!c) return '?';
  const kind = report.requirements.find((r) => r.name === req)?.kind;
  return c.verdict === 'witness' ? `✔ ${c.length}` : c.verdict === 'counterexample' ? `✘ ${c.length}` : kind === 'safety' ? `held ≤ ${c.depth}` : `none ≤ ${c.depth}`;
};

describe('explorer, default run', () => {
  it('every witness replays on the spec and the simulated kernel with no property broken', () => {
    const traced = report.cells.filter((c) => c.trace);
    expect(traced.length).toBeGreaterThan(30);
    for (const c of traced) expect(replaySteps(c.trace!, c.trace!.steps).violation, `${c.design} ${c.hardware} ${c.requirement}`).toBeNull(); // filtered on trace
  });
  it('the README matrix is what the explorer says', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf("## What the designs can do"), readme.indexOf('\n## ', readme.indexOf("## What the designs can do") + 3));
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && /✔|none|held/.test(l));
    expect(rows.length).toBe(report.requirements.length);
    report.requirements.forEach((r, i) => {
      const cells = rows[i]!.split('|').slice(2, -1).map((x) => x.trim()); // one row per requirement, in order
      const want = DESIGN_NAMES.map((d) => {
        const [h, g] = HW_KINDS.map((hw) => mark(d, hw, r.name));
        return `${h} / ${r.kind === 'safety' ? g!.replace('held ', '') : g}`; // two hardware kinds
      });
      expect(cells, r.name).toEqual(want);
    });
  });
  it('the real report renders in headless Chromium and a cell click shows its sequence diagram', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rep-')), 'report.html');
    writeFileSync(file, renderReport(report));
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);
      await expect(page.locator('#matrix').isVisible()).resolves.toBe(true);
      const key = 'per-device-sva|guest-pasid-table|guest-pasid-table';
      await page.locator(`[data-cell="${key}"]`).first().click();
      const svg = page.locator(`svg.sequence[data-cell="${key}"]`);
      await expect(svg.isVisible()).resolves.toBe(true);
      const box = await svg.boundingBox();
      expect(box && box.width > 100 && box.height > 100).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
