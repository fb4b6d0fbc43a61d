/**
 * DEVICE — a VFIO cdev bound to an iommufd (VFIO_DEVICE_BIND_IOMMUFD) and attached per routing: the RID, or
 * (RID, PASID). Owner: the binding VFIO driver holds the DEVICE (userspace IOMMU_DESTROY of it is EBUSY); it goes
 * away when the device FD is closed. A second attach of the same route is a replace (vfio/iommufd.c). The
 * group rule: one HWPT per iommu group and route; replacing moves the whole group (iommufd_device_do_replace).
 * Abstracted: the blocked domain (no attachment means DMA faults), reset (no EBUSY from resetting devices),
 * bind tokens.
 * @see drivers/iommu/iommufd/device.c, drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c
 */
import type { Draft } from 'immer';
import {
  VFIO_DEVICE_ATTACH_PASID, VFIO_DEVICE_DETACH_PASID, uapiOf,
  type DevName, type Pasid, type VfioDeviceAttachIommufdPt, type VfioDeviceBindIommufd, type VfioDeviceDetachIommufdPt,
} from '../uapi/index.js';
import { addDomainCheck, newPaging } from './hwpt.js';
import { rootSpace } from './iova.js';
import { destroyObject, holders } from './objects.js';
import { pinCheck } from './pins.js';
import { overlaps } from './ranges.js';
import { commit, peek, reject, guardAfter, type Outcome, type Rejection } from './rule.js';
import {
  allocId, deviceObj, fileOfFd, keyOf, objKey, physDevice, type Attachment, type File, type Obj, type ObjKey, type ObjOf, type State,
} from './state.js';
import { routeCtx } from './translate.js';
import { removeVdevice, vmasterCheck } from './viommu.js';

type DeviceFile = Extract<File, { kind: 'device' }>;

/** VFIO_DEVICE_BIND_IOMMUFD. @see device_cdev.c vfio_df_ioctl_bind_iommufd, device.c iommufd_device_bind */
export function bindIommufd(s: State, f: DeviceFile, c: VfioDeviceBindIommufd): Outcome {
  if (c.flags !== 0) return reject('EINVAL', 'BIND_IOMMUFD.EINVAL.flags');
  // one check with the flags: `bind.flags || bind.iommufd < 0` is EINVAL before the fd is looked up (found against
  // Linux 6.12, device_cdev.c vfio_df_ioctl_bind_iommufd: a negative fd is no EBADF)
  if (c.iommufd < 0) return reject('EINVAL', 'BIND_IOMMUFD.EINVAL.negative_fd');
  if (f.bound !== null) return reject('EINVAL', 'BIND_IOMMUFD.EINVAL.already_bound');
  const ctx = fileOfFd(s, c.iommufd);
  if (!ctx) return reject('EBADF', 'BIND_IOMMUFD.EBADF.iommufd');
  if (ctx.kind !== 'iommufd') return reject('EBADFD', 'BIND_IOMMUFD.EBADFD.not_iommufd');
  return bindCommon(s, f, ctx, 'BIND_IOMMUFD', true);
}

/**
 * The part of bind every design shares: one FD of a device at a time (vfio_df_open), and DMA ownership of the
 * whole group claimed for one owner (iommu_device_claim_dma_owner: a sibling bound elsewhere is EBUSY).
 */
export function bindCommon(s: State, f: DeviceFile, ctx: File, prefix: string, withDeviceObject: boolean): Outcome {
  const others = Object.values(s.files).filter((x): x is DeviceFile => x.kind === 'device' && x.bound !== null);
  if (others.some((x) => x.dev === f.dev)) return reject('EINVAL', `${prefix}.EINVAL.device_open_elsewhere`);
  const group = physDevice(s, f.dev).group;
  if (others.some((x) => physDevice(s, x.dev).group === group && x.bound !== ctx.key)) return reject('EBUSY', `${prefix}.EBUSY.group_owner`);
  return commit(s, `${prefix}.ok`, (d) => {
    (d.files[f.key] as Draft<DeviceFile>).bound = ctx.key;
    if (!withDeviceObject) return {};
    const id = allocId(s, ctx.key);
    d.objects[objKey(ctx.key, id)] = { kind: 'device', file: ctx.key, id, dev: f.dev };
    return { out_devid: id };
  });
}

