/**
 * Linux as a side of the differential: a driver (src/check/driver.ts) that runs each step of a trace on the spec
 * and on the booted kernel, in lock step, and judges it — the results (errno, returned values; ids by what they
 * name), what the test port can see afterwards (linux-observe.ts), and the kernel log (a WARN is P-WARN, an oops
 * P-OOPS). A step with fail_nth arms Linux's own fault injection on the call that does the step's work; when it
 * fires and the call fails, the spec does not take the step and Linux must show nothing changed (P-ATOMIC).
 * A failure is reported like any: the engine shrinks it against Linux and saves it.
 * Only design `iommufd` on machine `selftest-mock` describes what runs there; anything else is refused up front.
 */
import { DESIGN_NAMES, DESIGNS, initialState, noLeak, objKey, observe, step, type State, type StepResult } from '../spec/index.js';
import { machineOf, worldOf, type Cmd, type Result } from '../uapi/index.js';
import { answer, isAssertCmd, type AssertCmd } from '../check/assert.js';
import { dirtyDiffers, resultProperty, type StepRecord, type Violation } from '../check/differential.js';
import type { Driver, TraceHeader } from '../check/driver.js';
import { Bindings, encode, stepName, type TraceStep } from '../check/trace.js';
import { logFinding } from './klog.js';
import { closeFd, runOnLinux, toLinux } from './linux-run.js';
import { dirtyWrite, dmaProbes, firstWrong, leakProbes, mapProbes, pinProbes, type Probe } from './linux-observe.js';
import { isIdOutput, outputTable, rememberBinds, type LinuxSides } from './linux-sides.js';
import { MockVfio, type RealFile } from './mock-vfio.js';
import { Session, SessionDied } from './session.js';
import { VmDied, type Vm } from './vm.js';

/** The machine Linux's test port stands for, and the design that shipped (the one Linux runs). */
export const LINUX_PROFILE = 'selftest-mock';
export const LINUX_DESIGN = DESIGN_NAMES.find((d) => DESIGNS[d].status === 'merged') ?? 'iommufd';
/**
 * Actions random traces on Linux leave out: the mock's access objects take an object id the selftest port never
 * reports, so a random trace could name it differently on the two sides (hand-written traces in traces/kernel/ check
 * access objects against Linux instead); and memfd_create, a step the executor does not have (IOMMU_IOAS_MAP_FILE
 * is drawn all the same: Linux 6.12 answers it ENOTTY, as the spec's 6.12 uAPI level does).
 */
export const LINUX_LEAVE_OUT = ['MOCK_ACCESS_CREATE', 'MOCK_ACCESS_PIN', 'MOCK_ACCESS_UNPIN', 'MOCK_ACCESS_RW', 'MOCK_ACCESS_REPLACE', 'MEMFD_CREATE'] as const;

/** Why a trace cannot run on Linux, or null when it can. */
export function linuxProblem(t: TraceHeader): string | null {
  if (DESIGNS[t.design].status !== 'merged') return `design ${t.design} never shipped: only ${LINUX_DESIGN} runs on Linux`;
  if (t.profile !== LINUX_PROFILE) return `machine ${typeof t.profile === 'object' ? t.profile.iommu.name : t.profile ?? 'default'} is not Linux's selftest mock: only profile ${LINUX_PROFILE} runs on Linux`;
  return null;
}

const show = (x: unknown) => JSON.stringify(x, encode);
const resultText = (r: Result<unknown>) => (r.ok ? `ok ${show(r.out)}` : r.out === undefined ? r.errno : `${r.errno} ${show(r.out)}`);

/**
 * Whether Linux's result is the spec's: the same errno (and what a failure writes back), the same returned values,
 * and ids that name the same objects (a new id where the spec made a new object, the same object's id otherwise).
 */
function sameResult(sides: LinuxSides, specCmd: Cmd, before: State, spec: Result<unknown>, linux: Result<unknown>): boolean {
  if (spec.ok !== linux.ok) return false;
  if (!spec.ok || !linux.ok) {
    if (spec.ok || linux.ok || spec.errno !== linux.errno) return false;
    return spec.out === undefined || show(spec.out) === show(linux.out);
  }
  const name = 'ioctl' in specCmd ? specCmd.ioctl : 'env' in specCmd ? specCmd.env : '';
  if (name === 'IOMMU_HWPT_GET_DIRTY_BITMAP') return dirtyDiffers(spec.out as Parameters<typeof dirtyDiffers>[0], linux.out as Parameters<typeof dirtyDiffers>[1]) === null;
  const table = outputTable(before, specCmd);
  const s = spec.out as Record<string, unknown>;
  const l = linux.out as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    if (!isIdOutput(name, k)) {
      if (show(s[k]) !== show(l[k])) return false;
      continue;
    }
    if (typeof s[k] !== 'number' || typeof l[k] !== 'number') return false;
    if (table === null) return false; // an id output always belongs to a table the call's fd names
    const existing = before.objects[objKey(table, s[k])] === undefined ? undefined : sides.objSyms.get(objKey(table, s[k]));
    // the Linux ids of the objects alive in that table before the step: a new object must take none of them
    const live = [...sides.objSyms].filter(([key]) => key.startsWith(`${table}:`) && before.objects[key] !== undefined).map(([, sym]) => sides.implSyms.get(sym));
    if (existing !== undefined ? sides.implSyms.get(existing) !== l[k] : live.includes(l[k])) return false;
  }
  return true;
}

