import { describe, it } from 'vitest';
import { runOnSpec } from './support/run-spec.js';
import { SMOKE } from './examples/smoke.js';

describe('spec: smoke', () => {
  for (const ex of SMOKE) it(ex.name, () => void runOnSpec(ex));
});
