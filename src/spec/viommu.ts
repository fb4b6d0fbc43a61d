/**
 * vIOMMU, vDEVICE and vEVENTQ: a VMM's virtual IOMMU as iommufd objects. IOMMU_VIOMMU_ALLOC makes a slice of the
 * physical IOMMU over a NEST_PARENT paging HWPT (the guest's stage-2); nested HWPTs are allocated on it
 * (HWPT_ALLOC pt_id = the vIOMMU, hwpt.ts) and it takes the guest's invalidations (HWPT_INVALIDATE hwpt_id = the vIOMMU);
 * IOMMU_VDEVICE_ALLOC names a device as the guest sees it (its virtual id, SMMUv3's vSID); IOMMU_VEVENTQ_ALLOC makes
 * the queue (and its fd) through which the vIOMMU forwards the events the hardware records for its devices.
 *
 * Rules (the kernel read, torvalds/linux drivers/iommu/iommufd/viommu.c, eventq.c, hw_pagetable.c, device.c, and
 * arm-smmu-v3-iommufd.c; a kernel before 6.13 has none of these ioctls: ENOTTY):
 *  - VIOMMU_ALLOC: flags or the reserved DEFAULT type EOPNOTSUPP; the device (ENOENT); a type the device's driver does
 *    not allocate EOPNOTSUPP (get_viommu_size 0); the HWPT must be a paging HWPT (ENOENT) made with NEST_PARENT (EINVAL).
 *    The vIOMMU holds the HWPT; nested HWPTs, vDEVICEs and vEVENTQs hold the vIOMMU (IOMMU_DESTROY EBUSY while any is).
 *  - VDEVICE_ALLOC: the vIOMMU (ENOENT), the device (ENOENT); a device has one vDEVICE (EEXIST) and a virtual id names
 *    one vDEVICE per vIOMMU (xa_cmpxchg: EEXIST). When the device is unbound its vDEVICE is destroyed with it and the
 *    id stays reserved, unusable and unremovable, until the iommufd closes (iommufd_device_remove_vdev; a tombstone).
 *  - VEVENTQ_ALLOC: flags, __reserved or the DEFAULT type EOPNOTSUPP; a depth of 0 or above 2^19 (VEVENTQ_MAX_DEPTH)
 *    EINVAL; the vIOMMU (ENOENT); one queue per type per vIOMMU (EEXIST). The type is not checked against the driver's:
 *    a queue of a type it never reports is legal and stays empty.
 *  - Events (iommufd_viommu_report_event, iommufd_vevent_handler): a queue holding `depth` events takes no more; the
 *    event queues the vEVENTQ's one lost-events header instead (flags LOST_EVENTS, no data). Every event or header goes to
 *    the tail with the next sequence number (from 0; after INT_MAX, 0), and a lost-events header at the tail is taken off
 *    first: so it is only ever last, its sequence is that of the latest event lost, and once an event fits again it
 *    replaces the header, the gap in sequence numbers then telling the loss.
 *  - read(2) of a vEVENTQ fd: a count under one header (8 bytes) EINVAL, even on an empty queue; then whole events from
 *    the oldest while they fit (an SMMUv3 event is 32 bytes after its header), EINVAL when the first does not; an empty
 *    queue reads 0 bytes (it never blocks). Before the 2026 fixes the kernel read 0 bytes in both EINVAL cases.
 *
 * Rules chosen where the model abstracts:
 *  - The hardware's event is an action of its own (IOMMU_EVENT), as a page request is: SMMUv3 forwards a stage-1 event
 *    of a master attached (RID) to a nested HWPT of a vIOMMU that has a vDEVICE for it (arm_vmaster_report_event, the
 *    vSID written over the SID); every other event only goes to the host's log. The mock driver's own trigger
 *    (IOMMU_TEST_OP_TRIGGER_VEVENT) needs a mock nested HWPT, which is not modelled.
 *  - The RID of a device attaches to a nested HWPT of a vIOMMU only with a vDEVICE on that vIOMMU (ENOENT: SMMUv3's
 *    arm_smmu_attach_prepare_vmaster and the mock's attach both look the virtual id up), the guest's STE being valid in
 *    the model always. A vDEVICE holds its device (the lookup's users reference, kept; revoked at unbind).
 *  - The invalidation entries of a vIOMMU are the model's abstract ones (range or all), each reaching every nested HWPT
 *    of the vIOMMU (the SMMUv3 commands are per VMID, which all of them share); its command words are not modelled.
 */
