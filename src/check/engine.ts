/**
 * check(): model-based differential testing. Each run draws its configuration (swarm.ts: recipes, argument
 * shares, RLIMIT_MEMLOCK, set-up variant), starts from that set-up (fixture.ts), and fast-check draws command
 * recipes (fc.commands) run with fc.modelRun; each recipe is built against the generation model into a symbolic
 * step, run on the spec and on the simulated kernel, and checked (differential.ts). Every step counts towards rule
 * coverage and reach (reach.ts). The first failure is shrunk by fast-check, replayed into a trace, then made
 * 1-minimal (shrink.ts). Runs stop at `runs` or at the time limit, whichever comes first; a run that reaches the
 * time limit stops before its next command.
 */
import fc from 'fast-check';
import { DESIGNS, type State } from '../spec/index.js';
import { HW_KINDS, machineOf, worldOf, type DesignName, type EnvName, type HwKind, type KernelVersion } from '../uapi/index.js';
import type { Profile } from './machine.js';
import { isAssertCmd } from './assert.js';
import type { KernelFactory, Violation } from './differential.js';
import { simDriver, type Driver, type SidesView, type TraceHeader } from './driver.js';
import { DEFAULT_GEN, envRecipesOf, recipesFor, type GenConfig, type Recipe } from './generate.js';
import { fixturesOf, prologue, type Fixture } from './fixture.js';
import { GenModel } from './model.js';
import { replaySteps } from './replay.js';
import { minimize } from './shrink.js';
import { Reach, type ReachFigures } from './reach.js';
import { configKey, runConfigA, type RunConfig } from './swarm.js';
import { BINDERS, TRACE_SCHEMA, type Sym, type SymCmd, type Trace, type TraceStep } from './trace.js';

export interface CheckOptions {
  readonly design: DesignName;
  readonly hardware: HwKind;
  /** the machine (default: today's world on `hardware`); the caller checked it fits (machine.ts profileProblem) */
  readonly profile?: Profile;
  /** the kernel version whose uAPI both sides follow (default `upstream`) */
  readonly kernel?: KernelVersion;
  readonly runs: number;
  readonly seed: number;
  readonly maxCommands: number;
  /** stop drawing new runs after this many ms */
  readonly timeLimitMs: number;
  /** bound on the final shrinking pass */
  readonly shrinkLimitMs?: number;
  /** RLIMIT_MEMLOCK for every run; unset: the default, with a small limit drawn in a share of runs */
  readonly memlockPages?: number;
  readonly gen?: GenConfig;
  /** swarm testing: each run draws a subset of recipes and argument strategies (default on) */
  readonly swarm?: boolean;
  /** the simulated kernel under test (tests inject bugs through it) */
  readonly factory?: KernelFactory;
  /** the sides every trace runs on (default: the spec and the simulated kernel `factory` builds) */
  readonly driver?: Driver;
  /** translation probes after every step (slower, catches stale translations nothing DMAs at) */
  readonly probe?: boolean;
  readonly onRun?: (run: number) => void;
  /** fail_nth in random traces: a share of steps fail one of their first allocations (the trace records `failNth`) */
  readonly failNth?: boolean;
  /** the clock the time limit is read from inside a run (default Date.now; tests pass a fake one) */
  readonly now?: () => number;
  /** every step as it runs (coverage tools, debugging) */
  readonly onStep?: (st: TraceStep, spec: State) => void;
  /** every run that broke no property, as a trace (what `export` turns into tests; the check keeps only failures) */
  readonly onTrace?: (t: Trace) => void;
  /** environment actions the sides cannot take, left out of every run (the Linux executor's, kernel-cmd.ts) */
  readonly leaveOut?: readonly EnvName[];
  /** every run starts from this set-up variant (default: each run draws one of setupsOf) */
  readonly setup?: Fixture;
}

