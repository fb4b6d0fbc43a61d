/**
 * The differential step: one trace step on the spec and on the simulated kernel, then every check that applies,
 * first failure wins. Checks, in order: the spec's own invariants (wellFormed, P-PINCOUNT, P-IOVA-ALLOC,
 * P-OWNER); P-OVERFLOW (a wrapping range never succeeds); the results (same errno, same returned values; a DMA
 * may give any answer the spec allows); P-ATOMIC (a call the spec rejects changes nothing in the kernel);
 * observe() (files, objects, attachments, pins, charge); P-XLATE in the kernel; translation probes (P-INVAL:
 * the kernel's DMA answer must be one the spec allows, so a missing invalidation shows as a stale hit).
 * Incremental: each side says what a step touched — the spec by which of its tables are new objects (touchedParts,
 * routeInputs), the kernel by the stamps its structures keep (src/impl/hw/stamp.ts) — and only that is compared
 * and probed after the step. At the end of a trace the whole observation is compared and every route probed (a
 * kernel that changes a part without stamping it is caught there), then every fd is closed on both sides and
 * P-NOLEAK required.
 * Anything the simulated kernel throws is a kernel finding, never a crash of the check: its WARN_ON is P-WARN,
 * any other exception (a kernel oops: a null dereference, a broken invariant of a JS structure) is P-OOPS.
 */
import { clock, createKernel, observe as observeKernel, OBSERVE_PARTS, touchedSince, type Allocator, type AllocKind, type Kernel } from '../impl/index.js';
import { checkInvariants, DESIGNS, exitProcess, initialState, noLeak, observe as observeSpec, observeLocked, observePart, step, touchedParts, type State, type StepResult } from '../spec/index.js';
import { machineOf, OBS_PARTS, U64_MAX, worldOf, xlateLine, type Cmd, type DesignName, type HwKind, type KernelVersion, type MachineProfile, type Observation, type ObsPart, type ProfileName, type Result, type World, type Xlate } from '../uapi/index.js';
import { KernelWarn } from '../impl/warn.js';
import { coveredBy } from '../spec/ranges.js';
import { answer, isAssertCmd, xlateOut, type AssertCmd } from './assert.js';
import { kernelLeaks, pageRequestsAnswered, xlateConsistent } from './kernel-properties.js';
import { probeRoutes, touchedRoutes } from './probes.js';
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
  /**
   * The kernel's observation, part by part, as last read: a step compares only the parts either side touched, and
   * a call that failed must leave each part it touched as it was here (P-ATOMIC).
   */
  readonly seen: Record<ObsPart, string>;
  /** the kernel's locked pages after the last step */
  locked: number;
}

export function startSides(design: DesignName, hw: HwKind, memlockPages: number | undefined, factory: KernelFactory = createKernel, profile?: ProfileName | MachineProfile, kernel?: KernelVersion): Sides {
  const world = worldOf(machineOf(profile, hw), memlockPages, kernel);
  const balance = new Balance();
  const k = factory(design, world, balance);
  const seen = Object.fromEntries(OBS_PARTS.map((p) => [p, kernelPart(k, p)])) as Record<ObsPart, string>;
  return { spec: initialState(world, DESIGNS[design]), kernel: k, balance, specSyms: new Bindings(), implSyms: new Bindings(), seen, locked: k.mm.lockedTotal };
}

const show = (x: unknown) => JSON.stringify(x, encode);

/**
 * One part of an observation as compared: one line per entry, every field (a mismatch is reported in JSON, from
 * the views themselves: `observationDiffers`).
 */
const TEXT: { readonly [P in ObsPart]: (v: Pick<Observation, ObsPart>[P]) => string } = {
  files: (v) => v.map((f) => `${f.file} ${f.kind} ${f.fds.join(',')}`).join('\n'),
  objects: (v) => v.map((o) => `${o.file}:${o.id} ${o.kind}`).join('\n'),
  attachments: (v) => v.map((a) => `${a.dev} ${a.pasid} ${a.file}:${a.id}`).join('\n'),
  pins: (v) => v.map((r) => `${r.page}-${r.last}x${r.holders}`).join('\n'),
  pageRequests: (v) => v.map((r) => `${r.serial} ${r.dev} ${r.answers.join(',')}`).join('\n'),
};
const partText = <P extends ObsPart>(p: P, v: Pick<Observation, ObsPart>[P]): string => TEXT[p](v);

