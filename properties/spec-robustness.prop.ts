/**
 * Properties of the spec itself, over random command sequences on every design and hardware kind:
 * it never throws for user input, a rejected call returns the very same state (P-ATOMIC, except the named
 * partial outcomes), every invariant holds after every step, and closing every fd leaves nothing (P-NOLEAK).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DESIGN_NAMES, DESIGNS, initialState } from '../src/spec/index.js';
import { defaultWorld, HW_KINDS } from '../src/uapi/index.js';
import { cmdArbFor, prologue } from './support/arbitrary.js';
import { firstViolation } from './support/first-violation.js';

const RUNS = Number(process.env.CHECK_RUNS ?? 150);

describe('spec robustness (random sequences)', () => {
  for (const design of DESIGN_NAMES) {
    for (const hw of HW_KINDS) {
      it(`${design} on ${hw}: no throw, failures change nothing, invariants hold, close leaks nothing`, () => {
        fc.assert(
          fc.property(fc.array(cmdArbFor(DESIGNS[design].ioctls), { maxLength: 40 }), (cmds) => {
            const v = firstViolation(initialState(defaultWorld(hw, 64), DESIGNS[design]), [...prologue(design, DESIGNS[design].node), ...cmds]);
            expect(v).toBeNull();
          }),
          { numRuns: RUNS, seed: 42 },
        );
      });
    }
  }
});
