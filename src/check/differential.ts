/**
 * The differential step: one trace step on the spec and on the simulated kernel, then every check that applies,
 * first failure wins. Checks, in order: the spec's own invariants (wellFormed, P-PINCOUNT, P-IOVA-ALLOC,
 * P-OWNER); P-OVERFLOW (a wrapping range never succeeds); the results (same errno, same returned values; a DMA
 * may give any answer the spec allows); P-ATOMIC (a call the spec rejects changes nothing in the kernel);
 * observe() (files, objects, attachments, pins, charge); P-XLATE in the kernel; translation probes (P-INVAL:
 * the kernel's DMA answer must be one the spec allows, so a missing invalidation shows as a stale hit).
 * At the end of a trace: close every fd on both sides and require P-NOLEAK.
 * Anything the simulated kernel throws is a kernel finding, never a crash of the check: its WARN_ON is P-WARN,
 * any other exception (a kernel oops: a null dereference, a broken invariant of a JS structure) is P-OOPS.
 */
import { createKernel, observe as observeKernel, type Allocator, type AllocKind, type Kernel } from '../impl/index.js';
import { checkInvariants, DESIGNS, initialState, noLeak, observe as observeSpec, step, type State, type StepResult } from '../spec/index.js';
import { machineOf, U64_MAX, worldOf, type Access, type Cmd, type DesignName, type HwKind, type KernelVersion, type MachineProfile, type Observation, type ProfileName, type Result, type World, type Xlate } from '../uapi/index.js';
import { KernelWarn } from '../impl/warn.js';
import { answer, isAssertCmd, xlateOut, type AssertCmd } from './assert.js';
import { kernelLeaks, xlateConsistent } from './kernel-properties.js';
import { Bindings, encode, type TraceStep } from './trace.js';

/**
 * A finding thrown out of the simulated kernel: the property it breaks and one line on what happened; null when
 * the exception did not come from the kernel (its innermost frame of ours is outside src/impl/).
 */
