import type { Mutant } from '../mutant.js';

export default {
  id: 'unmap-no-iotlb-flush',
  title: 'unmapping an area from a domain skips the IOTLB flush',
  class: 'iotlb/invalidation',
  fix: { commit: '5e54e861f16f37c84ae68d6d4bbd3de54b668317', subject: 'iommu/vt-d: Add missing device iotlb flush for parent domain' },
  note: 'upstream, unmapping from a nesting parent left the device IOTLBs of the devices behind its nested domains unflushed; here iopt_area_unfill_domain skips the iotlb_sync of the domain it just unmapped, so every device on it keeps the old translation',
  file: 'src/impl/iopt.ts',
  find: 'this.iommu.flushRange(d.id, a.start >> d.pt.shift, a.last >> d.pt.shift);',
  replace: '/* flush forgotten */',
} satisfies Mutant;