export interface CheckStats {
  readonly runs: number;
  /** steps run on both sides (generated commands + set-up) */
  readonly steps: number;
  /** commands drawn and commands that were run (the share run: nothing is discarded by design) */
  readonly generated: number;
  readonly executed: number;
  /** steps whose injected allocation failure fired (with `failNth`) */
  readonly injected: number;
  readonly ms: number;
  /** how often each spec rule id (ioctl x outcome) was reached */
  readonly coverage: ReadonlyMap<string, number>;
  /** how often the runs got where bugs live (reach.ts) */
  readonly reach: ReachFigures;
}

export interface CheckOutcome {
  readonly ok: boolean;
  readonly stats: CheckStats;
  readonly violation?: Violation;
  /** the shrunk, 1-minimal counterexample */
  readonly trace?: Trace;
  readonly shrink?: { readonly ms: number; readonly tries: number; readonly minimal: boolean; readonly fromSteps: number };
}

/** What every trace of a check says about where it runs (the base of a counterexample). */
const headerOf = (opts: CheckOptions, memlockPages: number | undefined): TraceHeader => ({
  design: opts.design, hardware: opts.hardware,
  ...(opts.profile === undefined || opts.profile === 'default' ? {} : { profile: opts.profile }),
  ...(memlockPages === undefined ? {} : { memlockPages }),
  ...(opts.kernel === undefined || opts.kernel === 'upstream' ? {} : { kernel: opts.kernel }),
});

/** The sides a check runs on: the given driver, else the spec and the simulated kernel. */
const driverOf = (opts: CheckOptions): Driver => opts.driver ?? simDriver(opts.factory, opts.probe ?? true);

class CheckFailure extends Error {
  constructor(readonly violation: Violation) {
    super(`${violation.property} at step ${violation.step}: ${violation.message}`);
  }
}

/** One trace being generated: both sides, the generation model, and the steps so far. */
class Run {
  readonly sides: SidesView;
  readonly driver: Driver;
  readonly gen: GenModel;
  readonly steps: TraceStep[] = [];
  constructor(readonly opts: CheckOptions, readonly counters: { steps: number; executed: number; injected?: number; coverage?: Map<string, number>; reach?: Reach }, readonly cfg: Pick<RunConfig, 'memlockPages' | 'fixture'>) {
    this.driver = driverOf(opts);
    this.sides = this.driver.start(headerOf(opts, cfg.memlockPages));
    this.gen = new GenModel(this.sides.spec);
  }

  /** Run the set-up (it may already break a property: a WARN in the fixture's own calls is a finding too). */
  start() {
    const { design, hardware } = this.opts;
    for (const c of prologue(DESIGNS[design], hardware, this.cfg.fixture, this.sides.spec.world)) this.exec(c);
    return this;
  }

  /** Name what a successful step created, so later recipes can pick it. */
  private remember(st: TraceStep, out: Record<string, unknown>, cmd: SymCmd) {
    for (const [field, sym] of Object.entries(st.bind ?? {})) {
      const v = out[field];
      if (typeof v !== 'number') continue;
      if (BINDERS[('ioctl' in cmd ? cmd.ioctl : cmd.env) as string]?.[field] === 'fd') this.gen.name(`fd:${v}`, sym);
      else {
        const owner = this.gen.tableOf(cmd.fd as Sym | number, (s) => this.sides.specSyms.get(s));
        if (owner !== undefined) this.gen.name(`${owner}:${v}`, sym);
      }
    }
  }

  exec(cmd: SymCmd, failNth?: number) {
    const name = ('ioctl' in cmd ? cmd.ioctl : cmd.env) as string;
    const binders = BINDERS[name];
    const bind: Record<string, Sym> | undefined = binders ? Object.fromEntries(Object.entries(binders).map(([f, kind]) => [f, this.gen.fresh(kind)])) : undefined;
    const st: TraceStep = { cmd, ...(bind ? { bind } : {}), ...(failNth === undefined ? {} : { failNth }) };
    const before = this.sides.spec;
    const rec = this.driver.step(this.sides, st, this.steps.length + 1);
    if (!isAssertCmd(rec.cmd)) this.counters.reach?.step(rec.cmd, rec.spec.result, rec.spec.rule, before, rec.spec.state); // generated runs hold no assertion
    this.steps.push({ ...st, spec: { result: rec.spec.result, rule: rec.spec.rule }, ...(rec.impl ? { impl: { result: rec.impl } } : {}) });
    this.opts.onStep?.(this.steps[this.steps.length - 1]!, this.sides.spec); // just pushed
    this.counters.steps++;
    if (rec.injected && this.counters.injected !== undefined) this.counters.injected++;
    this.counters.coverage?.set(rec.spec.rule, (this.counters.coverage.get(rec.spec.rule) ?? 0) + 1);
    this.gen.state = this.sides.spec;
    if (rec.violation) throw new CheckFailure(rec.violation);
    if (rec.spec.result.ok) this.remember(st, rec.spec.result.out as Record<string, unknown>, cmd);
  }

