/**
 * The default check as part of `npm test`: every design on every hardware kind, the simulated kernel against the
 * spec with every property, on a budget that keeps the suite quick. CHECK_RUNS raises it (nightly CI); a failure
 * prints the shrunk counterexample.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import { encode } from '../src/check/trace.js';
import { DESIGN_NAMES, HW_KINDS } from '../src/uapi/index.js';

const RUNS = Number(process.env.CHECK_RUNS ?? 40);

describe('check: the simulated kernel agrees with the spec', () => {
  for (const design of DESIGN_NAMES) {
    for (const hardware of HW_KINDS) {
      it(`${design} on ${hardware}: ${RUNS} random traces, no property broken`, () => {
        const out = check({ design, hardware, runs: RUNS, seed: 20261126, maxCommands: 30, timeLimitMs: 60_000 });
        const detail = out.trace ? out.trace.steps.map((s, i) => `${i + 1}. ${JSON.stringify(s.cmd, encode)}`).join('\n') : '';
        expect(out.violation ?? null, detail).toBeNull();
        expect(out.stats.executed).toBe(out.stats.generated);
      });
    }
  }
});
