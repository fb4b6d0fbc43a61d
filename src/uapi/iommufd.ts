import type { HwInfoType } from './profile.js';
import type { Fd, Gpa, HwptId, IoasId, Iova, IovaRange, ObjId, Pasid, PtId, Uva, DevId } from './types.js';

/**
 * The merged iommufd uAPI (include/uapi/linux/iommufd.h) and the VFIO cdev ioctls that bind devices to it
 * (include/uapi/linux/vfio.h). Field names follow the headers; `size`/`argsz` are implied (the record is
 * always complete), user pointers are replaced by the data they point at.
 */

/** IOMMU_IOAS_MAP / IOMMU_IOAS_COPY flags. */
export const IOMMU_IOAS_MAP_FIXED_IOVA = 1;
export const IOMMU_IOAS_MAP_WRITEABLE = 2;
export const IOMMU_IOAS_MAP_READABLE = 4;
/** IOMMU_HWPT_ALLOC flags. */
export const IOMMU_HWPT_ALLOC_NEST_PARENT = 1;
export const IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 2;
export const IOMMU_HWPT_FAULT_ID_VALID = 4;
export const IOMMU_HWPT_ALLOC_PASID = 8;
/** IOMMU_HWPT_SET_DIRTY_TRACKING flags (enum iommufd_hwpt_set_dirty_tracking_flags). */
export const IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1;
/** IOMMU_HWPT_GET_DIRTY_BITMAP flags (enum iommufd_hwpt_get_dirty_bitmap_flags): report without clearing. */
export const IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1;
/** VFIO_DEVICE_ATTACH_IOMMUFD_PT / DETACH flags. */
export const VFIO_DEVICE_ATTACH_PASID = 1;
export const VFIO_DEVICE_DETACH_PASID = 1;

/** enum iommu_hwpt_data_type: the stage-1 format handed to IOMMU_HWPT_ALLOC. */
export type HwptDataType = 'IOMMU_HWPT_DATA_NONE' | 'IOMMU_HWPT_DATA_VTD_S1' | 'IOMMU_HWPT_DATA_ARM_SMMUV3';

/**
 * The stage-1 data a nested HWPT carries. VTD_S1: the guest's first-stage page table root (one address space).
 * ARM_SMMUV3: the guest's stream table entry, i.e. a pointer to the guest-owned CD (PASID) table.
 */
export interface HwptData {
  readonly pgtbl_addr: Gpa;
}

/**
 * One invalidation entry (struct iommu_hwpt_vtd_s1_invalidate / an SMMUv3 TLBI command, abstracted): `all` is
 * addr 0 with npages U64_MAX. Raw words, where a trace tests them: `flags` (VT-d IOMMU_VTD_INV_FLAGS_LEAF = 1,
 * any other bit EOPNOTSUPP) and `__reserved` (non-zero EOPNOTSUPP); absent is 0.
 */
export type InvalidateEntry =
  | { readonly scope: 'all'; readonly flags?: number; readonly __reserved?: number }
  | { readonly scope: 'range'; readonly addr: Iova; readonly npages: bigint; readonly flags?: number; readonly __reserved?: number };

/** The size of each stage-1 format's structs (include/uapi/linux/iommufd.h): what data_len and entry_len must be. */
export const HWPT_DATA_LEN = { IOMMU_HWPT_DATA_NONE: 0, IOMMU_HWPT_DATA_VTD_S1: 24, IOMMU_HWPT_DATA_ARM_SMMUV3: 16 } as const;
export const INVALIDATE_ENTRY_LEN = { IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: 24, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: 16 } as const;

/** IOMMU_GET_HW_INFO out_capabilities (enum iommufd_hw_capabilities); PCI_PASID_EXEC / PRIV are not modelled. */
export const IOMMU_HW_CAP_DIRTY_TRACKING = 1;
/**
 * Each enum iommu_hw_info_type: its value and the length of the struct its driver fills (struct iommu_hw_info_vtd,
 * iommu_hw_info_arm_smmuv3, iommu_test_hw_info in drivers/iommu/iommufd/iommufd_test.h; NONE has no data).
 */
