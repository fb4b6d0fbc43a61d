import type { Mutant } from '../mutant.js';

/*
 * VFIO type1 answers an unmap of a range with nothing mapped in it with success and size 0. iommufd's vfio
 * compatibility layer reused IOAS_UNMAP's rule and returned ENOENT instead, until the fix. The mutant brings the
 * same divergence into the RFC designs' type1 UNMAP_DMA.
 */
export default {
  id: 'type1-unmap-empty-enoent',
  title: 'type1 UNMAP_DMA of an empty range fails with ENOENT instead of succeeding with size 0',
  class: 'uapi-validation',
  fix: { commit: 'afb47765f9235181fddc61c8633b5a8cfae29fd2', subject: "iommufd: Make vfio_compat's unmap succeed if the range is already empty" },
  note: 'same errno divergence from type1, in the 2021 designs\' IOASID_UNMAP_DMA instead of iommufd\'s vfio_compat VFIO_IOMMU_UNMAP_DMA',
  file: 'src/impl/ioasid.ts',
  find: "  if (r.stuck) return fail('EINVAL');\n",
  replace: "  if (r.stuck) return fail('EINVAL');\n  if (r.removed === 0) return fail('ENOENT'); // as IOMMU_IOAS_UNMAP answers\n",
  designs: ['rfc-v1', 'fd-per-ioasid', 'per-device-sva', 'setup-only-association'],
} satisfies Mutant;
