import { describe, expect, it } from 'vitest';
import { runOnSpec } from './support/run-spec.js';
import { DESIGN_EXAMPLES } from './examples/designs.js';

describe('spec: how the designs differ', () => {
  it('has at least 30 design examples, each with a distinct title', () => {
    expect(DESIGN_EXAMPLES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(DESIGN_EXAMPLES.map((ex) => ex.name)).size).toBe(DESIGN_EXAMPLES.length);
  });
  for (const ex of DESIGN_EXAMPLES) it(ex.name, () => void runOnSpec(ex));
});
