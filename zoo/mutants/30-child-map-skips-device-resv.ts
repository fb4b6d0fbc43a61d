import type { Mutant } from '../mutant.js';

/*
 * In the 2021 designs a software-nested child ioasid is what the device's DMA goes through, so the device's
 * reserved regions (the MSI window) must be refused in the child's IOVA space too, not only on the root. The
 * mutant enforces them on the root alone, as iommufd did for nested HWPTs before the fix.
 */
export default {
  id: 'child-map-skips-device-resv',
  title: 'MAP_DMA into a software-nested child ignores the reserved regions of the devices attached to it',
  class: 'ownership/isolation',
  fix: { commit: 'b2f44814680b569be98e58111bd582fd3a689d4d', subject: 'iommufd/device: Enforce reserved IOVA also when attached to hwpt_nested' },
  note: 'same class (reserved IOVA enforced only at the paging/root level, not for the nested level the device is attached to), in the RFC child ioasid instead of hwpt_nested',
  file: 'src/impl/ioasid.ts',
  find: '  return [...devs.flatMap((d) => d.phys.reserved), ...outsideAperture(k.iommu)];',
  replace: '  return [...outsideAperture(k.iommu)];',
  designs: ['rfc-v1', 'fd-per-ioasid', 'setup-only-association'],
} satisfies Mutant;
