/**
 * --workers: `check` and `explore` answer the same on one thread and on two (their units, and the chunks of a
 * check cell, follow from the arguments alone, never from the thread count); a check cell's chunks merge as one
 * check would count them; the pool ends with the command; a unit that throws in a worker is one line, not a hang;
 * a bad --workers is a one-line usage error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../src/cli/main.js';
import { checkArgs, runCheckOnWorkers } from '../src/cli/check-cmd.js';
import { exploreArgs, runExploreOnWorkers } from '../src/cli/explore-cmd.js';
import { CellRun, CHUNK_RUNS, checkHere, chunkSeed } from '../src/check/chunks.js';
import { check, type CheckOutcome } from '../src/check/engine.js';
import { DESIGNS } from '../src/spec/index.js';
import { WorkerError } from '../src/check/pool.js';
import type { PlainCheckOptions } from '../src/check/work.js';
import type { DesignName } from '../src/uapi/index.js';
import { expectUsageError, runCli, type CliRun } from './support/cli.js';
import { BUGS } from './support/bugs.js';

const sandbox = mkdtempSync(join(tmpdir(), 'ioasid-lab-workers-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/** The command line as bin/ioasid-lab.mjs runs it (cli(): check and explore on --workers threads), in-process. */
async function runAsync(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await cli(argv, (s) => out.push(...s.split('\n')), (s) => err.push(...s.split('\n')));
  return { code, out, err };
}

/** stdout with only the wall-time fields (`"ms": <n>`) blanked: the one thing a thread count may change. */
const timeless = (r: CliRun): string => r.out.join('\n').replace(/"ms": \d+/g, '"ms": 0');

/** The same command on 1 and on 2 worker threads: both succeed, and stdout is byte for byte the same but for "ms". */
async function sameOnOneAndTwo(...argv: string[]): Promise<string> {
  const one = await runAsync(...argv, '--workers', '1');
  const two = await runAsync(...argv, '--workers', '2');
  expect([one.code, two.code], [...one.err, ...two.err].join('\n')).toEqual([0, 0]);
  expect(timeless(two)).toBe(timeless(one));
  return timeless(one);
}

describe('the results do not depend on --workers (stdout compared byte for byte, the "ms" wall-time fields removed)', () => {
  it('explore --json, every design on both hardware kinds, depth 4', async () => {
    const r = JSON.parse(await sameOnOneAndTwo('explore', '--depth', '4', '--json')) as { cells: { design: string; hardware: string }[] };
    expect(new Set(r.cells.map((c) => `${c.design}/${c.hardware}`)).size).toBe(10); // every design x hardware kind, in order
  });
  it('check --json --runs 210 (chunks of 100, 100 and 10): iommufd', async () => {
    const r = JSON.parse(await sameOnOneAndTwo('check', '--design', 'iommufd', '--hardware', 'host-pasid-table', '--runs', '210', '--max-commands', '6', '--json', '--out', join(sandbox, 'cx'))) as { cells: { runs: number }[] };
    expect(r.cells.map((c) => c.runs)).toEqual([210]);
  });
  it('check --json --runs 210 --fail-nth: rfc-v1, injected allocation failures summed over the chunks', async () => {
    const r = JSON.parse(await sameOnOneAndTwo('check', '--design', 'rfc-v1', '--hardware', 'guest-pasid-table', '--runs', '210', '--max-commands', '6', '--fail-nth', '--json', '--out', join(sandbox, 'cx'))) as { cells: { runs: number; injected: number }[] };
    expect(r.cells.map((c) => c.runs)).toEqual([210]);
    expect(r.cells[0]?.injected).toBeGreaterThan(0);
  });
});

