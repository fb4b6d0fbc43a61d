import type { Mutant } from '../mutant.js';

/*
 * When a context entry changes (attach, replace, detach) the caches filled through the old entry must go, the
 * PASID cache (guest PASID-table entries) included. VT-d's context flush helper read the domain ID from the
 * entry after it had been cleared, so the old domain's IOTLB and PASID-cache entries were not flushed.
 */
export default {
  id: 'route-flush-keeps-pasid-cache',
  title: 'the flush after a context change drops the route\'s IOTLB entries but keeps its PASID-cache entries',
  class: 'iotlb/invalidation',
  fix: { commit: '7af6c720417f21f015f46baa33e182f349ddc93b', subject: 'iommu/vt-d: Fix incorrect domain ID in context flush helper' },
  note: 'the fix restored the flush of what the old context cached on a context change; the mutant keeps the IOTLB part of that flush and loses the PASID-cache part',
  file: 'src/impl/hw/iotlb.ts',
  find: '    this.pasidCache.dropRoute(route);\n',
  replace: '',
  miss: "needs, on guest-PASID-table hardware, a PASID-table entry cached through a device's RID, the device detached or replaced away, the guest PASID table rewritten while nothing walks it, and the device back on the same context: four ordered steps; not reached in 600 runs per design and hardware kind",
} satisfies Mutant;
