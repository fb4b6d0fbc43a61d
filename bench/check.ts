/**
 * npm run bench: speed of the check engine and the explorer, measured in one run and printed as ratios (figures of
 * one machine move together, ratios less). `npm run bench -- --json` writes one JSON object on stdout (the table then
 * goes to stderr).
 *  - differential steps per second (generate + spec step + kernel step + compare), with and without the
 *    translation probes, against a bare fc.modelRun of no-op commands of the same shape (the target is >= 1/4);
 *  - spec-only steps per second on the same traces;
 *  - the explorer: distinct states per second over the whole matrix on one and on two worker threads, and the
 *    symmetry reduction (states of one search without it / with it, to the same depth);
 *  - pathological inputs: IOMMU_IOAS_ALLOW_IOVAS with 100,000 ranges, 100,000 MMAPs, replayed with every check;
 *  - the share of generated commands that were run, rule coverage, and generator reach per design and hardware
 *    kind (DMA through a guest stage-1, unmaps that split, ...: reach.ts);
 *  - time to find and shrink each injected bug to a 1-minimal counterexample (target < 10 s each).
 * BENCH_RUNS sets the runs per measurement (default 400).
 */
import fc from 'fast-check';
import { check } from '../src/check/engine.js';
import { Bindings, TRACE_SCHEMA, type Trace, type TraceStep } from '../src/check/trace.js';
import { DESIGNS, initialState, step } from '../src/spec/index.js';
import { defaultWorld, env, fd, iommu, IOMMUFD_PATH, type Cmd, type IovaRange } from '../src/uapi/index.js';
import { BUGS } from '../properties/support/bugs.js';
import { exploreDesign, explore, type ExploreCell } from '../src/explore/index.js';
import { coverageOf } from '../src/check/coverage.js';
import { formatReach } from '../src/check/reach.js';
import { replay } from '../src/check/replay.js';
import { inOrder, withPool } from '../src/check/pool.js';
import { DESIGN_NAMES, HW_KINDS } from '../src/uapi/index.js';

