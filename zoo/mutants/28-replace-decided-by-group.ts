import type { Mutant } from '../mutant.js';

/*
 * iommufd_device_do_replace() assumed the device was attached because its iommu group was: with a sibling
 * attached, "replace" succeeded for a device that was never on the group's device list and had no reserved
 * IOVAs of its own. The fix checks the device itself (iommufd_device_is_attached()).
 */
export default {
  id: 'replace-decided-by-group',
  title: 'attach takes the replace path when any device of the group is attached, not this one',
  class: 'ownership/isolation',
  fix: { commit: '55c85fa7579dc2e3f5399ef5bad67a44257c1a48', subject: 'iommufd: Fail replace if device has not been attached' },
  file: 'src/impl/device.ts',
  find: '  const old = vdev.routes.find((r) => r.pasid === pasid);\n  if (pt instanceof IoasObj)',
  replace: '  const old = k.groupOf(vdev).flatMap((d) => d.routes).find((r) => r.pasid === pasid);\n  if (pt instanceof IoasObj)',
  designs: ['iommufd'],
} satisfies Mutant;
