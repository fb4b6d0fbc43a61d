import { describe, expect, it } from 'vitest';
import { runOnSpec } from './support/run-spec.js';
import { DESIGN_EXAMPLES } from './examples/designs.js';
import { COUNTERPARTS } from '../src/spec/designs/counterparts.js';
import { DESIGNS, envNamesOf, type Design } from '../src/spec/index.js';

describe('spec: how the designs differ', () => {
  it('has at least 30 design examples, each with a distinct title', () => {
    expect(DESIGN_EXAMPLES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(DESIGN_EXAMPLES.map((ex) => ex.name)).size).toBe(DESIGN_EXAMPLES.length);
  });
  it('every call the counterparts table names is one the design offers (an ioctl of its vocabulary, or an action whose outcomes count for it)', () => {
    const offers = (d: Design, x: string) => (d.ioctls as readonly string[]).includes(x) || (envNamesOf(d) as readonly string[]).includes(x);
    for (const c of COUNTERPARTS) {
      for (const x of c.iommufd) expect(offers(DESIGNS.iommufd, x), `${c.feature}: iommufd ${x}`).toBe(true);
      for (const x of c.rfcV1 ?? []) expect(offers(DESIGNS['rfc-v1'], x), `${c.feature}: rfc-v1 ${x}`).toBe(true);
    }
    expect(COUNTERPARTS.filter((c) => c.rfcV1 === null).length).toBeGreaterThan(0);
  });
  for (const ex of DESIGN_EXAMPLES) it(ex.name, () => void runOnSpec(ex));
});