export interface LinuxDriverOptions {
  /** the booted guest; called again for a fresh one after the guest died */
  readonly vm: () => Vm;
  /** the spec's step (tests pass one with a deliberately wrong rule, to see Linux catch it) */
  readonly step?: typeof step;
}

/** The driver, with its guest: booted on first use, and shut down when done. */
export type LinuxDriver = Driver<LinuxSides> & {
  readonly vm: () => Vm;
  shutdown(): void;
};

export function linuxDriver(opts: LinuxDriverOptions): LinuxDriver {
  const specStep = opts.step ?? step;
  let vm: Vm | null = null;
  let live: Session | null = null;
  const guest = () => (vm ??= opts.vm());

  /** A kernel log line that is a finding, as a violation at `index`. */
  const logged = (sides: LinuxSides, index: number): Violation | null => {
    const f = logFinding(sides.session.log);
    sides.session.log = [];
    return f && { property: f.property, step: index, message: f.message };
  };

  /** The session died, or the guest with it: an oops; the guest is rebooted before the next trace. */
  const crashed = (e: unknown, index: number): Violation => {
    const why = e instanceof Error ? e.message : String(e);
    const found = logFinding((vm?.consoleTail(80) ?? '').split('\n'));
    vm?.close();
    vm = null;
    live = null;
    return { property: 'P-OOPS', step: index, message: `${found?.message ?? 'Linux crashed'}: ${why}` };
  };

  const probe = (sides: LinuxSides, probes: readonly Probe[], index: number): Violation | null => {
    const w = firstWrong(sides, probes);
    return w && { property: w.property, step: index, message: w.message };
  };

  function assertStep(sides: LinuxSides, st: TraceStep, index: number): StepRecord {
    const q = sides.specSyms.resolve(st.cmd) as unknown as AssertCmd;
    const specOut = answer(observe(sides.spec), q);
    const spec: StepResult = { state: sides.spec, result: { ok: true, out: specOut }, rule: `ASSERT.${q.assert}` as StepResult['rule'], partial: false };
    let probes: Probe[] | { property: string; message: string } | null = null;
    if (q.assert === 'DMA') probes = dmaProbes(sides, sides.spec, sides.spec, q.dev, q.pasid, q.iova);
    if (q.assert === 'PINS' && q.length > 0n) probes = pinProbes(sides, sides.spec).filter((p) => p.refs && p.refs.uva < q.uva + q.length && q.uva < p.refs.uva + p.refs.length);
    // OBJECT, ATTACHED, AREAS: nothing in the test port shows them; Linux gives no answer (the step is not compared)
    if (probes === null) return { cmd: q, spec, impl: null, violation: null };
    const wrong = Array.isArray(probes) ? probe(sides, probes, index) : { ...probes, step: index };
    // what the test port confirmed: the DMA's page, or the pin count (the memlock charge it cannot see)
    const seen = q.assert === 'PINS' ? { holders: specOut.holders } : specOut;
    return { cmd: q, spec, impl: wrong ? null : { ok: true, out: seen }, violation: wrong ? { ...wrong, message: `ASSERT ${q.assert}: ${wrong.message}` } : null };
  }

  function runStep(sides: LinuxSides, st: TraceStep, index: number): StepRecord {
    if (isAssertCmd(st.cmd)) return assertStep(sides, st, index);
    const before = sides.spec;
    const specCmd = sides.specSyms.resolve(st.cmd);
    const linuxCmd = toLinux(sides, st, specCmd, before);
    let linux: ReturnType<typeof runOnLinux>;
    try {
      linux = runOnLinux(sides, linuxCmd, st.failNth ?? 0, before.world);
    } catch (e) {
      if (!(e instanceof SessionDied) && !(e instanceof VmDied)) throw e;
      const r = specStep(before, specCmd);
      return { cmd: specCmd, spec: r, impl: null, violation: crashed(e, index) };
    }
    const log = logged(sides, index);
    if (st.failNth !== undefined && linux.fired === true && linux.result !== null && !linux.result.ok) {
      // the injected failure failed the call: the spec does not take the step, and Linux must show no change
      const spec: StepResult = { state: before, result: { ok: false, errno: 'ENOMEM' }, rule: 'fail_nth.injected' as StepResult['rule'], partial: false };
      const atomic = log ?? probe(sides, [...mapProbes(sides, before, before), ...pinProbes(sides, before)], index);
      return { cmd: specCmd, injected: true, spec, impl: linux.result, violation: atomic && (atomic.property === 'differential' ? { ...atomic, property: 'P-ATOMIC', message: `an allocation failed (fail_nth) and the call answered ${linux.result.errno}, but ${atomic.message}` } : atomic) };
    }
    const r = specStep(before, specCmd);
    sides.spec = r.state;
    sides.specSyms.bind(st, r.result);
    rememberBinds(sides, st, specCmd, r.result, r.state);
    const at = (impl: Result<unknown> | null, v: Violation | null): StepRecord => ({ cmd: specCmd, ...(linux.fired ? { injected: true } : {}), spec: r, impl, violation: v });
    if (log) return at(linux.result, log);
    let result = linux.result;
    if ('env' in specCmd && specCmd.env === 'DMA' && r.result.ok) {
      const seen = dmaProbes(sides, r.state, before, specCmd.dev, specCmd.pasid, specCmd.iova);
      // a write the spec says dirtied a page: the mock's stand-in for the device's write, after the translation checks
      const d = r.rule === 'DMA.ok.dirty' && Array.isArray(seen) ? [...seen, ...dirtyWrite(sides, specCmd.dev, specCmd.iova)] : seen;
      if (d !== null && !Array.isArray(d)) return at(null, { ...d, step: index });
      const wrong = d === null ? null : probe(sides, d, index);
      if (wrong) return at(null, wrong);
      // the page the spec's DMA reaches is the one Linux's domain maps: its answer, as far as the test port can tell
      // (nothing to ask — a PASID, a device attached nowhere — is no answer)
      result = d === null || d.length === 0 ? null : r.result;
    }
    if (result === null) return at(null, null); // nothing Linux can say about this step
    sides.implSyms.bind(st, result);
    if (!sameResult(sides, specCmd, before, r.result, result)) {
      return at(result, { property: resultProperty(specCmd, r.result, result), step: index, message: `${r.rule}: the spec answers ${resultText(r.result)}, Linux ${resultText(result)}` });
    }
    const seen = probe(sides, [...mapProbes(sides, r.state, before), ...pinProbes(sides, r.state)], index);
    return at(result, seen && { ...seen, message: `after ${stepName(st.cmd)}: ${seen.message}` });
  }

  return {
    vm: guest,
    shutdown() {
      vm?.close();
      vm = null;
      live = null;
    },
    origin: () => ({ linux: guest().release }),
    start(t: TraceHeader): LinuxSides {
      const problem = linuxProblem(t);
      if (problem) throw new Error(problem);
      if (live) {
        try {
          live.end(); // a trace that stopped at a failure left its session open
        } catch {
          vm?.close();
          vm = null;
        }
        live = null;
      }
      const world = worldOf(machineOf(t.profile, t.hardware), t.memlockPages, t.kernel);
      let session = new Session(guest());
      try {
        session.begin(BigInt(world.memlockPages) * 4096n);
      } catch {
        vm?.close(); // a guest that cannot start a session is of no use: boot a fresh one
        vm = null;
        session = new Session(guest());
        session.begin(BigInt(world.memlockPages) * 4096n);
      }
      live = session;
      const files = new Map<number, RealFile>();
      const returned = new Set<number>();
      return {
        spec: initialState(world, DESIGNS[t.design]), specSyms: new Bindings(), implSyms: new Bindings(), session, files,
        vfio: new MockVfio(session, files, returned), returned, objSyms: new Map(), opens: 0, mapped: [], observer: null,
      };
    },
    step: runStep,
    end(sides: LinuxSides): Violation | null {
      for (const fd of Object.keys(sides.spec.fds)) sides.spec = specStep(sides.spec, { env: 'CLOSE', fd: Number(fd) as never }).state;
      try {
        for (const fd of [...sides.files.keys()].sort((a, b) => a - b)) closeFd(sides, fd);
        const leak = noLeak(sides.spec);
        if (leak) return { property: 'P-NOLEAK', step: 0, message: leak };
        const closing = logged(sides, 0) ?? probe(sides, leakProbes(sides), 0);
        live = null;
        sides.session.end();
        return closing ?? logged(sides, 0);
      } catch (e) {
        if (!(e instanceof SessionDied) && !(e instanceof VmDied)) throw e;
        return crashed(e, 0);
      }
    },
  };
}
