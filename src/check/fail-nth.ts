/**
 * fail_nth over a trace, as the kernel's `iommufd_fail_nth` selftest sweeps its calls: for every step in turn,
 * fail its 1st, 2nd, ... allocation (until the step has no more), run the trace up to that step, and check that
 * the call failed and changed nothing (P-ATOMIC) and that closing everything gives every allocation back
 * (P-NOLEAK), besides every check a replay makes.
 */
import type { KernelFactory, Violation } from './differential.js';
import type { Driver } from './driver.js';
import { replaySteps } from './replay.js';
import type { Trace, TraceStep } from './trace.js';

export interface FailNthSweep {
  /** injection points swept (allocations failed, one per replay) */
  readonly points: number;
  /** steps with at least one allocation */
  readonly steps: number;
  /** the first injection point that broke a property */
  readonly failure: { readonly step: number; readonly nth: number; readonly violation: Violation } | null;
}

/** The trace up to step `i` (0-based), with that step's `nth` allocation failing (its own expectation dropped). */
function injectAt(steps: readonly TraceStep[], i: number, nth: number): TraceStep[] {
  const { expect: _expected, ...st } = steps[i]!; // i < steps.length
  return [...steps.slice(0, i), { ...st, failNth: nth }];
}

export function sweepFailNth(t: Trace, on?: Driver | KernelFactory): FailNthSweep {
  let points = 0;
  let steps = 0;
  for (let i = 0; i < t.steps.length; i++) {
    for (let nth = 1; ; nth++) {
      const o = replaySteps(t, injectAt(t.steps, i, nth), on);
      if (o.violation) return { points, steps, failure: { step: i + 1, nth, violation: o.violation } };
      if (!o.records[i]?.injected) break; // the step has fewer than nth allocations
      points++;
      if (nth === 1) steps++;
    }
  }
  return { points, steps, failure: null };
}