  finish() {
    const v = this.driver.end(this.sides);
    if (v) throw new CheckFailure(v);
  }
}

class StepCommand implements fc.Command<Run, object> {
  /**
   * Past `deadline` by `now`, no further command runs (the time limit holds inside a long run, not only between
   * runs). `failNth`: this step's allocation to fail, if any.
   */
  constructor(readonly recipe: Recipe, readonly deadline: number, readonly now: () => number, readonly failNth?: number) {}
  check() {
    return this.now() < this.deadline;
  }
  run(m: Run) {
    m.counters.executed++;
    m.exec(this.recipe.build(m.gen, (s) => m.sides.specSyms.get(s)), this.failNth);
  }
  toString() {
    return this.failNth === undefined ? this.recipe.name : `${this.recipe.name} failNth=${this.failNth}`;
  }
}

/** Run one generated command list (the property fast-check checks and shrinks). */
function runCommands(opts: CheckOptions, counters: { steps: number; executed: number; injected: number; generated: number; coverage: Map<string, number>; reach: Reach }, cfg: RunConfig, cmds: Iterable<fc.Command<Run, object>>): Run {
  const run = new Run(opts, counters, cfg).start();
  const list = [...cmds];
  counters.generated += list.length;
  fc.modelRun(() => ({ model: run, real: {} }), list);
  run.finish();
  return run;
}

/**
 * The set-up variants a check of `opts` draws from: those the design offers on its machine at its kernel version,
 * less any that takes an action the sides leave out.
 */
export function setupsOf(opts: Pick<CheckOptions, 'design' | 'hardware' | 'profile' | 'kernel' | 'leaveOut'>): readonly Fixture[] {
  const world = worldOf(machineOf(opts.profile, opts.hardware), undefined, opts.kernel);
  const left = opts.leaveOut ?? [];
  return fixturesOf(world, DESIGNS[opts.design].ioctls).filter((f) => (f !== 'access' || !left.includes('MOCK_ACCESS_CREATE')) && (f !== 'memfd' || !left.includes('MEMFD_CREATE')));
}

