/**
 * A check cell (one design on one hardware kind) as chunks of runs, so that even a single cell keeps every worker
 * thread busy. The split depends on --runs alone, never on the number of workers: chunk i holds runs
 * [i·CHUNK_RUNS, (i+1)·CHUNK_RUNS) and draws them from chunkSeed(--seed, i). A cell's outcome is its chunks 0..f
 * merged, f the first chunk that failed (or the last): a chunk after f is not counted, whether it ran or not, and
 * the counterexample is f's. So a cell's outcome is the same whichever chunk finished first and however many
 * threads ran them (only `ms`, wall time, differs); the time limit, as before, is the one thing that can cut a
 * cell short at a point no seed fixes. Under `check --shard i/n` a cell holds only the shard's chunks (CellOptions
 * `chunks`), merged the same way; the shards of a run between them run exactly its chunks (docs/ci.md).
 */
import { mergeCoverage } from './coverage.js';
import { check, type CheckOptions, type CheckOutcome, type CheckStats } from './engine.js';
import { inOrder, type WorkPool } from './pool.js';
import { mergeReach } from './reach.js';
import type { CheckUnit, PlainCheckOptions } from './work.js';

/**
 * Runs per chunk. 100, the default --runs: a cell of the default size is one chunk, exactly the check of before
 * chunks, and a chunk (about a second) is small enough to share a single cell's --runs 1000 among the cores.
 */
export const CHUNK_RUNS = 100;

/**
 * The seed of chunk i: chunk 0 keeps --seed (a one-chunk cell runs as it always did); the others mix i in through
 * an odd multiplier (Knuth's 2^32/φ), a bijection modulo 2^32, so no two chunks of a cell share a seed.
 */
export const chunkSeed = (seed: number, i: number): number => (i === 0 ? seed : (seed ^ Math.imul(i, 0x9e37_79b1)) >>> 0);

/**
 * A cell as the CLI hands it over: its options, and under `check --shard` the chunks of it this shard runs (ascending;
 * absent: all of them).
 */
export type CellOptions = PlainCheckOptions & { readonly chunks?: readonly number[] };

/** How many chunks `runs` runs make (at least one). */
export const chunksOf = (runs: number): number => Math.max(1, Math.ceil(runs / CHUNK_RUNS));

/**
 * One cell's chunks: which still to start, what came back, and their merged outcome. Under a shard the cell is the
 * shard's chunks of it, merged the same way: up to the first of them that failed.
 */
export class CellRun {
  /** how many chunks the cell's runs make (at least one) */
  readonly chunks: number;
  /** the chunks this run holds, ascending: all of them, or a shard's */
  readonly indices: readonly number[];
  private readonly opts: PlainCheckOptions;
  private readonly outcomes: (CheckOutcome | undefined)[] = [];
  private readonly finishedAt: number[] = [];
  /** the first chunk known to have failed; none: Infinity */
  private failed = Infinity;
  /** the first chunk not started because the cell's time limit had passed; none: Infinity */
  private stopped = Infinity;
  /** when chunk 0 started: the cell's time limit counts from there, as it did for one check() */
  private startedAt: number | null = null;

  constructor(cell: CellOptions) {
    const { chunks, ...opts } = cell;
    this.opts = opts;
    this.chunks = chunksOf(opts.runs);
    this.indices = chunks ?? Array.from({ length: this.chunks }, (_, i) => i);
  }

  /**
   * The unit of chunk i started at `now`, or null when it is not wanted: not this run's, an earlier chunk failed, or
   * time is up.
   */
  start(i: number, now: number): CheckUnit | null {
    if (i > this.failed || !this.indices.includes(i)) return null;
    this.startedAt ??= now;
    const left = this.startedAt + this.opts.timeLimitMs - now;
    if (i > 0 && left <= 0) {
      this.stopped = Math.min(this.stopped, i);
      return null;
    }
    const from = i * CHUNK_RUNS;
    const to = Math.min(this.opts.runs, from + CHUNK_RUNS);
    return { kind: 'check', opts: { ...this.opts, runs: to - from, seed: chunkSeed(this.opts.seed, i), timeLimitMs: Math.max(1, left) }, runs: { from, to } };
  }

