/**
 * `ioasid-lab replay FILE...`: load each trace (schema-validated), replay it on the spec and the simulated
 * kernel, and judge it: a trace with an open verdict must still fail that way; any other trace must pass and
 * every step must meet its own `expect`. Exit 1 if any file is not as recorded, 2 for a file that cannot load.
 */
import { readFileSync } from 'node:fs';
import { replay, type ReplayOutcome } from '../check/replay.js';
import { loadTrace, TraceError } from '../check/schema.js';
import type { Trace } from '../check/trace.js';

export interface Judgement {
  readonly file: string;
  readonly ok: boolean;
  readonly summary: string;
  readonly outcome: ReplayOutcome;
}

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

export function replayFile(file: string): Judgement {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TraceError(`${file}: cannot read: ${(e as Error).message}`);
  }
  const t = loadTrace(text, file);
  return judge(file, t, replay(t));
}
