import type { Mutant } from '../mutant.js';

export default {
  id: 'map-user-pages-leak-on-error',
  title: 'a map that fails does not free the iopt_pages it allocated',
  class: 'error-unwind',
  fix: { commit: 'b80fab281349f107a07e841eb412a86e2877ae88', subject: 'iommufd/selftest: Do not leak the hwpt if IOMMU_TEST_OP_MD_CHECK_MAP fails' },
  note: 'Upstream, an ioctl\'s error path returned without releasing what it had taken (a hwpt reference). Here IOMMU_IOAS_MAP / IOASID_MAP_DMA allocate the iopt_pages first; when iopt_map_pages() then fails (EEXIST, EINVAL, EFAULT, ...) the error path returns without freeing them.',
  file: 'src/impl/ioas.ts',
  find: '    k.alloc.free(\'pages\');\n    return fail(iova);',
  replace: '    return fail(iova);',
} satisfies Mutant;
