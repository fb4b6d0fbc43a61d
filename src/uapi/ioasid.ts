import type { Fd, Gpa, Ioasid, Iova, IovaRange, Pasid, Uva } from './types.js';

/**
 * The 2021 /dev/ioasid proposals (facts §1.2-§1.3): RFC v1 ioctls on the per-VM /dev/ioasid FD and the VFIO
 * device-FD ioctls that associate devices, plus the per-device SVA ioctls of the seed's objection (a guest table, or
 * natively the process's own address space, bound through the device FD). None of these
 * ever merged; field names follow the RFC text (type1 MAP/UNMAP fields, `ioasid`, `user_pasid`).
 */

/** IOASID_MAP_DMA flags, as VFIO_DMA_MAP_FLAG_READ / _WRITE of type1. */
export const IOASID_DMA_MAP_FLAG_READ = 1;
export const IOASID_DMA_MAP_FLAG_WRITE = 2;
/** VFIO_ATTACH_IOASID / DETACH flag: route by (RID, user_pasid) instead of the RID alone (RFC v1 §5.5). */
export const IOASID_ATTACH_USER_PASID = 1;
/** VFIO_DEVICE_BIND_PGTABLE / INVALIDATE flag of the per-device design: the call names a PASID. */
export const VFIO_DEVICE_SVA_PASID = 1;

/**
 * Page-table / PASID-table formats. `VTD` is the Intel first-stage format (host-pasid-table hardware);
 * `SMMUV3` the ARM/AMD one whose PASID (CD/GCR3) table lives in guest memory (guest-pasid-table hardware).
 */
export type IoasidFormat = 'IOASID_FORMAT_VTD' | 'IOASID_FORMAT_SMMUV3';

/** Invalidation granularity of RFC v1 §2 (IOASID_INVALIDATE_CACHE): all of the address space, or a range. */
export type Granularity = { readonly kind: 'all' } | { readonly kind: 'range'; readonly iova: Iova; readonly size: bigint };

export interface IoasidAlloc { readonly ioctl: 'IOASID_ALLOC'; readonly fd: Fd }
export interface IoasidFree { readonly ioctl: 'IOASID_FREE'; readonly fd: Fd; readonly ioasid: Ioasid }
export interface IoasidRegisterMemory { readonly ioctl: 'IOASID_REGISTER_MEMORY'; readonly fd: Fd; readonly vaddr: Uva; readonly size: bigint }
export interface IoasidUnregisterMemory { readonly ioctl: 'IOASID_UNREGISTER_MEMORY'; readonly fd: Fd; readonly vaddr: Uva; readonly size: bigint }
export interface IoasidMapDma {
  readonly ioctl: 'IOASID_MAP_DMA'; readonly fd: Fd;
  /** the address space (ignored as 0 under fd-per-ioasid, where the FD is the ioasid) */ readonly ioasid: Ioasid;
  /** READ | WRITE */ readonly flags: number;
  /** user VA; on a software-nested child this is a GPA of the parent (RFC v1 §5.3) */ readonly vaddr: Uva;
  readonly iova: Iova;
  readonly size: bigint;
}
export interface IoasidUnmapDma {
  readonly ioctl: 'IOASID_UNMAP_DMA'; readonly fd: Fd; readonly ioasid: Ioasid;
  readonly iova: Iova; readonly size: bigint;
}
export interface IoasidCreateNesting { readonly ioctl: 'IOASID_CREATE_NESTING'; readonly fd: Fd; readonly parent_ioasid: Ioasid }
export interface IoasidBindPgtable {
  readonly ioctl: 'IOASID_BIND_PGTABLE'; readonly fd: Fd; readonly ioasid: Ioasid;
  readonly format: IoasidFormat;
  /** GPA of the guest's stage-1 page table root */ readonly pgtbl_addr: Gpa;
}
export interface IoasidUnbindPgtable { readonly ioctl: 'IOASID_UNBIND_PGTABLE'; readonly fd: Fd; readonly ioasid: Ioasid }
export interface IoasidBindPasidTable {
  readonly ioctl: 'IOASID_BIND_PASID_TABLE'; readonly fd: Fd; readonly ioasid: Ioasid;
  readonly format: IoasidFormat;
  /** GPA of the guest-owned PASID table */ readonly pasid_table_addr: Gpa;
}
export interface IoasidUnbindPasidTable { readonly ioctl: 'IOASID_UNBIND_PASID_TABLE'; readonly fd: Fd; readonly ioasid: Ioasid }
export interface IoasidInvalidateCache {
  readonly ioctl: 'IOASID_INVALIDATE_CACHE'; readonly fd: Fd; readonly ioasid: Ioasid;
  readonly granularity: Granularity;
}
/**
 * RFC v1 §2's FD-level capability query (IOASID_BASE + 0): 1 if the FD has `extension`, else 0. RFC v1 names
 * pre-registration as its example and numbers none; the model's numbers are IOASID_EXT_*. An extension the FD does not
 * know is 0, as VFIO_CHECK_EXTENSION answers.
 */