export function check(opts: CheckOptions): CheckOutcome {
  const t0 = Date.now();
  const counters = { steps: 0, executed: 0, injected: 0, generated: 0, runs: 0, coverage: new Map<string, number>(), reach: new Reach() };
  const ioctls = DESIGNS[opts.design].ioctls;
  // the machine at the run's kernel version: the set-ups and actions it offers depend on both
  const world = worldOf(machineOf(opts.profile, opts.hardware), undefined, opts.kernel);
  const envs = envRecipesOf(world, DESIGNS[opts.design]).filter((e) => !(opts.leaveOut ?? []).includes(e));
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeLimitMs;
  // with fail_nth, half the steps fail their first or second allocation (freq 2: undefined, no injection, half
  // the time); a step with fewer allocations runs as usual
  const nth = fc.option(fc.integer({ min: 1, max: 2 }), { freq: 2, nil: undefined });
  const step = (r: fc.Arbitrary<Recipe>): fc.Arbitrary<StepCommand> =>
    opts.failNth ? fc.tuple(r, nth).map(([x, k]) => new StepCommand(x, deadline, now, k)) : r.map((x) => new StepCommand(x, deadline, now));
  const cache = new Map<string, fc.Arbitrary<Iterable<fc.Command<Run, object>>>>();
  const commandsFor = (cfg: RunConfig) => {
    const key = configKey(cfg);
    let a = cache.get(key);
    if (!a) cache.set(key, (a = fc.commands(recipesFor(ioctls, cfg.gen, cfg.enabled ?? undefined, envs).map((x) => step(x)), { maxCommands: opts.maxCommands, size: 'max' })));
    return a;
  };
  const fixtures = setupsOf(opts).filter((f) => opts.setup === undefined || f === opts.setup);
  if (fixtures.length === 0) throw new Error(`set-up ${opts.setup} is not one ${opts.design} on this machine offers`);
  const runs = runConfigA([...ioctls, ...envs], opts.gen ?? DEFAULT_GEN, opts.swarm ?? true, opts.memlockPages, fixtures)
    .chain((cfg) => commandsFor(cfg).map((cmds) => ({ cfg, cmds })));
  const prop = fc.property(runs, ({ cfg, cmds }) => {
    counters.runs++;
    opts.onRun?.(counters.runs);
    const run = runCommands(opts, counters, cfg, cmds);
    opts.onTrace?.({ schema: TRACE_SCHEMA, ...headerOf(opts, cfg.memlockPages), origin: { kind: 'check', seed: opts.seed }, steps: run.steps });
  });
  // each hardware kind draws its own traces from one seed (the same traces on both would double no coverage)
  const seed = (opts.seed + HW_KINDS.indexOf(opts.hardware) * 7919) | 0;
  const out = fc.check(prop, { numRuns: opts.runs, seed, interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false });
  const stats = (): CheckStats => ({ runs: out.numRuns, steps: counters.steps, generated: counters.generated, executed: counters.executed, injected: counters.injected, ms: Date.now() - t0, coverage: counters.coverage, reach: counters.reach.figures });
  if (!out.failed || !out.counterexample) return { ok: true, stats: stats() };
  // replay fast-check's shrunk counterexample into a trace, then make it 1-minimal
  const { cfg, cmds } = out.counterexample[0];
  const rerun = new Run(opts, { steps: 0, executed: 0 }, cfg);
  let violation: Violation | undefined;
  try {
    rerun.start();
    for (const c of cmds) c.run(rerun, {});
    rerun.finish();
  } catch (e) {
    if (!(e instanceof CheckFailure)) throw e;
    violation = e.violation;
  }
  if (!violation) {
    // fast-check failed for a reason that does not replay (an exception inside ioasid-lab itself): report it
    const err = out.errorInstance instanceof Error ? (out.errorInstance.stack ?? out.errorInstance.message) : 'unknown failure';
    return { ok: false, stats: stats(), violation: { property: 'internal', step: 0, message: err } };
  }
  const base: Trace = { schema: TRACE_SCHEMA, ...headerOf(opts, cfg.memlockPages), origin: { kind: 'check' }, steps: rerun.steps };
  const s0 = Date.now();
  const driver = driverOf(opts);
  const shrunk = minimize(base, violation.property, s0 + (opts.shrinkLimitMs ?? 10_000), driver);
  // replay the shrunk trace once more: its own failing step and message, and each step's answers for the file
  const final = replaySteps(base, shrunk.steps, driver);
  const v = final.violation ?? violation;
  const steps = shrunk.steps.map((st, i) => {
    const rec = final.records[i];
    return rec ? { ...st, spec: { result: rec.spec.result, rule: rec.spec.rule }, ...(rec.impl ? { impl: { result: rec.impl } } : {}) } : st;
  });
  return {
    ok: false,
    stats: stats(),
    violation: v,
    trace: {
      ...base,
      origin: { kind: 'check', seed: opts.seed, path: out.counterexamplePath ?? '', runs: out.numRuns, shrinks: out.numShrinks, minimality: shrunk.minimal ? '1-minimal' : 'none', ...driver.origin?.() },
      verdict: { ...v, status: 'open' },
      steps,
    },
    shrink: { ms: Date.now() - s0, tries: shrunk.tries, minimal: shrunk.minimal, fromSteps: rerun.steps.length },
  };
}