export const HW_INFO: { readonly [T in HwInfoType]: { readonly value: number; readonly len: number } } = {
  IOMMU_HW_INFO_TYPE_NONE: { value: 0, len: 0 },
  IOMMU_HW_INFO_TYPE_INTEL_VTD: { value: 1, len: 24 },
  IOMMU_HW_INFO_TYPE_ARM_SMMUV3: { value: 2, len: 40 },
  IOMMU_HW_INFO_TYPE_SELFTEST: { value: 0xfeedbeef, len: 8 },
};

/** IOMMU_OPTION option_id and op (enum iommufd_option, enum iommufd_option_ops). */
export const IOMMU_OPTION_RLIMIT_MODE = 0;
export const IOMMU_OPTION_HUGE_PAGES = 1;
export const IOMMU_OPTION_OP_SET = 0;
export const IOMMU_OPTION_OP_GET = 1;

export interface IommuDestroy { readonly ioctl: 'IOMMU_DESTROY'; readonly fd: Fd; /** any object id */ readonly id: ObjId }
export interface IommuIoasAlloc { readonly ioctl: 'IOMMU_IOAS_ALLOC'; readonly fd: Fd; /** must be 0 */ readonly flags: number }
export interface IommuIoasAllowIovas {
  readonly ioctl: 'IOMMU_IOAS_ALLOW_IOVAS'; readonly fd: Fd;
  readonly ioas_id: IoasId;
  /** must be 0 */ readonly __reserved: number;
  /** replaces the whole allowed list; empty means "no restriction" */
  readonly allowed_iovas: readonly IovaRange[];
}
export interface IommuIoasCopy {
  readonly ioctl: 'IOMMU_IOAS_COPY'; readonly fd: Fd;
  /** FIXED_IOVA | WRITEABLE | READABLE */ readonly flags: number;
  readonly dst_ioas_id: IoasId; readonly src_ioas_id: IoasId;
  readonly length: bigint;
  /** input with FIXED_IOVA, otherwise chosen by the kernel and returned */ readonly dst_iova: Iova;
  readonly src_iova: Iova;
}
export interface IommuIoasIovaRanges {
  readonly ioctl: 'IOMMU_IOAS_IOVA_RANGES'; readonly fd: Fd;
  readonly ioas_id: IoasId;
  /** capacity of the user's array; EMSGSIZE (with the needed count) when too small */ readonly num_iovas: number;
  /** must be 0 */ readonly __reserved: number;
}
export interface IommuIoasMap {
  readonly ioctl: 'IOMMU_IOAS_MAP'; readonly fd: Fd;
  /** FIXED_IOVA | WRITEABLE | READABLE */ readonly flags: number;
  readonly ioas_id: IoasId;
  /** must be 0 */ readonly __reserved: number;
  readonly user_va: Uva; readonly length: bigint;
  /** input with FIXED_IOVA, otherwise chosen by the kernel and returned */ readonly iova: Iova;
}
export interface IommuIoasUnmap {
  readonly ioctl: 'IOMMU_IOAS_UNMAP'; readonly fd: Fd;
  readonly ioas_id: IoasId;
  /** iova 0 with length U64_MAX unmaps everything */ readonly iova: Iova; readonly length: bigint;
}
export interface IommuGetHwInfo {
  readonly ioctl: 'IOMMU_GET_HW_INFO'; readonly fd: Fd;
  /** must be 0 (6.12; newer kernels define IOMMU_HW_INFO_FLAG_INPUT_TYPE) */ readonly flags: number;
  readonly dev_id: DevId;
  /** the length of the user's buffer: the kernel fills at most this much and zeroes the rest; 0 is allowed */ readonly data_len: number;
  /** the three reserved bytes as one number: must be 0 */ readonly __reserved: number;
}
export interface IommuOption {
  readonly ioctl: 'IOMMU_OPTION'; readonly fd: Fd;
  /** IOMMU_OPTION_RLIMIT_MODE (global: object_id 0) or IOMMU_OPTION_HUGE_PAGES (per IOAS); another value EOPNOTSUPP */ readonly option_id: number;
  /** IOMMU_OPTION_OP_SET or IOMMU_OPTION_OP_GET */ readonly op: number;
  /** must be 0 */ readonly __reserved: number;
  /** the IOAS of HUGE_PAGES; 0 for RLIMIT_MODE */ readonly object_id: ObjId;
  /** the value to set (0 or 1); ignored by a GET, which returns it */ readonly val64: bigint;
}
export interface IommuHwptAlloc {
  readonly ioctl: 'IOMMU_HWPT_ALLOC'; readonly fd: Fd;
  /** NEST_PARENT | DIRTY_TRACKING | FAULT_ID_VALID | ALLOC_PASID */ readonly flags: number;
  readonly dev_id: DevId;
  /** an IOAS (paging HWPT) or a NEST_PARENT HWPT_PAGING (nested HWPT) */ readonly pt_id: PtId;
  /** must be 0 */ readonly __reserved: number;
  readonly data_type: HwptDataType;
  /** the stage-1 data; null: no data (data_len 0), or with `data_len` given, a NULL data_uptr */ readonly data: HwptData | null;
  readonly fault_id: ObjId;
  /** raw data_len where a trace tests it; absent: the size of data_type's struct when there is data, else 0 */
  readonly data_len?: number;
}
export interface IommuHwptInvalidate {
  readonly ioctl: 'IOMMU_HWPT_INVALIDATE'; readonly fd: Fd;
  readonly hwpt_id: HwptId;
  readonly data_type: 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' | 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3';
  /** entry_num = entries.length; 0 only probes data_type */ readonly entries: readonly InvalidateEntry[];
  /** must be 0 */ readonly __reserved: number;
  /** raw entry_len where a trace tests it; absent: the size of data_type's entry struct */
  readonly entry_len?: number;
  /** raw entry_num where a trace tests it: with no `entries` it is a NULL data_uptr; absent: entries.length */
  readonly entry_num?: number;
}
export interface IommuHwptSetDirtyTracking {
  readonly ioctl: 'IOMMU_HWPT_SET_DIRTY_TRACKING'; readonly fd: Fd;
  /** IOMMU_HWPT_DIRTY_TRACKING_ENABLE, or 0 to stop tracking */ readonly flags: number;
  readonly hwpt_id: HwptId;
  /** never read by the kernel (6.12 iommufd_hwpt_set_dirty_tracking checks flags only) */ readonly __reserved: number;
}
export interface IommuHwptGetDirtyBitmap {
  readonly ioctl: 'IOMMU_HWPT_GET_DIRTY_BITMAP'; readonly fd: Fd;
  readonly hwpt_id: HwptId;
  /** IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR */ readonly flags: number;
  /** must be 0 */ readonly __reserved: number;
  readonly iova: Iova; readonly length: bigint;
  /** the IOVA one bit covers (its lowest set bit: the kernel takes 1 << __ffs(page_size)) */ readonly page_size: bigint;
  /**
   * data: true is a zeroed user bitmap of ceil(length / page_size) bits; false a pointer the kernel cannot write (NULL),
   * which it never checks: the call succeeds, reports nothing and, without NO_CLEAR, still clears the bits
   */
  readonly data: boolean;
}
export interface IommuIoasMapFile {
  readonly ioctl: 'IOMMU_IOAS_MAP_FILE'; readonly fd: Fd;
  /** FIXED_IOVA | WRITEABLE | READABLE, as IOMMU_IOAS_MAP */ readonly flags: number;
  readonly ioas_id: IoasId;
  /** the struct's `fd`: the file whose pages are mapped (a memfd) */ readonly file_fd: Fd;
  /** the byte offset in the file */ readonly start: bigint;
  readonly length: bigint;
  /** input with FIXED_IOVA, otherwise chosen by the kernel and returned */ readonly iova: Iova;
}
export interface IommuIoasChangeProcess {
  readonly ioctl: 'IOMMU_IOAS_CHANGE_PROCESS'; readonly fd: Fd;
  /** must be 0 */ readonly __reserved: number;
}
export interface IommuFaultQueueAlloc {
  readonly ioctl: 'IOMMU_FAULT_QUEUE_ALLOC'; readonly fd: Fd;
  /** must be 0 */ readonly flags: number;
}
/**
 * enum iommu_viommu_type: DEFAULT (0) is reserved, ARM_SMMUV3 is the SMMUv3 driver's, TEGRA241_CMDQV its CMDQV
 * extension's; the selftest's mock driver takes IOMMU_VIOMMU_TYPE_SELFTEST (iommufd_test.h).
 */
