/** Type tests: the dispatch tables are exhaustive, so a missing ioctl or object kind fails to compile. */
import { describe, expect, it } from 'vitest';
import type { IoctlName } from '../../src/uapi/index.js';
import type { ObjKind } from '../../src/spec/state.js';

describe('exhaustive tables', () => {
  it('a table of ioctls missing one does not type-check', () => {
    type Row = { readonly on: readonly string[] };
    // @ts-expect-error IOMMU_DESTROY and the others are missing
    const partial: { readonly [N in IoctlName]: Row } = { IOMMU_IOAS_ALLOC: { on: ['iommufd'] } };
    expect(partial).toBeDefined();
  });
  it('an object-kind table missing one does not type-check', () => {
    // @ts-expect-error sva_bind and others are missing
    const ops: { readonly [K in ObjKind]: true } = { ioas: true, hwpt_paging: true };
    expect(ops).toBeDefined();
  });
});
