/**
 * npm run bench: speed of the check engine, measured in one run and printed as ratios.
 *  - differential steps per second (generate + spec step + kernel step + compare), with and without the
 *    translation probes, against a bare fc.modelRun of no-op commands of the same shape (the target is >= 1/4);
 *  - spec-only steps per second on the same traces;
 *  - the share of generated commands that were run, rule coverage, and generator reach per design and hardware
 *    kind (DMA through a guest stage-1, unmaps that split, ...: reach.ts);
 *  - time to find and shrink each injected bug to a 1-minimal counterexample (target < 10 s each).
 */
import fc from 'fast-check';
import { check } from '../src/check/engine.js';
import { Bindings, type TraceStep } from '../src/check/trace.js';
import { DESIGNS, initialState, step } from '../src/spec/index.js';
import { defaultWorld } from '../src/uapi/index.js';
import { BUGS } from '../properties/support/bugs.js';
import { explore } from '../src/check/explore.js';
import { coverageOf } from '../src/check/coverage.js';
import { formatReach } from '../src/check/reach.js';
import { DESIGN_NAMES, HW_KINDS } from '../src/uapi/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 400);
const MAX = 30;
const rate = (n: number, ms: number) => Math.round((n / Math.max(ms, 1)) * 1000);

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

const bare = bareModelRun();
const withProbe = differential(true);
const noProbe = differential(false);
const spec = specOnly(noProbe.traces);
const bareRate = rate(bare.steps, bare.ms);
const diffRate = rate(withProbe.out.stats.steps, withProbe.out.stats.ms);
const diffRateNoProbe = rate(noProbe.out.stats.steps, noProbe.out.stats.ms);

console.log(`check engine, iommufd on host-pasid-table, ${RUNS} runs of up to ${MAX} commands, one core`);
console.log(`  bare fc.modelRun of no-op commands     ${bareRate.toLocaleString('en')} steps/s`);
console.log(`  differential, with translation probes  ${diffRate.toLocaleString('en')} steps/s  (ratio to bare ${(diffRate / bareRate).toFixed(3)}; target >= 0.25, >= 50,000 steps/s)`);
console.log(`  differential, without probes           ${diffRateNoProbe.toLocaleString('en')} steps/s  (ratio to bare ${(diffRateNoProbe / bareRate).toFixed(3)})`);
console.log(`  spec only, same traces                 ${rate(spec.steps, spec.ms).toLocaleString('en')} steps/s  (differential / spec-only ${(diffRateNoProbe / rate(spec.steps, spec.ms)).toFixed(3)})`);
console.log(`  generated commands that were run       ${withProbe.out.stats.executed}/${withProbe.out.stats.generated} (${((withProbe.out.stats.executed / Math.max(withProbe.out.stats.generated, 1)) * 100).toFixed(1)}%)`);
console.log(`  spec rules reached                     ${coverageOf(DESIGNS.iommufd, withProbe.out.stats.coverage).reached}/${coverageOf(DESIGNS.iommufd, withProbe.out.stats.coverage).rules}`);
console.log(`generator reach, ${RUNS} runs per design and hardware kind (seed 3)`);
for (const design of DESIGN_NAMES) {
  for (const hardware of HW_KINDS) {
    const out = check({ design, hardware, runs: RUNS, seed: 3, maxCommands: MAX, timeLimitMs: 120_000 });
    const cv = coverageOf(DESIGNS[design], out.stats.coverage);
    console.log(`  ${`${design} / ${hardware}`.padEnd(42)} rules ${cv.reached}/${cv.rules}; ${formatReach(out.stats.reach)}`);
  }
}
console.log('injected bugs: time to find and shrink to a 1-minimal counterexample (target < 10 s each)');
for (const bug of BUGS) {
  const t0 = performance.now();
  const out = check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 2000, seed: 7, maxCommands: MAX, timeLimitMs: 30_000, factory: bug.factory, ...(bug.memlockPages ? { memlockPages: bug.memlockPages } : {}) });
  const total = (performance.now() - t0) / 1000;
  const shrink = out.shrink ? `shrink ${(out.shrink.ms / 1000).toFixed(2)} s, ${out.shrink.fromSteps} -> ${out.trace?.steps.length} steps, ${out.trace?.origin.minimality}` : 'NOT FOUND';
  console.log(`  ${bug.name.padEnd(42)} ${out.violation?.property ?? '-'} in ${total.toFixed(2)} s total; ${shrink}`);
}
{
  const t0 = performance.now();
  const r = explore(DESIGN_NAMES, HW_KINDS, 16, 20_000, 30_000);
  const s = (performance.now() - t0) / 1000;
  console.log(`explore: ${DESIGN_NAMES.length} designs x ${HW_KINDS.length} hardware kinds x ${r.requirements.length} requirements in ${s.toFixed(1)} s (target < 60 s), ${r.cells.filter((c) => c.verdict !== 'none-within').length} witnesses/counterexamples`);
}
