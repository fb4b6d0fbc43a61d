import type { Mutant } from '../mutant.js';

/*
 * iommufd_hwpt_nested_alloc() must check the parent it is handed before giving it to the driver: a manual
 * paging HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT (not an automatic one). The mutant keeps the
 * automatic-domain check and forgets NEST_PARENT, so a stage-1 is nested on a domain never prepared to be a
 * stage-2 parent.
 */
export default {
  id: 'nested-on-non-nest-parent',
  title: 'a nested HWPT is allocated on a paging HWPT that was not allocated with NEST_PARENT',
  class: 'uapi-validation',
  fix: { commit: '73183ad6ea51029d04b098286dcee98d715015f1', subject: 'iommufd: Check the domain owner of the parent before creating a nesting domain' },
  note: 'the fix added a missing check of the parent in iommufd_hwpt_nested_alloc() (its owner ops); the mutant removes a sibling check of the same parent (nest_parent)',
  file: 'src/impl/hwpt.ts',
  find: "    if (pt.auto || !pt.nestParent) return fail('EINVAL');",
  replace: "    if (pt.auto) return fail('EINVAL');",
  designs: ['iommufd'],
  miss: 'needs a nested HWPT allocated on a paging HWPT made without NEST_PARENT (a quarter of the nested allocations pick any paging HWPT), on host-pasid-table hardware only: SMMUv3-like machines nest only through a vIOMMU, where a bare parent is refused before the check (nested_needs_viommu); caught at seeds 1-4 after 132, 39, 12 and 28 runs (npm run zoo -- --only nested-on-non-nest-parent --runs 600 --seed N), not within 100 runs of seed 1',
} satisfies Mutant;