/** Whether a HWPT may carry PASID traffic (or sit on the RID while PASIDs are attached): iommufd_hwpt_pasid_compat. */
const pasidCompat = (o: Obj): boolean => (o.kind === 'hwpt_paging' || o.kind === 'hwpt_nested') && o.pasid;

/** Group siblings (including `dev`) attached on `pasid`, and where. */
function groupAttachments(s: State, dev: DevName, pasid: Pasid | null): Attachment[] {
  const group = physDevice(s, dev).group;
  return s.attachments.filter((a) => a.pasid === pasid && physDevice(s, a.dev).group === group);
}

/**
 * The checks of attaching `dev` on `pasid` to `hwpt`, in the kernel's order: group rule, PASID compatibility,
 * reserved regions of the IOAS at the root (EADDRINUSE), then a new auto domain's aperture/alignment.
 */
function attachChecks(s: State, dev: DevName, pasid: Pasid | null, hwpt: Obj, replacing: boolean): Rejection | null {
  const mates = groupAttachments(s, dev, pasid).filter((a) => a.dev !== dev);
  if (!replacing && mates.some((a) => a.ctx !== keyOf(hwpt))) return reject('EINVAL', 'ATTACH_PT.EINVAL.group');
  if (pasid !== null) {
    if (!pasidCompat(hwpt)) return reject('EINVAL', 'ATTACH_PT.EINVAL.pasid_incompatible_hwpt');
    const rid = routeCtx(s, dev, null);
    // on guest-pasid-table hardware the RID's nested HWPT (the guest's CD table, the table a PASID entry would go into)
    // is a vIOMMU's, which SMMUv3 never makes PASID-compatible (arm_vsmmu_alloc_domain_nested: FAULT_ID_VALID only):
    // a PASID attach beside it stops here
    if (rid && !pasidCompat(rid)) return reject('EINVAL', 'ATTACH_PT.EINVAL.rid_not_pasid_compat');
  } else if (s.attachments.some((a) => a.dev === dev && a.pasid !== null) && !pasidCompat(hwpt)) {
    return reject('EINVAL', 'ATTACH_PT.EINVAL.pasids_attached');
  }
  const space = rootSpace(s, hwpt);
  if (space && !alreadyOn(s, dev, keyOf(space))) {
    const busy = [...space.areas, ...space.allowed];
    if (physDevice(s, dev).reserved.some((r) => busy.some((x) => overlaps(r, x)))) return reject('EADDRINUSE', 'ATTACH_PT.EADDRINUSE.reserved_region');
  }
  return null;
}

const alreadyOn = (s: State, dev: DevName, space: ObjKey): boolean =>
  s.attachments.some((a) => {
    const ctx = s.objects[a.ctx];
    const root = ctx && rootSpace(s, ctx);
    return a.dev === dev && root !== undefined && keyOf(root) === space;
  });

/** Remove a route's attachment(s) and reap an automatic domain its last device left (iommufd_hw_pagetable_put). */
export function detachRoute(d: Draft<State>, devs: readonly DevName[], pasid: Pasid | null) {
  const now = peek(d.attachments);
  const left = now.filter((a) => devs.includes(a.dev) && a.pasid === pasid).map((a) => a.ctx);
  d.attachments = now.filter((a) => !(devs.includes(a.dev) && a.pasid === pasid));
  reapAuto(d, left);
}

