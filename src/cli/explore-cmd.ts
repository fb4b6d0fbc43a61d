/**
 * `ioasid-lab explore`: for each design x hardware kind, search the design's vocabulary breadth-first for every
 * requirement (src/explore/); print the matrix, or --json, and with --html write the self-contained report page.
 * Designs and requirements may come from the user's files (--design-file, --requirement-file); --compare A B puts two
 * designs side by side. Each design on each hardware kind is one unit of work, run in this thread (runExplore) or on
 * --workers threads (runExploreOnWorkers); the report lists the cells in design x hardware order either way.
 */
import { inOrder, withPool } from '../check/pool.js';
import { runUnit, type ExploreUnit } from '../check/work.js';
import { encode } from '../check/trace.js';
import { writeAtomic } from '../check/files.js';
import { isReportPage, renderReport } from '../report/html.js';
import { DESIGNS, DESIGN_NAMES, type Design } from '../spec/index.js';
import { machineOf, type HwKind } from '../uapi/index.js';
import { profileName, type Profile } from '../check/machine.js';
import {
  cellMark, compare, EXPLORE_DEFAULTS, exploreReport, FileError, formatComparison, loadDesignFile, loadRequirementFiles, REQUIREMENTS,
  type ExploreCell, type ExploreReport, type Requirement,
} from '../explore/index.js';
import { shown, text, UsageError, wholeNumber, workersFlag, type Flags } from './args.js';
import { onProfile } from './profile-flag.js';
import { prepareOutFile } from './output.js';
import { progress, type Progress } from './progress.js';

export interface ExploreArgs {
  readonly designs: readonly Design[];
  readonly hardware: readonly HwKind[];
  /** the machine every cell runs on */
  readonly profile: Profile;
  readonly skipped: readonly { readonly design: string; readonly why: string }[];
  /** every requirement: the built-in ones, then those of --requirement-file */
  readonly requirements: readonly Requirement[];
  /** the files the user's requirements came from (a worker thread loads them again) */
  readonly requirementFiles: readonly string[];
  /** --requirement: show only this one (every one is searched) */
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
  /** --compare A B */
  readonly compare: readonly [string, string] | null;
}

export { EXPLORE_DEFAULTS };

/** `--compare A B` as one flag value (`--compare=A,B`), before the arguments are parsed. */
export function joinCompare(argv: readonly string[]): readonly string[] {
  const i = argv.indexOf('--compare');
  const a = argv[i + 1];
  const b = argv[i + 2];
  if (i < 0 || a === undefined || b === undefined || a.startsWith('--') || b.startsWith('--')) return argv;
  return [...argv.slice(0, i), `--compare=${a},${b}`, ...argv.slice(i + 3)];
}

/** A comma-separated list of files of a flag, or none. */
const files = (flags: Flags, name: string): string[] => (text(flags, name) ?? '').split(',').filter((f) => f !== '');

/** Load user files, turning a bad file into a usage error (one line, exit 2). */
function fromFile<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FileError) throw new UsageError(e.message);
    throw e;
  }
}

export function exploreArgs(flags: Flags): ExploreArgs {
  const variants = fromFile(() => files(flags, 'design-file').map(loadDesignFile));
  const requirementFiles = files(flags, 'requirement-file');
  const requirements = [...REQUIREMENTS, ...fromFile(() => loadRequirementFiles(requirementFiles))];
  const req = text(flags, 'requirement');
  if (req !== undefined && !requirements.some((r) => r.name === req)) throw new UsageError(`unknown requirement ${shown(req)} (known: ${requirements.map((r) => r.name).join(', ')})`);
  // --design names a built-in design or a variant; the built-in list is narrowed by onProfile
  const named = text(flags, 'design');
  const variantNamed = named !== undefined && variants.some((v) => v.name === named);
  const on = onProfile(variantNamed ? new Map([...flags].filter(([k]) => k !== 'design')) : flags);
  // the world maps guest RAM at IOVA 0 and probes fixed guest addresses
  const start = machineOf(on.profile, on.hardware[0] ?? 'host-pasid-table').iommu.aperture.start;
  if (start !== 0n) throw new UsageError(`explore runs on machines whose aperture starts at 0 (its world puts guest RAM at IOVA 0); profile ${profileName(on.profile)} starts at 0x${start.toString(16)}`);
  const all: Design[] = [...on.designs.map((n) => DESIGNS[n]), ...variants];
  let designs = variantNamed ? variants.filter((v) => v.name === named) : named !== undefined ? all.filter((d) => d.name === named) : all;
  const cmp = text(flags, 'compare');
  let pair: readonly [string, string] | null = null;
  if (cmp !== undefined) {
    const [a, b, ...more] = cmp.split(',');
    if (a === undefined || b === undefined || more.length > 0 || a === b) throw new UsageError(`--compare takes two different designs (--compare A B), not ${shown(cmp)}`);
    const known: string[] = [...DESIGN_NAMES, ...variants.map((v) => v.name)];
    for (const d of [a, b]) if (!known.includes(d)) throw new UsageError(`unknown design ${shown(d)} to compare (known: ${known.join(', ')})`);
    if (named !== undefined) throw new UsageError('--compare names its designs: leave --design out');
    pair = [a, b];
    designs = [a, b].map((n) => all.find((d) => d.name === n) ?? DESIGNS[n as keyof typeof DESIGNS]);
  }
  return {
    ...on, designs, requirements, requirementFiles, requirement: req ?? null, compare: pair,
    depth: wholeNumber(flags, 'depth', EXPLORE_DEFAULTS.depth, 1, 1000),
    maxStates: wholeNumber(flags, 'max-states', EXPLORE_DEFAULTS.maxStates, 1, 100_000_000),
    budgetS: wholeNumber(flags, 'budget', EXPLORE_DEFAULTS.budgetS, 1, 7 * 24 * 3600),
    json: flags.has('json'), html: text(flags, 'html') ?? null, force: flags.has('force'), workers: workersFlag(flags), symmetry: !flags.has('no-symmetry'),
  };
}