export interface IoasidCheckExtension { readonly ioctl: 'IOASID_CHECK_EXTENSION'; readonly fd: Fd; readonly extension: number }
/** IOASID_REGISTER_MEMORY and its unregister (RFC v1 §2's own example of an FD-level capability). */
export const IOASID_EXT_REGISTER_MEMORY = 1;
/** IOASID_CREATE_NESTING on the FD (whether a nesting is hardware or software is GET_INFO's, per ioasid). */
export const IOASID_EXT_NESTING = 2;
/** I/O page faults reported to the FD's ring, answered by IOASID_PAGE_RESPONSE (flow 5.6). */
export const IOASID_EXT_PAGE_FAULT = 3;

/**
 * RFC v1 §2's per-ioasid query (IOASID_BASE + 5): its capabilities and attributes, "only available after ≥1 device
 * attached" (before that the ioasid "is just a number"). RFC v1 left its layout TBD; the model's fields are below.
 */
export interface IoasidGetInfo { readonly ioctl: 'IOASID_GET_INFO'; readonly fd: Fd; readonly ioasid: Ioasid }
/** GET_INFO flags: what the ioasid takes now. MAP_DMA: type1 maps (a root, or a child with no table bound). */
export const IOASID_INFO_MAP_DMA = 1;
/** CREATE_NESTING takes it as a parent (a root). */
export const IOASID_INFO_NESTING = 2;
/** BIND_PGTABLE / BIND_PASID_TABLE of the native format would be accepted now. */
export const IOASID_INFO_BIND_PGTABLE = 4;
export const IOASID_INFO_BIND_PASID_TABLE = 8;
/** The IOMMU walks a guest stage-1 (hardware nesting: bind a child); without it a child nests by software (MAP_DMA of GPAs). */
export const IOASID_INFO_HW_NESTING = 16;
export interface IoasidInfo {
  readonly flags: number;
  /** the IOVA a map may use: the complement of the reserved ranges (the devices' regions, outside the aperture) */
  readonly iova_ranges: readonly IovaRange[];
  /** the page sizes the I/O page table maps */
  readonly pgsize_bitmap: bigint;
  /** the stage-1 formats a bind takes (the IOMMU's native one, where it nests) */
  readonly formats: readonly IoasidFormat[];
  /** the children nested on it */
  readonly children: number;
}

/**
 * RFC v1's page-fault completion (flow 5.6, "a /dev/ioasid completion ioctl"): the user's answer, `code`, to the oldest
 * page request of `ioasid` it took off the FD's fault ring. It names no request and no device: RFC v1 §1 keeps device
 * identity out of the uAPI, and the kernel completes with the {rid, pasid} it stored (src/spec/fault-ring.ts).
 */
export interface IoasidPageResponse { readonly ioctl: 'IOASID_PAGE_RESPONSE'; readonly fd: Fd; readonly ioasid: Ioasid; readonly code: number }
/** The response codes of 2021's include/uapi/linux/iommu.h (enum iommu_page_response_code), which RFC v1 would have taken. */
export const IOMMU_PAGE_RESP_SUCCESS = 0;
export const IOMMU_PAGE_RESP_INVALID = 1;
export const IOMMU_PAGE_RESP_FAILURE = 2;
export interface VfioBindIoasidFd { readonly ioctl: 'VFIO_BIND_IOASID_FD'; /** device fd */ readonly fd: Fd; readonly ioasid_fd: Fd }
export interface VfioUnbindIoasidFd { readonly ioctl: 'VFIO_UNBIND_IOASID_FD'; /** device fd */ readonly fd: Fd }
export interface VfioAttachIoasid {
  readonly ioctl: 'VFIO_ATTACH_IOASID'; /** device fd */ readonly fd: Fd;
  /** the ioasid (under fd-per-ioasid: the ioasid FD number) */ readonly ioasid: Ioasid;
  /** IOASID_ATTACH_USER_PASID */ readonly flags: number;
  readonly user_pasid: Pasid;
}
export interface VfioDetachIoasid {
  readonly ioctl: 'VFIO_DETACH_IOASID'; /** device fd */ readonly fd: Fd;
  readonly ioasid: Ioasid; readonly flags: number; readonly user_pasid: Pasid;
}
/** per-device-sva: bind a guest stage-1 table for one device (and PASID) on top of a kernel-managed ioasid. */
export interface VfioDeviceBindPgtable {
  readonly ioctl: 'VFIO_DEVICE_BIND_PGTABLE'; /** device fd */ readonly fd: Fd;
  /** the kernel-managed (GPA) ioasid the stage-1 output goes through */ readonly ioasid: Ioasid;
  /** VFIO_DEVICE_SVA_PASID */ readonly flags: number; readonly pasid: Pasid;
  readonly format: IoasidFormat; readonly pgtbl_addr: Gpa;
}
export interface VfioDeviceUnbindPgtable {
  readonly ioctl: 'VFIO_DEVICE_UNBIND_PGTABLE'; /** device fd */ readonly fd: Fd;
  readonly flags: number; readonly pasid: Pasid;
}
/** per-device-sva: bind the guest PASID table of one device (AMD/ARM) on top of a kernel-managed ioasid. */
export interface VfioDeviceBindPasidTable {
  readonly ioctl: 'VFIO_DEVICE_BIND_PASID_TABLE'; /** device fd */ readonly fd: Fd;
  readonly ioasid: Ioasid; readonly format: IoasidFormat; readonly pasid_table_addr: Gpa;
}
export interface VfioDeviceInvalidateCache {
  readonly ioctl: 'VFIO_DEVICE_INVALIDATE_CACHE'; /** device fd */ readonly fd: Fd;
  readonly flags: number; readonly pasid: Pasid; readonly granularity: Granularity;
}