/** One part of the kernel's observation as compared. */
const kernelPart = (k: Kernel, p: ObsPart): string => partText(p, OBSERVE_PARTS[p](k));

/** One part of the spec's observation as compared, computed once per state object (a rejected call returns the same object). */
const specParts = new WeakMap<State, Partial<Record<ObsPart, string>>>();
function specPart(s: State, p: ObsPart): string {
  let m = specParts.get(s);
  if (m === undefined) specParts.set(s, (m = {}));
  return (m[p] ??= partText(p, observePart(s, p)));
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
 * The property a result disagreement breaks: a FAULT fd's reads and writes (RFC v1: its ring's, and its completion) are P-FAULT's, a dirty bitmap P-DIRTY's (when
 * both sides answered), destroy/free answers are P-DESTROY's; P-IOVA-ALLOC only when both
 * sides accepted a map/copy without FIXED_IOVA and chose different IOVAs; anything else is a plain differential
 * failure (its message names the rule the spec applied, so a missing permission check reads as one).
 */
export function resultProperty(c: Cmd, spec: Result<unknown>, impl: Result<unknown>): string {
  // what a FAULT fd (RFC v1: the ring) delivers and which responses it takes is how a page request is answered once
  if ('env' in c && (c.env === 'FAULT_READ' || c.env === 'FAULT_WRITE' || c.env === 'FAULT_RING_READ')) return 'P-FAULT';
  if (!('ioctl' in c)) return 'differential';
  if (c.ioctl === 'IOASID_PAGE_RESPONSE') return 'P-FAULT';
  if (c.ioctl === 'IOMMU_DESTROY' || c.ioctl === 'IOASID_FREE') return 'P-DESTROY';
  if (c.ioctl === 'IOMMU_HWPT_GET_DIRTY_BITMAP' && spec.ok && impl.ok) return 'P-DIRTY';
  const autoIova = (c.ioctl === 'IOMMU_IOAS_MAP' || c.ioctl === 'IOMMU_IOAS_COPY') && (c.flags & 1) === 0;
  if (autoIova && spec.ok && impl.ok) return 'P-IOVA-ALLOC';
  return 'differential';
}

type Runs = readonly { readonly start: bigint; readonly last: bigint }[];
const runsText = (rs: Runs) => rs.map((r) => `0x${r.start.toString(16)}..0x${r.last.toString(16)}`).join(', ');

/**
 * P-DIRTY on one GET_DIRTY_BITMAP: the kernel reports every page the spec has dirty (written since its last clear) and
 * nothing outside those and the maybe-dirty ones (a cleared bit stays clear until the next write). Null when it holds.
 */
export function dirtyDiffers(spec: { dirty: Runs; maybe?: Runs }, impl: { dirty: Runs }): string | null {
  const missed = spec.dirty.filter((r) => !coveredBy(r, impl.dirty));
  if (missed.length > 0) return `pages written since their last clear are not reported dirty: ${runsText(missed)} (the kernel reports ${runsText(impl.dirty) || 'none'})`;
  const allowed = [...spec.dirty, ...(spec.maybe ?? [])];
  const extra = impl.dirty.filter((r) => !coveredBy(r, allowed));
  return extra.length === 0 ? null : `pages no device wrote since their last clear are reported dirty: ${runsText(extra)} (the spec has ${runsText(spec.dirty) || 'none'})`;
}