  finish(i: number, o: CheckOutcome, now: number): void {
    this.outcomes[i] = o;
    this.finishedAt[i] = now;
    if (!o.ok) this.failed = Math.min(this.failed, i);
  }

  /** the chunks counted: 0..last */
  private get last(): number {
    return Math.min(this.failed, this.stopped - 1, this.chunks - 1);
  }

  /** this run's chunks that count: up to `last` */
  private get counted(): readonly number[] {
    return this.indices.filter((i) => i <= this.last);
  }

  /** Whether every counted chunk is in (then outcome() is final). */
  get done(): boolean {
    return this.counted.every((i) => this.outcomes[i] !== undefined);
  }

  /** Runs finished so far, counted or not (for a progress bar). */
  get runsDone(): number {
    return this.outcomes.reduce((n, o) => n + (o?.stats.runs ?? 0), 0);
  }

  /** Chunks 0..last merged: counts summed, coverage and reach merged, the failure (if any) the last one's. */
  outcome(): CheckOutcome {
    const os = this.counted.map((i) => this.outcomes[i]).filter((o): o is CheckOutcome => o !== undefined);
    const sum = (f: (o: CheckOutcome) => number) => os.reduce((n, o) => n + f(o), 0);
    const end = Math.max(this.startedAt ?? 0, ...this.counted.map((i) => this.finishedAt[i]).filter((t): t is number => t !== undefined));
    const stats: CheckStats = {
      runs: sum((o) => o.stats.runs), steps: sum((o) => o.stats.steps), generated: sum((o) => o.stats.generated),
      executed: sum((o) => o.stats.executed), injected: sum((o) => o.stats.injected), ms: end - (this.startedAt ?? end),
      coverage: mergeCoverage(os.map((o) => o.stats.coverage)), reach: mergeReach(os.map((o) => o.stats.reach)),
    };
    const failing = os.find((o) => !o.ok); // only the last counted chunk can have failed
    return failing ? { ...failing, stats } : { ok: true, stats };
  }
}

/** What a check in this thread may carry besides plain options: the kernel under test and a progress callback. */
export type LocalCheckOptions = Pick<CheckOptions, 'factory' | 'onRun'>;

/** One cell in this thread, chunk after chunk, stopping at the first that fails (what a pool counts, no more). */
export function checkHere(opts: CellOptions, local: LocalCheckOptions = {}): CheckOutcome {
  const cell = new CellRun(opts);
  for (const i of cell.indices) {
    const u = cell.start(i, Date.now());
    if (u === null) break;
    const onRun = local.onRun;
    // runs done by this call so far: the chunks before (all of a cell's, or a shard's) and this one's
    const before = cell.runsDone;
    cell.finish(i, check({ ...u.opts, ...(local.factory ? { factory: local.factory } : {}), ...(onRun ? { onRun: (n: number) => onRun(before + n) } : {}) }), Date.now());
  }
  return cell.outcome();
}

/** Progress of the cells on a pool: a chunk came back (runs finished in its cell so far), a cell is complete. */
export interface PoolProgress {
  chunk(cell: number, runsDone: number): void;
  cell(cell: number, outcome: CheckOutcome): void;
}

/**
 * Every cell on the pool: chunks handed out cell by cell, in order. Answers one outcome per cell, in the cells'
 * order; `progress.cell` hears of each cell as it completes (completion order).
 */
export async function checkOnPool(pool: WorkPool, cells: readonly CellOptions[], progress: PoolProgress): Promise<CheckOutcome[]> {
  const runs = cells.map((c) => new CellRun(c));
  const items = runs.flatMap((r, cell) => r.indices.map((chunk) => ({ cell, chunk })));
  const told = new Set<number>();
  const settle = (cell: number) => {
    const r = runs[cell]!; // cell indexes runs
    if (told.has(cell) || !r.done) return;
    told.add(cell);
    progress.cell(cell, r.outcome());
  };
  await inOrder(pool, items, ({ cell, chunk }) => {
    const u = runs[cell]!.start(chunk, Date.now()); // cell indexes runs
    if (u === null) settle(cell);
    return u;
  }, ({ cell, chunk }, o) => {
    const r = runs[cell]!; // cell indexes runs
    r.finish(chunk, o, Date.now());
    progress.chunk(cell, r.runsDone);
    settle(cell);
  });
  return runs.map((r) => r.outcome());
}
