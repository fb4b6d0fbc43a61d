/**
 * iommufd's device side: VFIO cdev bind, attach / replace / detach per route, unbind on release, and the
 * programming of the IOMMU that follows every change (context entries, IOTLB flush of the route).
 * The RID belongs to the iommu group: once a group's first device attaches, every device of the group uses
 * that domain (iommu_attach_group); one HWPT per group and route; a replace moves the whole group.
 * @see drivers/iommu/iommufd/device.c, drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c
 */
import { respondRouteFaults } from './fault.js';
import {
  VFIO_DEVICE_ATTACH_PASID, VFIO_DEVICE_DETACH_PASID, fail, ok, uapiOf,
  type Errno, type Result, type VfioDeviceAttachIommufdPt, type VfioDeviceBindIommufd, type VfioDeviceDetachIommufdPt,
} from '../uapi/index.js';
import type { Context } from './hw/contract.js';
import { newPagingHwpt } from './hwpt.js';
import { vmasterAttachCheck } from './viommu.js';
import { IommufdFile } from './iommufd-file.js';
import { DeviceFile, type Kernel, type Route, type VfioDevice } from './kernel.js';
import { putUsers, type IommufdObject } from './object.js';
import { DeviceObj, HwptNested, HwptPaging, IoasObj, type Hwpt } from './objects.js';

// ---- IOMMU programming, shared by every design ---------------------------------------------------------------

/** An object devices can be attached to, and what the IOMMU should be programmed with for it. */
export interface Attachable extends IommufdObject {
  readonly context: Context;
  /** the object this one is stacked on, when a route may hold both (RFC nesting: parent and child) */
  readonly stackedOn?: IommufdObject;
}

const isAttachable = (o: IommufdObject): o is Attachable => 'context' in o;

/** Of several targets on one route, the one DMA goes through: the one nothing else on the route stacks on. */
function deepest(targets: readonly IommufdObject[]): Attachable | undefined {
  const below = new Set(targets.map((t) => (t as Partial<Attachable>).stackedOn).filter((x) => x !== undefined));
  return targets.filter(isAttachable).find((t) => !below.has(t));
}

const sameContext = (a: Context, b: Context): boolean => {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'blocked':
      return true;
    case 'paging':
      return b.kind === 'paging' && a.domain.id === b.domain.id;
    case 'nested':
    case 'guest-pasid-table':
    case 'sva':
      return 'id' in b && a.id === b.id;
  }
};

const BLOCKED: Context = { kind: 'blocked' };

/**
 * Program the IOMMU after a route of `vdev` changed: the RID context of every device of its group (own routes
 * first, else the group's), and `vdev`'s PASID entries. A changed entry is followed by a flush of that route.
 */
export function reprogram(k: Kernel, vdev: VfioDevice, oldPasids: readonly number[] = []) {
  const group = k.groupOf(vdev);
  const groupRid = group.flatMap((d) => d.routes.filter((r) => r.pasid === null).map((r) => r.target));
  for (const d of group) {
    const own = d.routes.filter((r) => r.pasid === null).map((r) => r.target);
    const ctx = deepest(own.length > 0 ? own : groupRid)?.context ?? BLOCKED;
    if (!sameContext(k.iommu.context(d.name, null), ctx)) {
      k.iommu.setContext(d.name, null, ctx);
      k.iommu.flushRoute(d.name, null);
    }
  }
  const pasids = new Set([...oldPasids, ...vdev.routes.flatMap((r) => (r.pasid === null ? [] : [r.pasid]))]);
  for (const p of pasids) {
    const ctx = deepest(vdev.routes.filter((r) => r.pasid === p).map((r) => r.target))?.context ?? BLOCKED;
    if (!sameContext(k.iommu.context(vdev.name, p), ctx)) {
      k.iommu.setContext(vdev.name, p, ctx);
      k.iommu.flushRoute(vdev.name, p);
    }
  }
}

// ---- iommufd bind / attach / detach ------------------------------------------------------------------------------

/** VFIO_DEVICE_BIND_IOMMUFD. */
export function bindIommufd(k: Kernel, f: DeviceFile, c: VfioDeviceBindIommufd): Result<unknown> {
  if (c.flags !== 0 || c.iommufd < 0) return fail('EINVAL');
  const vdev = f.vdev;
  if (vdev.df === f) return fail('EINVAL');
  const ictx = k.fds.get(c.iommufd);
  if (!ictx) return fail('EBADF');
  if (!(ictx instanceof IommufdFile)) return fail('EBADFD');
  const bad = claimDevice(k, vdev, ictx);
  if (bad) return fail(bad);
  const idev = new DeviceObj(vdev.name);
  if (ictx.table.insert(idev) === null) return fail('ENOMEM');
  vdev.df = f;
  vdev.ctx = ictx;
  vdev.idev = idev;
  k.fget(ictx);
  return ok({ out_devid: idev.id });
}

