/**
 * `ioasid-lab check`: run the differential check over the chosen designs and hardware kinds, write every
 * counterexample to <out>/<property>/<hash>.json (+ .md; <out> is counterexamples/new/ unless --out says), print
 * a summary table (or --json). Exit 1 when anything failed. Each cell runs as chunks of runs (src/check/chunks.ts),
 * in this thread (runCheck) or on --workers threads (runCheckOnWorkers), with the same outcome either way; only the
 * main thread writes counterexamples, in cell order.
 */
import { setupsOf, type CheckOutcome } from '../check/engine.js';
import { FIXTURES, type Fixture } from '../check/fixture.js';
import { CellRun, CHUNK_RUNS, checkHere, checkOnPool, chunksOf, type CellOptions } from '../check/chunks.js';
import { isJunitReport, junitXml } from '../check/junit.js';
import { writeAtomic } from '../check/files.js';
import { withPool } from '../check/pool.js';
import type { PlainCheckOptions } from '../check/work.js';
import { join } from 'node:path';
import { NEW_DIR, writeCounterexample } from '../check/counterexample.js';
import { replay } from '../check/replay.js';
import { DEFAULT_GEN, type GenConfig } from '../check/generate.js';
import type { KernelFactory } from '../check/differential.js';
import { coverageOf, mergeCoverage, type CoverageReport } from '../check/coverage.js';
import { formatReach } from '../check/reach.js';
import { DESIGNS } from '../spec/index.js';
import { isKernelVersion, KERNEL_VERSIONS, type DesignName, type HwKind, type KernelVersion } from '../uapi/index.js';
import { profileName, type Profile } from '../check/machine.js';
import { shown, share, text, UsageError, wholeNumber, workersFlag, type Flags } from './args.js';
import { onProfile } from './profile-flag.js';
import { prepareOutDir, prepareOutFile } from './output.js';
import { progress, type Progress } from './progress.js';

export interface CheckArgs {
  readonly designs: readonly DesignName[];
  readonly hardware: readonly HwKind[];
  /** the machine every run uses (`default`: today's world on each hardware kind; or a user's profile file) */
  readonly profile: Profile;
  /** designs the profile does not fit, and why (printed, not run) */
  readonly skipped: readonly { readonly design: DesignName; readonly why: string }[];
  readonly runs: number;
  readonly seed: number;
  readonly maxCommands: number;
  readonly timeLimitS: number;
  readonly out: string;
  readonly json: boolean;
  /** shares of deliberately bad references and of edge values among generated arguments */
  readonly gen: GenConfig;
  /** RLIMIT_MEMLOCK for every run (unset: the default, small in a share of runs) */
  readonly memlockPages?: number;
  readonly swarm: boolean;
  /** list the unreached rules */
  readonly coverage: boolean;
  /** fail_nth: a share of steps fail one of their allocations */
  readonly failNth: boolean;
  /** the kernel version whose uAPI both sides follow */
  readonly kernel: KernelVersion;
  /** the set-up variant every run starts from (undefined: each run draws one) */
  readonly setup?: Fixture;
  /** worker threads for runCheckOnWorkers (1: everything in this thread) */
  readonly workers: number;
  /** the kernel under test (not a flag: tests pass a broken one; a function cannot cross to a thread, so it runs here) */
  readonly factory?: KernelFactory;
  /** --shard i/n: this run is the i-th of n (1-based) shares of the (cell, chunk) units */
  readonly shard?: { readonly index: number; readonly count: number };
  /** --junit FILE: also write the run as JUnit XML there */
  readonly junit?: string;
}

/** Where `check` writes what it finds: beside the tracked regression set, never into it (`adopt` moves a trace in). */
export const DEFAULT_OUT = join('counterexamples', NEW_DIR);

/**
 * The designs and hardware kinds a profile runs: a built-in machine fixes its hardware kind (another --hardware is
 * a usage error), and a design it does not fit is an error when named, else skipped with its reason.
 */