export function kernelFault(e: unknown): { property: 'P-WARN' | 'P-OOPS'; message: string } | null {
  if (e instanceof KernelWarn) return { property: 'P-WARN', message: e.message };
  if (!(e instanceof Error)) return null;
  const frame = e.stack?.split('\n').find((l) => /\/src\//.test(l) && !l.includes('/node_modules/'));
  if (!frame?.includes('/src/impl/')) return null;
  const where = frame.trim().replace(/^at /, '').replace(/\(?[^ ]*\/src\//, 'src/').replace(/\)$/, '');
  return { property: 'P-OOPS', message: `BUG: the kernel crashed: ${e.name}: ${e.message} (${where})` };
}

/** Run `f` against the kernel; a thrown fault becomes its value. */
function inKernel<T>(f: () => T): { ok: true; value: T } | { ok: false; property: string; message: string } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    const fault = kernelFault(e);
    if (fault === null) throw e; // not the kernel's: a bug in ioasid-lab itself
    return { ok: false, ...fault };
  }
}

export interface Violation {
  readonly property: string;
  /** 1-based step, 0 for the end-of-trace obligations */
  readonly step: number;
  readonly message: string;
}

/** Builds the kernel under test (tests pass one with an injected bug). */
export type KernelFactory = (design: DesignName, world: World, alloc: Allocator) => Kernel;

/** The kernel's allocator: counts what is outstanding (P-NOLEAK) and, when armed, fails the nth allocation. */
class Balance implements Allocator {
  readonly outstanding = new Map<AllocKind, number>();
  private failAt: number | null = null;
  private seen = 0;
  /** whether the armed failure was injected */
  fired = false;
  /** fail the `nth` allocation from now on (null: none); `fired` tells afterwards whether it happened */
  arm(nth: number | null) {
    this.failAt = nth;
    this.seen = 0;
    if (nth !== null) this.fired = false;
  }
  alloc(kind: AllocKind) {
    if (this.failAt !== null && ++this.seen === this.failAt) {
      this.fired = true;
      return false;
    }
    this.outstanding.set(kind, (this.outstanding.get(kind) ?? 0) + 1);
    return true;
  }
  free(kind: AllocKind) {
    this.outstanding.set(kind, (this.outstanding.get(kind) ?? 0) - 1);
  }
}

export interface Sides {
  spec: State;
  readonly kernel: Kernel;
  readonly balance: Balance;
  readonly specSyms: Bindings;
  readonly implSyms: Bindings;
  /** the kernel's comparable observation after the last step (null before the first, or after a failed check) */
  lastImpl?: string;
}

export function startSides(design: DesignName, hw: HwKind, memlockPages: number | undefined, factory: KernelFactory = createKernel, profile?: ProfileName | MachineProfile, kernel?: KernelVersion): Sides {
  const world = worldOf(machineOf(profile, hw), memlockPages, kernel);
  const balance = new Balance();
  return { spec: initialState(world, DESIGNS[design]), kernel: factory(design, world, balance), balance, specSyms: new Bindings(), implSyms: new Bindings() };
}

const show = (x: unknown) => JSON.stringify(x, encode);
const xkey = (x: Xlate) => (x.kind === 'hit' ? `hit 0x${x.hpa.toString(16)}` : `fault ${x.reason}`);
/** The spec's comparable observation, computed once per state object (a rejected call returns the same object). */
const specSeen = new WeakMap<State, string>();
function specComparable(s: State, o: Observation): string {
  let c = specSeen.get(s);
  if (c === undefined) specSeen.set(s, (c = comparable(o)));
  return c;
}

/**
 * What two observations must agree on step by step (translation is compared through probes and DMA). An object's
 * users and areas (`detail`) are compared where a trace asks (assertion steps), not here: a refcount that drifts
 * shows as the WARN or the EBUSY it leads to, named for what it is.
 */
export const comparable = (o: Observation) => show({ files: o.files, objects: o.objects, attachments: o.attachments, pins: o.pins, lockedPages: o.lockedPages });
/** A result as compared: a failure's written-back outputs (EMSGSIZE's needed count) count too. */
const resultText = (r: Result<unknown>) => (r.ok ? `ok ${show(r.out)}` : r.out === undefined ? r.errno : `${r.errno} ${show(r.out)}`);

/** A u64 range in the command that wraps: P-OVERFLOW says such a call never succeeds. */
function wraps(c: Cmd): boolean {
  if (!('ioctl' in c)) return false;
  const pairs: [unknown, unknown][] = [];
  const x = c as unknown as Record<string, unknown>;
  if ('length' in x) pairs.push([x.iova ?? x.src_iova, x.length]);
  if ('size' in x && 'iova' in x) pairs.push([x.iova, x.size]);
  if (c.ioctl === 'IOMMU_IOAS_UNMAP' && x.iova === 0n && x.length === U64_MAX) return false;
  return pairs.some(([a, n]) => typeof a === 'bigint' && typeof n === 'bigint' && n > 0n && a + n - 1n > U64_MAX);
}

/**
 * Addresses worth probing: around every area of the spec now and before the step (an address just unmapped is
 * where a missing invalidation shows), guest stage-1 entries, and a few fixed ones.
 */
function probes(s: State, before: State): { dev: string; pasid: number | null; iova: bigint }[] {
  const iovas = new Set<bigint>([0n, 0x1000n]);
  for (const st of [s, before]) {
    for (const o of Object.values(st.objects)) {
      if (!('areas' in o)) continue;
      for (const a of o.areas) for (const v of [a.start, a.last, a.last + 1n]) if (v <= U64_MAX) iovas.add(v);
    }
  }
  for (const t of Object.values(s.guestPgtables)) for (const vpn of Object.keys(t)) iovas.add(BigInt(vpn) << 12n);
  const routes = new Set<string>(s.world.devices.map((d) => `${d.name}|`));
  for (const a of s.attachments) if (a.pasid !== null) routes.add(`${a.dev}|${a.pasid}`);
  const out: { dev: string; pasid: number | null; iova: bigint }[] = [];
  for (const r of routes) {
    const [dev, p] = r.split('|') as [string, string];
    for (const iova of iovas) out.push({ dev, pasid: p === '' ? null : Number(p), iova });
  }
  return out;
}

/**
 * The property a result disagreement breaks: destroy/free answers are P-DESTROY's; P-IOVA-ALLOC only when both
 * sides accepted a map/copy without FIXED_IOVA and chose different IOVAs; anything else is a plain differential
 * failure (its message names the rule the spec applied, so a missing permission check reads as one).
 */
export function resultProperty(c: Cmd, spec: Result<unknown>, impl: Result<unknown>): string {
  if (!('ioctl' in c)) return 'differential';
  if (c.ioctl === 'IOMMU_DESTROY' || c.ioctl === 'IOASID_FREE') return 'P-DESTROY';
  const autoIova = (c.ioctl === 'IOMMU_IOAS_MAP' || c.ioctl === 'IOMMU_IOAS_COPY') && (c.flags & 1) === 0;
  if (autoIova && spec.ok && impl.ok) return 'P-IOVA-ALLOC';
  return 'differential';
}

/** Compare one result pair; null when they agree. */
function compareResults(c: Cmd, spec: Result<unknown>, impl: Result<unknown>): string | null {
  if ('env' in c && c.env === 'DMA' && spec.ok && impl.ok) {
    const s = spec.out as { xlate: Xlate; stale: readonly Xlate[] };
    const got = xkey((impl.out as { xlate: Xlate }).xlate);
    const allowed = [s.xlate, ...s.stale].map(xkey);
    return allowed.includes(got) ? null : `DMA: the kernel gave ${got}, the spec allows ${allowed.join(' | ')}`;
  }
  const a = resultText(spec);
  const b = resultText(impl);
  return a === b ? null : `the spec answers ${a}, the kernel ${b}`;
}

export interface StepRecord {
  /** the command as the spec ran it, symbols resolved (an assertion step's query) */
  readonly cmd: Cmd | AssertCmd;
  /** the step's fail_nth was injected: the kernel's call failed on it and the spec did not take the step */
  readonly injected?: boolean;
  readonly spec: StepResult;
  /** null: the kernel did not return (it WARNed or crashed: the step's violation says which) */
  readonly impl: Result<unknown> | null;
  readonly violation: Violation | null;
}

/** Run one step on both sides (resolving its symbols separately on each) and check everything that applies. */
export function diffStep(sides: Sides, st: TraceStep, index: number, probe = true): StepRecord {
  if (isAssertCmd(st.cmd)) return assertStep(sides, st, index);
  const specCmd = sides.specSyms.resolve(st.cmd);
  const implCmd = sides.implSyms.resolve(st.cmd);
  const before = sides.spec;
  // the kernel's observation after the previous step is its observation before this one
  const r = step(before, specCmd);
  const run = inKernel(() => {
    const beforeImpl = sides.lastImpl ?? comparable(observeKernel(sides.kernel));
    sides.balance.arm(st.failNth ?? null);
    try {
      return { beforeImpl, ir: sides.kernel.run(implCmd) };
    } finally {
      sides.balance.arm(null);
    }
  });
  if (st.failNth !== undefined && sides.balance.fired) return injectedStep(sides, specCmd, before, run, index);
  sides.spec = r.state;
  sides.specSyms.bind(st, r.result);
  if (!run.ok) return { cmd: specCmd, spec: r, impl: null, violation: { property: run.property, step: index, message: run.message } };
  const { beforeImpl, ir } = run.value;
  sides.implSyms.bind(st, ir);
  const at = (property: string, message: string): StepRecord => ({ cmd: specCmd, spec: r, impl: ir, violation: { property, step: index, message } });
  const checked = inKernel(() => afterStep(sides, specCmd, r, before, ir, beforeImpl, probe, at));
  return checked.ok ? checked.value : at(checked.property, checked.message);
}

/**
 * An assertion step: each side answers the query from its own observation (nothing runs, nothing changes); the
 * answers must agree as results do (a DMA probe: the kernel's answer must be one the spec allows, a not yet
 * invalidated IOTLB entry included).
 */
function assertStep(sides: Sides, st: TraceStep, index: number): StepRecord {
  const specQ = sides.specSyms.resolve(st.cmd) as unknown as AssertCmd;
  const implQ = sides.implSyms.resolve(st.cmd) as unknown as AssertCmd;
  const os = observeSpec(sides.spec);
  const spec: StepResult = { state: sides.spec, result: { ok: true, out: answer(os, specQ) }, rule: `ASSERT.${specQ.assert}` as StepResult['rule'], partial: false };
  const got = inKernel(() => answer(observeKernel(sides.kernel), implQ));
  if (!got.ok) return { cmd: specQ, spec, impl: null, violation: { property: got.property, step: index, message: got.message } };
  const impl: Result<unknown> = { ok: true, out: got.value };
  let bad: string | null = null;
  if (specQ.assert === 'DMA') {
    const t = os.translate(specQ.dev, specQ.pasid, specQ.iova, specQ.access);
    const allowed = [t.xlate, ...t.stale].map((x) => show(xlateOut(x)));
    if (!allowed.includes(show(got.value))) bad = `the kernel answers ${show(got.value)}, the spec allows ${allowed.join(' | ')}`;
  } else if (show(spec.result) !== show(impl)) bad = `the spec answers ${show(spec.result.ok ? spec.result.out : null)}, the kernel ${show(got.value)}`;
  return { cmd: specQ, spec, impl, violation: bad === null ? null : { property: 'differential', step: index, message: `ASSERT ${specQ.assert}: ${bad}` } };
}

/**
 * A step whose fail_nth fired: the kernel must fail the call (an allocation it did not get cannot be used) and
 * leave everything observable as it was (P-ATOMIC); the spec does not take the step, so both stay in step.
 */
function injectedStep(sides: Sides, specCmd: Cmd, before: State, run: ReturnType<typeof inKernel<{ beforeImpl: string; ir: Result<unknown> }>>, index: number): StepRecord {
  const spec: StepResult = { state: before, result: { ok: false, errno: 'ENOMEM' }, rule: 'fail_nth.injected' as StepResult['rule'], partial: false };
  if (!run.ok) return { cmd: specCmd, injected: true, spec, impl: null, violation: { property: run.property, step: index, message: run.message } };
  const { beforeImpl, ir } = run.value;
  const at = (message: string): StepRecord => ({ cmd: specCmd, injected: true, spec, impl: ir, violation: { property: 'P-ATOMIC', step: index, message } });
  if (ir.ok) return at('an allocation failed (fail_nth), yet the call succeeded');
  const after = inKernel(() => comparable(observeKernel(sides.kernel)));
  if (!after.ok) return { cmd: specCmd, injected: true, spec, impl: ir, violation: { property: after.property, step: index, message: after.message } };
  if (after.value !== beforeImpl) return at(`an allocation failed (fail_nth) and the call answered ${ir.errno}, but the kernel's state changed`);
  sides.lastImpl = beforeImpl;
  return { cmd: specCmd, injected: true, spec, impl: ir, violation: null };
}

/** Every check after both sides ran the step (the kernel's observation and probes may WARN too). */
function afterStep(sides: Sides, specCmd: Cmd, r: StepResult, before: State, ir: Result<unknown>, beforeImpl: string, probe: boolean, at: (property: string, message: string) => StepRecord): StepRecord {
  // a call that changed nothing in the spec leaves its invariants as they were (they held before it)
  const inv = r.state === before ? null : checkInvariants(r.state);
  if (inv) return at(inv.split(':')[0] ?? 'wellFormed', inv);
  if (wraps(specCmd) && (r.result.ok || ir.ok)) return at('P-OVERFLOW', `a wrapping range succeeded (${r.result.ok ? 'spec' : 'kernel'})`);
  const bad = compareResults(specCmd, r.result, ir);
  if (bad) return at(resultProperty(specCmd, r.result, ir), `${r.rule}: ${bad}`);
  const obsImpl = observeKernel(sides.kernel);
  if (!r.result.ok && !r.partial && comparable(obsImpl) !== beforeImpl) return at('P-ATOMIC', `${r.rule} failed in both, but the kernel's state changed`);
  const os = observeSpec(r.state);
  const a = specComparable(r.state, os);
  const b = comparable(obsImpl);
  sides.lastImpl = b;
  if (a !== b) return at('differential', `observe() differs: spec ${a} kernel ${b}`);
  const x = xlateConsistent(sides.kernel);
  if (x) return at('P-XLATE', x);
  if (probe) {
    for (const p of probes(r.state, before)) {
      for (const access of ['read', 'write'] as Access[]) {
        const want = os.translate(p.dev as never, p.pasid, p.iova, access);
        const got = xkey(obsImpl.translate(p.dev as never, p.pasid, p.iova, access).xlate);
        const allowed = [want.xlate, ...want.stale].map(xkey);
        if (!allowed.includes(got)) {
          return at('P-INVAL', `${p.dev}${p.pasid === null ? '' : ` pasid ${p.pasid}`} ${access} at 0x${p.iova.toString(16)}: the kernel gives ${got}, the spec allows ${allowed.join(' | ')}`);
        }
      }
    }
  }
  return { cmd: specCmd, spec: r, impl: ir, violation: null };
}

/** End-of-trace obligations: close every fd on both sides, then nothing may be left (P-NOLEAK). */
export function endOfTrace(sides: Sides): Violation | null {
  for (const fd of Object.keys(sides.spec.fds)) sides.spec = step(sides.spec, { env: 'CLOSE', fd: Number(fd) as never }).state;
  const closed = inKernel(() => {
    for (const fd of [...sides.kernel.fds.keys()]) sides.kernel.close(fd);
  });
  if (!closed.ok) return { property: closed.property, step: 0, message: `closing every fd: ${closed.message}` };
  const leak = noLeak(sides.spec) ?? kernelLeaks(sides.kernel, sides.balance.outstanding);
  return leak ? { property: 'P-NOLEAK', step: 0, message: leak } : null;
}
