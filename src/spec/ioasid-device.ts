/**
 * VFIO association in the 2021 designs: a device FD is bound to one /dev/ioasid FD (VFIO_BIND_IOASID_FD; v1:
 * "one device not to multiple FDs") and attached per routing — RID, or RID + user PASID (VFIO_ATTACH_IOASID).
 * Under fd-per-ioasid there is no bind: the device FD is associated with an ioasid FD directly (seed step 2),
 * the `ioasid` argument carrying that FD number.
 * Rules chosen where the RFC is silent:
 *  - a route holds one ioasid, except that it may also sit on a child of it (RFC v1 §5.3/§5.7 keep the parent
 *    attachment while attaching the child); DMA then goes through the child. Another ioasid: EBUSY; the same: EEXIST;
 *  - a child accepts a device only if that device's RID is attached to the child's parent (RFC v1 §2), else EINVAL;
 *  - device reserved regions meeting existing maps fail like type1 (vfio_iommu_resv_conflict): EINVAL;
 *  - setup-only-association: once the FD has seen a map or bind, attach is EBUSY (the seed's concern reversed);
 *  - detach of a parent the device still reaches a child through: EBUSY; detach of nothing: ENOENT;
 *  - unbind while attached: EBUSY (closing the device FD detaches everything and unbinds);
 *  - fd-per-ioasid: the first association claims the device for its FD (`bound` = that FD); another FD of the
 *    same device is EBUSY; closing the claiming FD detaches everything.
 */
import type { Draft } from 'immer';
import {
  IOASID_ATTACH_USER_PASID as USER_PASID, PASID_MAX,
  type Pasid, type VfioAttachIoasid, type VfioBindIoasidFd, type VfioDetachIoasid, type VfioUnbindIoasidFd,
} from '../uapi/index.js';
import { bindCommon } from './device.js';
import { rootSpace } from './iova.js';
import { pinCheck } from './pins.js';
import { overlaps } from './ranges.js';
import { commit, peek, guardAfter, isRejection, reject, type Outcome, type Rejection } from './rule.js';
import { fileOfFd, keyOf, lookup, physDevice, type Attachment, type File, type Obj, type ObjOf, type State } from './state.js';

type DeviceFile = Extract<File, { kind: 'device' }>;
type Space = ObjOf<'ioas'> | ObjOf<'ioasid_child'>;

/** VFIO_BIND_IOASID_FD. */
export function bindIoasidFd(s: State, f: DeviceFile, c: VfioBindIoasidFd): Outcome {
  if (f.bound !== null) return reject('EINVAL', 'VFIO_BIND_IOASID_FD.EINVAL.already_bound');
  const ctx = fileOfFd(s, c.ioasid_fd);
  if (!ctx) return reject('EBADF', 'VFIO_BIND_IOASID_FD.EBADF.ioasid_fd');
  if (ctx.kind !== 'ioasid') return reject('EBADFD', 'VFIO_BIND_IOASID_FD.EBADFD.not_ioasid_fd');
  return bindCommon(s, f, ctx, 'VFIO_BIND_IOASID_FD', false);
}

/** VFIO_UNBIND_IOASID_FD. */
export function unbindIoasidFd(s: State, f: DeviceFile, _c: VfioUnbindIoasidFd): Outcome {
  if (f.bound === null) return reject('EINVAL', 'VFIO_UNBIND_IOASID_FD.EINVAL.not_bound');
  if (s.attachments.some((a) => a.dev === f.dev)) return reject('EBUSY', 'VFIO_UNBIND_IOASID_FD.EBUSY.attached');
  return commit(s, 'VFIO_UNBIND_IOASID_FD.ok', (d) => {
    (d.files[f.key] as Draft<DeviceFile>).bound = null;
    return {};
  });
}

/** The ioasid an attach/detach names: in the bound FD, or (fd-per-ioasid) the ioasid FD numbered `ioasid`. */
function target(s: State, f: DeviceFile, ioasid: number, P: string): Space | Rejection {
  if (s.design.policy.fdModel === 'per-ioasid') {
    const x = fileOfFd(s, ioasid as never);
    if (!x) return reject('EBADF', `${P}.EBADF.ioasid_fd`);
    if (x.kind !== 'ioasid-single') return reject('EBADFD', `${P}.EBADFD.not_ioasid_fd`);
    return lookup(s, x.key, 1, 'ioas', 'ioasid_child') ?? reject('ENOENT', `${P}.ENOENT.ioasid`);
  }
  if (f.bound === null) return reject('EINVAL', `${P}.EINVAL.not_bound`);
  return lookup(s, f.bound, ioasid, 'ioas', 'ioasid_child') ?? reject('ENOENT', `${P}.ENOENT.ioasid`);
}

const parentOf = (s: State, o: Obj): Obj | undefined => ('parent' in o ? s.objects[o.parent] : undefined);