export function checkArgs(flags: Flags): CheckArgs {
  const kernel = kernelVersionFlag(flags);
  const on = onProfile(flags);
  // a kernel version is a fact about the design that shipped: the 2021 designs are left out (named: an error)
  const never: readonly DesignName[] = kernel === 'upstream' ? [] : on.designs.filter((d) => DESIGNS[d].status !== 'merged');
  if (never.length > 0 && flags.has('design')) throw new UsageError(`--kernel-version ${kernel}: design ${never[0]} never shipped, a kernel version applies to a merged design only`);
  return {
    ...on,
    designs: on.designs.filter((d) => !never.includes(d)),
    skipped: [...on.skipped, ...never.map((design) => ({ design, why: `never shipped: --kernel-version ${kernel} applies to a merged design only` }))],
    kernel,
    runs: wholeNumber(flags, 'runs', 100, 1, 100_000_000),
    seed: wholeNumber(flags, 'seed', 1, 0, 0xffff_ffff),
    maxCommands: wholeNumber(flags, 'max-commands', 30, 1, 100_000),
    timeLimitS: wholeNumber(flags, 'time-limit', 60, 1, 7 * 24 * 3600),
    out: text(flags, 'out') ?? DEFAULT_OUT,
    json: flags.has('json'),
    gen: { badShare: share(flags, 'bad-share', DEFAULT_GEN.badShare), edgeShare: share(flags, 'edge-share', DEFAULT_GEN.edgeShare) },
    ...(flags.has('memlock') ? { memlockPages: wholeNumber(flags, 'memlock', 0, 1, Number.MAX_SAFE_INTEGER) } : {}),
    swarm: !flags.has('no-swarm'),
    coverage: flags.has('coverage'),
    failNth: flags.has('fail-nth'),
    ...setupFlag(flags, on.designs.filter((d) => !never.includes(d)), on.hardware, on.profile, kernel),
    workers: workersFlag(flags),
    ...shardFlag(flags),
    ...(text(flags, 'junit') === undefined ? {} : { junit: text(flags, 'junit')! }), // just checked
  };
}

/**
 * --shard i/n: the i-th of n shares of the run. The units shared out are the (cell, chunk) pairs in cell order (a
 * chunk is CHUNK_RUNS runs with a seed of its own, src/check/chunks.ts), unit k going to shard k mod n + 1; so the
 * shards of one command line run, between them, exactly the chunks one run of it runs, whatever n is.
 */
function shardFlag(flags: Flags): { shard?: { index: number; count: number } } {
  const v = text(flags, 'shard');
  if (v === undefined) return {};
  const m = /^([1-9][0-9]{0,5})\/([1-9][0-9]{0,5})$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || index > count) throw new UsageError(`--shard ${shown(v)}: expected i/n with 1 <= i <= n (e.g. 1/4)`);
  return { shard: { index, count } };
}

/**
 * --setup NAME: a set-up variant every cell offers (a design, machine or kernel version without it is a usage error
 * naming the first cell that lacks it).
 */
function setupFlag(flags: Flags, designs: readonly DesignName[], hardware: readonly HwKind[], profile: Profile, kernel: KernelVersion): { setup?: Fixture } {
  const v = text(flags, 'setup');
  if (v === undefined) return {};
  if (!(FIXTURES as readonly string[]).includes(v)) throw new UsageError(`--setup ${shown(v)}: not a set-up variant (${FIXTURES.join(', ')})`);
  const setup = v as Fixture;
  for (const design of designs) {
    for (const hw of hardware) {
      const offered = setupsOf({ design, hardware: hw, ...(profile === 'default' ? {} : { profile }), kernel });
      if (!offered.includes(setup)) throw new UsageError(`--setup ${setup}: ${design} on ${hw}${profile === 'default' ? '' : ` (${profileName(profile)})`} offers only ${offered.join(', ')}`);
    }
  }
  return { setup };
}

/** --kernel-version V: one of the versions the uAPI table knows (default upstream). */
export function kernelVersionFlag(flags: Flags): KernelVersion {
  const v = text(flags, 'kernel-version');
  if (v === undefined) return 'upstream';
  if (!isKernelVersion(v)) throw new UsageError(`unknown kernel version ${shown(v)} (known: ${KERNEL_VERSIONS.join(', ')})`);
  return v;
}

interface Cell {
  readonly design: DesignName;
  readonly hardware: HwKind;
  /** under --shard: the chunks of the cell this shard ran */
  readonly chunks?: readonly number[];
  readonly outcome: CheckOutcome;
  readonly files?: { readonly json: string; readonly md: string };
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));

/**
 * The cells, design by design then hardware kind, as plain options (what a worker thread can take); under --shard
 * each with the chunks of it this shard runs, and only the cells it has a chunk of.
 */
function cellsOf(a: CheckArgs): CellOptions[] {
  const all = allCells(a);
  if (a.shard === undefined) return all;
  const { index, count } = a.shard;
  const out: CellOptions[] = [];
  let unit = 0;
  for (const c of all) {
    const chunks: number[] = [];
    for (let i = 0; i < chunksOf(c.runs); i++, unit++) if (unit % count === index - 1) chunks.push(i);
    if (chunks.length > 0) out.push({ ...c, chunks });
  }
  return out;
}