export const IOMMU_VIOMMU_TYPE_DEFAULT = 0;
export const IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1;
export const IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2;
export const IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef;
/** enum iommu_veventq_type: DEFAULT (0) is reserved; the selftest's is IOMMU_VEVENTQ_TYPE_SELFTEST (iommufd_test.h). */
export const IOMMU_VEVENTQ_TYPE_DEFAULT = 0;
export const IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1;
export const IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2;
export const IOMMU_VEVENTQ_TYPE_SELFTEST = 0xbeefbeef;
/** struct iommufd_vevent_header flags: the queue overflowed and events were lost after the one before this header. */
export const IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1;

export interface IommuViommuAlloc {
  readonly ioctl: 'IOMMU_VIOMMU_ALLOC'; readonly fd: Fd;
  /** must be 0 */ readonly flags: number;
  /** enum iommu_viommu_type */ readonly type: number;
  /** a device behind the physical IOMMU the vIOMMU is a slice of */ readonly dev_id: DevId;
  /** the NEST_PARENT paging HWPT (the stage-2 the vIOMMU's nested HWPTs go through) */ readonly hwpt_id: HwptId;
}
export interface IommuVdeviceAlloc {
  readonly ioctl: 'IOMMU_VDEVICE_ALLOC'; readonly fd: Fd;
  readonly viommu_id: ObjId;
  readonly dev_id: DevId;
  /** the device's id in the guest's view of the vIOMMU (SMMUv3: its virtual Stream ID) */ readonly virt_id: bigint;
}
export interface IommuVeventqAlloc {
  readonly ioctl: 'IOMMU_VEVENTQ_ALLOC'; readonly fd: Fd;
  /** must be 0 */ readonly flags: number;
  readonly viommu_id: ObjId;
  /** enum iommu_veventq_type */ readonly type: number;
  /** the most events the queue holds before it loses them */ readonly veventq_depth: number;
  /** must be 0 */ readonly __reserved: number;
}
export interface VfioDeviceBindIommufd {
  readonly ioctl: 'VFIO_DEVICE_BIND_IOMMUFD';
  /** the VFIO cdev fd */ readonly fd: Fd;
  /** 0 (VFIO_DEVICE_BIND_FLAG_TOKEN is not modelled) */ readonly flags: number;
  readonly iommufd: Fd;
}
export interface VfioDeviceAttachIommufdPt {
  readonly ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT';
  /** the VFIO cdev fd */ readonly fd: Fd;
  /** VFIO_DEVICE_ATTACH_PASID */ readonly flags: number;
  readonly pt_id: PtId;
  readonly pasid: Pasid;
}
export interface VfioDeviceDetachIommufdPt {
  readonly ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT';
  /** the VFIO cdev fd */ readonly fd: Fd;
  /** VFIO_DEVICE_DETACH_PASID */ readonly flags: number;
  readonly pasid: Pasid;
}

