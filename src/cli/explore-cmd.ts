/**
 * `ioasid-lab explore`: for each design x hardware kind, search the design's vocabulary breadth-first for every
 * requirement; print the matrix (✔ witness length / ✘ counterexample length / "none ≤ k"), or --json, and with
 * --html write the self-contained report page. Each design on each hardware kind is one unit of work, run in this
 * thread (runExplore) or on --workers threads (runExploreOnWorkers); the report lists the cells in design x
 * hardware order either way.
 */
import { exploreReport } from '../check/explore.js';
import { inOrder, withPool } from '../check/pool.js';
import { runUnit, type ExploreUnit } from '../check/work.js';
import type { ExploreCell, ExploreReport } from '../check/explore-report.js';
import { encode } from '../check/trace.js';
import { writeAtomic } from '../check/files.js';
import { isReportPage, renderReport } from '../report/html.js';
import { REQUIREMENTS } from '../spec/requirements/index.js';
import { machineOf, type DesignName, type HwKind } from '../uapi/index.js';
import { profileName, type Profile } from '../check/machine.js';
import { oneOrAll, text, UsageError, wholeNumber, workersFlag, type Flags } from './args.js';
import { onProfile } from './profile-flag.js';
import { prepareOutFile } from './output.js';
import { progress, type Progress } from './progress.js';

export interface ExploreArgs {
  readonly designs: readonly DesignName[];
  readonly hardware: readonly HwKind[];
  /** the machine every cell runs on */
  readonly profile: Profile;
  readonly skipped: readonly { readonly design: DesignName; readonly why: string }[];
  readonly requirement: string | null;
  readonly depth: number;
  readonly maxStates: number;
  readonly budgetS: number;
  readonly json: boolean;
  readonly html: string | null;
  /** replace --html even when it is not an ioasid-lab report */
  readonly force: boolean;
  /** worker threads for runExploreOnWorkers (1: everything in this thread) */
  readonly workers: number;
  /** symmetry reduction: states that differ only by numbering are one (--no-symmetry: off) */
  readonly symmetry: boolean;
}

export function exploreArgs(flags: Flags): ExploreArgs {
  const req = oneOrAll(flags, 'requirement', REQUIREMENTS.map((r) => r.name));
  const on = onProfile(flags);
  // the vocabulary (alphabet.ts) maps guest RAM at IOVA 0 and probes fixed guest addresses
  const start = machineOf(on.profile, on.hardware[0] ?? 'host-pasid-table').iommu.aperture.start;
  if (start !== 0n) throw new UsageError(`explore runs on machines whose aperture starts at 0 (its vocabulary puts guest RAM at IOVA 0); profile ${profileName(on.profile)} starts at 0x${start.toString(16)}`);
  return {
    ...on,
    requirement: flags.has('requirement') ? (req[0] ?? null) : null,
    depth: wholeNumber(flags, 'depth', 16, 1, 1000), maxStates: wholeNumber(flags, 'max-states', 20_000, 1, 100_000_000), budgetS: wholeNumber(flags, 'budget', 30, 1, 7 * 24 * 3600),
    json: flags.has('json'), html: text(flags, 'html') ?? null, force: flags.has('force'), workers: workersFlag(flags), symmetry: !flags.has('no-symmetry'),
  };
}

/** ✔ n, ✘ n, or none ≤ k. */
export const cellMark = (c: ExploreCell): string =>
  c.verdict === 'witness' ? `✔ ${c.length}` : c.verdict === 'counterexample' ? `✘ ${c.length}` : `none ≤ ${c.depth}`;