/** How many runs a cell makes: all of --runs, or its shard's chunks' share. */
const runsOfCell = (c: CellOptions): number =>
  (c.chunks ?? [...Array(chunksOf(c.runs)).keys()]).reduce((n, i) => n + Math.min(c.runs, (i + 1) * CHUNK_RUNS) - i * CHUNK_RUNS, 0);

function allCells(a: CheckArgs): PlainCheckOptions[] {
  return a.designs.flatMap((design) => a.hardware.map((hardware) => ({
    design, hardware, ...(a.profile === 'default' ? {} : { profile: a.profile }), ...(a.kernel === 'upstream' ? {} : { kernel: a.kernel }), runs: a.runs, seed: a.seed, maxCommands: a.maxCommands, timeLimitMs: a.timeLimitS * 1000, gen: a.gen, swarm: a.swarm, failNth: a.failNth,
    ...(a.memlockPages === undefined ? {} : { memlockPages: a.memlockPages }), ...(a.setup === undefined ? {} : { setup: a.setup }),
  })));
}

const labelOf = (a: CheckArgs, c: PlainCheckOptions) => `${c.design} on ${c.hardware}${a.profile === 'default' ? '' : ` (${profileName(a.profile)})`}`;

/** The progress line of a finished cell. */
function cellLine(a: CheckArgs, c: PlainCheckOptions, outcome: CheckOutcome): string {
  const s = outcome.stats;
  return `${labelOf(a, c)}: ${s.runs} runs, ${s.steps} steps${a.failNth ? ` (${s.injected} with an allocation failed)` : ''}, ${outcome.ok ? 'no property broken' : `FAILED ${outcome.violation?.property}`} (${(s.ms / 1000).toFixed(1)} s)`;
}

/** Before any work: the output directory usable (a run of minutes never ends in "cannot write"), the skipped said. */
function begin(a: CheckArgs): { readonly p: Progress; readonly t0: number } {
  prepareOutDir(a.out, 'out');
  if (a.junit !== undefined) prepareOutFile(a.junit, 'junit', isJunitReport, 'an ioasid-lab JUnit report', false);
  const p = progress();
  for (const s of a.skipped) p.line(`${s.design}: skipped: ${s.why}`);
  return { p, t0: Date.now() };
}

/** `check` in this thread, cell after cell (main(), --workers 1, and a caller's kernel factory). */
export function runCheck(a: CheckArgs, out: (s: string) => void): number {
  const run = begin(a);
  const outcomes = cellsOf(a).map((c) => {
    const o = checkHere(c, { ...(a.factory ? { factory: a.factory } : {}), onRun: (n) => run.p.update(labelOf(a, c), n, runsOfCell(c)) });
    run.p.line(cellLine(a, c, o));
    return o;
  });
  return report(a, outcomes, run.t0, out);
}

/**
 * `check` on --workers threads: every cell's chunks on one pool, destroyed when the command ends. In this thread
 * (runCheck) when one thread would do (--workers 1, a single chunk) or a kernel factory is given (a function does
 * not cross to a thread).
 */
export async function runCheckOnWorkers(a: CheckArgs, out: (s: string) => void): Promise<number> {
  const cells = cellsOf(a);
  const width = Math.min(a.workers, cells.reduce((n, c) => n + new CellRun(c).indices.length, 0));
  if (width <= 1 || a.factory) return runCheck(a, out);
  const run = begin(a);
  const outcomes = await withPool(width, (pool) => checkOnPool(pool, cells, {
    chunk: (i, n) => run.p.update(labelOf(a, cells[i]!), n, runsOfCell(cells[i]!)), // i indexes cells
    cell: (i, o) => run.p.line(cellLine(a, cells[i]!, o)), // i indexes cells
  }));
  return report(a, outcomes, run.t0, out);
}

