/**
 * RFC v1 /dev/ioasid (per-VM FD, per-ioasid ops): the ioctl table of the /dev/ioasid FD and of the VFIO device FD
 * (the kernel's ioctl ops array). Opening the node makes an empty per-VM file; a device FD takes nothing but
 * VFIO_BIND_IOASID_FD until bound; closing it detaches every route and unbinds.
 * The other 2021 designs are this table with rows taken away or added (setup-only-association, per-device-sva,
 * fd-per-ioasid), so the rows are built here once, in groups named after what they stand for.
 */
import type { Ioctl, IoctlName, Result } from '../../uapi/index.js';
import { pageResponse } from '../fault-ring.js';
import * as ioasid from '../ioasid.js';
import { checkExtension, getInfo } from '../ioasid-info.js';
import { attachIoasid, bindIoasidFd, detachIoasid, inBoundFile, releaseIoasidDevice, unbindIoasidFd, type Resolve } from '../ioasid-device.js';
import { IoasidCtxFile } from '../ioasid-file.js';
import type { DeviceFile, FileKind, FrontEnd, Handler, IoctlRow, KFile, Kernel } from '../kernel.js';

/**
 * A row: the dispatcher only calls `handler` on a file of a kind in `on` with the command named by the row, so the
 * narrower parameter types hold (the kernel's ioctl table casts the same way through its argument union).
 */
export const row = <F extends KFile, C extends Ioctl>(on: readonly FileKind[], handler: (k: Kernel, f: F, c: C) => Result<unknown>): IoctlRow =>
  ({ on, handler: handler as unknown as Handler });

/** The address-space FD, whichever model it has. */
export const CTX: readonly FileKind[] = ['ioasid', 'ioasid-single'];
const PER_VM: readonly FileKind[] = ['ioasid'];
const DEVICE: readonly FileKind[] = ['device'];

/** The rows every 2021 design shares: maps on the address-space FD, and association that names an ioasid as `resolve` says. */
export const mapRows = {
  IOASID_MAP_DMA: row(CTX, ioasid.mapDma),
  IOASID_UNMAP_DMA: row(CTX, ioasid.unmapDma),
};

export const associationRows = (resolve: Resolve) => ({
  VFIO_ATTACH_IOASID: row(DEVICE, (k: Kernel, f: DeviceFile, c: Extract<Ioctl, { ioctl: 'VFIO_ATTACH_IOASID' }>) => attachIoasid(k, f, c, resolve)),
  VFIO_DETACH_IOASID: row(DEVICE, (k: Kernel, f: DeviceFile, c: Extract<Ioctl, { ioctl: 'VFIO_DETACH_IOASID' }>) => detachIoasid(k, f, c, resolve)),
});

/** Per-ioasid page-table ownership (seed M2): nesting, bind and invalidation on the address-space FD. */
export const nestingRows = {
  IOASID_CREATE_NESTING: row(CTX, ioasid.createNesting),
  IOASID_BIND_PGTABLE: row(CTX, ioasid.bindPgtable),
  IOASID_UNBIND_PGTABLE: row(CTX, ioasid.unbindPgtable),
  IOASID_INVALIDATE_CACHE: row(CTX, ioasid.invalidateCache),
};

/** The per-VM FD: its queries, many ioasids, memory registration, and the device bind. */
export const perVmRows = {
  IOASID_CHECK_EXTENSION: row(PER_VM, checkExtension),
  IOASID_GET_INFO: row(PER_VM, getInfo),
  IOASID_ALLOC: row(PER_VM, ioasid.ioasidAlloc),
  IOASID_FREE: row(PER_VM, ioasid.ioasidFree),
  IOASID_REGISTER_MEMORY: row(PER_VM, ioasid.registerMemory),
  IOASID_UNREGISTER_MEMORY: row(PER_VM, ioasid.unregisterMemory),
  VFIO_BIND_IOASID_FD: row(DEVICE, bindIoasidFd),
  VFIO_UNBIND_IOASID_FD: row(DEVICE, unbindIoasidFd),
  ...mapRows,
  ...associationRows(inBoundFile),
};

export const RFC_V1_IOCTLS = {
  ...perVmRows,
  ...nestingRows,
  IOASID_BIND_PASID_TABLE: row(CTX, ioasid.bindPasidTable),
  IOASID_UNBIND_PASID_TABLE: row(CTX, ioasid.unbindPasidTable),
  IOASID_PAGE_RESPONSE: row(PER_VM, pageResponse),
} satisfies Partial<Record<IoctlName, IoctlRow>>;

export const rfcV1FrontEnd: FrontEnd = {
  name: 'rfc-v1',
  node: '/dev/ioasid',
  bindIoctl: 'VFIO_BIND_IOASID_FD',
  ioctls: RFC_V1_IOCTLS,
  // design point: faultReport — the file keeps RFC v1's fault ring (flow 5.6)
  openNode: (k, serial) => new IoasidCtxFile(serial, k, false, true),
  unbind: releaseIoasidDevice,
};