const json = process.argv.includes('--json');
const unknown = process.argv.slice(2).filter((a) => a !== '--json');
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown argument ${JSON.stringify(unknown[0])} (usage: npm run bench [-- --json])\n`);
  process.exit(2);
}
const say = (s: string) => (json ? process.stderr.write(`${s}\n`) : console.log(s));

const RUNS = Number(process.env.BENCH_RUNS ?? 400);
const MAX = 30;
const rate = (n: number, ms: number) => Math.round((n / Math.max(ms, 1)) * 1000);
const fmt = (n: number) => n.toLocaleString('en');

function differential(probe: boolean) {
  const traces: TraceStep[][] = [];
  let current: TraceStep[] = [];
  const out = check({
    design: 'iommufd', hardware: 'host-pasid-table', runs: RUNS, seed: 3, maxCommands: MAX, timeLimitMs: 120_000, probe,
    onRun: () => { if (current.length) traces.push(current); current = []; },
    onStep: (st) => current.push(st),
  });
  if (current.length) traces.push(current);
  return { out, traces };
}

function specOnly(traces: TraceStep[][]) {
  const t0 = performance.now();
  let n = 0;
  for (const tr of traces) {
    let s = initialState(defaultWorld(), DESIGNS.iommufd);
    const syms = new Bindings();
    for (const st of tr) {
      const r = step(s, syms.resolve(st.cmd));
      syms.bind(st, r.result);
      s = r.state;
      n++;
    }
  }
  return { steps: n, ms: performance.now() - t0 };
}

function bareModelRun() {
  class Noop implements fc.Command<object, object> {
    check() { return true; }
    run() {}
    toString() { return 'noop'; }
  }
  let steps = 0;
  const t0 = performance.now();
  fc.assert(fc.property(fc.commands([fc.constant(new Noop())], { maxCommands: MAX, size: 'max' }), (cmds) => {
    const list = [...cmds];
    steps += list.length;
    fc.modelRun(() => ({ model: {}, real: {} }), list);
  }), { numRuns: RUNS, seed: 3 });
  return { steps, ms: performance.now() - t0 };
}

/**
 * The explorer's matrix cut at 20,000 states per cell (its defaults search every state: explore defaults below), cells in order, on `workers` threads;
 * timed on a second pass, so each thread runs code its JIT has already compiled (a worker thread compiles its own).
 */
async function matrix(workers: number): Promise<{ states: number; ms: number }> {
  const units = DESIGN_NAMES.flatMap((design) => HW_KINDS.map((hardware) => ({ design, hardware, depth: 40, maxStates: 20_000, budgetMs: 120_000 })));
  if (workers === 1) {
    const pass = () => {
      const t0 = performance.now();
      const states = units.reduce((n, u) => n + (exploreDesign(u)[0]?.states ?? 0), 0);
      return { states, ms: performance.now() - t0 };
    };
    pass();
    return pass();
  }
  return withPool(workers, async (pool) => {
    const pass = async () => {
      let states = 0;
      const t0 = performance.now();
      await inOrder(pool, units, (u) => ({ kind: 'explore' as const, opts: u }), (_u, cells: ExploreCell[]) => { states += cells[0]?.states ?? 0; });
      return { states, ms: performance.now() - t0 };
    };
    await pass();
    return pass();
  });
}

/** One replay of a trace with every check; its wall time in ms, and whether it was clean. */
function timedReplay(t: Trace): { ms: number; clean: boolean } {
  const t0 = performance.now();
  const o = replay(t);
  return { ms: performance.now() - t0, clean: o.violation === null && o.unexpected.length === 0 };
}

const st = (cmd: Cmd, expect?: 'ok'): TraceStep => ({ cmd: { ...cmd }, ...(expect ? { expect } : {}) });
const hand = (steps: TraceStep[]): Trace => ({ schema: TRACE_SCHEMA, design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' }, steps });
const IOMMUFD = fd(3);
/** 100,000 allowed windows of 32 KiB, one per 64 KiB, in a scrambled order. */
const windows = (): IovaRange[] => Array.from({ length: 100_000 }, (_, p) => {
  const start = BigInt((p * 7919) % 100_000) * 0x1_0000n + 0x1000n;
  return { start, last: start + 0x7fffn };
});
const pathological = {
  allowIovas: hand([st(env.open(IOMMUFD_PATH)), st(iommu.ioasAlloc(IOMMUFD)), st(iommu.allowIovas(IOMMUFD, 1, windows()), 'ok')]),
  mmaps: hand([
    st(env.open(IOMMUFD_PATH)),
    // 50,000 of the same 1 MiB, then 50,000 that grow one mapping page by page
    ...Array.from({ length: 50_000 }, () => st(env.mmap(0x10_0000n, 0x10_0000n))),
    ...Array.from({ length: 50_000 }, (_, i) => st(env.mmap(0x1000_0000n + BigInt(i) * 0x1000n, 0x1000n))),
    st(iommu.ioasAlloc(IOMMUFD)),
    st(iommu.map(IOMMUFD, 1, 0x1000n, 0x10_0000n, 0x1000_0000n + 49_744n * 0x1000n), 'ok'),
  ]),
};

// warm up: every measurement below runs on code the JIT has already seen
check({ design: 'iommufd', hardware: 'host-pasid-table', runs: Math.min(RUNS, 100), seed: 1, maxCommands: MAX, timeLimitMs: 60_000 });
bareModelRun();
const bare = bareModelRun();
const withProbe = differential(true);
const noProbe = differential(false);
const spec = specOnly(noProbe.traces);
const bareRate = rate(bare.steps, bare.ms);
const diffRate = rate(withProbe.out.stats.steps, withProbe.out.stats.ms);
const diffRateNoProbe = rate(noProbe.out.stats.steps, noProbe.out.stats.ms);
const specRate = rate(spec.steps, spec.ms);

say(`check engine, iommufd on host-pasid-table, ${RUNS} runs of up to ${MAX} commands, one core`);
say(`  bare fc.modelRun of no-op commands     ${fmt(bareRate)} steps/s`);
say(`  differential, with translation probes  ${fmt(diffRate)} steps/s  (ratio to bare ${(diffRate / bareRate).toFixed(3)}; target >= 0.25, >= 50,000 steps/s)`);
say(`  differential, without probes           ${fmt(diffRateNoProbe)} steps/s  (ratio to bare ${(diffRateNoProbe / bareRate).toFixed(3)})`);
say(`  spec only, same traces                 ${fmt(specRate)} steps/s  (ratio to bare ${(specRate / bareRate).toFixed(3)}; target >= 250,000 steps/s)`);
say(`  generated commands that were run       ${withProbe.out.stats.executed}/${withProbe.out.stats.generated} (${((withProbe.out.stats.executed / Math.max(withProbe.out.stats.generated, 1)) * 100).toFixed(1)}%)`);
say(`  spec rules reached                     ${coverageOf(DESIGNS.iommufd, withProbe.out.stats.coverage).reached}/${coverageOf(DESIGNS.iommufd, withProbe.out.stats.coverage).rules}`);

const one = await matrix(1);
const two = await matrix(2);
const bfs1 = rate(one.states, one.ms);
const bfs2 = rate(two.states, two.ms);
/** Depth 8 after the set-up: without the reduction the default world's space grows about 3x a level (69,000 states here, 192,000 at 9). */
const sym = { design: 'iommufd', hardware: 'host-pasid-table', depth: 8, maxStates: 1e9, budgetMs: 600_000 } as const;
const t0 = performance.now();
const withSym = exploreDesign(sym)[0]!; // one cell per requirement; every cell carries the search's figures
const symMs = performance.now() - t0;
const t1 = performance.now();
const withoutSym = exploreDesign({ ...sym, symmetry: false })[0]!;
const noSymMs = performance.now() - t1;
const reduction = withoutSym.states / withSym.states;
say(`explorer: the matrix (${DESIGN_NAMES.length} designs x ${HW_KINDS.length} hardware kinds, 20,000 states per cell), ${fmt(one.states)} distinct states`);
say(`  one worker                             ${fmt(bfs1)} states/s  (ratio to bare ${(bfs1 / bareRate).toFixed(3)}; target >= 0.25 and >= 50,000 states/s)`);
say(`  two workers                            ${fmt(bfs2)} states/s  (${(bfs2 / bfs1).toFixed(2)}x one; target >= 1.6x)`);
say(`  symmetry reduction, iommufd/host to depth ${sym.depth}: ${fmt(withoutSym.states)} states as numbered, ${fmt(withSym.states)} up to renaming: ${reduction.toFixed(1)}x fewer`);
say(`    (the whole search: ${(noSymMs / 1000).toFixed(2)} s without, ${(symMs / 1000).toFixed(2)} s with)`);
const full = (() => {
  const t = performance.now();
  const c = exploreDesign({ design: 'iommufd', hardware: 'host-pasid-table', depth: 64, maxStates: 1e9, budgetMs: 600_000 })[0]!;
  return { states: c.states, depth: c.depth, ms: performance.now() - t };
})();
say(`  the whole iommufd/host state space of the vocabulary: ${fmt(full.states)} states (exhausted at depth ${full.depth}) in ${(full.ms / 1000).toFixed(2)} s`);
const exploreDefaults = (() => {
  const t = performance.now();
  const r = explore(DESIGN_NAMES, HW_KINDS);
  return { ms: performance.now() - t, found: r.cells.filter((c) => c.trace !== undefined).length, cells: r.cells.length };
})();
say(`  explore defaults on one thread: ${(exploreDefaults.ms / 1000).toFixed(1)} s (target < 60 s on 2 cores), ${exploreDefaults.found}/${exploreDefaults.cells} cells with a witness or counterexample`);

const allow = timedReplay(pathological.allowIovas);
const mmaps = timedReplay(pathological.mmaps);
say('pathological inputs, replayed with every check (spec, simulated kernel, observation, probes)');
say(`  IOMMU_IOAS_ALLOW_IOVAS with 100,000 ranges                      ${(allow.ms / 1000).toFixed(2)} s${allow.clean ? '' : '  (NOT CLEAN)'}`);
say(`  100,000 MMAPs (the same 50,000 times, then growing one mapping)  ${(mmaps.ms / 1000).toFixed(2)} s${mmaps.clean ? '' : '  (NOT CLEAN)'}`);

say(`generator reach, ${RUNS} runs per design and hardware kind (seed 3)`);
for (const design of DESIGN_NAMES) {
  for (const hardware of HW_KINDS) {
    const out = check({ design, hardware, runs: RUNS, seed: 3, maxCommands: MAX, timeLimitMs: 120_000 });
    const cv = coverageOf(DESIGNS[design], out.stats.coverage);
    say(`  ${`${design} / ${hardware}`.padEnd(42)} rules ${cv.reached}/${cv.rules}; ${formatReach(out.stats.reach)}`);
  }
}
say('injected bugs: time to find and shrink to a 1-minimal counterexample (target < 10 s each)');
const bugs: { name: string; property: string | null; totalMs: number; shrinkMs: number | null; minimality: string | null }[] = [];
for (const bug of BUGS) {
  const t = performance.now();
  const out = check({
    design: bug.design ?? 'iommufd', hardware: bug.hardware ?? 'host-pasid-table', ...(bug.profile ? { profile: bug.profile } : {}), ...(bug.setup ? { setup: bug.setup } : {}), runs: bug.runs ?? 2000, seed: 7,
    maxCommands: MAX, timeLimitMs: 30_000, factory: bug.factory, ...(bug.memlockPages ? { memlockPages: bug.memlockPages } : {}),
  });
  const total = performance.now() - t;
  const shrink = out.shrink ? `shrink ${(out.shrink.ms / 1000).toFixed(2)} s, ${out.shrink.fromSteps} -> ${out.trace?.steps.length} steps, ${out.trace?.origin.minimality}` : 'NOT FOUND';
  say(`  ${bug.name.padEnd(42)} ${out.violation?.property ?? '-'} in ${(total / 1000).toFixed(2)} s total; ${shrink}`);
  bugs.push({ name: bug.name, property: out.violation?.property ?? null, totalMs: Math.round(total), shrinkMs: out.shrink?.ms ?? null, minimality: out.trace?.origin.minimality ?? null });
}

if (json) {
  console.log(JSON.stringify({
    runs: RUNS,
    bareStepsPerSec: bareRate,
    diffStepsPerSec: diffRate,
    diffStepsPerSecNoProbe: diffRateNoProbe,
    specStepsPerSec: specRate,
    bfsStatesPerSec1: bfs1,
    bfsStatesPerSec2: bfs2,
    symmetryReduction: Number(reduction.toFixed(2)),
    ratios: {
      diffToBare: Number((diffRate / bareRate).toFixed(4)),
      diffNoProbeToBare: Number((diffRateNoProbe / bareRate).toFixed(4)),
      specToBare: Number((specRate / bareRate).toFixed(4)),
      bfs1ToBare: Number((bfs1 / bareRate).toFixed(4)),
      bfs2ToBfs1: Number((bfs2 / bfs1).toFixed(3)),
    },
    symmetry: { design: sym.design, hardware: sym.hardware, depth: sym.depth, states: withSym.states, statesWithout: withoutSym.states },
    wholeIommufdSpace: { states: full.states, depth: full.depth, ms: Math.round(full.ms) },
    exploreDefaultsMs: Math.round(exploreDefaults.ms),
    pathologicalMs: { allowIovas100k: Math.round(allow.ms), mmaps100k: Math.round(mmaps.ms) },
    injectedBugs: bugs,
  }, null, 2));
}
