/** iommufd as merged: the ioctl table of /dev/iommu and the VFIO cdev (the kernel's iommufd_ioctl_ops[]). */
import type { IoctlName } from '../../uapi/index.js';
import { attachPt, bindIommufd, detachPt, unbindIommufd } from '../device.js';
import { getDirtyBitmap, setDirtyTracking } from '../dirty.js';
import { faultQueueAlloc } from '../fault.js';
import { ioasChangeProcess, ioasMapFile } from '../file-map.js';
import { getHwInfo } from '../hw-info.js';
import { hwptAlloc, hwptInvalidate } from '../hwpt.js';
import { ioasAlloc, ioasAllowIovas, ioasCopy, ioasIovaRanges, ioasMap, ioasUnmap } from '../ioas.js';
import { IommufdFile } from '../iommufd-file.js';
import { option } from '../option.js';
import type { FrontEnd, Handler, IoctlRow } from '../kernel.js';
import { vdeviceAlloc, veventqAlloc, viommuAlloc } from '../viommu.js';

const on = (kind: 'iommufd' | 'device', handler: unknown): IoctlRow => ({ on: [kind], handler: handler as Handler });

export const IOMMUFD_IOCTLS = {
  IOMMU_DESTROY: on('iommufd', (_k: unknown, f: IommufdFile, c: { id: number }) => {
    const bad = f.table.destroyById(c.id);
    return bad ? { ok: false, errno: bad } : { ok: true, out: {} };
  }),
  IOMMU_IOAS_ALLOC: on('iommufd', ioasAlloc),
  IOMMU_IOAS_ALLOW_IOVAS: on('iommufd', ioasAllowIovas),
  IOMMU_IOAS_COPY: on('iommufd', ioasCopy),
  IOMMU_IOAS_IOVA_RANGES: on('iommufd', ioasIovaRanges),
  IOMMU_IOAS_MAP: on('iommufd', ioasMap),
  IOMMU_IOAS_UNMAP: on('iommufd', ioasUnmap),
  IOMMU_OPTION: on('iommufd', option),
  IOMMU_GET_HW_INFO: on('iommufd', getHwInfo),
  IOMMU_HWPT_ALLOC: on('iommufd', hwptAlloc),
  IOMMU_HWPT_INVALIDATE: on('iommufd', hwptInvalidate),
  IOMMU_HWPT_SET_DIRTY_TRACKING: on('iommufd', setDirtyTracking),
  IOMMU_HWPT_GET_DIRTY_BITMAP: on('iommufd', getDirtyBitmap),
  IOMMU_FAULT_QUEUE_ALLOC: on('iommufd', faultQueueAlloc),
  IOMMU_IOAS_MAP_FILE: on('iommufd', ioasMapFile),
  IOMMU_IOAS_CHANGE_PROCESS: on('iommufd', ioasChangeProcess),
  IOMMU_VIOMMU_ALLOC: on('iommufd', viommuAlloc),
  IOMMU_VDEVICE_ALLOC: on('iommufd', vdeviceAlloc),
  IOMMU_VEVENTQ_ALLOC: on('iommufd', veventqAlloc),
  VFIO_DEVICE_BIND_IOMMUFD: on('device', bindIommufd),
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: on('device', attachPt),
  VFIO_DEVICE_DETACH_IOMMUFD_PT: on('device', detachPt),
} satisfies Partial<Record<IoctlName, IoctlRow>>;

export const iommufdFrontEnd: FrontEnd = {
  name: 'iommufd',
  node: '/dev/iommu',
  bindIoctl: 'VFIO_DEVICE_BIND_IOMMUFD',
  ioctls: IOMMUFD_IOCTLS,
  openNode: (k, serial) => new IommufdFile(serial, k.alloc),
  unbind: unbindIommufd,
};
