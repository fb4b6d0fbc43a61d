/**
 * Runs an Example against the spec: every step's result must match its expectation, the spec's invariants must
 * hold after every step, and after closing every fd nothing may be left (P-NOLEAK).
 */
import { expect } from 'vitest';
import { checkInvariants, DESIGNS, initialState, noLeak, observe, step, type State } from '../../src/spec/index.js';
import { fd as asFd, type Result, type Xlate } from '../../src/uapi/index.js';
import { worldOfExample, type Example, type ExampleStep, type Expect } from './example.js';

const show = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));

/** Whether a result matches an expectation; returns a reason when it does not. */
export function mismatch(r: Result<unknown>, partial: boolean, e: Expect): string | null {
  if (e === 'ok') return r.ok ? null : `expected ok, got ${r.errno}`;
  if (typeof e === 'string') return !r.ok && !partial && r.errno === e ? null : `expected ${e}, got ${r.ok ? 'ok' : r.errno}${partial ? ' (partial)' : ''}`;
  if ('partial' in e) {
    if (r.ok || !partial || r.errno !== e.partial) return `expected partial ${e.partial}, got ${r.ok ? 'ok' : r.errno}`;
    const out = (r.out ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(e.out ?? {})) if (show(out[k]) !== show(v)) return `expected partial ${e.partial} with ${k}=${show(v)} written back, got ${show(out[k])}`;
    return null;
  }
  if ('errno' in e) {
    if (r.ok || partial || r.errno !== e.errno) return `expected ${e.errno}, got ${r.ok ? 'ok' : r.errno}${partial ? ' (partial)' : ''}`;
    const out = (r.out ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(e.out)) if (show(out[k]) !== show(v)) return `expected ${e.errno} with ${k}=${show(v)} written back, got ${show(out[k])}`;
    return null;
  }
  if (!r.ok) return `expected success, got ${r.errno}`;
  if ('out' in e) {
    const out = r.out as Record<string, unknown>;
    for (const [k, v] of Object.entries(e.out)) if (show(out[k]) !== show(v)) return `expected ${k}=${show(v)}, got ${show(out[k])}`;
    return null;
  }
  const dma = r.out as { xlate: Xlate; stale: readonly Xlate[] };
  const want = 'hit' in e ? `hit ${show(e.hit)}` : `fault ${e.fault}`;
  const got = dma.xlate.kind === 'hit' ? `hit ${show(dma.xlate.hpa)}` : `fault ${dma.xlate.reason}`;
  if (want !== got) return `expected DMA ${want}, got ${got}`;
  const staleGot = dma.stale.map((x) => (x.kind === 'hit' ? show(x.hpa) : x.reason)).sort();
  const staleWant = (e.stale ?? []).map((x) => (typeof x === 'bigint' ? show(x) : x)).sort();
  return show(staleGot) === show(staleWant) ? null : `expected stale answers ${show(staleWant)}, got ${show(staleGot)}`;
}

export interface SpecRun {
  readonly states: State[];
  readonly final: State;
}

/** Run every step; throws (via expect) at the first step that differs, naming it. */
export function runOnSpec(ex: Example): SpecRun {
  const world = worldOfExample(ex);
  let s = initialState(world, DESIGNS[ex.design]);
  const states = [s];
  ex.steps.forEach((st: ExampleStep, i) => {
    const r = step(s, st.cmd);
    if ('env' in st.cmd && st.cmd.env === 'DMA') {
      // a DMA answers exactly what observe() says that DMA would do
      const { dev, pasid, iova, access } = st.cmd;
      expect(r.result.ok && r.result.out).toEqual(observe(s).translate(dev, pasid, iova, access));
    }
    const where = `step ${i + 1} (${'ioctl' in st.cmd ? st.cmd.ioctl : st.cmd.env}) rule ${r.rule}`;
    expect(mismatch(r.result, r.partial, st.expect), where).toBeNull();
    if (st.rule !== undefined) expect(r.rule, where).toBe(st.rule);
    if (!r.result.ok && !r.partial && r.state !== s) throw new Error(`${where}: a rejected call returned a new state`);
    s = r.state;
    expect(checkInvariants(s), where).toBeNull();
    states.push(s);
  });
  // leak check: close every fd, then nothing may be left
  for (const fd of Object.keys(s.fds).map(Number)) {
    s = step(s, { env: 'CLOSE', fd: asFd(fd) }).state;
    expect(checkInvariants(s), `closing fd ${fd}`).toBeNull();
  }
  expect(noLeak(s)).toBeNull();
  expect(observe(s).pins).toEqual([]);
  return { states, final: s };
}