/** VFIO_ATTACH_IOASID: the first attach gives the ioasid its page table (and pins what it maps). */
export function attachIoasid(s: State, f: DeviceFile, c: VfioAttachIoasid): Outcome {
  const P = 'VFIO_ATTACH_IOASID';
  if ((c.flags & ~USER_PASID) !== 0) return reject('EINVAL', `${P}.EINVAL.flags`);
  const usesPasid = (c.flags & USER_PASID) !== 0;
  if (usesPasid && physDevice(s, f.dev).pasidBits === 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.no_pasid`);
  if (usesPasid && (c.user_pasid < 0 || c.user_pasid > PASID_MAX)) return reject('EINVAL', `${P}.EINVAL.pasid_range`);
  const pasid: Pasid | null = usesPasid ? c.user_pasid : null;
  const o = target(s, f, c.ioasid, P);
  if (isRejection(o)) return o;
  // design point: fdModel — with no bind, the first association claims the device for its FD (vfio_df_open)
  if (s.design.policy.fdModel === 'per-ioasid' && Object.values(s.files).some((x) => x.kind === 'device' && x.dev === f.dev && x.key !== f.key && x.bound !== null)) {
    return reject('EBUSY', `${P}.EBUSY.device_claimed_by_another_fd`);
  }
  const ctxFile = s.files[o.file];
  // design point: association — setup-only refuses new associations once the FD has mapped or bound anything
  if (ctxFile?.kind === 'ioasid' && ctxFile.sealed) return reject('EBUSY', `${P}.EBUSY.setup_over`);
  const mine = s.attachments.filter((a) => a.dev === f.dev && a.pasid === pasid);
  if (mine.some((a) => a.ctx === keyOf(o))) return reject('EEXIST', `${P}.EEXIST.attached`);
  const parent = parentOf(s, o);
  if (mine.some((a) => !parent || a.ctx !== keyOf(parent))) return reject('EBUSY', `${P}.EBUSY.route_in_use`);
  if (parent && !s.attachments.some((a) => a.dev === f.dev && a.pasid === null && a.ctx === keyOf(parent))) {
    return reject('EINVAL', `${P}.EINVAL.not_on_parent`);
  }
  if (pasid === null && groupElsewhere(s, f.dev, o)) return reject('EINVAL', `${P}.EINVAL.group`);
  if (!s.attachments.some((a) => a.dev === f.dev && a.ctx === keyOf(o)) && physDevice(s, f.dev).reserved.some((r) => o.areas.some((x) => overlaps(r, x)))) {
    return reject('EINVAL', `${P}.EINVAL.reserved_conflict`);
  }
  const done = commit(s, pasid === null ? `${P}.ok` : `${P}.ok.pasid`, (d) => {
    d.attachments.push({ dev: f.dev, pasid, ctx: keyOf(o) });
    // fd-per-ioasid: `bound` names the claiming device FD itself (there is no address-space FD to bind to)
    if (s.design.policy.fdModel === 'per-ioasid') (d.files[f.key] as Draft<DeviceFile>).bound = f.key;
    (d.objects[keyOf(o)] as Draft<Space>).domain = true;
    const root = rootSpace(s, o);
    if (root) (d.objects[keyOf(root)] as Draft<ObjOf<'ioas'>>).domain = true;
    return {};
  });
  return guardAfter(done, pinCheck(s, P));
}

/** Implicit group rule: a sibling's RID sits on an ioasid that is neither this one nor its parent or child. */
function groupElsewhere(s: State, dev: string, o: Obj): boolean {
  const g = physDevice(s, dev as never).group;
  const related = new Set([keyOf(o), ...(parentOf(s, o) ? [keyOf(parentOf(s, o)!)] : [])]); // parentOf checked in the spread
  return s.attachments.some((a: Attachment) => a.dev !== dev && a.pasid === null && physDevice(s, a.dev).group === g &&
    !related.has(a.ctx) && !('parent' in (s.objects[a.ctx] ?? {}) && related.has((s.objects[a.ctx] as ObjOf<'ioasid_child'>).parent)));
}

/** VFIO_DETACH_IOASID. */
export function detachIoasid(s: State, f: DeviceFile, c: VfioDetachIoasid): Outcome {
  const P = 'VFIO_DETACH_IOASID';
  if ((c.flags & ~USER_PASID) !== 0) return reject('EINVAL', `${P}.EINVAL.flags`);
  const pasid: Pasid | null = (c.flags & USER_PASID) !== 0 ? c.user_pasid : null;
  const o = target(s, f, c.ioasid, P);
  if (isRejection(o)) return o;
  if (!s.attachments.some((a) => a.dev === f.dev && a.pasid === pasid && a.ctx === keyOf(o))) return reject('ENOENT', `${P}.ENOENT.not_attached`);
  const onChild = s.attachments.some((a) => a.dev === f.dev && (s.objects[a.ctx] as { parent?: string } | undefined)?.parent === keyOf(o));
  if (onChild) return reject('EBUSY', `${P}.EBUSY.child_attached`);
  return commit(s, `${P}.ok`, (d) => {
    d.attachments = peek(d.attachments).filter((a) => !(a.dev === f.dev && a.pasid === pasid && a.ctx === keyOf(o)));
    return {};
  });
}
