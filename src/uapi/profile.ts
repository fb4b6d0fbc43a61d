import type { HwKind } from './world.js';

/**
 * Device / IOMMU profiles: the geometry and capabilities a machine's IOMMU and its devices report, as data.
 * One IOMMU serves every device of a world (the spec and the simulated kernel model one IOMMU instance), so the
 * IOMMU-level facts — aperture, page sizes, nesting, stage-1 format, dirty tracking, coherency, who owns the
 * PASID table — are one record; what differs per device — PASID width, reserved regions, group — is per device.
 * Which fields take effect where is written on each field; a field that only describes (no rule reads it yet)
 * says so, so a profile never pretends to more than the model checks.
 */

/**
 * The kind of a reserved region, as `enum iommu_resv_type` (include/linux/iommu.h) names them: `msi` a hardware
 * MSI window (IOMMU_RESV_MSI, x86 0xfee00000), `sw-msi` a window the kernel maps MSIs into (IOMMU_RESV_SW_MSI,
 * ARM), `direct` an identity-mapped firmware range (IOMMU_RESV_DIRECT, a VT-d RMRR / AMD unity map), `reserved`
 * a range the IOMMU cannot translate at all (IOMMU_RESV_RESERVED). iommufd reserves every kind alike on the IOAS
 * a device is attached to (iopt_table_enforce_dev_resv_regions); the kind is what a reader needs to know why.
 */
export const RESV_KINDS = ['msi', 'sw-msi', 'direct', 'reserved'] as const;
export type ResvKind = (typeof RESV_KINDS)[number];

export interface ReservedRegion {
  readonly start: bigint;
  /** inclusive */
  readonly last: bigint;
  readonly kind: ResvKind;
}

/** A stage-1 (guest page table) format a nested HWPT may carry: the `data_type` of IOMMU_HWPT_ALLOC. */
export type Stage1Format = 'IOMMU_HWPT_DATA_VTD_S1' | 'IOMMU_HWPT_DATA_ARM_SMMUV3';

/**
 * enum iommu_hw_info_type: what the data of IOMMU_GET_HW_INFO is, as the IOMMU driver's hw_info op fills it. NONE:
 * the driver has no hw_info op (AMD in 6.12), so the data is empty. ARM_SMMUV3 is newer than 6.12 (arm_smmu_hw_info).
 */
export type HwInfoType = 'IOMMU_HW_INFO_TYPE_NONE' | 'IOMMU_HW_INFO_TYPE_INTEL_VTD' | 'IOMMU_HW_INFO_TYPE_ARM_SMMUV3' | 'IOMMU_HW_INFO_TYPE_SELFTEST';
export const HW_INFO_TYPES = ['IOMMU_HW_INFO_TYPE_NONE', 'IOMMU_HW_INFO_TYPE_INTEL_VTD', 'IOMMU_HW_INFO_TYPE_ARM_SMMUV3', 'IOMMU_HW_INFO_TYPE_SELFTEST'] as const satisfies readonly HwInfoType[];

export interface IommuProfile {
  /** a built-in's name (`vtd`, `amd-v1`, `smmuv3`, `selftest-mock`, `default`) or a user profile's own */
  readonly name: string;
  /** one line: what machine this is */
  readonly summary: string;
  /** who owns the PASID table: VT-d the host, AMD GCR3 / SMMUv3 CD table the guest */
  readonly hw: HwKind;
  /**
   * The domain aperture (iommu_domain geometry.aperture_start / aperture_end), inclusive. Takes effect: once an
   * IOAS has a domain, what lies outside is reserved (iopt_table_add_domain), so a map there fails EADDRINUSE /
   * an automatic IOVA avoids it, and a domain cannot be added while an area or allowed range lies outside.
   */
  readonly aperture: { readonly start: bigint; readonly last: bigint };
  /**
   * Page sizes the domain's page table maps (iommu_domain pgsize_bitmap). Takes effect: the smallest is the
   * IOAS's iova_alignment once it has a domain (iopt_calculate_iova_alignment), reported by IOVA_RANGES, required
   * of every area then (EADDRINUSE) and of every later map (EINVAL), and the granule the page table maps at.
   */
  readonly pgsizeBitmap: bigint;
  /** Whether a paging HWPT may be allocated with IOMMU_HWPT_ALLOC_NEST_PARENT (else EOPNOTSUPP). Takes effect. */
  readonly nestParent: boolean;
  /** The stage-1 format a nested HWPT on this IOMMU takes (another data_type fails EOPNOTSUPP); null: no nesting. Takes effect. */
  readonly stage1Format: Stage1Format | null;
  /**
   * Whether the IOMMU can track dirty pages (IOMMU_CAP_DIRTY_TRACKING). Takes effect: IOMMU_HWPT_ALLOC with
   * DIRTY_TRACKING is EOPNOTSUPP where it cannot. The tracking itself (set, read, clear the bits) is not modelled.
   */
  readonly dirtyTracking: boolean;
  /**
   * The driver's hardware-info type. Takes effect: IOMMU_GET_HW_INFO reports it and the length of its struct
   * (the register contents themselves are not modelled). A machine file may leave it out: it then follows
   * stage1Format (VTD_S1: INTEL_VTD, ARM_SMMUV3: ARM_SMMUV3, none: NONE).
   */
  readonly hwInfoType: HwInfoType;
  /** Whether DMA is cache coherent (IOMMU_CAP_CACHE_COHERENCY, enforce_cache_coherency). Describes only. */
  readonly coherent: boolean;
  /** Reserved regions every device behind this IOMMU reports (the MSI window). Takes effect like a device's own. */
  readonly reserved: readonly ReservedRegion[];
  /** where each fact comes from: kernel source files and functions, spec sections */
  readonly cites: readonly string[];
}

export interface DeviceProfile {
  /** iommu_group number: devices of one group share one translation (facts §2.5 group rule). Takes effect. */
  readonly group: number;
  /** The device's PASID width in bits (0: no PASID capability); a PASID at or past 2^bits fails EINVAL. Takes effect. */
  readonly pasidBits: number;
  /** Reserved regions of this device besides the IOMMU's (an RMRR of a multi-function card). Takes effect. */
  readonly reserved: readonly ReservedRegion[];
}

/** A world's machine: one IOMMU and the four devices behind it, `dev1` … `dev4` in order. */
export interface MachineProfile {
  readonly iommu: IommuProfile;
  readonly devices: readonly [DeviceProfile, DeviceProfile, DeviceProfile, DeviceProfile];
}

/** The smallest page size of a bitmap (1 << __ffs(pgsize_bitmap)). */
export const minPageSize = (bitmap: bigint): bigint => bitmap & -bitmap;

/**
 * The vIOMMU type the IOMMU's driver allocates (its get_viommu_size answers non-zero for it), or null where it has no
 * vIOMMU: SMMUv3 (the stage-1 format ARM_SMMUV3) takes IOMMU_VIOMMU_TYPE_ARM_SMMUV3 (1, arm_smmu_get_viommu_size), the
 * selftest's mock driver IOMMU_VIOMMU_TYPE_SELFTEST (0xdeadbeef, mock_get_viommu_size); VT-d and AMD in the kernels read
 * have none. Derived, so a machine file has no field for it.
 */
export function viommuTypeOf(iommu: Pick<IommuProfile, 'stage1Format' | 'hwInfoType'>): number | null {
  if (iommu.stage1Format === 'IOMMU_HWPT_DATA_ARM_SMMUV3') return 1;
  if (iommu.hwInfoType === 'IOMMU_HW_INFO_TYPE_SELFTEST') return 0xdeadbeef;
  return null;
}
