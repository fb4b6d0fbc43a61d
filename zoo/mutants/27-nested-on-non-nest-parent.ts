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
} satisfies Mutant;
