/**
 * vIOMMU, vDEVICE and vEVENTQ objects as iommufd keeps them: a vIOMMU holds its nest-parent HWPT and keeps the xarray
 * of its vDEVICEs by virtual id and the list of its vEVENTQs; a device points at its vDEVICE (idev->vdev); a vEVENTQ is
 * a list of events behind an anonymous file, counted against its depth, with one preallocated lost-events header.
 * SMMUv3 forwards a stage-1 event of a master attached to a nested domain of a vIOMMU (its vmaster) to that vIOMMU.
 * @see drivers/iommu/iommufd/viommu.c, eventq.c, device.c iommufd_device_remove_vdev,
 *      drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c
 */
import {
  IOMMU_VEVENTQ_FLAG_LOST_EVENTS, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, fail, ok, uapiOf, viommuTypeOf,
  type EnvIommuEvent, type EnvVeventqRead, type Errno, type IommuVdeviceAlloc, type IommuVeventqAlloc, type IommuViommuAlloc, type Result, type VEventRecord,
} from '../uapi/index.js';
import { IommufdFile } from './iommufd-file.js';
import type { Kernel, VfioDevice } from './kernel.js';
import { EventqFile, installEventq } from './eventq.js';
import { IommufdObject, putUsers } from './object.js';
import { DeviceObj, HwptNested, HwptPaging } from './objects.js';

const INT_MAX = 0x7fff_ffff;
const HEADER_SIZE = 8;
/** struct iommu_vevent_arm_smmuv3: the event record, four 64-bit words */
const ARM_SMMUV3_EVENT_SIZE = 32;

export class ViommuObj extends IommufdObject {
  readonly kind = 'viommu';
  /** viommu->vdevs: virtual id -> vDEVICE */
  readonly vdevs = new Map<bigint, VdeviceObj>();
  /** viommu->veventqs */
  readonly veventqs: VeventqObj[] = [];
  /** the nested domains built on it (they share its VMID: one invalidation reaches them all) */
  readonly nested = new Set<HwptNested>();
  constructor(readonly hwpt: HwptPaging, readonly type: number) {
    super();
    hwpt.users++;
  }
  destroy() {
    putUsers(this.hwpt);
  }
}

export class VdeviceObj extends IommufdObject {
  readonly kind = 'vdevice';
  constructor(readonly viommu: ViommuObj, readonly idev: DeviceObj, readonly virtId: bigint) {
    super();
    viommu.users++;
    viommu.vdevs.set(virtId, this);
    idev.users++; // the lookup's reference, kept while it points at the device
    idev.vdev = this;
  }
  destroy() {
    this.viommu.vdevs.delete(this.virtId);
    if (this.idev.vdev === this) this.idev.vdev = null;
    putUsers(this.idev);
    putUsers(this.viommu);
  }
}

/** One queued event: its header and, but for the lost-events header, the data (the vSID it names). */
interface Vevent {
  sequence: number;
  readonly virtId: bigint | null;
}

export class VeventqObj extends IommufdObject {
  readonly kind = 'veventq';
  readonly deliver: Vevent[] = [];
  /** events queued that count against the depth (the lost-events header does not) */
  numEvents = 0;
  sequence = 0;
  /** the preallocated lost-events header; in `deliver` at most once, and then last */
  private readonly lostHeader: Vevent = { sequence: 0, virtId: null };
  constructor(readonly viommu: ViommuObj, readonly type: number, readonly depth: number) {
    super();
    viommu.users++;
    viommu.veventqs.push(this);
  }

  /** iommufd_viommu_report_event, then iommufd_vevent_handler: a full queue queues its lost-events header instead. */
  report(virtId: bigint) {
    const full = this.numEvents === this.depth;
    const e = full ? this.lostHeader : { sequence: 0, virtId };
    if (!full) this.numEvents++;
    // "Remove the lost_events_header and add the new node at the same time"
    if (this.deliver.at(-1) === this.lostHeader) this.deliver.pop();
    this.deliver.push(e);
    e.sequence = this.sequence;
    this.sequence = (this.sequence + 1) & INT_MAX;
  }

  /** iommufd_veventq_fops_read: whole events while they fit; EINVAL when not even the first does. */
  read(count: number): VEventRecord[] | 'EINVAL' {
    if (count < HEADER_SIZE) return 'EINVAL';
    const out: VEventRecord[] = [];
    let done = 0;
    for (let e = this.deliver[0]; e !== undefined; e = this.deliver[0]) {
      const size = HEADER_SIZE + (e === this.lostHeader ? 0 : ARM_SMMUV3_EVENT_SIZE);
      if (done >= count || size > count - done) {
        if (done === 0) return 'EINVAL';
        break;
      }
      this.deliver.shift();
      if (e !== this.lostHeader) this.numEvents--;
      out.push({ flags: e === this.lostHeader ? IOMMU_VEVENTQ_FLAG_LOST_EVENTS : 0, sequence: e.sequence, virt_id: e.virtId });
      done += size;
    }
    return out;
  }

  destroy() {
    this.viommu.veventqs.splice(this.viommu.veventqs.indexOf(this), 1);
    this.deliver.length = 0;
    putUsers(this.viommu);
  }
}

/** The vEVENTQ fd ([iommufd-viommu-event]). */
export class VeventqFile extends EventqFile<VeventqObj> {
  readonly kind = 'veventq';
  get veventq(): VeventqObj {
    return this.eventq;
  }
}