/** A chunk's made-up outcome: `runs` runs, `steps` steps, one rule reached `runs` times, failing when `fails`. */
const made = (runs: number, steps: number, fails?: string): CheckOutcome => ({
  ok: fails === undefined,
  stats: { runs, steps, generated: steps, executed: steps, injected: 1, ms: 5, coverage: new Map([['IOAS_ALLOC.ok', runs]]), reach: { dma: 1, dmaStage1: 0, unmaps: 2, unmapSplits: 0, nested: 0, replaces: 0, replaceFails: 0, siblingAttaches: 0, enomem: 0, highIova: 0, copyInside: 0, dmaNative: 0, munmaps: 0, fileMaps: 0, heldReleases: 0, vevents: 0, veventsLost: 0 } },
  ...(fails === undefined ? {} : { violation: { property: fails, step: 1, message: fails } }),
});
const CELL: PlainCheckOptions = { design: 'iommufd', hardware: 'host-pasid-table', runs: 250, seed: 7, maxCommands: 30, timeLimitMs: 60_000 };
/** Start every chunk of a 250-run cell, finish them in `order` with `outcomes`, and merge. */
function merged(order: readonly number[], outcomes: readonly CheckOutcome[]): CheckOutcome {
  const cell = new CellRun(CELL);
  const units = [0, 1, 2].map((i) => cell.start(i, 0));
  for (const i of order) if (units[i]) cell.finish(i, outcomes[i]!, 0); // started: finish it
  expect(cell.done).toBe(true);
  return cell.outcome();
}

describe('a check cell is chunks of runs, merged as one check counts them', () => {
  it(`a cell of 250 runs is chunks of ${CHUNK_RUNS}, ${CHUNK_RUNS} and 50; chunk 0 keeps --seed, every chunk its own seed`, () => {
    expect(CHUNK_RUNS).toBe(100);
    const cell = new CellRun(CELL);
    const units = [0, 1, 2].map((i) => cell.start(i, 0));
    expect(units.map((u) => [u?.runs, u?.opts.runs])).toEqual([[{ from: 0, to: 100 }, 100], [{ from: 100, to: 200 }, 100], [{ from: 200, to: 250 }, 50]]);
    expect(units.map((u) => u?.opts.seed)).toEqual([7, chunkSeed(7, 1), chunkSeed(7, 2)]);
    expect(new Set([0, 1, 2, 3, 1000].map((i) => chunkSeed(7, i))).size).toBe(5);
    expect(chunkSeed(0xffff_ffff, 3)).toBeLessThanOrEqual(0xffff_ffff);
  });
  it('no chunk fails: counts summed, coverage and reach merged, whatever order the chunks finish in', () => {
    const os = [made(100, 10), made(100, 20), made(50, 5)];
    const a = merged([0, 1, 2], os);
    expect(merged([2, 0, 1], os)).toEqual(a);
    expect(a.ok).toBe(true);
    expect([a.stats.runs, a.stats.steps, a.stats.injected, a.stats.coverage.get('IOAS_ALLOC.ok'), a.stats.reach.unmaps]).toEqual([250, 35, 3, 250, 6]);
  });
  it('chunk 1 fails: chunk 2 is not counted, failed or not, finished first or last; the counterexample is chunk 1\'s', () => {
    const os = [made(100, 10), made(40, 20, 'P-FIRST'), made(3, 5, 'P-LATER')];
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
      const o = merged(order, os);
      expect([o.ok, o.violation?.property, o.stats.runs, o.stats.steps, o.stats.coverage.get('IOAS_ALLOC.ok')]).toEqual([false, 'P-FIRST', 140, 30, 140]);
    }
    const laterOk = merged([2, 0, 1], [os[0]!, os[1]!, made(50, 5)]); // three outcomes
    expect([laterOk.violation?.property, laterOk.stats.runs]).toEqual(['P-FIRST', 140]);
  });
  it('once a chunk failed, no later chunk starts; an earlier one still does', () => {
    const cell = new CellRun(CELL);
    expect(cell.start(0, 0)).not.toBeNull();
    expect(cell.start(1, 0)).not.toBeNull();
    cell.finish(1, made(40, 20, 'P-FIRST'), 0);
    expect(cell.start(2, 0)).toBeNull();
    expect(cell.done).toBe(false); // chunk 0 still counts
    cell.finish(0, made(100, 10), 0);
    expect(cell.done).toBe(true);
  });
  it('the time limit counts from the cell\'s first chunk; a chunk that would start after it does not start', () => {
    const cell = new CellRun({ ...CELL, timeLimitMs: 1000 });
    expect(cell.start(0, 5000)?.opts.timeLimitMs).toBe(1000);
    expect(cell.start(1, 5400)?.opts.timeLimitMs).toBe(600);
    expect(cell.start(2, 6000)).toBeNull();
    cell.finish(0, made(100, 10), 5500);
    cell.finish(1, made(100, 10), 5900);
    expect([cell.done, cell.outcome().stats.runs, cell.outcome().stats.ms]).toEqual([true, 200, 900]);
  });
  it('a one-chunk cell (seed 3, 40 runs) is exactly check() with the same options', () => {
    const opts = { design: 'iommufd', hardware: 'guest-pasid-table', runs: 40, seed: 3, maxCommands: 10, timeLimitMs: 60_000 } as const;
    const whole = check(opts);
    const chunked = checkHere(opts);
    expect({ ...chunked, stats: { ...chunked.stats, ms: 0 } }).toEqual({ ...whole, stats: { ...whole.stats, ms: 0 } });
  });
});

