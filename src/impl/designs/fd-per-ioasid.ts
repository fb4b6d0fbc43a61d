/**
 * fd-per-ioasid (seed M3 skeleton, M4 "Seems so"): opening /dev/ioasid makes one ioasid and its FD; the FD
 * number is handed to VFIO_ATTACH_IOASID (no bind step, so a device FD takes every ioctl from the start) and the
 * association holds that FD open; CREATE_NESTING returns a new FD holding its parent's. Page-table bind and
 * invalidation go to the child FD. There is no ALLOC/FREE, no registration (each FD charges its own pins) and
 * no PASID-table bind (ENOTTY): on guest-pasid-table hardware nothing can nest a guest stage-1.
 */
import type { IoctlName } from '../../uapi/index.js';
import { byFdNumber, releaseIoasidDevice } from '../ioasid-device.js';
import { IoasidSingleFile } from '../ioasid-file.js';
import type { FrontEnd, IoctlRow } from '../kernel.js';
import { associationRows, mapRows, nestingRows } from './rfc-v1.js';

export const FD_PER_IOASID_IOCTLS = {
  ...mapRows,
  ...nestingRows,
  // design point: fdModel — per-ioasid: the association names the ioasid FD by its number and holds it open
  ...associationRows(byFdNumber),
} satisfies Partial<Record<IoctlName, IoctlRow>>;

export const fdPerIoasidFrontEnd: FrontEnd = {
  name: 'fd-per-ioasid',
  node: '/dev/ioasid',
  bindIoctl: null,
  ioctls: FD_PER_IOASID_IOCTLS,
  openNode: (k, serial) => IoasidSingleFile.openRoot(k, serial),
  unbind: releaseIoasidDevice,
};