import type { Draft } from 'immer';
import {
  IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, IOMMU_VEVENTQ_TYPE_DEFAULT as VEVENTQ_DEFAULT, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_DEFAULT as VIOMMU_DEFAULT,
  IOMMU_VEVENTQ_FLAG_LOST_EVENTS, uapiOf, viommuTypeOf,
  type DevName, type EnvIommuEvent, type EnvVeventqRead, type IommuVdeviceAlloc, type IommuVeventqAlloc, type IommuViommuAlloc, type VEventRecord,
} from '../uapi/index.js';
import { commit, reject, type Outcome, type Rejection } from './rule.js';
import { openFile, allocId, fileOfFd, keyOf, lookup, objKey, type File, type ObjKey, type ObjOf, type State, type VEvent } from './state.js';

/** sizeof(struct iommufd_vevent_header) and of an SMMUv3 event (struct iommu_vevent_arm_smmuv3: evt[4]). */
export const VEVENT_HEADER_SIZE = 8;
export const VEVENT_ARM_SMMUV3_SIZE = 32;
/** The deepest vEVENTQ (eventq.c VEVENTQ_MAX_DEPTH). */
export const VEVENTQ_MAX_DEPTH = 1 << 19;
/** INT_MAX: the last sequence number before it wraps to 0. */
const SEQUENCE_MAX = 0x7fff_ffff;

