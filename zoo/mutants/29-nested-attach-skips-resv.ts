import type { Mutant } from '../mutant.js';

/*
 * A device's reserved regions (the MSI window) must be reserved in the IOAS its DMA ends in. They were enforced
 * only when the device attached to a paging HWPT; attached directly to a nested HWPT, the parent IOAS did not
 * get them, and userspace could map over the MSI doorbell. The fix redirects to the parent (find_hwpt_paging).
 */
export default {
  id: 'nested-attach-skips-resv',
  title: 'a device attached to a nested HWPT leaves its reserved regions off the parent IOAS',
  class: 'ownership/isolation',
  fix: { commit: 'b2f44814680b569be98e58111bd582fd3a689d4d', subject: 'iommufd/device: Enforce reserved IOVA also when attached to hwpt_nested' },
  file: 'src/impl/device.ts',
  find: '      const on = d.routes.some((r) => spaceOf(r.target) === s);',
  replace: '      const on = d.routes.some((r) => r.target instanceof HwptPaging && r.target.ioas === s);',
  designs: ['iommufd'],
} satisfies Mutant;
