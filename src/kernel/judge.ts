/**
 * One trace file judged on Linux (`ioasid-lab kernel replay`): run on the spec and on the booted kernel, on the
 * selftest-mock machine. A trace of another machine keeps its calls but not its own expectations (they were written
 * for that machine). A disagreement is `disagree`, unless the spec at the kernel's own version agrees: then it is a
 * listed version difference (src/uapi/kernel.ts, docs/kernel.md). A design that never shipped is skipped.
 */
import type { Driver } from '../check/driver.js';
import { sweepFailNth } from '../check/fail-nth.js';
import { replay, type ReplayOutcome } from '../check/replay.js';
import { readTraceFile, TraceError } from '../check/schema.js';
import type { Trace } from '../check/trace.js';
import { UAPI_AT, type KernelVersion } from '../uapi/index.js';
import { DESIGNS } from '../spec/index.js';
import { LINUX_PROFILE } from './linux-driver.js';

export interface LinuxJudgement {
  readonly file: string;
  readonly status: 'agree' | 'version' | 'disagree' | 'skipped' | 'bad-input';
  readonly summary: string;
}

/** A trace as Linux can run it: on the selftest mock, with the spec at `kernel`; a trace of another machine keeps its calls, not its own expectations. */
export function onLinux(t: Trace, kernel: KernelVersion): Trace {
  const native = t.profile === LINUX_PROFILE;
  return {
    ...t, profile: LINUX_PROFILE, hardware: 'host-pasid-table', kernel,
    steps: native ? t.steps : t.steps.map(({ expect: _e, ...st }) => st),
  };
}

const counts = (o: ReplayOutcome) => `${o.records.filter((r) => r.impl !== null).length} steps compared, ${o.records.filter((r) => r.impl === null).length} not observable`;

/** The fields of the version table where `a` and `b` differ. */
const differences = (a: KernelVersion, b: KernelVersion) => (Object.keys(UAPI_AT[a]) as (keyof (typeof UAPI_AT)[KernelVersion])[]).filter((k) => UAPI_AT[a][k] !== UAPI_AT[b][k]);

export function judgeOnLinux(file: string, driver: Driver, kernel: KernelVersion, native: KernelVersion, failNth: boolean): LinuxJudgement {
  let t: Trace;
  try {
    t = readTraceFile(file);
  } catch (e) {
    if (e instanceof TraceError) return { file, status: 'bad-input', summary: e.message };
    throw e;
  }
  if (DESIGNS[t.design].status !== 'merged') return { file, status: 'skipped', summary: `design ${t.design} never shipped: nothing to run on Linux` };
  const run = onLinux(t, kernel);
  const o = replay(run, driver);
  const where = t.profile === LINUX_PROFILE ? '' : ' (its calls, on the selftest-mock machine)';
  const bad = o.violation ?? o.unexpected[0] ?? null;
  if (bad === null) {
    if (!failNth) return { file, status: 'agree', summary: `agree${where}: ${counts(o)}` };
    const s = sweepFailNth(run, driver);
    if (s.failure) return { file, status: 'disagree', summary: `fail_nth: step ${s.failure.step}, injection ${s.failure.nth}: ${s.failure.violation.property}: ${s.failure.violation.message}` };
    return { file, status: 'agree', summary: `agree${where}: ${counts(o)}; fail_nth: ${s.points} injection points in ${s.steps} steps, each failed atomically` };
  }
  const what = 'property' in bad ? `${bad.property} at step ${bad.step}: ${bad.message}` : `step ${bad.step} (${bad.side}): ${bad.message}`;
  // a disagreement the spec at the kernel's own version does not have is a listed version difference
  if (kernel !== native && replay(onLinux(t, native), driver).violation === null) {
    return { file, status: 'version', summary: `differs as listed for ${native} (${differences(kernel, native).join(', ')}; docs/kernel.md): ${what}` };
  }
  return { file, status: 'disagree', summary: `DISAGREE${where}: ${what}` };
}