export function reapAuto(d: Draft<State>, ctxs: readonly ObjKey[]) {
  for (const key of new Set(ctxs)) {
    const now = { objects: peek(d.objects), attachments: peek(d.attachments), files: peek(d.files) };
    const o = now.objects[key];
    if (o?.kind === 'hwpt_paging' && o.auto && holders(now, o).length === 0) destroyObject(d, o);
  }
}

/**
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach, or replace when the route is already attached. An IOAS id takes an
 * automatic domain: an existing auto HWPT of that IOAS if one fits, else a new one (its id is returned).
 * @see device_cdev.c vfio_df_ioctl_attach_pt, device.c iommufd_device_attach / iommufd_device_replace
 */
/** iommu_attach_device_pasid: no PASID capability (max_pasids 0), or a PASID at or past 2^width, is EINVAL. */
const pasidFits = (bits: number, pasid: number): boolean => bits > 0 && pasid >= 0 && pasid < 2 ** bits;

export function attachPt(s: State, f: DeviceFile, c: VfioDeviceAttachIommufdPt): Outcome {
  if (f.bound === null) return reject('EINVAL', 'ATTACH_PT.EINVAL.unbound');
  // kernel version: 6.12's cdev attach takes no flag at all (device_cdev.c vfio_df_ioctl_attach_pt)
  if ((c.flags & ~(uapiOf(s.world).vfioPasid ? VFIO_DEVICE_ATTACH_PASID : 0)) !== 0) return reject('EINVAL', 'ATTACH_PT.EINVAL.flags');
  const usesPasid = (c.flags & VFIO_DEVICE_ATTACH_PASID) !== 0;
  const pasid = usesPasid ? c.pasid : null;
  const pt = s.objects[objKey(f.bound, c.pt_id)];
  if (!pt || pt.kind === 'tombstone') return reject('ENOENT', 'ATTACH_PT.ENOENT.pt_id');
  // vfio-pci always has PASID ops (no EOPNOTSUPP from VFIO); the IOMMU refuses a PASID the device cannot issue
  if (usesPasid && !pasidFits(physDevice(s, f.dev).pasidBits, c.pasid)) return reject('EINVAL', 'ATTACH_PT.EINVAL.no_pasid');
  const old = s.attachments.find((a) => a.dev === f.dev && a.pasid === pasid);
  if (pt.kind === 'ioas') return attachIoas(s, f, pt, pasid, old);
  if (pt.kind !== 'hwpt_paging' && pt.kind !== 'hwpt_nested') return reject('EINVAL', 'ATTACH_PT.EINVAL.pt_kind');
  if (old?.ctx === keyOf(pt)) return commit(s, 'ATTACH_PT.ok.replace_same', () => ({ pt_id: pt.id }));
  const vmaster = pt.kind === 'hwpt_nested' ? vmasterCheck(s, f.dev, pasid, pt) : null;
  if (vmaster) return vmaster;
  return attachHwpt(s, f.dev, pasid, pt, old);
}

function attachHwpt(s: State, dev: DevName, pasid: Pasid | null, hwpt: Obj, old: Attachment | undefined): Outcome {
  const bad = attachChecks(s, dev, pasid, hwpt, old !== undefined);
  if (bad) return bad;
  return commit(s, old ? 'ATTACH_PT.ok.replace' : 'ATTACH_PT.ok.attach', (d) => {
    // a replace moves every device of the group that is attached on this route (the group has one HWPT)
    const movers = old ? groupAttachments(s, dev, pasid).map((a) => a.dev) : [dev];
    detachRoute(d, movers, pasid);
    for (const m of movers) d.attachments.push({ dev: m, pasid, ctx: keyOf(hwpt) });
    return { pt_id: hwpt.id };
  });
}