export type IommufdCmd =
  | IommuDestroy | IommuIoasAlloc | IommuIoasAllowIovas | IommuIoasCopy | IommuIoasIovaRanges | IommuIoasMap
  | IommuIoasUnmap | IommuOption | IommuGetHwInfo | IommuHwptAlloc | IommuHwptInvalidate
  | IommuHwptSetDirtyTracking | IommuHwptGetDirtyBitmap | IommuFaultQueueAlloc | IommuIoasMapFile | IommuIoasChangeProcess
  | IommuViommuAlloc | IommuVdeviceAlloc | IommuVeventqAlloc
  | VfioDeviceBindIommufd | VfioDeviceAttachIommufdPt | VfioDeviceDetachIommufdPt;

export interface IommufdOut {
  IOMMU_DESTROY: Record<string, never>;
  IOMMU_IOAS_ALLOC: { readonly out_ioas_id: IoasId };
  IOMMU_IOAS_ALLOW_IOVAS: Record<string, never>;
  IOMMU_IOAS_COPY: { readonly dst_iova: Iova };
  IOMMU_IOAS_IOVA_RANGES: { readonly num_iovas: number; readonly allowed_iovas: readonly IovaRange[]; readonly out_iova_alignment: bigint };
  IOMMU_IOAS_MAP: { readonly iova: Iova };
  IOMMU_IOAS_UNMAP: { readonly length: bigint };
  /** data_len: the length the kernel's struct has (it may be more than the buffer the caller gave) */
  /** the value read, or the value set, copied back on success */
  IOMMU_OPTION: { readonly val64: bigint };
  IOMMU_GET_HW_INFO: { readonly data_len: number; readonly out_data_type: HwInfoType; readonly out_max_pasid_log2: number; readonly out_capabilities: number };
  IOMMU_HWPT_ALLOC: { readonly out_hwpt_id: HwptId };
  IOMMU_HWPT_INVALIDATE: { readonly entry_num: number };
  IOMMU_HWPT_SET_DIRTY_TRACKING: Record<string, never>;
  /**
   * The bitmap the kernel wrote, read back as the IOVA runs its set bits cover (each bit `page_size` bytes of IOVA from
   * `iova`), sorted and merged. The spec adds `maybe`: runs the kernel may report or not (a write served by an IOTLB
   * entry the spec cannot tell from the current walk, as a DMA's `stale`).
   */
  IOMMU_HWPT_GET_DIRTY_BITMAP: { readonly dirty: readonly IovaRange[]; readonly maybe?: readonly IovaRange[] };
  IOMMU_IOAS_MAP_FILE: { readonly iova: Iova };
  IOMMU_IOAS_CHANGE_PROCESS: Record<string, never>;
  /** the FAULT object and the fd its queue is read and answered through */
  IOMMU_FAULT_QUEUE_ALLOC: { readonly out_fault_id: ObjId; readonly out_fault_fd: Fd };
  IOMMU_VIOMMU_ALLOC: { readonly out_viommu_id: ObjId };
  IOMMU_VDEVICE_ALLOC: { readonly out_vdevice_id: ObjId };
  /** the vEVENTQ object and the fd its events are read through */
  IOMMU_VEVENTQ_ALLOC: { readonly out_veventq_id: ObjId; readonly out_veventq_fd: Fd };
  VFIO_DEVICE_BIND_IOMMUFD: { readonly out_devid: DevId };
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: { readonly pt_id: HwptId };
  VFIO_DEVICE_DETACH_IOMMUFD_PT: Record<string, never>;
}

/**
 * The data_len an IOMMU_HWPT_ALLOC record passes: its raw `data_len`, else the size of data_type's struct when it
 * gives data (8, any non-zero length, for data under DATA_NONE), else 0. Part of what a record means, so the spec,
 * the simulated kernel and the bytes sent to Linux all read it here.
 */
export const hwptDataLen = (c: IommuHwptAlloc): number => c.data_len ?? (c.data === null ? 0 : HWPT_DATA_LEN[c.data_type] || 8);
