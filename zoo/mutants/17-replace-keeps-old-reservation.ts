import type { Mutant } from '../mutant.js';

export default {
  id: 'replace-keeps-old-reservation',
  title: 'replace leaves the device\'s reserved regions on the IOAS it moved away from',
  class: 'lifetime/refcount',
  fix: { commit: '950aeefb34923fe3c28ade35fe05f24e2c5b1d55', subject: 'iommufd/device: Fix hwpt at err_unresv in iommufd_device_do_replace()' },
  note: 'Upstream, the replace path removed the device\'s reserved IOVAs from the wrong hwpt (old_hwpt instead of the new one). Here the replace path syncs reservations only on the new HWPT\'s IOAS and forgets to drop them from the old one: the old IOAS keeps the MSI window reserved for a device no longer attached to it.',
  file: 'src/impl/device.ts',
  find: '[...new Set([hwpt, ...olds.map((r) => r.target)].map(spaceOf)',
  replace: '[...new Set([hwpt].map(spaceOf)',
  designs: ['iommufd'],
  miss: 'needs a replace away from an IOAS, then a fixed map into the MSI window of the IOAS the device left (a map at a platform address: one in 70); caught at seeds 1-4 after 327, 133, 2 and 55 runs (npm run zoo -- --only replace-keeps-old-reservation --runs 400 --seed N), not within 100 runs of seed 1',
} satisfies Mutant;