/** iommufd_device_auto_get_domain: reuse an auto HWPT of the IOAS that accepts the device, else make one. */
function attachIoas(s: State, f: DeviceFile, ioas: ObjOf<'ioas'>, pasid: Pasid | null, old: Attachment | undefined): Outcome {
  const autos = Object.values(s.objects).filter((o): o is ObjOf<'hwpt_paging'> => o.kind === 'hwpt_paging' && o.auto && o.ioas === keyOf(ioas));
  const current = old && autos.find((h) => keyOf(h) === old.ctx);
  if (current) return commit(s, 'ATTACH_PT.ok.replace_same', () => ({ pt_id: current.id }));
  for (const h of autos) {
    const r = attachHwpt(s, f.dev, pasid, h, old);
    // an EINVAL from one auto domain means "incompatible, try the next"; anything else is final
    if (r.kind !== 'fail' || r.errno !== 'EINVAL') return r;
  }
  // a new auto domain is never PASID-compatible (iommufd_hwpt_paging_alloc without ALLOC_PASID)
  const probe = { kind: 'hwpt_paging', file: f.bound!, id: 0, ioas: keyOf(ioas), auto: true, nestParent: false, pasid: false, dirty: null, fault: null } as const; // f.bound checked by attachPt
  const bad = attachChecks(s, f.dev, pasid, probe, old !== undefined) ?? addDomainCheck(s, ioas, 'ATTACH_PT');
  if (bad) return bad;
  const ctxFile = s.files[f.bound!]!; // attachPt checked f.bound, and a bound device holds its iommufd file
  const done = commit(s, old ? 'ATTACH_PT.ok.replace_auto_domain' : 'ATTACH_PT.ok.auto_domain', (d) => {
    const movers = old ? groupAttachments(s, f.dev, pasid).map((a) => a.dev) : [f.dev];
    const id = newPaging(d, ctxFile, ioas, { auto: true, nestParent: false, pasid: false, dirty: false });
    detachRoute(d, movers, pasid);
    for (const m of movers) d.attachments.push({ dev: m, pasid, ctx: objKey(ctxFile.key, id) });
    return { pt_id: id };
  });
  return guardAfter(done, pinCheck(s, 'ATTACH_PT'));
}

/** VFIO_DEVICE_DETACH_IOMMUFD_PT: never fails once the arguments are valid; detaching nothing is not an error. */
export function detachPt(s: State, f: DeviceFile, c: VfioDeviceDetachIommufdPt): Outcome {
  if (f.bound === null) return reject('EINVAL', 'DETACH_PT.EINVAL.unbound');
  if ((c.flags & ~(uapiOf(s.world).vfioPasid ? VFIO_DEVICE_DETACH_PASID : 0)) !== 0) return reject('EINVAL', 'DETACH_PT.EINVAL.flags');
  const usesPasid = (c.flags & VFIO_DEVICE_DETACH_PASID) !== 0;
  const pasid = usesPasid ? c.pasid : null;
  if (!s.attachments.some((a) => a.dev === f.dev && a.pasid === pasid)) return commit(s, 'DETACH_PT.ok.not_attached', () => ({}));
  return commit(s, 'DETACH_PT.ok', (d) => {
    detachRoute(d, [f.dev], pasid);
    return {};
  });
}

/**
 * Unbind on device FD release: PASIDs first, then the RID, then the DEVICE object (vfio_iommufd_physical_unbind).
 * `base` is the state the release started from: detaching destroys no per-device bind and no DEVICE object. The
 * device FD's own binds (a guest table's, the process's) go with it.
 */
export function unbindDevice(d: Draft<State>, f: DeviceFile, base: State) {
  const pasids = [...new Set(base.attachments.filter((a) => a.dev === f.dev && a.pasid !== null).map((a) => a.pasid))];
  for (const p of pasids) detachRoute(d, [f.dev], p);
  detachRoute(d, [f.dev], null);
  for (const o of Object.values(base.objects)) if ((o.kind === 'sva_bind' || o.kind === 'sva_mm') && o.dev === f.dev) destroyObject(d, o);
  removeVdevice(d, base, f.dev);
  const obj = deviceObj(base, f.dev);
  if (obj) destroyObject(d, obj);
  (d.files[f.key] as Draft<DeviceFile>).bound = null;
}

