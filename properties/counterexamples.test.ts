/**
 * Every file under counterexamples/ is replayed: a trace whose verdict is "open" is a known failure and must keep
 * failing the way it records (until fixed, when its status becomes "fixed"); every other trace — fixed bugs kept
 * as regressions, hand-written traces — must pass, each step meeting its own expectation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listCounterexamples } from '../src/check/counterexample.js';
import { judge } from '../src/cli/replay-cmd.js';
import { replay } from '../src/check/replay.js';
import { loadTrace } from '../src/check/schema.js';

const files = listCounterexamples('counterexamples');

describe('counterexamples/ replay as recorded', () => {
  it('the directory holds the regression traces', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });
  for (const file of files) {
    it(file, () => {
      const t = loadTrace(readFileSync(file, 'utf8'), file);
      const j = judge(file, t, replay(t));
      expect(j.ok, j.summary).toBe(true);
    });
  }
});
