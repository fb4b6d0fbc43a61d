import type { Mutant } from '../mutant.js';

/*
 * A domain used as a nesting parent has its stage-2 translations cached under the tag (DID) of every nested
 * domain over it. Invalidating only the entries tagged with the parent's own DID after an unmap leaves the
 * nested contexts translating through the unmapped pages. The fix flushes every nested domain of the parent.
 */
export default {
  id: 's2-flush-skips-nested',
  title: 'a stage-2 range flush invalidates only the parent domain\'s own tag, not the nested contexts over it',
  class: 'iotlb/invalidation',
  fix: { commit: '821985301124c0a5e7ca15fc69a9a531e9442d70', subject: 'iommu/vt-d: Add missing iotlb flush for parent domain' },
  file: 'src/impl/hw/iotlb.ts',
  find: '(e) => e.ctx !== id || (e.vpn >= firstVpn && e.vpn <= lastVpn)',
  replace: '(e) => e.ctx === id && e.vpn >= firstVpn && e.vpn <= lastVpn',
} satisfies Mutant;
