/**
 * per-device-sva (seed M1, M3 concern 3): the per-VM /dev/ioasid FD keeps its ioasids, registrations and maps,
 * and devices bind and attach as in RFC v1; but there is no nesting on the address-space FD. A guest stage-1 is
 * bound, unbound and invalidated through each device FD (src/impl/sva.ts), owned by that FD, so two devices
 * sharing a guest table need one bind and one invalidation each — the property seed M2 says this design loses.
 * Native SVA is a device-FD call too: the process's own mm on one device PASID (src/impl/native-sva.ts).
 */
import type { IoctlName } from '../../uapi/index.js';
import { IoasidCtxFile } from '../ioasid-file.js';
import type { FrontEnd, IoctlRow } from '../kernel.js';
import { deviceBindSva, deviceUnbindSva } from '../native-sva.js';
import { deviceBindPasidTable, deviceBindPgtable, deviceInvalidateCache, deviceUnbindPgtable } from '../sva.js';
import { perVmRows, rfcV1FrontEnd, row } from './rfc-v1.js';

export const PER_DEVICE_SVA_IOCTLS = {
  ...perVmRows,
  // design point: ownership — per-device (seed M1)
  VFIO_DEVICE_BIND_PGTABLE: row(['device'], deviceBindPgtable),
  VFIO_DEVICE_UNBIND_PGTABLE: row(['device'], deviceUnbindPgtable),
  VFIO_DEVICE_BIND_PASID_TABLE: row(['device'], deviceBindPasidTable),
  VFIO_DEVICE_INVALIDATE_CACHE: row(['device'], deviceInvalidateCache),
  // design point: nativeSva — per-device: the process's own address space on a device PASID (seed M3 concern 3)
  VFIO_DEVICE_BIND_SVA: row(['device'], deviceBindSva),
  VFIO_DEVICE_UNBIND_SVA: row(['device'], deviceUnbindSva),
} satisfies Partial<Record<IoctlName, IoctlRow>>;

export const perDeviceSvaFrontEnd: FrontEnd = {
  ...rfcV1FrontEnd,
  name: 'per-device-sva',
  ioctls: PER_DEVICE_SVA_IOCTLS,
  // design point: faultReport — no fault ring: every page request is answered by the core
  openNode: (k, serial) => new IoasidCtxFile(serial, k, false, false),
};
