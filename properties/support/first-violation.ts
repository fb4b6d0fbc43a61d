import { checkInvariants, noLeak, step, type State } from '../../src/spec/index.js';
import { fd as asFd, type Cmd } from '../../src/uapi/index.js';

/** Run a trace, returning the first broken property as a sentence, or null. */
export function firstViolation(start: State, cmds: readonly Cmd[], stepFn = step): string | null {
  let s = start;
  for (const [i, c] of cmds.entries()) {
    const r = stepFn(s, c);
    if (!r.result.ok && !r.partial && r.state !== s) return `step ${i + 1}: rejected ${r.rule} changed the state`;
    s = r.state;
    const v = checkInvariants(s);
    if (v) return `step ${i + 1} (${r.rule}): ${v}`;
  }
  for (const fd of Object.keys(s.fds)) s = stepFn(s, { env: 'CLOSE', fd: asFd(Number(fd)) }).state;
  return noLeak(s);
}

