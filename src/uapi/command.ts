import type { EnvAction, EnvOut } from './env.js';
import type { IoasidCmd, IoasidOut } from './ioasid.js';
import type { IommufdCmd, IommufdOut } from './iommufd.js';
import type { Result } from './result.js';

/** Every ioctl of every design, tagged by its real (or proposed) name. */
export type Ioctl = IommufdCmd | IoasidCmd;
export type IoctlName = Ioctl['ioctl'];
/** One step of a trace: an ioctl or an environment action. */
export type Cmd = Ioctl | EnvAction;

export type OutOf<C extends Cmd> = C extends { ioctl: infer N extends keyof (IommufdOut & IoasidOut) }
  ? (IommufdOut & IoasidOut)[N]
  : C extends { env: infer E extends keyof EnvOut }
    ? EnvOut[E]
    : never;

export type CmdResult = Result<unknown>;

export function cmdName(c: Cmd): string {
  return 'ioctl' in c ? c.ioctl : c.env;
}

export const IOCTL_NAMES = [
  'IOMMU_DESTROY', 'IOMMU_IOAS_ALLOC', 'IOMMU_IOAS_ALLOW_IOVAS', 'IOMMU_IOAS_COPY', 'IOMMU_IOAS_IOVA_RANGES',
  'IOMMU_IOAS_MAP', 'IOMMU_IOAS_UNMAP', 'IOMMU_OPTION', 'IOMMU_GET_HW_INFO', 'IOMMU_HWPT_ALLOC', 'IOMMU_HWPT_INVALIDATE', 'IOMMU_HWPT_SET_DIRTY_TRACKING', 'IOMMU_HWPT_GET_DIRTY_BITMAP', 'IOMMU_FAULT_QUEUE_ALLOC', 'IOMMU_IOAS_MAP_FILE', 'IOMMU_IOAS_CHANGE_PROCESS', 'IOMMU_VIOMMU_ALLOC', 'IOMMU_VDEVICE_ALLOC', 'IOMMU_VEVENTQ_ALLOC', 'VFIO_DEVICE_BIND_IOMMUFD',
  'VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'VFIO_DEVICE_DETACH_IOMMUFD_PT',
  'IOASID_ALLOC', 'IOASID_FREE', 'IOASID_REGISTER_MEMORY', 'IOASID_UNREGISTER_MEMORY', 'IOASID_MAP_DMA',
  'IOASID_UNMAP_DMA', 'IOASID_CREATE_NESTING', 'IOASID_BIND_PGTABLE', 'IOASID_UNBIND_PGTABLE',
  'IOASID_BIND_PASID_TABLE', 'IOASID_UNBIND_PASID_TABLE', 'IOASID_INVALIDATE_CACHE', 'IOASID_CHECK_EXTENSION', 'IOASID_GET_INFO', 'IOASID_PAGE_RESPONSE',
  'VFIO_BIND_IOASID_FD', 'VFIO_UNBIND_IOASID_FD', 'VFIO_ATTACH_IOASID', 'VFIO_DETACH_IOASID', 'VFIO_DEVICE_BIND_PGTABLE',
  'VFIO_DEVICE_UNBIND_PGTABLE', 'VFIO_DEVICE_BIND_PASID_TABLE', 'VFIO_DEVICE_INVALIDATE_CACHE', 'VFIO_DEVICE_BIND_SVA',
  'VFIO_DEVICE_UNBIND_SVA',
] as const satisfies readonly IoctlName[];

// Every IoctlName is listed above: a missing one fails to compile here.
type Missing = Exclude<IoctlName, (typeof IOCTL_NAMES)[number]>;
export const ALL_IOCTLS_LISTED: Missing extends never ? true : Missing = true;
