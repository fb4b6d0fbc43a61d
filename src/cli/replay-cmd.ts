/**
 * `ioasid-lab replay FILE...`: load each trace (read strictly, schema-validated), replay it on the spec and the
 * simulated kernel, and judge it: a trace with an open verdict must still fail that way; any other trace must pass
 * and every step must meet its own `expect`. Every file gets its own line — ok or FAIL on stdout, or for a file
 * that cannot load, its one-line error on stderr — and the exit status is the worst of them: 2 if any file is bad
 * input, else 1 if any is not as recorded.
 */
import { replay, type ReplayOutcome } from '../check/replay.js';
import { readTraceFile, TraceError } from '../check/schema.js';
import type { Trace } from '../check/trace.js';
import { printable } from '../check/printable.js';
import { sweepFailNth } from '../check/fail-nth.js';

export interface Judgement {
  readonly file: string;
  readonly ok: boolean;
  readonly summary: string;
  readonly outcome: ReplayOutcome;
}

/** One file's result: judged, or not loadable (`bad`: the one-line reason). */
export type FileResult = { readonly status: 'ok' | 'failed'; readonly judgement: Judgement } | { readonly status: 'bad-input'; readonly file: string; readonly message: string };

/** Whether a replay matches what its trace records. */
export function judge(file: string, t: Trace, o: ReplayOutcome): Judgement {
  const v = o.violation;
  const unexpected = o.unexpected.map((u) => `step ${u.step} (${u.side}): ${u.message}`);
  if (t.verdict?.status === 'open') {
    const same = v !== null && v.property === t.verdict.property;
    return { file, ok: same, outcome: o, summary: same ? `still fails as recorded: ${v?.property} at step ${v?.step}` : `no longer fails as recorded (${t.verdict.property}): ${v ? `${v.property}: ${v.message}` : 'it passes now'} — set verdict.status to "fixed"` };
  }
  if (v) return { file, ok: false, outcome: o, summary: `${v.property} at step ${v.step}: ${v.message}` };
  if (unexpected.length > 0) return { file, ok: false, outcome: o, summary: unexpected.join('; ') };
  return { file, ok: true, outcome: o, summary: `ok (${t.steps.length} steps)` };
}

/** Load and judge one file; a TraceError (bad input) propagates. */
export function replayFile(file: string): Judgement {
  const t = readTraceFile(file);
  return judge(file, t, replay(t));
}

/**
 * A trace that replays as recorded, swept with fail_nth (fail-nth.ts): every allocation of every step fails in
 * turn, and each time the call must fail atomically and nothing may leak.
 */
function withFailNth(t: Trace, j: Judgement): Judgement {
  if (!j.ok) return j;
  const sweep = sweepFailNth(t);
  if (sweep.failure) {
    const f = sweep.failure;
    return { ...j, ok: false, summary: `fail_nth: step ${f.step}, allocation ${f.nth}: ${f.violation.property}${f.violation.step === 0 ? ' at the end' : ''}: ${f.violation.message}` };
  }
  return { ...j, summary: `${j.summary}; fail_nth: ${sweep.points} injection points in ${sweep.steps} steps, each failed atomically and leaked nothing` };
}

/** Load and judge one file, a bad one included; `failNth`: also sweep fail_nth over it. */
export function replayOne(file: string, failNth = false): FileResult {
  try {
    const t = readTraceFile(file);
    const plain = judge(file, t, replay(t));
    const j = failNth ? withFailNth(t, plain) : plain;
    return { status: j.ok ? 'ok' : 'failed', judgement: j };
  } catch (e) {
    if (e instanceof TraceError) return { status: 'bad-input', file, message: e.message };
    throw e;
  }
}

/** The exit status of a replay of these files: the worst one. */
export const replayStatus = (rs: readonly FileResult[]): number =>
  rs.some((r) => r.status === 'bad-input') ? 2 : rs.some((r) => r.status === 'failed') ? 1 : 0;

export function formatReplay(rs: readonly FileResult[], json: boolean): string {
  if (json) {
    return JSON.stringify(rs.map((r) => (r.status === 'bad-input'
      ? { file: r.file, status: r.status, ok: false, summary: r.message, violation: null }
      : { file: r.judgement.file, status: r.status, ok: r.judgement.ok, summary: r.judgement.summary, violation: r.judgement.outcome.violation })), null, 2);
  }
  return rs.map((r) => (r.status === 'bad-input' ? `BAD  ${printable(r.message)}` : `${r.status === 'ok' ? 'ok  ' : 'FAIL'} ${printable(r.judgement.file)}: ${printable(r.judgement.summary)}`)).join('\n');
}