/** IOMMU_VIOMMU_ALLOC. @see viommu.c iommufd_viommu_alloc_ioctl */
export function viommuAlloc(s: State, f: File, c: IommuViommuAlloc): Outcome {
  const P = 'VIOMMU_ALLOC';
  if (!uapiOf(s.world).viommu) return reject('ENOTTY', `${P}.ENOTTY.kernel_version`);
  if (c.flags !== 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.flags`);
  if (c.type === VIOMMU_DEFAULT) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.default_type`);
  if (!lookup(s, f.key, c.dev_id, 'device')) return reject('ENOENT', `${P}.ENOENT.dev`);
  if (viommuTypeOf(s.world.iommu) !== c.type) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.type`);
  const parent = lookup(s, f.key, c.hwpt_id, 'hwpt_paging');
  if (!parent) return reject('ENOENT', `${P}.ENOENT.hwpt`);
  if (!parent.nestParent) return reject('EINVAL', `${P}.EINVAL.not_nest_parent`);
  return commit(s, `${P}.ok`, (d) => {
    const id = allocId(s, f.key);
    d.objects[objKey(f.key, id)] = { kind: 'viommu', file: f.key, id, parent: keyOf(parent), type: c.type };
    return { out_viommu_id: id };
  });
}

/** The vDEVICE of `dev`, if it has one (idev->vdev). */
export const vdeviceOf = (s: State, dev: DevName): ObjOf<'vdevice'> | undefined =>
  Object.values(s.objects).find((o): o is ObjOf<'vdevice'> => o.kind === 'vdevice' && o.dev === dev);

/** IOMMU_VDEVICE_ALLOC. @see viommu.c iommufd_vdevice_alloc_ioctl */
export function vdeviceAlloc(s: State, f: File, c: IommuVdeviceAlloc): Outcome {
  const P = 'VDEVICE_ALLOC';
  if (!uapiOf(s.world).viommu) return reject('ENOTTY', `${P}.ENOTTY.kernel_version`);
  const viommu = lookup(s, f.key, c.viommu_id, 'viommu');
  if (!viommu) return reject('ENOENT', `${P}.ENOENT.viommu`);
  const dev = lookup(s, f.key, c.dev_id, 'device');
  if (!dev) return reject('ENOENT', `${P}.ENOENT.dev`);
  if (vdeviceOf(s, dev.dev)) return reject('EEXIST', `${P}.EEXIST.dev`);
  const key = keyOf(viommu);
  if (Object.values(s.objects).some((o) => o.kind === 'vdevice' && o.viommu === key && o.virtId === c.virt_id)) return reject('EEXIST', `${P}.EEXIST.virt_id`);
  return commit(s, `${P}.ok`, (d) => {
    const id = allocId(s, f.key);
    d.objects[objKey(f.key, id)] = { kind: 'vdevice', file: f.key, id, viommu: key, dev: dev.dev, virtId: c.virt_id };
    return { out_vdevice_id: id };
  });
}

/** IOMMU_VEVENTQ_ALLOC: the object and its fd. @see eventq.c iommufd_veventq_alloc */
export function veventqAlloc(s: State, f: File, c: IommuVeventqAlloc): Outcome {
  const P = 'VEVENTQ_ALLOC';
  if (!uapiOf(s.world).viommu) return reject('ENOTTY', `${P}.ENOTTY.kernel_version`);
  if (c.flags !== 0 || c.__reserved !== 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.flags`);
  if (c.type === VEVENTQ_DEFAULT) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.default_type`);
  if (c.veventq_depth === 0 || c.veventq_depth > VEVENTQ_MAX_DEPTH) return reject('EINVAL', `${P}.EINVAL.depth`);
  const viommu = lookup(s, f.key, c.viommu_id, 'viommu');
  if (!viommu) return reject('ENOENT', `${P}.ENOENT.viommu`);
  if (veventqOf(s, keyOf(viommu), c.type)) return reject('EEXIST', `${P}.EEXIST.type`);
  return commit(s, `${P}.ok`, (d) => {
    const id = allocId(s, f.key);
    const veventq = objKey(f.key, id);
    d.objects[veventq] = { kind: 'veventq', file: f.key, id, viommu: keyOf(viommu), type: c.type, depth: c.veventq_depth, events: [], sequence: 0 };
    return { out_veventq_id: id, out_veventq_fd: openFile(d, s, (key) => ({ kind: 'veventq', key, veventq })).fd };
  });
}

/** The vEVENTQ of `type` on the vIOMMU `viommu` (iommufd_viommu_find_veventq). */
const veventqOf = (s: State, viommu: ObjKey, type: number): ObjOf<'veventq'> | undefined =>
  Object.values(s.objects).find((o): o is ObjOf<'veventq'> => o.kind === 'veventq' && o.viommu === viommu && o.type === type);

/**
 * The vIOMMU an SMMUv3 event of `dev` is forwarded to, and the vDEVICE it names: the device's RID is attached to a
 * nested HWPT of an SMMUv3 vIOMMU on which it has its vDEVICE (master->vmaster). Undefined: the host logs it.
 */
function vmasterOf(s: State, dev: DevName): { readonly viommu: ObjKey; readonly vdevice: ObjOf<'vdevice'> } | undefined {
  const rid = s.attachments.find((a) => a.dev === dev && a.pasid === null);
  const ctx = rid === undefined ? undefined : s.objects[rid.ctx];
  if (ctx?.kind !== 'hwpt_nested' || ctx.viommu === null) return undefined;
  const viommu = s.objects[ctx.viommu];
  const vdevice = vdeviceOf(s, dev);
  if (viommu?.kind !== 'viommu' || viommu.type !== IOMMU_VIOMMU_TYPE_ARM_SMMUV3 || vdevice?.viommu !== ctx.viommu) return undefined;
  return { viommu: ctx.viommu, vdevice };
}

/** Whether a vEVENTQ holds `depth` events (its lost-events header aside): the next one is lost. */
const isFull = (q: ObjOf<'veventq'>): boolean => q.events.filter((e) => e.virtId !== null).length === q.depth;

/** Queue one event, or on a full queue (`lost`) the lost-events header, at the tail of a vEVENTQ inside a draft. */
function report(q: Draft<ObjOf<'veventq'>>, virtId: bigint, lost: boolean) {
  // the lost-events header is only ever last: whatever comes next takes its place
  if (q.events.at(-1)?.virtId === null) q.events.pop();
  q.events.push({ sequence: q.sequence, virtId: lost ? null : virtId });
  q.sequence = q.sequence === SEQUENCE_MAX ? 0 : q.sequence + 1;
}

/** IOMMU_EVENT: an SMMUv3 event of a vIOMMU's device goes to its vEVENTQ of type ARM_SMMUV3; anything else to the log. */
export function iommuEvent(s: State, c: EnvIommuEvent): Outcome {
  const to = vmasterOf(s, c.dev);
  const q = to === undefined ? undefined : veventqOf(s, to.viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
  if (to === undefined || q === undefined) return commit(s, 'IOMMU_EVENT.ok.host_log', () => ({ veventq: null }));
  const key = keyOf(q);
  const lost = isFull(q);
  return commit(s, lost ? 'IOMMU_EVENT.ok.lost' : 'IOMMU_EVENT.ok.veventq', (d) => {
    report(d.objects[key] as Draft<ObjOf<'veventq'>>, to.vdevice.virtId, lost);
    return { veventq: q.id };
  });
}

/** The bytes one queued event takes in a read: its header, and an SMMUv3 event's data unless it is the lost header. */
const eventSize = (e: VEvent): number => VEVENT_HEADER_SIZE + (e.virtId === null ? 0 : VEVENT_ARM_SMMUV3_SIZE);

/** read(2) of a vEVENTQ fd: whole events from the oldest while they fit. @see eventq.c iommufd_veventq_fops_read */
export function veventqRead(s: State, c: EnvVeventqRead): Outcome {
  const f = fileOfFd(s, c.fd);
  if (!f) return reject('EBADF', 'VEVENTQ_READ.EBADF.fd');
  if (f.kind !== 'veventq') return reject('EINVAL', 'VEVENTQ_READ.EINVAL.not_veventq_fd');
  const q = s.objects[f.veventq] as ObjOf<'veventq'>; // an open vEVENTQ fd holds its object
  if (c.count < VEVENT_HEADER_SIZE) return reject('EINVAL', 'VEVENTQ_READ.EINVAL.count');
  if (q.events.length === 0) return commit(s, 'VEVENTQ_READ.ok.empty', () => ({ events: [] }));
  let room = c.count;
  let n = 0;
  while (n < q.events.length && eventSize(q.events[n]!) <= room) room -= eventSize(q.events[n++]!); // n < length
  if (n === 0) return reject('EINVAL', 'VEVENTQ_READ.EINVAL.no_room');
  const taken = q.events.slice(0, n);
  return commit(s, 'VEVENTQ_READ.ok', (d) => {
    (d.objects[f.veventq] as Draft<ObjOf<'veventq'>>).events.splice(0, n);
    return {
      events: taken.map((e): VEventRecord => ({ flags: e.virtId === null ? IOMMU_VEVENTQ_FLAG_LOST_EVENTS : 0, sequence: e.sequence, virt_id: e.virtId })),
    };
  });
}

/**
 * The attach of a device's RID to a nested HWPT of a vIOMMU: the device needs its vDEVICE on that vIOMMU (the virtual id
 * its events are reported under). @see arm-smmu-v3-iommufd.c arm_smmu_attach_prepare_vmaster (iommufd_viommu_get_vdev_id),
 *      selftest.c mock_domain_nop_attach; selftest iommufd.c viommu_alloc_nested_iopf (ENOENT without a vDEVICE)
 */
export function vmasterCheck(s: State, dev: DevName, pasid: number | null, pt: ObjOf<'hwpt_nested'>): Rejection | null {
  if (pasid !== null || pt.viommu === null) return null;
  return vdeviceOf(s, dev)?.viommu === pt.viommu ? null : reject('ENOENT', 'ATTACH_PT.ENOENT.no_vdevice');
}

/**
 * At unbind: the device's vDEVICE goes with it, its id kept as a tombstone until the iommufd closes (inside the
 * unbind's draft). @see device.c iommufd_device_remove_vdev
 */
export function removeVdevice(d: Draft<State>, base: State, dev: DevName) {
  const v = vdeviceOf(base, dev);
  if (v) d.objects[keyOf(v)] = { kind: 'tombstone', file: v.file, id: v.id };
}
