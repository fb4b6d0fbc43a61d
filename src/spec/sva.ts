/**
 * Per-device SVA — the seed's objection (M1, M3 concern 3): "the SVA operations (bind/unbind page table,
 * cache_invalidate) should be per-device", as native SVA binds per device. The /dev/ioasid FD still owns the
 * kernel-managed (GPA) ioasids; a guest stage-1 is bound through a device FD for one (device, PASID|RID) and
 * invalidated through that device FD. Each bind is its own context (`sva_bind`, owned by the device FD), so an
 * invalidation reaches one device only: two devices sharing a guest address space need one bind and one
 * invalidation each — the property the seed's per-ioasid argument (M2) says this design loses.
 * Rules chosen: the device's RID must be attached to the (root) ioasid the stage-1 output goes through (EINVAL);
 * one bind per route, a native SVA binding (native-sva.ts) included (EBUSY); a single guest page table cannot be installed on guest-pasid-table hardware
 * (EOPNOTSUPP: bind the device's guest PASID table instead), and a PASID table cannot on host-pasid-table hardware.
 */
import type { Draft } from 'immer';
import {
  PASID_MAX, VFIO_DEVICE_SVA_PASID as SVA_PASID,
  type Pasid, type VfioDeviceBindPasidTable, type VfioDeviceBindPgtable, type VfioDeviceInvalidateCache, type VfioDeviceUnbindPgtable,
} from '../uapi/index.js';
import { flush } from './hwpt.js';
import { nativeFormat, scopeOf } from './ioasid.js';
import { nativeBinding } from './native-sva.js';
import { addOwned, dropOwned } from './objects.js';
import { commit, isRejection, reject, type Outcome, type Rejection } from './rule.js';
import { hw, keyOf, lookup, physDevice, type File, type ObjOf, type S1, type State } from './state.js';

type DeviceFile = Extract<File, { kind: 'device' }>;

function route(s: State, f: DeviceFile, flags: number, pasid: Pasid, P: string): Pasid | null | Rejection {
  if ((flags & ~SVA_PASID) !== 0) return reject('EINVAL', `${P}.EINVAL.flags`);
  if (f.bound === null) return reject('EINVAL', `${P}.EINVAL.not_bound`);
  if ((flags & SVA_PASID) === 0) return null;
  if (physDevice(s, f.dev).pasidBits === 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.no_pasid`);
  if (pasid < 0 || pasid > PASID_MAX) return reject('EINVAL', `${P}.EINVAL.pasid_range`);
  return pasid;
}

const bindOf = (s: State, f: DeviceFile, pasid: Pasid | null): ObjOf<'sva_bind'> | undefined =>
  Object.values(s.objects).find((o): o is ObjOf<'sva_bind'> => o.kind === 'sva_bind' && o.dev === f.dev && o.pasid === pasid);

function bind(s: State, f: DeviceFile, pasid: Pasid | null, ioasid: number, s1: S1, format: string, P: string): Outcome {
  // design point: guestPasidTable — which stage-1 the hardware can take through a device FD
  if ((s1.kind === 'pgtable') !== (hw(s) === 'host-pasid-table')) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.hardware`);
  const parent = lookup(s, f.bound!, ioasid, 'ioas', 'ioasid_child'); // route() checked f.bound
  if (!parent) return reject('ENOENT', `${P}.ENOENT.ioasid`);
  if (parent.kind !== 'ioas') return reject('EINVAL', `${P}.EINVAL.not_root`);
  if (!s.attachments.some((a) => a.dev === f.dev && a.pasid === null && a.ctx === keyOf(parent))) return reject('EINVAL', `${P}.EINVAL.rid_not_attached`);
  if (format !== nativeFormat(s)) return reject('EINVAL', `${P}.EINVAL.format`);
  // rule chosen for the 2021 designs (never shipped): binding a guest table is hardware nesting, which an IOMMU
  // that nests nothing (profile stage1Format null: AMD v1 in 6.12) cannot do, as iommufd's NEST_PARENT refusal says
  if (s.world.iommu.stage1Format === null) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.no_nesting`);
  // one bind per route, whether a guest table or (native SVA) the process's own address space
  if (bindOf(s, f, pasid) || nativeBinding(s, f.dev, pasid)) return reject('EBUSY', `${P}.EBUSY.bound`);
  return addOwned(s, f, pasid, `${P}.ok`, (file, id) => ({ kind: 'sva_bind', file, id, parent: keyOf(parent), s1, dev: f.dev, pasid }));
}

/** VFIO_DEVICE_BIND_PGTABLE: one guest page table for one device route. */
export function deviceBindPgtable(s: State, f: DeviceFile, c: VfioDeviceBindPgtable): Outcome {
  const P = 'VFIO_DEVICE_BIND_PGTABLE';
  const r = route(s, f, c.flags, c.pasid, P);
  return isRejection(r) ? r : bind(s, f, r, c.ioasid, { kind: 'pgtable', root: c.pgtbl_addr }, c.format, P);
}

/** VFIO_DEVICE_BIND_PASID_TABLE: the device's guest PASID table, on its RID. */
export function deviceBindPasidTable(s: State, f: DeviceFile, c: VfioDeviceBindPasidTable): Outcome {
  const P = 'VFIO_DEVICE_BIND_PASID_TABLE';
  if (f.bound === null) return reject('EINVAL', `${P}.EINVAL.not_bound`);
  return bind(s, f, null, c.ioasid, { kind: 'pasid-table', root: c.pasid_table_addr }, c.format, P);
}

/** VFIO_DEVICE_UNBIND_PGTABLE: removes the route's bind (a PASID table is bound on the RID). */
export function deviceUnbindPgtable(s: State, f: DeviceFile, c: VfioDeviceUnbindPgtable): Outcome {
  const P = 'VFIO_DEVICE_UNBIND_PGTABLE';
  const r = route(s, f, c.flags, c.pasid, P);
  if (isRejection(r)) return r;
  const b = bindOf(s, f, r);
  if (!b) return reject('ENOENT', `${P}.ENOENT.not_bound`);
  return dropOwned(s, b, `${P}.ok`);
}

/** VFIO_DEVICE_INVALIDATE_CACHE: flushes this device's route only — not the other devices sharing the table. */
export function deviceInvalidateCache(s: State, f: DeviceFile, c: VfioDeviceInvalidateCache): Outcome {
  const P = 'VFIO_DEVICE_INVALIDATE_CACHE';
  const r = route(s, f, c.flags, c.pasid, P);
  if (isRejection(r)) return r;
  const scope = scopeOf(c.granularity);
  if (!scope) return reject('EINVAL', `${P}.EINVAL.range`);
  const b = bindOf(s, f, r);
  if (!b) return reject('ENOENT', `${P}.ENOENT.not_bound`);
  return commit(s, `${P}.ok`, (d: Draft<State>) => {
    flush(d, keyOf(b), scope);
    return {};
  });
}