export function formatMatrix(r: ExploreReport): string {
  const cols = r.designs.flatMap((d) => r.hardware.map((h) => ({ d: d.name, h })));
  const w0 = Math.max(...r.requirements.map((q) => q.name.length), 11) + 2;
  const head = cols.map((c) => `${c.d}/${c.h === 'host-pasid-table' ? 'host' : 'guest'}`);
  const ws = head.map((h) => Math.max(h.length, 9) + 2);
  const row = (first: string, cells: string[]) => first.padEnd(w0) + cells.map((x, i) => x.padEnd(ws[i]!)).join('').trimEnd(); // one width per column
  const lines = [...(r.profile === undefined ? [] : [`machine: ${r.profile}`]), row('requirement', head)];
  for (const q of r.requirements) {
    const cells = cols.map((c) => {
      const cell = r.cells.find((x) => x.design === c.d && x.hardware === c.h && x.requirement === q.name);
      return cell ? cellMark(cell) : '';
    });
    if (cells.some((x) => x !== '')) lines.push(row(q.name, cells));
  }
  lines.push('', '✔ n: a shortest witness of n calls (set-up included); ✘ n: a shortest counterexample;',
    'none ≤ k: nothing within k calls after the set-up (for a safety requirement: no counterexample, a bounded proof)');
  return lines.join('\n');
}

/** The units, design by design then hardware kind: each searches every requirement at once. */
const unitsOf = (a: ExploreArgs): ExploreUnit[] => a.designs.flatMap((design) => a.hardware.map((hardware) => ({
  kind: 'explore' as const, opts: { design, hardware, depth: a.depth, maxStates: a.maxStates, budgetMs: a.budgetS * 1000, ...(a.profile === 'default' ? {} : { profile: a.profile }), ...(a.symmetry ? {} : { symmetry: false }) },
})));

/** Before any work: --html usable (checked before the search), the skipped said. */
function begin(a: ExploreArgs): { readonly p: Progress; readonly t0: number } {
  if (a.html) prepareOutFile(a.html, 'html', isReportPage, 'an ioasid-lab report', a.force);
  const p = progress();
  for (const s of a.skipped) p.line(`${s.design}: skipped: ${s.why}`);
  return { p, t0: Date.now() };
}

/** The progress line of a finished unit. */
function cellLine(cells: readonly ExploreCell[]): string | null {
  const c = cells[0];
  return c ? `${c.design} on ${c.hardware}: ${c.states} states, depth ${c.depth}, ${(c.ms / 1000).toFixed(1)} s` : null;
}

/** `explore` in this thread, unit after unit (main(), --workers 1). */
export function runExplore(a: ExploreArgs, out: (s: string) => void): number {
  const run = begin(a);
  const cells = unitsOf(a).map((u) => {
    const got = runUnit(u);
    const line = cellLine(got);
    if (line !== null) run.p.line(line);
    return got;
  });
  return report(a, cells, run.t0, out);
}

/** `explore` on --workers threads (a pool destroyed when the command ends); in this thread when one would do. */
export async function runExploreOnWorkers(a: ExploreArgs, out: (s: string) => void): Promise<number> {
  const units = unitsOf(a);
  const width = Math.min(a.workers, units.length);
  if (width <= 1) return runExplore(a, out);
  const run = begin(a);
  const cells: ExploreCell[][] = [];
  await withPool(width, (pool) => inOrder(pool, units.map((u, i) => ({ u, i })), ({ u }) => u, ({ i }, got) => {
    cells[i] = got; // in unit order, whatever order they finish in
    const line = cellLine(got);
    if (line !== null) run.p.line(line);
  }));
  return report(a, cells, run.t0, out);
}

/** The report of the cells (one list per unit, in unit order): the matrix or --json, and the --html page. */
function report(a: ExploreArgs, cells: readonly (readonly ExploreCell[])[], t0: number, out: (s: string) => void): number {
  const full = exploreReport(a.designs, a.hardware, a.depth, cells.flat(), a.profile);
  const r: ExploreReport = a.requirement === null ? full : {
    ...full,
    requirements: full.requirements.filter((q) => q.name === a.requirement),
    cells: full.cells.filter((c) => c.requirement === a.requirement),
  };
  if (a.html) writeAtomic(a.html, renderReport(r));
  const sym = r.symmetry ? `${r.symmetry.states.toLocaleString('en')} distinct states up to renaming of ids, fds and files (as numbered, at least ${r.symmetry.numberedStates.toLocaleString('en')}: ${r.symmetry.reductionAtLeast}x or more)\n` : '';
  out(a.json ? JSON.stringify(r, encode, 2) : `${formatMatrix(r)}\n${a.html ? `report: ${a.html}\n` : ''}${sym}explored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}