/** Compare one result pair; null when they agree. */
function compareResults(c: Cmd, spec: Result<unknown>, impl: Result<unknown>): string | null {
  if ('ioctl' in c && c.ioctl === 'IOMMU_HWPT_GET_DIRTY_BITMAP' && spec.ok && impl.ok) {
    return dirtyDiffers(spec.out as { dirty: Runs; maybe?: Runs }, impl.out as { dirty: Runs });
  }
  if ('env' in c && c.env === 'DMA' && spec.ok && impl.ok) {
    const s = spec.out as { xlate: Xlate; stale: readonly Xlate[] };
    const got = xlateLine((impl.out as { xlate: Xlate }).xlate);
    const allowed = [s.xlate, ...s.stale].map(xlateLine);
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
  const r = step(before, specCmd);
  // everything the kernel's structures stamp after this tick, this step touched
  const since = clock();
  const run = inKernel(() => {
    sides.balance.arm(st.failNth ?? null);
    try {
      return sides.kernel.run(implCmd);
    } finally {
      sides.balance.arm(null);
    }
  });
  if (st.failNth !== undefined && sides.balance.fired) return injectedStep(sides, specCmd, before, run, since, index);
  sides.spec = r.state;
  sides.specSyms.bind(st, r.result);
  if (!run.ok) return { cmd: specCmd, spec: r, impl: null, violation: { property: run.property, step: index, message: run.message } };
  const ir = run.value;
  sides.implSyms.bind(st, ir);
  const at = (property: string, message: string): StepRecord => ({ cmd: specCmd, spec: r, impl: ir, violation: { property, step: index, message } });
  const checked = inKernel(() => afterStep(sides, specCmd, r, before, ir, since, probe, at));
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
function injectedStep(sides: Sides, specCmd: Cmd, before: State, run: ReturnType<typeof inKernel<Result<unknown>>>, since: number, index: number): StepRecord {
  const spec: StepResult = { state: before, result: { ok: false, errno: 'ENOMEM' }, rule: 'fail_nth.injected' as StepResult['rule'], partial: false };
  if (!run.ok) return { cmd: specCmd, injected: true, spec, impl: null, violation: { property: run.property, step: index, message: run.message } };
  const ir = run.value;
  const at = (message: string): StepRecord => ({ cmd: specCmd, injected: true, spec, impl: ir, violation: { property: 'P-ATOMIC', step: index, message } });
  if (ir.ok) return at('an allocation failed (fail_nth), yet the call succeeded');
  const changed = inKernel(() => changedParts(sides, since));
  if (!changed.ok) return { cmd: specCmd, injected: true, spec, impl: ir, violation: { property: changed.property, step: index, message: changed.message } };
  if (changed.value.names.length > 0) return at(`an allocation failed (fail_nth) and the call answered ${ir.errno}, but the kernel's ${changed.value.names.join(', ')} changed`);
  return { cmd: specCmd, injected: true, spec, impl: ir, violation: null };
}

/**
 * The parts of the kernel's observation (and its locked pages) a step changed: each part it touched is read again
 * and recorded in `sides.seen`; those whose view differs from before are returned, with whether its mappings changed.
 */
function changedParts(sides: Sides, since: number): { readonly parts: ObsPart[]; readonly names: string[]; readonly mappings: boolean } {
  const k = sides.kernel;
  const parts: ObsPart[] = [];
  const touched = touchedSince(k, since);
  for (const p of touched.parts) {
    const now = kernelPart(k, p);
    if (now !== sides.seen[p]) parts.push(p);
    sides.seen[p] = now;
  }
  const locked = k.mm.lockedTotal !== sides.locked;
  sides.locked = k.mm.lockedTotal;
  return { parts, names: locked ? [...parts, 'locked pages'] : parts, mappings: touched.mappings };
}

/**
 * Every check after both sides ran the step (the kernel's observation and probes may WARN too). The observation is
 * compared part by part, only where either side touched it; probes only on the routes either side touched.
 */
function afterStep(sides: Sides, specCmd: Cmd, r: StepResult, before: State, ir: Result<unknown>, since: number, probe: boolean, at: (property: string, message: string) => StepRecord): StepRecord {
  // a call that changed nothing in the spec leaves its invariants as they were (they held before it)
  const inv = r.state === before ? null : checkInvariants(r.state);
  if (inv) return at(inv.split(':')[0] ?? 'wellFormed', inv);
  if (wraps(specCmd) && (r.result.ok || ir.ok)) return at('P-OVERFLOW', `a wrapping range succeeded (${r.result.ok ? 'spec' : 'kernel'})`);
  const bad = compareResults(specCmd, r.result, ir);
  if (bad) return at(resultProperty(specCmd, r.result, ir), `${r.rule}: ${bad}`);
  const k = sides.kernel;
  const changed = changedParts(sides, since);
  if (!r.result.ok && !r.partial && changed.names.length > 0) return at('P-ATOMIC', `${r.rule} failed in both, but the kernel's ${changed.names.join(', ')} changed`);
  const differs = observationDiffers(sides, [...new Set([...touchedParts(before, r.state), ...changed.parts])]);
  if (differs) return at(differs.property, differs.message);
  if (changed.mappings) {
    const x = xlateConsistent(k);
    if (x) return at('P-XLATE', x);
  }
  if (probe) {
    const p = probeRoutes(k, r.state, before, touchedRoutes(k, r.state, before, since));
    if (p) return at('P-INVAL', p);
  }
  return { cmd: specCmd, spec: r, impl: ir, violation: null };
}

/** The property an observation difference in a part breaks: the page requests' answers are P-FAULT's, the rest differential. */
const PART_PROPERTY: Partial<Record<ObsPart, string>> = { pageRequests: 'P-FAULT' };

/**
 * Compare the parts `parts` (and the locked pages) of the spec's observation with the kernel's as last read: the
 * property the first difference breaks and one line, or null.
 */
function observationDiffers(sides: Sides, parts: readonly ObsPart[]): { readonly property: string; readonly message: string } | null {
  for (const p of parts) {
    const want = specPart(sides.spec, p);
    if (want !== sides.seen[p]) return { property: PART_PROPERTY[p] ?? 'differential', message: `observe() differs in ${p}: spec ${show(observePart(sides.spec, p))} kernel ${show(OBSERVE_PARTS[p](sides.kernel))}` };
  }
  const locked = observeLocked(sides.spec);
  return locked === sides.locked ? null : { property: 'differential', message: `observe() differs in lockedPages: spec ${locked} kernel ${sides.locked}` };
}

/**
 * The whole comparison, whatever the steps said they touched: every part read again from the kernel, P-XLATE, and
 * (with probes) every route. A kernel that changed something without stamping it is found here.
 */
function wholeComparison(sides: Sides, probe: boolean): Violation | null {
  const k = sides.kernel;
  for (const p of OBS_PARTS) sides.seen[p] = kernelPart(k, p);
  sides.locked = k.mm.lockedTotal;
  const at = (property: string, message: string): Violation => ({ property, step: 0, message: `at the end of the trace: ${message}` });
  const differs = observationDiffers(sides, OBS_PARTS);
  if (differs) return at(differs.property, differs.message);
  const x = xlateConsistent(k);
  if (x) return at('P-XLATE', x);
  const p = probe ? probeRoutes(k, sides.spec, sides.spec, null) : null;
  return p ? at('P-INVAL', p) : null;
}

/**
 * End-of-trace obligations: the whole observation and every route compared once more (what no step said it
 * touched), then every fd closed on both sides (the process exits) and nothing may be left (P-NOLEAK).
 */
export function endOfTrace(sides: Sides, probe = true): Violation | null {
  const whole = inKernel(() => wholeComparison(sides, probe));
  if (!whole.ok) return { property: whole.property, step: 0, message: `at the end of the trace: ${whole.message}` };
  if (whole.value) return whole.value;
  sides.spec = exitProcess(sides.spec);
  const closed = inKernel(() => {
    for (const fd of [...sides.kernel.fds.keys()]) sides.kernel.close(fd);
  });
  if (!closed.ok) return { property: closed.property, step: 0, message: `closing every fd: ${closed.message}` };
  const unanswered = pageRequestsAnswered(sides.kernel);
  if (unanswered) return { property: 'P-FAULT', step: 0, message: unanswered };
  const leak = noLeak(sides.spec) ?? kernelLeaks(sides.kernel, sides.balance.outstanding);
  return leak ? { property: 'P-NOLEAK', step: 0, message: leak } : null;
}
