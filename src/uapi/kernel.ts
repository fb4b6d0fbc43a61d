/**
 * Kernel versions: which calls and flags the merged uAPI takes at a given Linux version. The spec and the simulated
 * kernel follow `upstream` (the newest kernel read) unless a world says otherwise; `6.12` is Debian's
 * linux-source-6.12, the kernel `ioasid-lab kernel` boots and checks the spec against. Each difference is one field
 * here, read by the rule it changes on both sides; docs/kernel.md lists them with what Linux answered. A version
 * table is vocabulary, like the flags themselves: it says what exists, never what a call does with it.
 */
export const KERNEL_VERSIONS = ['upstream', '6.12'] as const;
export type KernelVersion = (typeof KERNEL_VERSIONS)[number];

export const isKernelVersion = (x: unknown): x is KernelVersion => typeof x === 'string' && (KERNEL_VERSIONS as readonly string[]).includes(x);

export interface UapiLevel {
  /**
   * IOMMU_HWPT_INVALIDATE on a paging HWPT: EINVAL since the vIOMMU rework looks any object up and refuses its type;
   * ENOENT before it, where iommufd_get_hwpt_nested looks up a nested HWPT only (facts §6; 6.12 hw_pagetable.c).
   */
  readonly invalidatePaging: 'EINVAL' | 'ENOENT';
  /** IOMMU_HWPT_ALLOC_PASID is a flag HWPT_ALLOC knows; before, an unknown flag (6.12: EOPNOTSUPP, paging and nested alike). */
  readonly hwptAllocPasid: boolean;
  /**
   * A paging HWPT takes IOMMU_HWPT_FAULT_ID_VALID; before, only a nested one does (6.12 iommufd_hwpt_paging_alloc:
   * valid_flags is NEST_PARENT | DIRTY_TRACKING, so the flag is EOPNOTSUPP there).
   */
  readonly pagingFault: boolean;
  /** VFIO_DEVICE_ATTACH/DETACH_IOMMUFD_PT take VFIO_DEVICE_[AT|DE]TACH_PASID; before, any flag is EINVAL (6.12 device_cdev.c). */
  readonly vfioPasid: boolean;
  /** IOMMU_IOAS_MAP_FILE (6.13) and IOMMU_IOAS_CHANGE_PROCESS (6.14) exist; before, their numbers are unknown: ENOTTY. */
  readonly fileMaps: boolean;
  /**
   * IOMMU_VIOMMU_ALLOC and IOMMU_VDEVICE_ALLOC (6.13) and IOMMU_VEVENTQ_ALLOC (6.15) exist, and HWPT_ALLOC takes a vIOMMU
   * as pt_id; before, the ioctls are unknown (ENOTTY).
   */
  readonly viommu: boolean;
}

export const UAPI_AT: { readonly [V in KernelVersion]: UapiLevel } = {
  upstream: { invalidatePaging: 'EINVAL', hwptAllocPasid: true, pagingFault: true, vfioPasid: true, fileMaps: true, viommu: true },
  '6.12': { invalidatePaging: 'ENOENT', hwptAllocPasid: false, pagingFault: false, vfioPasid: false, fileMaps: false, viommu: false },
};

/** The kernel version Linux `release` (`uname -r`, e.g. 6.12.118) runs, where the table knows it. */
export function kernelVersionOf(release: string): KernelVersion | null {
  const m = /^(\d+)\.(\d+)/.exec(release);
  const v = m ? `${m[1]}.${m[2]}` : null;
  return isKernelVersion(v) ? v : null;
}
