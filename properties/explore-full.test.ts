/**
 * The default explorer run (what `npm start` prints), searched once on two worker threads: every witness and
 * counterexample replays on the spec and the simulated kernel with no property broken; every search completes and
 * says so, with the same state count on one thread as on two; no runtime-association witness ends in a no-op; the
 * thread's findings hold; the README's matrix is exactly what the explorer says today; and the real report renders
 * in headless Chromium with a visible sequence diagram for a real cell.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { inOrder, withPool } from '../src/check/pool.js';
import { replaySteps } from '../src/check/replay.js';
import { simDriver } from '../src/check/driver.js';
import { exploreArgs, formatMatrix } from '../src/cli/explore-cmd.js';
import { EXPLORE_DEFAULTS, exploreDesign, exploreReport, REQUIREMENTS, shortMark, WORLD, type ExploreCell, type ExploreReport } from '../src/explore/index.js';
import { renderReport } from '../src/report/html.js';
import { DESIGNS, DESIGN_NAMES } from '../src/spec/index.js';
import { HW_KINDS } from '../src/uapi/index.js';
import { launchBrowser } from './support/browser.js';

let report: ExploreReport;
const cellOf = (design: string, hw: string, req: string): ExploreCell => {
  const c = report.cells.find((x) => x.design === design && x.hardware === hw && x.requirement === req);
  if (!c) throw new Error(`no cell ${design} ${hw} ${req}`);
  return c;
};

beforeAll(async () => {
  const units = DESIGN_NAMES.flatMap((design) => HW_KINDS.map((hardware) => ({ kind: 'explore' as const, opts: { design, hardware, depth: EXPLORE_DEFAULTS.depth, maxStates: EXPLORE_DEFAULTS.maxStates, budgetMs: EXPLORE_DEFAULTS.budgetS * 1000 } })));
  const cells: ExploreCell[][] = [];
  await withPool(2, (pool) => inOrder(pool, units.map((u, i) => ({ u, i })), ({ u }) => u, ({ i }, got) => { cells[i] = got; }));
  report = exploreReport(DESIGN_NAMES.map((n) => DESIGNS[n]), HW_KINDS, EXPLORE_DEFAULTS, REQUIREMENTS, cells.flat());
}, 240_000);

describe('explorer, default run', () => {
  it('every witness and counterexample replays on the spec and the simulated kernel with no property broken', () => {
    const traced = report.cells.filter((c) => c.trace);
    expect(traced.length).toBeGreaterThan(40);
    for (const c of traced) expect(replaySteps(c.trace!, c.trace!.steps).violation, `${c.design} ${c.hardware} ${c.requirement}`).toBeNull(); // filtered on trace
  });

  it('every search completes: what it did not find is unreachable (complete: N states), never a bound', () => {
    for (const c of report.cells.filter((x) => !x.trace)) expect([c.verdict, c.stop], `${c.design} ${c.hardware} ${c.requirement}`).toEqual(['unreachable', 'complete']);
  });

  it('a complete search counts the same states on one thread as on two', () => {
    for (const design of ['fd-per-ioasid', 'setup-only-association'] as const) {
      const here = exploreDesign({ design, hardware: 'guest-pasid-table', ...EXPLORE_DEFAULTS, budgetMs: 600_000 });
      expect(here.map((c) => [c.verdict, c.states, c.length])).toEqual(report.cells.filter((c) => c.design === design && c.hardware === 'guest-pasid-table').map((c) => [c.verdict, c.states, c.length]));
    }
  });

  it('no runtime-association witness ends in a no-op: its last call links a device that did no DMA to an address space', () => {
    for (const c of report.cells.filter((x) => x.requirement === 'runtime-association' && x.trace)) {
      const steps = c.trace!.steps; // filtered on trace
      const r = replaySteps(c.trace!, steps, simDriver(undefined, false));
      const links = (i: number) => new Set(r.records[i]!.spec.state.attachments.map((a) => `${a.dev}|${a.pasid}|${a.ctx}`)); // i < records
      const before = links(steps.length - 2);
      const after = r.records[steps.length - 1]!.spec.state.attachments.filter((a) => !before.has(`${a.dev}|${a.pasid}|${a.ctx}`)); // the last record
      const dmaDevs = steps.flatMap((st, i) => ('env' in st.cmd && st.cmd.env === 'DMA' && r.records[i]!.spec.result.ok && (r.records[i]!.spec.result.out as { xlate: { kind: string } }).xlate.kind === 'hit' ? [st.cmd.dev] : [])); // one record per step
      expect(dmaDevs.length, `${c.design} ${c.hardware}`).toBeGreaterThan(0);
      expect(after.length, `${c.design} ${c.hardware}`).toBeGreaterThan(0);
      for (const a of after) expect(dmaDevs, `${c.design} ${c.hardware}`).not.toContain(a.dev);
    }
  });

  it('the thread\'s findings hold', () => {
    for (const hw of HW_KINDS) {
      // seed M2: per-device invalidation never reaches both devices; every per-ioasid design can
      expect(cellOf('per-device-sva', hw, 'shared-invalidation').verdict).toBe('unreachable');
      expect(cellOf('iommufd', hw, 'shared-invalidation').verdict).toBe('witness');
      expect(cellOf('rfc-v1', hw, 'shared-invalidation').verdict).toBe('witness');
      // seed concern 1: set-up-only association cannot associate after DMA
      expect(cellOf('setup-only-association', hw, 'runtime-association').verdict).toBe('unreachable');
      expect(cellOf('rfc-v1', hw, 'runtime-association').verdict).toBe('witness');
      // iommufd's partial unmap is the one failed call that changes state
      expect(cellOf('iommufd', hw, 'failed-call-atomic').verdict).toBe('counterexample');
      expect(cellOf('iommufd', hw, 'failed-call-atomic').trace!.steps.at(-1)!.spec!.rule).toBe('IOAS_UNMAP.ENOENT.split_after_removing'); // a counterexample has a trace
      for (const d of ['rfc-v1', 'fd-per-ioasid', 'per-device-sva', 'setup-only-association']) expect(cellOf(d, hw, 'failed-call-atomic').verdict).toBe('unreachable');
      // native SVA exists only where a design binds a process address space to a device PASID
      expect(cellOf('per-device-sva', hw, 'native-sva').verdict).toBe('witness');
      for (const d of ['iommufd', 'rfc-v1', 'fd-per-ioasid', 'setup-only-association']) expect(cellOf(d, hw, 'native-sva')).toMatchObject({ verdict: 'unreachable', unavailable: expect.any(String) });
      // the safety requirements hold everywhere
      for (const d of DESIGN_NAMES) for (const q of ['cross-vm-isolation', 'no-leak-after-close', 'destroy-in-use-refused', 'no-stale-after-unmap', 'detach-blocks-dma']) expect(cellOf(d, hw, q).verdict, `${d} ${hw} ${q}`).toBe('unreachable');
    }
    // seed concern 2: fd-per-ioasid cannot nest a guest stage-1 on guest-pasid-table hardware
    expect(cellOf('fd-per-ioasid', 'guest-pasid-table', 'guest-sva').verdict).toBe('unreachable');
    expect(cellOf('iommufd', 'guest-pasid-table', 'guest-pasid-table').verdict).toBe('witness');
  });

  it('the README matrix and the text matrix are what the explorer says', () => {
    const readme = readFileSync('README.md', 'utf8');
    const start = readme.indexOf('## What the designs can do');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 3));
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| requirement') && !l.startsWith('|---'));
    expect(rows.length).toBe(report.requirements.length);
    report.requirements.forEach((r, i) => {
      const cells = rows[i]!.split('|').slice(2, -1).map((x) => x.trim()); // one row per requirement, in order
      const want = DESIGN_NAMES.map((d) => HW_KINDS.map((hw) => shortMark(cellOf(d, hw, r.name), r.kind)).join(' / '));
      expect(cells, r.name).toEqual(want);
    });
    const states = report.cells.filter((c) => c.requirement === REQUIREMENTS[0]!.name).reduce((n, c) => n + c.states, 0); // at least one requirement
    expect(section.replace(/\s+/g, ' ')).toContain(`${states.toLocaleString('en')} states in all`);
    expect(formatMatrix(report)).toMatch(/^failed-call-atomic\s+✘ \d+/m);
    expect(WORLD.devices).toHaveLength(3);
    expect(exploreArgs(new Map()).maxStates).toBe(EXPLORE_DEFAULTS.maxStates);
  });

  it('the real report renders in headless Chromium and a cell click shows its sequence diagram', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rep-')), 'report.html');
    writeFileSync(file, renderReport(report));
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);
      await expect(page.locator('#matrix').isVisible()).resolves.toBe(true);
      const key = 'iommufd|host-pasid-table|failed-call-atomic';
      await page.locator(`[data-cell="${key}"] a`).first().click();
      const svg = page.locator(`svg.sequence[data-cell="${key}"]`);
      await expect(svg.isVisible()).resolves.toBe(true);
      const box = await svg.boundingBox();
      expect(box && box.width > 100 && box.height > 100).toBe(true);
      expect(await page.locator('section.detail:visible p.rules').textContent()).toContain('IOAS_UNMAP.ENOENT.split_after_removing');
    } finally {
      await browser.close();
    }
  });
});