/** vfio_df_open + iommu_device_claim_dma_owner: one bound FD per device; one owner per group. */
export function claimDevice(k: Kernel, vdev: VfioDevice, ctx: object): Errno | null {
  if (vdev.df !== null) return 'EINVAL';
  if (k.groupOf(vdev).some((d) => d.ctx !== null && d.ctx !== ctx)) return 'EBUSY';
  return null;
}

const pasidCompat = (h: IommufdObject | undefined): boolean => (h instanceof HwptPaging || h instanceof HwptNested) && h.pasidCompat;
const spaceOf = (h: IommufdObject): IoasObj | undefined => (h instanceof HwptPaging ? h.ioas : h instanceof HwptNested ? h.parent.ioas : undefined);
const owner = (vdev: VfioDevice) => `dev:${vdev.name}`;

/** The RID target DMA of `vdev` uses: its own, else its group's. */
function ridTarget(k: Kernel, vdev: VfioDevice): IommufdObject | undefined {
  const own = vdev.routes.find((r) => r.pasid === null);
  if (own) return own.target;
  return k.groupOf(vdev).flatMap((d) => d.routes.filter((r) => r.pasid === null))[0]?.target;
}

/** The checks of an attach, in the kernel's order: group rule, PASID compatibility, reserved regions. */
function attachChecks(k: Kernel, vdev: VfioDevice, pasid: number | null, t: { hwpt: IommufdObject | null; pasidCompat: boolean; space: IoasObj }, replacing: boolean): Errno | null {
  const mates = k.groupOf(vdev).filter((d) => d !== vdev).flatMap((d) => d.routes.filter((r) => r.pasid === pasid));
  if (!replacing && mates.some((r) => r.target !== t.hwpt)) return 'EINVAL';
  if (pasid !== null) {
    if (!t.pasidCompat) return 'EINVAL';
    const rid = ridTarget(k, vdev);
    // iommufd_hwpt_pasid_compat: a vIOMMU's nested domain (SMMUv3's, the guest's CD table) is never PASID-compatible
    if (rid && !pasidCompat(rid)) return 'EINVAL';
  } else if (vdev.routes.some((r) => r.pasid !== null) && !t.pasidCompat) {
    return 'EINVAL';
  }
  if (!t.space.iopt.hasReservation(owner(vdev))) {
    const { areas, allowed } = t.space.iopt;
    const busy = [...areas, ...allowed];
    if (vdev.phys.reserved.some((r) => busy.some((x) => r.start <= x.last && x.start <= r.last))) return 'EADDRINUSE';
  }
  return null;
}

/** Keep each device's reserved regions on exactly the IOASes its routes end in. */
function syncReservations(devs: readonly VfioDevice[], spaces: readonly IoasObj[]) {
  for (const d of devs) {
    for (const s of spaces) {
      const on = d.routes.some((r) => spaceOf(r.target) === s);
      if (on && !s.iopt.hasReservation(owner(d))) s.iopt.reserve(owner(d), d.phys.reserved);
      if (!on && s.iopt.hasReservation(owner(d))) s.iopt.unreserve(owner(d));
    }
  }
}

/** Drop `vdev`'s route on `pasid` (if any), releasing the target; an automatic HWPT goes with its last device. */
export function dropRoute(k: Kernel, vdev: VfioDevice, pasid: number | null) {
  const r = vdev.routes.find((x) => x.pasid === pasid);
  if (!r) return;
  vdev.removeRoute(r);
  respondRouteFaults(r); // iommufd_hwpt_detach_device: the handle's groups are answered once it is unpublished
  putUsers(r.target);
  const space = spaceOf(r.target);
  if (space) syncReservations([vdev], [space]);
  reprogram(k, vdev, pasid === null ? [] : [pasid]);
  if (r.target instanceof HwptPaging && r.target.auto && r.target.users === 1 && vdev.ctx instanceof IommufdFile) vdev.ctx.table.remove(r.target);
}

/** Move `movers` on `pasid` onto `hwpt` (attach for one device, replace for the group). */
function moveRoutes(k: Kernel, movers: readonly VfioDevice[], pasid: number | null, hwpt: Hwpt) {
  const olds: Route[] = [];
  for (const d of movers) {
    const r = d.routes.find((x) => x.pasid === pasid);
    if (r) {
      olds.push(r);
      d.removeRoute(r);
      respondRouteFaults(r); // iommufd_dev_replace_handle: the old handle's groups, once the replace is done
    }
    d.addRoute({ pasid, target: hwpt });
    hwpt.users++;
  }
  const spaces = [...new Set([hwpt, ...olds.map((r) => r.target)].map(spaceOf).filter((s): s is IoasObj => s !== undefined))];
  syncReservations(movers, spaces);
  for (const d of movers) reprogram(k, d, pasid === null ? [] : [pasid]);
  for (const r of olds) {
    putUsers(r.target);
    const t = r.target;
    if (t instanceof HwptPaging && t.auto && t.users === 1) (movers[0]?.ctx as IommufdFile).table.remove(t);
  }
}

