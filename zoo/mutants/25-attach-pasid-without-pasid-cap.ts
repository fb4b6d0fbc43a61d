import type { Mutant } from '../mutant.js';

/*
 * iommu_attach_device_pasid() did not validate the PASID against the device: a device without PASID support
 * (max_pasids == 0) could get a PASID attachment. The fix checks the PASID against dev->iommu->max_pasids.
 */
export default {
  id: 'attach-pasid-without-pasid-cap',
  title: 'a PASID attach is accepted for a device that has no PASID capability',
  class: 'uapi-validation',
  fix: { commit: 'c404f55c26fc23c70a9f2262f3f36a69fc46289b', subject: 'iommu: Validate the PASID in iommu_attach_device_pasid()' },
  note: 'the range check (pasid <= PASID_MAX) stays; only the per-device capability check is dropped',
  file: 'src/impl/device.ts',
  find: "if (usesPasid && (vdev.phys.pasidBits === 0 || c.pasid < 0 || c.pasid >= 2 ** vdev.phys.pasidBits)) return fail('EINVAL');",
  replace: "if (usesPasid && (c.pasid < 0 || c.pasid >= 2 ** 20)) return fail('EINVAL');",
  designs: ['iommufd'],
} satisfies Mutant;