/** The matrix as text: one row per requirement, one column per design x hardware kind. */
export function formatMatrix(r: ExploreReport): string {
  const cols = r.designs.flatMap((d) => r.hardware.map((h) => ({ d: d.name, h })));
  const w0 = Math.max(...r.requirements.map((q) => q.name.length), 11) + 2;
  const marks = r.requirements.map((q) => cols.map((c) => {
    const cell = r.cells.find((x) => x.design === c.d && x.hardware === c.h && x.requirement === q.name);
    return cell ? cellMark(cell, q.kind) : '';
  }));
  const head = cols.map((c) => `${c.d}/${c.h === 'host-pasid-table' ? 'host' : 'guest'}`);
  const ws = head.map((h, i) => Math.max(h.length, ...marks.map((m) => m[i]!.length)) + 2); // a mark per column
  const row = (first: string, cells: string[]) => first.padEnd(w0) + cells.map((x, i) => x.padEnd(ws[i]!)).join('').trimEnd(); // one width per column
  const lines = [...(r.profile === undefined ? [] : [`machine: ${r.profile}`]), row('requirement', head)];
  r.requirements.forEach((q, i) => {
    const cells = marks[i]!; // one list per requirement
    if (cells.some((x) => x !== '')) lines.push(row(q.name, cells));
  });
  const na = r.cells.filter((c) => c.unavailable !== undefined && !c.trace);
  const reasons = [...new Set(na.map((c) => `${c.requirement} n/a for ${c.design}: ${c.unavailable}`))];
  lines.push('', '✔ n: a shortest witness of n calls (set-up included); ✘ n: a shortest counterexample;',
    'unreachable / holds (complete: N states): the search saw every state of the design\'s vocabulary — a proof for these calls;',
    'none ≤ k (bounded: ...): nothing within k calls after the set-up, the search stopped at a bound; incomplete: stopped by the clock',
    ...reasons);
  return lines.join('\n');
}

/** The units, design by design then hardware kind: each searches every requirement at once. */
const unitsOf = (a: ExploreArgs): ExploreUnit[] => a.designs.flatMap((d) => a.hardware.map((hardware) => ({
  kind: 'explore' as const,
  opts: {
    design: Object.hasOwn(DESIGNS, d.name) && DESIGNS[d.name] === d ? d.name : d, hardware, depth: a.depth, maxStates: a.maxStates, budgetMs: a.budgetS * 1000,
    ...(a.profile === 'default' ? {} : { profile: a.profile }), ...(a.symmetry ? {} : { symmetry: false }),
  },
  ...(a.requirementFiles.length === 0 ? {} : { requirementFiles: a.requirementFiles }),
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
  if (!c) return null;
  const bounded = cells.find((x) => x.verdict === 'bounded');
  const how = cells.some((x) => x.verdict === 'incomplete') ? 'stopped by the clock'
    : bounded ? `bounded (${bounded.stop === 'depth' ? 'depth' : 'states'})`
    : cells.some((x) => x.verdict === 'unreachable') ? 'complete' : 'every requirement found';
  return `${c.design} on ${c.hardware}: ${c.states.toLocaleString('en')} states, depth ${c.depth}, ${how}, ${(c.ms / 1000).toFixed(1)} s`;
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
  // the biggest searches first, so that the last one to finish is not a long one started late
  const order = units.map((u, i) => ({ u, i })).sort((x, y) => weight(y.u) - weight(x.u));
  await withPool(width, (pool) => inOrder(pool, order, ({ u }) => u, ({ i }, got) => {
    cells[i] = got; // in unit order, whatever order they finish in
    const line = cellLine(got);
    if (line !== null) run.p.line(line);
  }));
  return report(a, cells, run.t0, out);
}

/** How big a unit's search is, roughly (the merged uAPI's is the biggest, guest-pasid-table hardware the bigger). */
const weight = (u: ExploreUnit): number => {
  const d = typeof u.opts.design === 'string' ? DESIGNS[u.opts.design] : u.opts.design;
  return d.ioctls.length * 2 + (u.opts.hardware === 'guest-pasid-table' ? 1 : 0);
};

/** The report of the cells (one list per unit, in unit order): the matrix or --json, and the --html page. */
function report(a: ExploreArgs, cells: readonly (readonly ExploreCell[])[], t0: number, out: (s: string) => void): number {
  const full = exploreReport(a.designs, a.hardware, { depth: a.depth, maxStates: a.maxStates }, a.requirements, cells.flat(), a.profile);
  const shown0: ExploreReport = a.requirement === null ? full : {
    ...full,
    requirements: full.requirements.filter((q) => q.name === a.requirement),
    cells: full.cells.filter((c) => c.requirement === a.requirement),
  };
  const r: ExploreReport = a.compare === null ? shown0 : { ...shown0, comparison: compare(shown0, a.compare[0], a.compare[1]) };
  if (a.html) writeAtomic(a.html, renderReport(r));
  const sym = r.symmetry ? `${r.symmetry.states.toLocaleString('en')} distinct states up to renaming of ids, fds and files (as numbered, at least ${r.symmetry.numberedStates.toLocaleString('en')}: ${r.symmetry.reductionAtLeast}x or more)\n` : '';
  const cmp = r.comparison ? `\n${formatComparison(r.comparison, r)}\n` : '';
  out(a.json ? JSON.stringify(r, encode, 2) : `${formatMatrix(r)}\n${cmp}${a.html ? `report: ${a.html}\n` : ''}${sym}explored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}