function attachHwpt(k: Kernel, vdev: VfioDevice, pasid: number | null, hwpt: Hwpt, old: Route | undefined): Result<unknown> {
  const space = spaceOf(hwpt);
  if (!space) return fail('EINVAL');
  const bad = attachChecks(k, vdev, pasid, { hwpt, pasidCompat: hwpt.pasidCompat, space }, old !== undefined);
  if (bad) return fail(bad);
  const movers = old ? k.groupOf(vdev).filter((d) => d.routes.some((r) => r.pasid === pasid)) : [vdev];
  moveRoutes(k, movers, pasid, hwpt);
  return ok({ pt_id: hwpt.id });
}

/** iommufd_device_auto_get_domain: an automatic HWPT of the IOAS that accepts the device, else a new one. */
function attachIoas(k: Kernel, f: IommufdFile, vdev: VfioDevice, ioas: IoasObj, pasid: number | null, old: Route | undefined): Result<unknown> {
  const autos = f.table.values().filter((o): o is HwptPaging => o instanceof HwptPaging && o.auto && o.ioas === ioas);
  const current = old && autos.find((h) => h === old.target);
  if (current) return ok({ pt_id: current.id });
  for (const h of autos) {
    const r = attachHwpt(k, vdev, pasid, h, old);
    if (r.ok || r.errno !== 'EINVAL') return r;
  }
  const bad = attachChecks(k, vdev, pasid, { hwpt: null, pasidCompat: false, space: ioas }, old !== undefined);
  if (bad) return fail(bad);
  const hwpt = newPagingHwpt(k, f, ioas, { auto: true, nestParent: false, pasidCompat: false, dirty: false });
  if (typeof hwpt === 'string') return fail(hwpt);
  const movers = old ? k.groupOf(vdev).filter((d) => d.routes.some((r) => r.pasid === pasid)) : [vdev];
  moveRoutes(k, movers, pasid, hwpt);
  return ok({ pt_id: hwpt.id });
}

/** VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach, or replace when the route is attached already. */
export function attachPt(k: Kernel, f: DeviceFile, c: VfioDeviceAttachIommufdPt): Result<unknown> {
  const vdev = f.vdev;
  const ictx = vdev.ctx;
  if (!(ictx instanceof IommufdFile)) return fail('EINVAL');
  if ((c.flags & ~(uapiOf(k.world).vfioPasid ? VFIO_DEVICE_ATTACH_PASID : 0)) !== 0) return fail('EINVAL');
  const usesPasid = (c.flags & VFIO_DEVICE_ATTACH_PASID) !== 0;
  const pasid = usesPasid ? c.pasid : null;
  const pt = ictx.table.get(c.pt_id);
  if (!pt) return fail('ENOENT');
  if (usesPasid && (vdev.phys.pasidBits === 0 || c.pasid < 0 || c.pasid >= 2 ** vdev.phys.pasidBits)) return fail('EINVAL'); // pasid >= max_pasids
  const old = vdev.routes.find((r) => r.pasid === pasid);
  if (pt instanceof IoasObj) return attachIoas(k, ictx, vdev, pt, pasid, old);
  if (!(pt instanceof HwptPaging || pt instanceof HwptNested)) return fail('EINVAL');
  if (old?.target === pt) return ok({ pt_id: pt.id });
  const vmaster = pt instanceof HwptNested ? vmasterAttachCheck(vdev, pasid, pt) : null;
  if (vmaster) return fail(vmaster);
  return attachHwpt(k, vdev, pasid, pt, old);
}

/** VFIO_DEVICE_DETACH_IOMMUFD_PT: never fails once the arguments are valid. */
export function detachPt(k: Kernel, f: DeviceFile, c: VfioDeviceDetachIommufdPt): Result<unknown> {
  if ((c.flags & ~(uapiOf(k.world).vfioPasid ? VFIO_DEVICE_DETACH_PASID : 0)) !== 0) return fail('EINVAL');
  dropRoute(k, f.vdev, (c.flags & VFIO_DEVICE_DETACH_PASID) !== 0 ? c.pasid : null);
  return ok({});
}

/** Release of the bound device FD: PASIDs, then the RID, then the DEVICE object and the iommufd reference. */
export function unbindIommufd(k: Kernel, vdev: VfioDevice) {
  for (const r of vdev.routes.filter((x) => x.pasid !== null)) dropRoute(k, vdev, r.pasid);
  dropRoute(k, vdev, null);
  const ictx = vdev.ctx;
  if (vdev.idev && ictx instanceof IommufdFile) {
    // iommufd_device_remove_vdev: the vDEVICE goes with its device; its id stays taken until the iommufd closes
    const vd = vdev.idev instanceof DeviceObj ? vdev.idev.vdev : null;
    if (vd) ictx.table.tombstone(vd);
    putUsers(vdev.idev); // the driver's reference
    ictx.table.remove(vdev.idev);
  }
  vdev.idev = null;
  vdev.df = null;
  vdev.ctx = null;
  if (ictx) k.fput(ictx);
}
