import type { Mutant } from '../mutant.js';

/*
 * IOMMU_IOAS_MAP must refuse a user VA range that wraps past the top of the address space before it builds the
 * iopt_pages: the fix added check_add_overflow(uptr, length) there (syzkaller reached a WARN in the pinning code).
 */
export default {
  id: 'map-uptr-overflow',
  title: 'IOAS_MAP does not check user_va + length for overflow',
  class: 'arithmetic/overflow',
  fix: { commit: 'e4395701330fc4aee530905039516fe770b81417', subject: 'iommufd: Check for uptr overflow' },
  note: 'the check is in the ioctl handler here rather than in iopt_alloc_pages(); a wrapping range then fails later at pin time (EFAULT), or is accepted on an IOAS without a domain',
  file: 'src/impl/ioas.ts',
  find: "  if (c.user_va + c.length > U64_MAX) return fail('EOVERFLOW');\n",
  replace: '',
  designs: ['iommufd'],
} satisfies Mutant;
