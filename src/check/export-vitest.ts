/**
 * `ioasid-lab export --format vitest`: a trace as a vitest file that replays it through the library API
 * (`loadTrace`, `replay` from 'ioasid-lab', docs/api.md) and asserts each step, one `it` per step named by the step
 * as `replay` prints it. Each step is held to an expectation: its own `expect` where the trace has one, else the answer
 * (ok or the errno) the spec gives it now, written into the file at export; the spec and the simulated kernel must both
 * give it. A fail_nth step is held by replay to failing atomically, whatever errno its failed allocation gives. The last `it` holds the end of the trace: no property broken, or, for a trace whose verdict is
 * "open", the recorded property still broken. The trace sits in the file as its JSON, so the file stands alone.
 */
import { formatCmd } from './format.js';
import { replay } from './replay.js';
import { stepName, traceToJson, type StepExpect, type Trace } from './trace.js';

/** The first line of every exported file: what `export --out` may replace. */
export const VITEST_MARK = '// ioasid-lab export --format vitest';

/** A JavaScript string literal of `s`. */
const lit = (s: string) => JSON.stringify(s);

/** The trace with every step it replays held to an expectation: its own, or the spec's answer now. */
function withExpectations(t: Trace): Trace {
  const o = replay(t);
  return {
    ...t,
    steps: t.steps.map((st, i) => {
      const rec = o.records[i];
      // a fail_nth step may fail with whatever errno the failed allocation gives: replay holds it to failing atomically
      if (st.expect !== undefined || st.failNth !== undefined || !rec) return st;
      const expect: StepExpect = rec.spec.result.ok ? 'ok' : rec.spec.result.errno;
      return { ...st, expect };
    }),
  };
}

/** The vitest file of trace `t`, read from `source` (the name the file's tests carry). */
export function vitestOf(t: Trace, source: string): string {
  const held = withExpectations(t);
  const open = t.verdict?.status === 'open' ? t.verdict : undefined;
  // an open verdict stops the replay at its step: the steps after it are never reached
  const shown = open && open.step > 0 ? held.steps.slice(0, open.step) : held.steps;
  const steps = shown.map((st, i) => {
    const want = st.expect === undefined ? 'not replayed' : typeof st.expect === 'string' ? st.expect : 'as expected';
    return `  it(${lit(`step ${i + 1}: ${formatCmd(st.cmd)} -> ${want}`)}, () => expect(problems(${i + 1})).toEqual([]));`;
  });
  const end = open
    ? `  it(${lit(`still breaks ${open.property}, as recorded (verdict open)`)}, () => expect(outcome.violation?.property).toBe(${lit(open.property)}));`
    : `  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());`;
  const title = `${source}: ${t.design} on ${t.hardware}${t.verdict ? ` (once ${t.verdict.property}, ${t.verdict.status})` : ''}`;
  return [
    `${VITEST_MARK} ${source} (export again rather than edit)`,
    `// ${held.steps.length} steps: ${held.steps.map((st) => stepName(st.cmd)).join(', ')}`,
    "import { describe, expect, it } from 'vitest';",
    "import { loadTrace, replay } from 'ioasid-lab';",
    '',
    `const TRACE = ${traceToJson(held).trimEnd()};`,
    '',
    `const outcome = replay(loadTrace(JSON.stringify(TRACE), ${lit(source)}));`,
    '',
    '/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */',
    'const problems = (n: number): string[] => [',
    '  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),',
    '  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),',
    `  ...(outcome.violation !== null && outcome.violation.step === n${open ? ` && outcome.violation.property !== ${lit(open.property)}` : ''} ? [\`\${outcome.violation.property}: \${outcome.violation.message}\`] : []),`,
    '];',
    '',
    `describe(${lit(title)}, () => {`,
    ...steps,
    end,
    '});',
    '',
  ].join('\n');
}