/** IOMMU_VIOMMU_ALLOC (iommufd_viommu_alloc_ioctl). */
export function viommuAlloc(k: Kernel, f: IommufdFile, c: IommuViommuAlloc): Result<unknown> {
  if (!uapiOf(k.world).viommu) return fail('ENOTTY');
  if (c.flags !== 0 || c.type === 0) return fail('EOPNOTSUPP');
  if (!f.table.getKind(c.dev_id, DeviceObj)) return fail('ENOENT');
  if (viommuTypeOf(k.world.iommu) !== c.type) return fail('EOPNOTSUPP'); // ops->get_viommu_size(dev, type) == 0
  const hwpt = f.table.getKind(c.hwpt_id, HwptPaging);
  if (!hwpt) return fail('ENOENT');
  if (!hwpt.nestParent) return fail('EINVAL');
  const viommu = new ViommuObj(hwpt, c.type);
  if (!f.table.insertOrAbort(viommu)) return fail('ENOMEM');
  return ok({ out_viommu_id: viommu.id });
}

/** IOMMU_VDEVICE_ALLOC (iommufd_vdevice_alloc_ioctl). */
export function vdeviceAlloc(k: Kernel, f: IommufdFile, c: IommuVdeviceAlloc): Result<unknown> {
  if (!uapiOf(k.world).viommu) return fail('ENOTTY');
  const viommu = f.table.getKind(c.viommu_id, ViommuObj);
  if (!viommu) return fail('ENOENT');
  const idev = f.table.getKind(c.dev_id, DeviceObj);
  if (!idev) return fail('ENOENT');
  if (idev.vdev) return fail('EEXIST');
  if (viommu.vdevs.has(c.virt_id)) return fail('EEXIST'); // xa_cmpxchg found one
  const vdev = new VdeviceObj(viommu, idev, c.virt_id);
  if (!f.table.insertOrAbort(vdev)) return fail('ENOMEM');
  return ok({ out_vdevice_id: vdev.id });
}

/** IOMMU_VEVENTQ_ALLOC (iommufd_veventq_alloc): the object and its fd. */
export function veventqAlloc(k: Kernel, f: IommufdFile, c: IommuVeventqAlloc): Result<unknown> {
  if (!uapiOf(k.world).viommu) return fail('ENOTTY');
  if (c.flags !== 0 || c.__reserved !== 0 || c.type === 0) return fail('EOPNOTSUPP');
  if (c.veventq_depth === 0 || c.veventq_depth > 1 << 19) return fail('EINVAL'); // VEVENTQ_MAX_DEPTH
  const viommu = f.table.getKind(c.viommu_id, ViommuObj);
  if (!viommu) return fail('ENOENT');
  if (viommu.veventqs.some((q) => q.type === c.type)) return fail('EEXIST');
  const q = new VeventqObj(viommu, c.type, c.veventq_depth);
  if (!f.table.insertOrAbort(q)) return fail('ENOMEM');
  const fd = installEventq(k, f, q, (serial) => new VeventqFile(serial, q, f, k));
  return ok({ out_veventq_id: q.id, out_veventq_fd: fd });
}

/** The vIOMMU and vDEVICE an SMMUv3 event of `vdev` is forwarded to (master->vmaster), if any. */
function vmaster(vdev: VfioDevice): { readonly viommu: ViommuObj; readonly virtId: bigint } | null {
  const rid = vdev.routes.find((r) => r.pasid === null);
  const hwpt = rid?.target;
  if (!(hwpt instanceof HwptNested) || hwpt.viommu === null || hwpt.viommu.type !== IOMMU_VIOMMU_TYPE_ARM_SMMUV3) return null;
  const v = vdev.idev instanceof DeviceObj ? vdev.idev.vdev : null;
  return v && v.viommu === hwpt.viommu ? { viommu: v.viommu, virtId: v.virtId } : null;
}

/** IOMMU_EVENT: arm_smmu_handle_evt -> arm_vmaster_report_event, or the host's log. */
export function iommuEvent(k: Kernel, c: EnvIommuEvent): Result<unknown> {
  const vdev = k.devices.get(c.dev);
  const to = vdev ? vmaster(vdev) : null;
  const q = to?.viommu.veventqs.find((x) => x.type === IOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
  if (!to || !q) return ok({ veventq: null });
  q.report(to.virtId);
  return ok({ veventq: q.id });
}

/** read(2) of a vEVENTQ fd. */
export function veventqRead(k: Kernel, c: EnvVeventqRead): Result<unknown> {
  const f = k.fds.get(c.fd);
  if (!f) return fail('EBADF');
  if (!(f instanceof VeventqFile)) return fail('EINVAL');
  const events = f.veventq.read(c.count);
  return events === 'EINVAL' ? fail('EINVAL') : ok({ events });
}

/** arm_smmu_attach_prepare_vmaster, mock_domain_nop_attach: the RID of a device joins a nested domain of a vIOMMU only with its vDEVICE there. */
export function vmasterAttachCheck(vdev: VfioDevice, pasid: number | null, hwpt: HwptNested): Errno | null {
  if (pasid !== null || hwpt.viommu === null) return null;
  const v = vdev.idev instanceof DeviceObj ? vdev.idev.vdev : null;
  return v?.viommu === hwpt.viommu ? null : 'ENOENT';
}