describe('a kernel factory (a function: it cannot cross to a thread) runs in this thread', () => {
  it('check with a broken kernel on --workers 2: exit 1, the counterexample written by this thread', async () => {
    const lines: string[] = [];
    const a = { ...checkArgs(new Map([['design', 'iommufd'], ['hardware', 'host-pasid-table'], ['runs', '300'], ['out', join(sandbox, 'factory')]])), workers: 2, factory: BUGS[0]!.factory };
    expect(await runCheckOnWorkers(a, (s) => lines.push(s))).toBe(1);
    expect(lines.join('\n')).toMatch(/^counterexample: \S+\.json/m);
  });
});

describe('the pool ends with the command', () => {
  it('bin/ioasid-lab.mjs check on 2 workers exits by itself, exit 0', () => {
    const c = spawnSync(process.execPath, ['bin/ioasid-lab.mjs', 'check', '--design', 'iommufd', '--hardware', 'host-pasid-table', '--runs', '150', '--max-commands', '5', '--workers', '2', '--out', join(sandbox, 'bin')], { encoding: 'utf8', timeout: 60_000 });
    expect([c.status, c.signal], c.stderr).toEqual([0, null]); // a thread left running: killed at the timeout
    expect(c.stdout).toMatch(/^iommufd\s+host-pasid-table\s+150\s/m);
  });
  it('a unit that throws in a worker thread fails the command with one line, naming the unit', async () => {
    const a = { ...exploreArgs(new Map()), designs: [{ ...DESIGNS.iommufd, name: 'no-such-design' as DesignName, policy: { ...DESIGNS.iommufd.policy, fdModel: 'per-ioasid' as const } }, DESIGNS.iommufd], hardware: ['host-pasid-table' as const], workers: 2 };
    const e: unknown = await runExploreOnWorkers(a, () => {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WorkerError);
    const message = (e as WorkerError).message;
    expect(message).toMatch(/^explore no-such-design on host-pasid-table failed in a worker thread: /);
    expect(message).not.toContain('\n');
  });
});

describe('--workers takes a whole number from 1 to 256', () => {
  const bad: readonly (readonly [string[], RegExp])[] = [
    [['--workers', '0'], /^ioasid-lab: --workers takes a whole number from 1 to 256, not '0'$/],
    [['--workers', '-1'], /not '-1'$/],
    [['--workers', 'two'], /not 'two'$/],
    [['--workers', '257'], /not '257'$/],
    [['--workers', '1e3'], /not '1e3'$/],
    [['--workers=99999999999999999999'], /not '99999999999999999999'$/],
    [['--workers='], /--workers needs a value, not an empty one/],
  ];
  it.each(['check', 'explore'])('%s: exit 2, one line, through main() and cli()', async (cmd) => {
    for (const [flag, message] of bad) {
      expectUsageError(runCli(cmd, ...flag), message);
      expectUsageError(await runAsync(cmd, ...flag), message);
    }
  });
  it('replay and catalogue have no --workers', async () => {
    expectUsageError(await runAsync('replay', '--workers', '2', 'x.json'), /--workers is not a flag of replay/);
    expectUsageError(runCli('catalogue', '--workers', '2'), /--workers is not a flag of catalogue/);
  });
  it('--help lists --workers for check and explore', async () => {
    const h = (await runAsync('--help')).out.join('\n');
    expect(h).toMatch(/^ {2}--workers VALUE\s+worker threads, 1 to 256 \(default: the number of cores\)/m);
    expect(h.match(/flags: .*--workers/g)).toHaveLength(2);
  });
});
