/**
 * VFIO association in the 2021 designs: a device FD is bound to one /dev/ioasid FD (VFIO_BIND_IOASID_FD, holding
 * that file) and attached per route — the RID, or RID + user PASID (VFIO_ATTACH_IOASID). Under fd-per-ioasid
 * there is no bind: the ioasid is named by its FD number, and the first association opens the device. A route
 * holds its ioasid (+1 users) and the ioasid's file; it may hold a root and a child of it at once, and DMA goes
 * through the child (Attachable.stackedOn). The first attach gives an ioasid its page table (and pins its maps).
 * Reserved regions of a device sit on every root its routes end in. Closing the device FD detaches everything.
 * Simplified: one FD per device is not enforced under fd-per-ioasid (as in the spec, nothing there claims it).
 */
import { respondRingFaults } from './fault-ring.js';
import {
  IOASID_ATTACH_USER_PASID as USER_PASID, PASID_MAX, fail, ok,
  type Errno, type Result, type VfioAttachIoasid, type VfioBindIoasidFd, type VfioDetachIoasid, type VfioUnbindIoasidFd,
} from '../uapi/index.js';
import { claimDevice, reprogram } from './device.js';
import { IoasidCtxFile, IoasidSingleFile } from './ioasid-file.js';
import { IoasidChild, IoasidRoot, SvaBind, rootOf, type IoasidSpace } from './ioasid-objects.js';
import { DeviceFile, type KFile, type Kernel, type Route, type VfioDevice } from './kernel.js';
import { putUsers, type IommufdObject } from './object.js';
import { WARN_ON } from './warn.js';

/** How an attach names its ioasid: an id in the bound FD, or (fd-per-ioasid) the ioasid FD's number. */
export type Resolve = (k: Kernel, f: DeviceFile, ioasid: number) => IoasidSpace | Errno;

/** Per-VM designs: an ioasid of the /dev/ioasid FD the device is bound to. */
export const inBoundFile: Resolve = (_k, f, ioasid) => {
  const ctx = f.vdev.ctx;
  if (!(ctx instanceof IoasidCtxFile)) return 'EINVAL';
  return ctx.table.getKind<IoasidSpace>(ioasid, IoasidRoot, IoasidChild) ?? 'ENOENT';
};

/** fd-per-ioasid: the ioasid FD numbered `ioasid`. */
export const byFdNumber: Resolve = (k, _f, ioasid) => {
  const x = k.fds.get(ioasid);
  if (!x) return 'EBADF';
  if (!(x instanceof IoasidSingleFile)) return 'EBADFD';
  return x.space ?? 'ENOENT';
};

/** The file a route to `o` holds open: the ioasid's; a per-device bind lives in the device FD itself. */
const heldFile = (o: IommufdObject): KFile | null => (o instanceof IoasidRoot || o instanceof IoasidChild ? o.owner : null);
const owner = (vdev: VfioDevice) => `dev:${vdev.name}`;

/** Keep `vdev`'s reserved regions on `root` exactly while one of its routes ends there. */
function syncReservation(vdev: VfioDevice, root: IoasidRoot) {
  const on = vdev.routes.some((r) => rootOf(r.target) === root);
  const has = root.iopt.hasReservation(owner(vdev));
  // attach checked the regions against the maps, and a root has no allowed ranges: reserving cannot fail
  WARN_ON(on && !has && root.iopt.reserve(owner(vdev), vdev.phys.reserved) !== null, 'ioasid_device_reserve', () => `reserved regions of ${vdev.name} collide on ioasid ${root.id}`);
  if (!on && has) root.iopt.unreserve(owner(vdev));
}

/** Program the IOMMU for every device route on `o` after its context changed (a stage-1 bound or unbound). */
export function reprogramUsers(k: Kernel, o: IommufdObject) {
  for (const d of k.devices.values()) {
    const on = d.routes.filter((r) => r.target === o);
    if (on.length > 0) reprogram(k, d, on.flatMap((r) => (r.pasid === null ? [] : [r.pasid])));
  }
}

