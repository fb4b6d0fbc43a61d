import type { Mutant } from '../mutant.js';

export default {
  id: 'destroy-busy-off-by-one',
  title: 'IOMMU_DESTROY / IOASID_FREE discount one user as the lookup\'s own and destroy an object a dependent still holds',
  class: 'lifetime/refcount',
  fix: { commit: '99f98a7c0d6985d5507c8130a981972e4b7b3bdc', subject: 'iommufd: IOMMUFD_DESTROY should not increase the refcount' },
  note: 'Upstream, iommufd_destroy() raised obj->users for its own lookup and then had to decide "busy" around that extra reference; the fix checks for exactly the table\'s reference (refcount == 1) instead. The mutant gets that accounting wrong the other way: the busy test allows one more user than the table\'s, so an IOAS with a HWPT on it, a HWPT with a device attached, or a root ioasid with a child is destroyed under its dependent.',
  file: 'src/impl/object.ts',
  find: '    if (o.users !== 1) return \'EBUSY\';',
  replace: '    if (o.users > 2) return \'EBUSY\';',
  designs: ['iommufd', 'rfc-v1', 'setup-only-association', 'per-device-sva'],
} satisfies Mutant;