/** Write the counterexamples (in cell order), print the table or --json; exit 1 when a property broke. */
function report(a: CheckArgs, outcomes: readonly CheckOutcome[], t0: number, out: (s: string) => void): number {
  const cells: Cell[] = cellsOf(a).map((c, i) => {
    const outcome = outcomes[i]!; // one outcome per cell
    const base = { design: c.design, hardware: c.hardware, ...(c.chunks ? { chunks: c.chunks } : {}), outcome };
    return outcome.trace ? { ...base, files: writeCounterexample(a.out, outcome.trace, replay(outcome.trace, a.factory)) } : base;
  });
  const failed = cells.filter((c) => !c.outcome.ok);
  if (a.junit !== undefined) {
    const profile = a.profile === 'default' ? {} : { profile: profileName(a.profile) };
    writeAtomic(a.junit, junitXml(cells.map((c) => ({ design: c.design, hardware: c.hardware, ...profile, outcome: c.outcome, ...(c.files ? { counterexample: c.files.json } : {}) })), { seed: a.seed }));
  }
  // coverage per design, over the hardware kinds it ran on
  const coverage: CoverageReport[] = a.designs.map((d) => coverageOf(DESIGNS[d], mergeCoverage(cells.filter((c) => c.design === d).map((c) => c.outcome.stats.coverage))));
  const cover = (c: Cell) => coverageOf(DESIGNS[c.design], c.outcome.stats.coverage);
  if (a.json) {
    out(JSON.stringify({
      seed: a.seed, runs: a.runs, ms: Date.now() - t0, profile: profileName(a.profile), shard: a.shard ?? null,
      skipped: a.skipped,
      cells: cells.map((c) => ({
        design: c.design, hardware: c.hardware, chunks: c.chunks ?? null, ok: c.outcome.ok, runs: c.outcome.stats.runs, steps: c.outcome.stats.steps,
        generated: c.outcome.stats.generated, executed: c.outcome.stats.executed, injected: c.outcome.stats.injected, ms: c.outcome.stats.ms,
        rules: { reached: cover(c).reached, exist: cover(c).rules }, reach: c.outcome.stats.reach,
        violation: c.outcome.violation ?? null, counterexample: c.files?.json ?? null, minimality: c.outcome.trace?.origin.minimality ?? null,
      })),
      coverage: coverage.map((r) => ({ design: r.design, rules: r.rules, reached: r.reached, errnos: r.errnos, errnosReached: r.errnosReached, unreached: r.unreached, errnosUnreached: r.errnosUnreached, unknown: r.unknown })),
    }, null, 2));
  } else {
    out('');
    if (a.profile !== 'default') out(`machine: ${profileName(a.profile)}${typeof a.profile === 'string' ? '' : ` (${a.profile.iommu.summary})`}`);
    if (a.shard) out(`shard ${a.shard.index}/${a.shard.count}: ${cells.reduce((n, c) => n + (c.chunks?.length ?? 0), 0)} of ${allCells(a).reduce((n, c) => n + chunksOf(c.runs), 0)} chunks of ${CHUNK_RUNS} runs`);
    out(`${pad('design', 24)}${pad('hardware', 20)}${pad('runs', 7)}${pad('steps', 8)}${pad('run', 6)}${pad('rules', 9)}result`);
    for (const c of cells) {
      const s = c.outcome.stats;
      const run = `${Math.round((s.executed / Math.max(s.generated, 1)) * 100)}%`;
      const result = c.outcome.ok ? 'ok' : `FAIL ${c.outcome.violation?.property} (${c.outcome.trace?.steps.length ?? '?'} steps, ${c.outcome.trace?.origin.minimality ?? 'none'})`;
      const cv = cover(c);
      out(`${pad(c.design, 24)}${pad(c.hardware, 20)}${pad(String(s.runs), 7)}${pad(String(s.steps), 8)}${pad(run, 6)}${pad(`${cv.reached}/${cv.rules}`, 9)}${result}`);
    }
    out('run: the share of generated commands that were run; rules: spec rule ids (ioctl x outcome) reached / that exist');
    out('');
    for (const r of coverage) {
      const known = r.unreached.filter((u) => u.reason !== null).length;
      out(`coverage ${r.design}: rules ${r.reached}/${r.rules} (${r.unreached.length - known} unreached, ${known} known unreachable), (ioctl x errno) ${r.errnosReached}/${r.errnos}`);
      if (a.coverage) {
        for (const u of r.unreached) out(`  unreached ${u.rule}${u.reason ? `  (known: ${u.reason})` : ''}`);
        for (const e of r.errnosUnreached) out(`  unreached errno ${e}`);
      }
      for (const u of r.unknown) out(`  reached but not in the rule catalogue (run npm run rules): ${u}`);
    }
    for (const c of cells) out(`reach ${c.design} on ${c.hardware}: ${formatReach(c.outcome.stats.reach)}`);
    for (const c of failed) out(`counterexample: ${c.files?.json ?? '(not written)'}  (${c.outcome.violation?.message ?? ''})`);
    out(`seed ${a.seed}; ${failed.length === 0 ? 'no property broken' : `${failed.length} of ${cells.length} failed`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return failed.length === 0 ? 0 : 1;
}
