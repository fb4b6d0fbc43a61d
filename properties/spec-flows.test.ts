import { describe, it } from 'vitest';
import { runOnSpec } from './support/run-spec.js';
import { FLOWS_REGRESSIONS, IOMMUFD_FLOWS, RFC_V1_FLOWS, WITHOUT_SINGLE_ACCOUNTING } from './examples/flows.js';
import type { Example } from './support/example.js';

/** Run a flow, then its counterfactual if it has one (5.2: the memlock limit only holds with single accounting). */
function runFlow(ex: Example) {
  runOnSpec(ex);
  for (const c of WITHOUT_SINGLE_ACCOUNTING) if (c.flow === ex.name) runOnSpec(c.example);
}

describe('spec: RFC v1 use cases (section 5), step by step', () => {
  for (const ex of RFC_V1_FLOWS) it(ex.name, () => runFlow(ex));
});

describe('spec: the same use cases on iommufd as merged', () => {
  for (const ex of IOMMUFD_FLOWS) it(ex.name, () => runFlow(ex));
});

describe('spec: flow regressions', () => {
  for (const r of FLOWS_REGRESSIONS) it(r.example.name, () => runFlow(r.example));
});
