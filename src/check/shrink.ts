/**
 * The last shrinking pass, after fast-check's: remove steps one at a time while the trace still fails the same
 * property (until no single step can go: 1-minimal), then simplify u64 arguments, then renumber symbols in the
 * order they are bound. Bounded in time; reports whether it reached 1-minimality.
 */
import type { KernelFactory } from './differential.js';
import type { Driver } from './driver.js';
import { replaySteps } from './replay.js';
import { isSym, type Sym, type Trace, type TraceStep } from './trace.js';

export interface ShrinkResult {
  readonly steps: readonly TraceStep[];
  readonly minimal: boolean;
  /** replays tried */
  readonly tries: number;
}

const fails = (t: Trace, steps: readonly TraceStep[], property: string, on?: Driver | KernelFactory) =>
  replaySteps(t, steps, on).violation?.property === property;

/**
 * Number the symbols in the order steps bind them. A symbol no remaining step binds (it means "never allocated" on
 * replay) is numbered after the bound ones of its kind, so it can never take the name of one that is bound.
 */
export function renumber(steps: readonly TraceStep[]): TraceStep[] {
  const names = new Map<Sym, Sym>();
  const counters = new Map<string, number>();
  const kindOf = (sym: Sym) => sym.replace(/^\$([a-z]+)[0-9]+$/, '$1');
  const name = (sym: Sym) => {
    const n = (counters.get(kindOf(sym)) ?? 0) + 1;
    counters.set(kindOf(sym), n);
    names.set(sym, `$${kindOf(sym)}${n}`);
  };
  for (const st of steps) for (const sym of Object.values(st.bind ?? {})) name(sym);
  for (const st of steps) for (const v of Object.values(st.cmd)) if (isSym(v) && !names.has(v)) name(v);
  const rename = (v: unknown) => (isSym(v) ? (names.get(v) ?? v) : v);
  return steps.map((st) => {
    const cmd = Object.fromEntries(Object.entries(st.cmd).map(([k, v]) => [k, rename(v)])) as TraceStep['cmd'];
    const bind = st.bind ? Object.fromEntries(Object.entries(st.bind).map(([k, v]) => [k, names.get(v) ?? v])) : undefined;
    return { cmd, ...(bind ? { bind } : {}), ...(st.failNth === undefined ? {} : { failNth: st.failNth }) };
  });
}

const SIMPLER = [0x1000n, 0n];

export function minimize(t: Trace, property: string, deadline: number, on?: Driver | KernelFactory): ShrinkResult {
  // what a step is made of: its command, binds and injected failure (recorded answers and expectations go)
  let steps: TraceStep[] = t.steps.map((s) => ({ cmd: s.cmd, ...(s.bind ? { bind: s.bind } : {}), ...(s.failNth === undefined ? {} : { failNth: s.failNth }) }));
  let tries = 0;
  const stillFails = (candidate: TraceStep[]) => {
    tries++;
    return fails(t, candidate, property, on);
  };
  /** One pass dropping single steps, last first; true if any went. */
  const dropPass = () => {
    let dropped = false;
    for (let i = steps.length - 1; i >= 0 && Date.now() < deadline; i--) {
      const candidate = [...steps.slice(0, i), ...steps.slice(i + 1)];
      if (stillFails(candidate)) {
        steps = candidate;
        dropped = true;
      }
    }
    return dropped;
  };
  /** One pass making u64 arguments simpler; true if any changed. */
  const simplifyPass = () => {
    let simplified = false;
    for (let i = 0; i < steps.length && Date.now() < deadline; i++) {
      for (const k of Object.keys(steps[i]!.cmd)) { // i < length
        for (const simpler of SIMPLER) {
          const st = steps[i]!; // i < length
          const v = st.cmd[k];
          if (typeof v !== 'bigint' || simpler >= v) continue;
          const candidate = [...steps.slice(0, i), { ...st, cmd: { ...st.cmd, [k]: simpler } }, ...steps.slice(i + 1)];
          if (stillFails(candidate)) {
            steps = candidate;
            simplified = true;
            break;
          }
        }
      }
    }
    return simplified;
  };
  let minimal = false;
  while (Date.now() < deadline) {
    while (dropPass());
    if (Date.now() >= deadline) break;
    if (!simplifyPass()) {
      minimal = true;
      break;
    }
  }
  // a last confirmation that no single step can go (the passes above may have been cut by the deadline)
  for (let i = 0; minimal && i < steps.length; i++) {
    if (Date.now() >= deadline || stillFails([...steps.slice(0, i), ...steps.slice(i + 1)])) minimal = false;
  }
  return { steps: renumber(steps), minimal, tries };
}
