/**
 * per-device-sva (the seed's objection, M1): a guest stage-1 is bound, unbound and invalidated through one device
 * FD for one route (RID, or RID + PASID). Each bind is an 'sva_bind' object in the device FD's own table, with its
 * own context tag, stacked on the root ioasid whose domain is its stage-2: so an invalidation flushes that tag and
 * reaches this device only — two devices sharing a guest table need one call each (what seed M2 says it loses).
 * The device's RID must be on that root (EINVAL); one bind per route, a native SVA binding included (EBUSY). A single
 * page table cannot be installed on guest-pasid-table hardware, nor a PASID table on host-pasid-table hardware
 * (EOPNOTSUPP).
 */
import {
  PASID_MAX, VFIO_DEVICE_SVA_PASID as SVA_PASID, fail, ok,
  type Errno, type IoasidFormat, type Result, type VfioDeviceBindPasidTable, type VfioDeviceBindPgtable,
  type VfioDeviceInvalidateCache, type VfioDeviceUnbindPgtable,
} from '../uapi/index.js';
import { addOwned, dropOwned } from './ioasid-device.js';
import { IoasidCtxFile } from './ioasid-file.js';
import { isNativelyBound } from './native-sva.js';
import { flushScope, scopeOf } from './ioasid.js';
import { IoasidChild, IoasidRoot, SvaBind, type IoasidSpace, type S1 } from './ioasid-objects.js';
import type { DeviceFile, Kernel } from './kernel.js';

/** The route a call names: `{ pasid: null }` for the RID. */
function route(f: DeviceFile, flags: number, pasid: number): { pasid: number | null } | Errno {
  if ((flags & ~SVA_PASID) !== 0) return 'EINVAL';
  if (f.vdev.df !== f) return 'EINVAL';
  if ((flags & SVA_PASID) === 0) return { pasid: null };
  if (f.vdev.phys.pasidBits === 0) return 'EOPNOTSUPP';
  if (pasid < 0 || pasid > PASID_MAX) return 'EINVAL';
  return { pasid };
}

const bindOf = (f: DeviceFile, pasid: number | null): SvaBind | undefined =>
  f.table.values().find((o): o is SvaBind => o instanceof SvaBind && o.pasid === pasid);

function bind(k: Kernel, f: DeviceFile, pasid: number | null, ioasid: number, s1: S1, format: IoasidFormat): Result<unknown> {
  // design point: guestPasidTable — which stage-1 the hardware can take through a device FD
  if ((s1.kind === 'pgtable') !== (k.world.hw === 'host-pasid-table')) return fail('EOPNOTSUPP');
  const ctx = f.vdev.ctx;
  const parent = ctx instanceof IoasidCtxFile ? ctx.table.getKind<IoasidSpace>(ioasid, IoasidRoot, IoasidChild) : undefined;
  if (!parent) return fail('ENOENT');
  if (!(parent instanceof IoasidRoot)) return fail('EINVAL');
  if (!f.vdev.routes.some((r) => r.pasid === null && r.target === parent)) return fail('EINVAL');
  if (format !== (k.world.hw === 'host-pasid-table' ? 'IOASID_FORMAT_VTD' : 'IOASID_FORMAT_SMMUV3')) return fail('EINVAL');
  if (k.world.iommu.stage1Format === null) return fail('EOPNOTSUPP'); // the IOMMU nests nothing
  if (bindOf(f, pasid) || isNativelyBound(f, pasid)) return fail('EBUSY'); // one bind per route, native SVA's included
  return addOwned(k, f, pasid, new SvaBind(parent, k.newContextId(), s1, f.vdev.name, pasid, k.iommu)); // until VFIO_DEVICE_UNBIND_PGTABLE or release
}

/** VFIO_DEVICE_BIND_PGTABLE: one guest page table for one route of this device. */
export function deviceBindPgtable(k: Kernel, f: DeviceFile, c: VfioDeviceBindPgtable): Result<unknown> {
  const r = route(f, c.flags, c.pasid);
  return typeof r === 'string' ? fail(r) : bind(k, f, r.pasid, c.ioasid, { kind: 'pgtable', root: c.pgtbl_addr }, c.format);
}

/** VFIO_DEVICE_BIND_PASID_TABLE: the device's guest PASID table, on its RID. */
export function deviceBindPasidTable(k: Kernel, f: DeviceFile, c: VfioDeviceBindPasidTable): Result<unknown> {
  if (f.vdev.df !== f) return fail('EINVAL');
  return bind(k, f, null, c.ioasid, { kind: 'pasid-table', root: c.pasid_table_addr }, c.format);
}

/** VFIO_DEVICE_UNBIND_PGTABLE: removes the route's bind (a PASID table is bound on the RID). */
export function deviceUnbindPgtable(k: Kernel, f: DeviceFile, c: VfioDeviceUnbindPgtable): Result<unknown> {
  const r = route(f, c.flags, c.pasid);
  if (typeof r === 'string') return fail(r);
  return dropOwned(k, f, bindOf(f, r.pasid)) ? ok({}) : fail('ENOENT');
}

/** VFIO_DEVICE_INVALIDATE_CACHE: flushes this device's bind only, not the other devices sharing the table. */
export function deviceInvalidateCache(k: Kernel, f: DeviceFile, c: VfioDeviceInvalidateCache): Result<unknown> {
  const r = route(f, c.flags, c.pasid);
  if (typeof r === 'string') return fail(r);
  const scope = scopeOf(c.granularity);
  if (!scope) return fail('EINVAL');
  const b = bindOf(f, r.pasid);
  if (!b) return fail('ENOENT');
  flushScope(k, b.ctxId, scope);
  return ok({});
}
