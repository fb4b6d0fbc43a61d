import { describe, expect, it } from 'vitest';
import { runOnSpec } from './support/run-spec.js';
import { IOMMUFD_ERRNO_EXAMPLES, IOMMUFD_REGRESSIONS } from './examples/iommufd-errnos.js';
import { PROFILE_EXAMPLES } from './examples/profiles-raw.js';

describe('spec: iommufd errno examples', () => {
  it('the table holds at least 35 examples', () => {
    expect(IOMMUFD_ERRNO_EXAMPLES.length).toBeGreaterThanOrEqual(35);
  });
  for (const ex of IOMMUFD_ERRNO_EXAMPLES) it(ex.name, () => void runOnSpec(ex));
});

describe('spec: machine profiles and raw argument layouts', () => {
  for (const ex of PROFILE_EXAMPLES) it(`${ex.profile ?? 'default'}: ${ex.name}`, () => void runOnSpec(ex));
});

describe('spec: iommufd regressions (the kernel answer, where the spec once differed)', () => {
  for (const r of IOMMUFD_REGRESSIONS) it(r.example.name, () => void runOnSpec(r.example));
});
