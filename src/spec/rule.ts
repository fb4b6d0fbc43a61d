/**
 * How a rule reads: ordered guards (the kernel returns the first failing check, so order is semantics), then one
 * effect applied with immer. Every outcome carries a stable rule id (`IOAS_MAP.EEXIST.overlap`).
 * "A failed call changes nothing" is guaranteed here once: `reject` carries no state. The one exception the
 * merged kernel has (a range unmap that removed some areas, then failed) is the named `partial` outcome.
 */
import { isDraft, isModified, original, produce, setAutoFreeze, type Draft } from 'immer';
import type { Errno } from '../uapi/index.js';
import type { State } from './state.js';

/**
 * Immer freezes every state it produces unless told not to, so a rule that wrote to a state outside its draft
 * would throw at once. The freeze walks each new state: the test suite keeps it on (IOASID_LAB_FREEZE=1 in
 * vitest.config.ts), the hot loops of check and explore run without it (docs/perf.md).
 */
setAutoFreeze(process.env.IOASID_LAB_FREEZE === '1');

/** `IOCTL.OUTCOME.detail`, e.g. `IOAS_MAP.EEXIST.overlap`, `IOAS_MAP.ok.auto_iova`. */
export type RuleId = string;

export type Outcome<Out = unknown> =
  | { readonly kind: 'ok'; readonly state: State; readonly out: Out; readonly rule: RuleId }
  /** `out`: what the kernel still writes back on this error (EMSGSIZE's needed count). */
  | { readonly kind: 'fail'; readonly errno: Errno; readonly rule: RuleId; readonly out?: unknown }
  /** The call failed but kept part of its effect: only for documented kernel behaviour (P-ATOMIC exception). */
  | { readonly kind: 'partial'; readonly state: State; readonly errno: Errno; readonly rule: RuleId; readonly out?: unknown };

export type Rejection = Extract<Outcome, { kind: 'fail' }>;

export const isRejection = (x: unknown): x is Rejection => typeof x === 'object' && x !== null && (x as Rejection).kind === 'fail';

export const reject = (errno: Errno, rule: RuleId, out?: unknown): Rejection =>
  out === undefined ? { kind: 'fail', errno, rule } : { kind: 'fail', errno, rule, out };

/** Apply `effect` to a draft of `s`; its return value is the ioctl's output. */
export function commit<Out>(s: State, rule: RuleId, effect: (d: Draft<State>) => Out): Outcome<Out> {
  let out: Out | undefined;
  const state = produce(s, (d) => {
    out = effect(d);
  });
  return { kind: 'ok', state, out: out as Out, rule };
}

/**
 * A table to scan without writing (who holds an object, which pages are still used): immer makes a draft of every
 * value read through a draft and finalizes each, so a scan through a draft costs far more than the write it leads
 * to. A draft nothing has changed yet reads as its original (no drafts made); a changed one, or a plain value (a
 * value assigned in this effect is plain), is returned as it is.
 */
export const peek = <T>(x: T | Draft<T>): T => (isDraft(x) && !isModified(x) ? (original(x as Draft<T>) as T) : (x as T));

/** Succeed with `out` and no state change (queries). */
export const answer = <Out>(s: State, rule: RuleId, out: Out): Outcome<Out> => ({ kind: 'ok', state: s, out, rule });

/** Continue with a follow-up check on an ok outcome (used for pinning limits computed on the new state). */
export function guardAfter<Out>(o: Outcome<Out>, check: (next: State) => Rejection | null): Outcome<Out> {
  if (o.kind !== 'ok') return o;
  return check(o.state) ?? o;
}

export const NONE: Record<string, never> = {};
