import type { Mutant } from '../mutant.js';

/*
 * A range invalidation must cover [first, last] inclusive. Treating the last page as an exclusive bound leaves
 * the last page of every range cached: a single-page range flushes nothing. The VT-d fix corrected the page
 * count of a range invalidation that came out short, leaving first-stage translations stale.
 */
export default {
  id: 'iotlb-range-last-exclusive',
  title: 'an IOTLB range flush stops one page short of the range it was asked to flush',
  class: 'iotlb/invalidation',
  fix: { commit: '0a3f6b3463014b03f6ad10eacc4d1d9af75d54a1', subject: 'iommu/vt-d: Fix aligned pages in calculate_psi_aligned_address()' },
  note: 'same effect (a range invalidation covering fewer pages than the range), here as an inclusive/exclusive slip in the IOTLB\'s range test rather than a stale page count',
  file: 'src/impl/hw/iotlb.ts',
  find: '(e) => e.ctx !== id || (e.vpn >= firstVpn && e.vpn <= lastVpn)',
  replace: '(e) => e.ctx !== id || (e.vpn >= firstVpn && e.vpn < lastVpn)',
} satisfies Mutant;
