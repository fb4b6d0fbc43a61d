import type { Mutant } from '../mutant.js';

/*
 * A flush of everything a domain cached must reach the translations cached for PASID requests too. VT-d's
 * cache_tag_flush_all() sent its device-TLB invalidation without the PASID, so entries cached for a PASID
 * survived a full flush. The mutant drops, on a whole-domain flush, only what RID requests cached.
 */
export default {
  id: 'flush-all-skips-pasid',
  title: 'a whole-domain flush leaves the translations cached for PASID routes',
  class: 'iotlb/invalidation',
  fix: { commit: '3141153816bf4f0257747bd4dda176d38f1a9a49', subject: 'iommu/vt-d: Fix missing PASID in dev TLB flush with cache_tag_flush_all' },
  file: 'src/impl/hw/iotlb.ts',
  find: '    this.tlb.dropTagged(id, always);',
  replace: "    this.tlb.dropTagged(id, (e) => e.route.endsWith(':rid'));",
  miss: "needs, on VT-d with the nested set-up, a DMA through dev2's PASID that caches a guest stage-1 entry, the guest rewriting that entry, then a scope-all invalidation of the nested HWPT, in that order; each step is drawn (79 such PASID hits, 53 scope-all invalidations in 600 runs) but the three in order in one run were not, in 600 runs per design and hardware kind",
} satisfies Mutant;
