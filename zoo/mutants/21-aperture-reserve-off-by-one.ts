import type { Mutant } from '../mutant.js';

/*
 * When the first domain is added, iopt_table_add_domain reserves what lies above the domain's aperture,
 * [aperture_end + 1, ULONG_MAX]. Mixing an inclusive last address with an exclusive bound reserves the
 * aperture's last page too: one addressable page is reported as reserved and refused.
 */
export default {
  id: 'aperture-reserve-off-by-one',
  title: 'the reservation above a domain aperture starts at the aperture last address, not one past it',
  class: 'arithmetic/overflow',
  fix: { commit: '31000732d56b43765d51e08cccb68818fbc0032c', subject: 'iommu/vt-d: Fix identity map bounds in si_domain_init()' },
  note: 'same inclusive/exclusive bound confusion (the VT-d fix: an exclusive end pfn passed where an inclusive one was expected), here in the aperture reservation of io_pagetable',
  file: 'src/impl/iopt.ts',
  find: '...(last < ULONG_MAX ? [{ start: last + 1n, last: ULONG_MAX }] : [])',
  replace: '...(last < ULONG_MAX ? [{ start: last, last: ULONG_MAX }] : [])',
} satisfies Mutant;