/** Add a route: the target is held (+1 users, and its file), the IOMMU programmed. */
export function addRoute(k: Kernel, vdev: VfioDevice, pasid: number | null, target: IommufdObject) {
  vdev.addRoute({ pasid, target });
  target.users++;
  const held = heldFile(target);
  if (held) k.fget(held);
  const root = rootOf(target);
  if (root) syncReservation(vdev, root);
  reprogram(k, vdev, pasid === null ? [] : [pasid]);
}

/** Drop a route: reprogram, then let go of the target and its file (which may release both). */
export function dropRoute(k: Kernel, vdev: VfioDevice, r: Route) {
  vdev.removeRoute(r);
  respondRingFaults(k, r); // RFC v1: the requests the route carried can no longer be completed
  const root = rootOf(r.target);
  if (root) syncReservation(vdev, root);
  reprogram(k, vdev, r.pasid === null ? [] : [r.pasid]);
  putUsers(r.target);
  const held = heldFile(r.target);
  if (held) k.fput(held);
}

/**
 * Put an object the device FD owns (a per-device bind) in the FD's table and route `pasid` of its device through it; the
 * route holds it until its unbind or the release of the FD. ENOMEM (the table's allocation) leaves nothing behind.
 */
export function addOwned(k: Kernel, f: DeviceFile, pasid: number | null, o: IommufdObject): Result<unknown> {
  if (!f.table.insertOrAbort(o)) return fail('ENOMEM');
  addRoute(k, f.vdev, pasid, o);
  return ok({});
}

/** Drop the route to an object the device FD owns (a per-device bind) and remove it from the FD's table; false when there is none. */
export function dropOwned(k: Kernel, f: DeviceFile, o: IommufdObject | undefined): boolean {
  const on = o && f.vdev.routes.find((x) => x.target === o);
  if (!o || !on) return false;
  dropRoute(k, f.vdev, on);
  f.table.remove(o);
  return true;
}

/** VFIO_BIND_IOASID_FD: one /dev/ioasid FD per device, one per iommu group. */
export function bindIoasidFd(k: Kernel, f: DeviceFile, c: VfioBindIoasidFd): Result<unknown> {
  const vdev = f.vdev;
  if (vdev.df === f) return fail('EINVAL');
  const ctx = k.fds.get(c.ioasid_fd);
  if (!ctx) return fail('EBADF');
  if (!(ctx instanceof IoasidCtxFile)) return fail('EBADFD');
  const bad = claimDevice(k, vdev, ctx);
  if (bad) return fail(bad);
  vdev.df = f;
  vdev.ctx = ctx;
  k.fget(ctx); // the binding holds the /dev/ioasid file: released by unbind or device FD release
  return ok({});
}

/** VFIO_UNBIND_IOASID_FD: EBUSY while any route (or per-device bind) is attached. */
export function unbindIoasidFd(k: Kernel, f: DeviceFile, _c: VfioUnbindIoasidFd): Result<unknown> {
  const vdev = f.vdev;
  if (vdev.routes.length > 0) return fail('EBUSY');
  const ctx = vdev.ctx;
  vdev.df = null;
  vdev.ctx = null;
  if (ctx) k.fput(ctx);
  return ok({});
}

/** Implicit group rule: a sibling's RID is on an ioasid that is not `o`, its parent, or a child of either. */
function groupElsewhere(k: Kernel, vdev: VfioDevice, o: IoasidSpace): boolean {
  const related = new Set<IommufdObject>(o instanceof IoasidChild ? [o, o.parent] : [o]);
  return k.groupOf(vdev).some((d) => d !== vdev && d.routes.some((r) => {
    if (r.pasid !== null || related.has(r.target)) return false;
    const below = r.target instanceof IoasidChild || r.target instanceof SvaBind ? r.target.parent : undefined;
    return !(below && related.has(below));
  }));
}

/** The page tables an attach needs: the root's (pinning its maps) on the first attach, the child's shadow. */
function ensureDomains(k: Kernel, o: IoasidSpace): Errno | null {
  const root = o instanceof IoasidChild ? o.parent : o;
  if (!root.domain) {
    const d = k.newDomainOn(root.iopt);
    if (typeof d === 'string') return d;
    root.domain = d;
  }
  if (o instanceof IoasidChild && !o.shadow) {
    // empty: a child takes MAP_DMA only once it has been attached (ENODEV before)
    const d = k.newDomain();
    if (!d) return 'ENOMEM';
    o.shadow = d;
  }
  return null;
}

