/** Every example table written for the spec, run against the simulated kernel with the same expectations. */
import { describe, it } from 'vitest';
import { DESIGN_EXAMPLES } from './examples/designs.js';
import { FLOWS_REGRESSIONS, IOMMUFD_FLOWS, RFC_V1_FLOWS } from './examples/flows.js';
import { IOMMUFD_ERRNO_EXAMPLES, IOMMUFD_REGRESSIONS } from './examples/iommufd-errnos.js';
import { PROFILE_EXAMPLES } from './examples/profiles-raw.js';
import { SMOKE } from './examples/smoke.js';
import type { Example } from './support/example.js';
import { runOnImpl } from './support/run-impl.js';

const TABLES: [string, readonly Example[]][] = [
  ['smoke', SMOKE],
  ['iommufd errno examples', [...IOMMUFD_ERRNO_EXAMPLES, ...IOMMUFD_REGRESSIONS.map((r) => r.example)]],
  ['RFC v1 flows', RFC_V1_FLOWS],
  ['iommufd flows', [...IOMMUFD_FLOWS, ...FLOWS_REGRESSIONS.map((r) => r.example)]],
  ['design contrasts', DESIGN_EXAMPLES],
  ['machine profiles and raw layouts', PROFILE_EXAMPLES],
];

for (const [name, table] of TABLES) {
  describe(`simulated kernel: ${name}`, () => {
    for (const ex of table) it(`[${ex.design}] ${ex.name}`, () => runOnImpl(ex));
  });
}
