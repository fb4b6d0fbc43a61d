/**
 * Every ioctl of include/uapi/linux/iommufd.h as merged upstream (IOMMUFD_CMD_* 0x80 through 0x94, the newest being
 * IOMMU_HW_QUEUE_ALLOC), in header order, with what ioasid-lab does with it: modelled (the iommufd design offers it,
 * in the spec and the simulated kernel), or not, and why. `in612`: the Linux 6.12 tree `kernel check` boots has it
 * (its enum ends at IOMMUFD_CMD_FAULT_QUEUE_ALLOC). `ioasid-lab catalogue` prints this list.
 */
import type { IoctlName } from './command.js';

export interface HeaderIoctl {
  readonly ioctl: string;
  /** _IOC_NR: IOMMUFD_CMD_* */
  readonly nr: number;
  readonly in612: boolean;
  /** null: modelled (an IoctlName of the iommufd design); else why not */
  readonly notModelled: string | null;
}

export const IOMMUFD_HEADER: readonly HeaderIoctl[] = [
  { ioctl: 'IOMMU_DESTROY', nr: 0x80, in612: true, notModelled: null },
  { ioctl: 'IOMMU_IOAS_ALLOC', nr: 0x81, in612: true, notModelled: null },
  { ioctl: 'IOMMU_IOAS_ALLOW_IOVAS', nr: 0x82, in612: true, notModelled: null },
  { ioctl: 'IOMMU_IOAS_COPY', nr: 0x83, in612: true, notModelled: null },
  { ioctl: 'IOMMU_IOAS_IOVA_RANGES', nr: 0x84, in612: true, notModelled: null },
  { ioctl: 'IOMMU_IOAS_MAP', nr: 0x85, in612: true, notModelled: null },
  { ioctl: 'IOMMU_IOAS_UNMAP', nr: 0x86, in612: true, notModelled: null },
  { ioctl: 'IOMMU_OPTION', nr: 0x87, in612: true, notModelled: null },
  { ioctl: 'IOMMU_VFIO_IOAS', nr: 0x88, in612: true, notModelled: 'the VFIO type1 compatibility container (/dev/vfio/vfio served by iommufd) is out of scope' },
  { ioctl: 'IOMMU_HWPT_ALLOC', nr: 0x89, in612: true, notModelled: null },
  { ioctl: 'IOMMU_GET_HW_INFO', nr: 0x8a, in612: true, notModelled: null },
  { ioctl: 'IOMMU_HWPT_SET_DIRTY_TRACKING', nr: 0x8b, in612: true, notModelled: null },
  { ioctl: 'IOMMU_HWPT_GET_DIRTY_BITMAP', nr: 0x8c, in612: true, notModelled: null },
  { ioctl: 'IOMMU_HWPT_INVALIDATE', nr: 0x8d, in612: true, notModelled: null },
  { ioctl: 'IOMMU_FAULT_QUEUE_ALLOC', nr: 0x8e, in612: true, notModelled: null },
  { ioctl: 'IOMMU_IOAS_MAP_FILE', nr: 0x8f, in612: false, notModelled: null },
  { ioctl: 'IOMMU_VIOMMU_ALLOC', nr: 0x90, in612: false, notModelled: null },
  { ioctl: 'IOMMU_VDEVICE_ALLOC', nr: 0x91, in612: false, notModelled: null },
  { ioctl: 'IOMMU_IOAS_CHANGE_PROCESS', nr: 0x92, in612: false, notModelled: null },
  { ioctl: 'IOMMU_VEVENTQ_ALLOC', nr: 0x93, in612: false, notModelled: null },
  { ioctl: 'IOMMU_HW_QUEUE_ALLOC', nr: 0x94, in612: false, notModelled: 'no machine profile has a HW-accelerated vIOMMU queue (Tegra241 CMDQV): no driver modelled takes IOMMU_HW_QUEUE_ALLOC' },
];

/** The header's modelled ioctls, as the uAPI's own names. */
export const modelledOfHeader = (): IoctlName[] => IOMMUFD_HEADER.filter((h) => h.notModelled === null).map((h) => h.ioctl as IoctlName);
