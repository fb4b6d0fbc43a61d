/**
 * Replay: run a trace on the spec and the simulated kernel with every differential check, and compare each step
 * with what the trace itself expects (`expect` on hand-written steps). Used by check (to re-run and shrink),
 * by `ioasid-lab replay`, and by the test suite for every file under counterexamples/.
 */
import type { Result } from '../uapi/index.js';
import type { KernelFactory, StepRecord, Violation } from './differential.js';
import { asDriver, type Driver, type TraceHeader } from './driver.js';
import { encode, isFailureExpect, stepName, type StepExpect, type Trace, type TraceStep } from './trace.js';

export interface ReplayOutcome {
  readonly records: readonly StepRecord[];
  /** the first broken property, or null */
  readonly violation: Violation | null;
  /** steps whose spec or kernel result differs from the step's own `expect` */
  readonly unexpected: readonly { readonly step: number; readonly side: 'spec' | 'kernel'; readonly message: string }[];
}

const show = (x: unknown) => JSON.stringify(x, encode);

/** Whether a result meets a step's expectation; a reason when it does not. */
export function meets(r: Result<unknown>, e: StepExpect): string | null {
  if (e === 'ok') return r.ok ? null : `expected ok, got ${r.errno}`;
  if (typeof e === 'string') return !r.ok && r.errno === e ? null : `expected ${e}, got ${r.ok ? 'ok' : r.errno}`;
  if (isFailureExpect(e)) {
    if (r.ok || r.errno !== e.errno) return `expected ${e.errno}, got ${r.ok ? 'ok' : r.errno}`;
    return outputs(r.out ?? {}, e.out ?? {}, ` written back with ${e.errno}`);
  }
  if (!r.ok) return `expected ${show(e)}, got ${r.errno}`;
  return outputs(r.out, e, '');
}

/** Whether `got` has every field of `want` with its value; the first one that differs. */
function outputs(got: unknown, want: { readonly [field: string]: unknown }, how: string): string | null {
  const out = got as Record<string, unknown>;
  for (const [k, v] of Object.entries(want)) if (show(out[k]) !== show(v)) return `expected ${k}=${show(v)}${how}, got ${show(out[k])}`;
  return null;
}

/** Replay `steps` under the header of `t` on a driver's sides (default: the spec and the simulated kernel). */
export function replaySteps(t: TraceHeader, steps: readonly TraceStep[], on?: Driver | KernelFactory): ReplayOutcome {
  const driver = asDriver(on);
  const sides = driver.start(t);
  const records: StepRecord[] = [];
  const unexpected: { step: number; side: 'spec' | 'kernel'; message: string }[] = [];
  for (const [i, st] of steps.entries()) {
    const rec = driver.step(sides, st, i + 1);
    records.push(rec);
    if (st.expect !== undefined) {
      // symbols inside an expectation mean what each side bound them to (an IOVA each side chose)
      const a = meets(rec.spec.result, sides.specSyms.resolveExpect(st.expect));
      if (a) unexpected.push({ step: i + 1, side: 'spec', message: `${stepName(st.cmd)}: ${a}` });
      const b = rec.impl === null ? null : meets(rec.impl, sides.implSyms.resolveExpect(st.expect)); // a kernel that WARNed answers nothing
      if (b) unexpected.push({ step: i + 1, side: 'kernel', message: `${stepName(st.cmd)}: ${b}` });
    }
    if (rec.violation) return { records, violation: rec.violation, unexpected };
  }
  return { records, violation: driver.end(sides), unexpected };
}

export const replay = (t: Trace, on?: Driver | KernelFactory): ReplayOutcome => replaySteps(t, t.steps, on);