/**
 * per-device-sva: native SVA, Yi's model of the seed (M3 concern 3, "native SVA bind is per-device"): bind the calling
 * process's own address space — its mmapped memory as the CPU sees it — to one PASID of the device, through the device
 * FD. A DMA by (device, pasid) at iova = a user VA then reaches that user page, as the CPU would, for as long as it is
 * mmapped. The caller names the PASID (Linux allocates mm->pasid itself, iommu_sva_bind_device); no invalidation call
 * exists: the kernel's mmu notifier keeps the IOTLB in step with the CPU page table.
 */
export interface VfioDeviceBindSva {
  readonly ioctl: 'VFIO_DEVICE_BIND_SVA'; /** device fd */ readonly fd: Fd;
  /** no flag is defined: 0 */ readonly flags: number;
  readonly pasid: Pasid;
}
/** per-device-sva: undo VFIO_DEVICE_BIND_SVA of one PASID. */
export interface VfioDeviceUnbindSva {
  readonly ioctl: 'VFIO_DEVICE_UNBIND_SVA'; /** device fd */ readonly fd: Fd;
  /** no flag is defined: 0 */ readonly flags: number;
  readonly pasid: Pasid;
}

export type IoasidCmd =
  | IoasidAlloc | IoasidFree | IoasidRegisterMemory | IoasidUnregisterMemory | IoasidMapDma | IoasidUnmapDma
  | IoasidCreateNesting | IoasidBindPgtable | IoasidUnbindPgtable | IoasidBindPasidTable | IoasidUnbindPasidTable
  | IoasidInvalidateCache | IoasidCheckExtension | IoasidGetInfo | IoasidPageResponse | VfioBindIoasidFd | VfioUnbindIoasidFd | VfioAttachIoasid | VfioDetachIoasid
  | VfioDeviceBindPgtable | VfioDeviceUnbindPgtable | VfioDeviceBindPasidTable | VfioDeviceInvalidateCache
  | VfioDeviceBindSva | VfioDeviceUnbindSva;

type None = Record<string, never>;
export interface IoasidOut {
  /** under fd-per-ioasid the child is a new FD, returned in `fd` with ioasid 0 */
  IOASID_ALLOC: { readonly ioasid: Ioasid };
  IOASID_FREE: None;
  IOASID_REGISTER_MEMORY: None;
  IOASID_UNREGISTER_MEMORY: None;
  IOASID_MAP_DMA: None;
  IOASID_UNMAP_DMA: { readonly size: bigint };
  IOASID_CREATE_NESTING: { readonly ioasid: Ioasid; readonly fd?: Fd };
  IOASID_BIND_PGTABLE: None;
  IOASID_UNBIND_PGTABLE: None;
  IOASID_BIND_PASID_TABLE: None;
  IOASID_UNBIND_PASID_TABLE: None;
  IOASID_INVALIDATE_CACHE: None;
  IOASID_CHECK_EXTENSION: { readonly supported: number };
  IOASID_GET_INFO: IoasidInfo;
  IOASID_PAGE_RESPONSE: None;
  VFIO_BIND_IOASID_FD: None;
  VFIO_UNBIND_IOASID_FD: None;
  VFIO_ATTACH_IOASID: None;
  VFIO_DETACH_IOASID: None;
  VFIO_DEVICE_BIND_PGTABLE: None;
  VFIO_DEVICE_UNBIND_PGTABLE: None;
  VFIO_DEVICE_BIND_PASID_TABLE: None;
  VFIO_DEVICE_INVALIDATE_CACHE: None;
  VFIO_DEVICE_BIND_SVA: None;
  VFIO_DEVICE_UNBIND_SVA: None;
}
