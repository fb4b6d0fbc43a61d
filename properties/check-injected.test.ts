/**
 * The checker finds kernel-style bugs: for each deliberately broken kernel, `check` must fail, hand back a
 * 1-minimal counterexample, and that counterexample must fail the same way on replay against the broken kernel
 * and pass against the correct one (so the bug, not the trace, is what fails).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import { replay } from '../src/check/replay.js';
import { BUGS } from './support/bugs.js';

describe('check finds injected bugs', () => {
  // seed 3, the bench's; a bug that needs a longer chain of calls than 2000 runs reach says its own budget (bug.runs,
  // with the runs it took on the seeds measured); `npm run bench` prints each bug's time to find
  for (const bug of BUGS) {
    it(`finds: ${bug.name}`, () => {
      const out = check({ design: bug.design ?? 'iommufd', hardware: bug.hardware ?? 'host-pasid-table', ...(bug.profile ? { profile: bug.profile } : {}), ...(bug.setup ? { setup: bug.setup } : {}), runs: bug.runs ?? 2000, seed: 3, maxCommands: 30, timeLimitMs: 30_000, factory: bug.factory, ...(bug.memlockPages ? { memlockPages: bug.memlockPages } : {}) });
      expect(out.ok, bug.name).toBe(false);
      const t = out.trace;
      expect(t, 'a counterexample trace').toBeDefined();
      if (!t || !out.violation) return;
      expect(t.origin.minimality).toBe('1-minimal');
      if (bug.property) expect(out.violation.property, out.violation.message).toBe(bug.property);
      if (bug.message) expect(out.violation.message).toMatch(bug.message);
      expect(replay(t, bug.factory).violation?.property).toBe(out.violation.property);
      expect(replay(t).violation).toBeNull();
    });
  }
});
