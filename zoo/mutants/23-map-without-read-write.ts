import type { Mutant } from '../mutant.js';

/*
 * IOMMU_IOAS_MAP with neither IOMMU_IOAS_MAP_READABLE nor _WRITEABLE made an area with no permission at all;
 * the fix rejects such maps (EINVAL) in the ioctl. Kept here for COPY, dropped for MAP.
 */
export default {
  id: 'map-without-read-write',
  title: 'IOAS_MAP accepts a mapping that is neither readable nor writeable',
  class: 'uapi-validation',
  fix: { commit: '996dc53ac289b81957aa70d62ccadc6986d26a87', subject: 'iommufd: Do not allow creating areas without READ or WRITE' },
  file: 'src/impl/ioas.ts',
  find: `  if (c.iova >= ULONG_MAX || c.length >= ULONG_MAX) return fail('EOVERFLOW');
  if ((c.flags & (READ | WRITE)) === 0) return fail('EINVAL');
`,
  replace: `  if (c.iova >= ULONG_MAX || c.length >= ULONG_MAX) return fail('EOVERFLOW');
`,
  designs: ['iommufd'],
} satisfies Mutant;