/** VFIO_ATTACH_IOASID, checks in the spec's order; a child needs the device's RID on its parent. */
export function attachIoasid(k: Kernel, f: DeviceFile, c: VfioAttachIoasid, resolve: Resolve): Result<unknown> {
  const vdev = f.vdev;
  if ((c.flags & ~USER_PASID) !== 0) return fail('EINVAL');
  const usesPasid = (c.flags & USER_PASID) !== 0;
  if (usesPasid && vdev.phys.pasidBits === 0) return fail('EOPNOTSUPP');
  if (usesPasid && (c.user_pasid < 0 || c.user_pasid > PASID_MAX)) return fail('EINVAL');
  const pasid = usesPasid ? c.user_pasid : null;
  const o = resolve(k, f, c.ioasid);
  if (typeof o === 'string') return fail(o);
  // fd-per-ioasid has no bind: the first association claimed the device for its FD; another FD is refused
  if (k.fe.bindIoctl === null && vdev.df !== null && vdev.df !== f) return fail('EBUSY');
  // design point: association — setup-only refuses new associations once the FD has mapped or bound anything
  if (o.owner instanceof IoasidCtxFile && o.owner.sealed) return fail('EBUSY');
  const mine = vdev.routes.filter((r) => r.pasid === pasid);
  if (mine.some((r) => r.target === o)) return fail('EEXIST');
  const parent = o instanceof IoasidChild ? o.parent : undefined;
  if (mine.some((r) => r.target !== parent)) return fail('EBUSY');
  if (parent && !vdev.routes.some((r) => r.pasid === null && r.target === parent)) return fail('EINVAL');
  if (pasid === null && groupElsewhere(k, vdev, o)) return fail('EINVAL');
  const areas: readonly { start: bigint; last: bigint }[] = o instanceof IoasidChild ? o.areas : o.iopt.areas;
  if (!vdev.routes.some((r) => r.target === o) && vdev.phys.reserved.some((x) => areas.some((a) => x.start <= a.last && a.start <= x.last))) return fail('EINVAL');
  const bad = ensureDomains(k, o);
  if (bad) return fail(bad);
  // fd-per-ioasid has no bind: the first association opens the device (vfio_df_open), its release detaches
  if (vdev.df === null) vdev.df = f;
  addRoute(k, vdev, pasid, o);
  return ok({});
}

/** VFIO_DETACH_IOASID: ENOENT if not attached there; EBUSY while the device reaches a child of it. */
export function detachIoasid(k: Kernel, f: DeviceFile, c: VfioDetachIoasid, resolve: Resolve): Result<unknown> {
  const vdev = f.vdev;
  if ((c.flags & ~USER_PASID) !== 0) return fail('EINVAL');
  const pasid = (c.flags & USER_PASID) !== 0 ? c.user_pasid : null;
  const o = resolve(k, f, c.ioasid);
  if (typeof o === 'string') return fail(o);
  const r = vdev.routes.find((x) => x.pasid === pasid && x.target === o);
  if (!r) return fail('ENOENT');
  if (vdev.routes.some((x) => (x.target instanceof IoasidChild || x.target instanceof SvaBind) && x.target.parent === o)) return fail('EBUSY');
  dropRoute(k, vdev, r);
  return ok({});
}

/** Release of the device FD that bound (or associated) `vdev`: PASIDs, then the RID, then its binds and the bind. */
export function releaseIoasidDevice(k: Kernel, vdev: VfioDevice) {
  for (const r of vdev.routes.filter((x) => x.pasid !== null)) dropRoute(k, vdev, r);
  for (const r of [...vdev.routes]) dropRoute(k, vdev, r);
  // the per-device binds the device FD owns go with it (their routes were dropped above)
  if (vdev.df instanceof DeviceFile) for (const o of vdev.df.table.values()) vdev.df.table.remove(o);
  const ctx = vdev.ctx;
  vdev.df = null;
  vdev.ctx = null;
  if (ctx) k.fput(ctx);
}
