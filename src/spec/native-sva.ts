/**
 * Native SVA — per-device-sva only (policy nativeSva 'per-device'): Yi's model (seed M3 concern 3, "Native SVA bind
 * is per-device"). VFIO_DEVICE_BIND_SVA binds the calling process's own address space — its mmapped memory as the CPU
 * sees it, host page = user page — to one PASID of the device, through the device FD. The binding is an `sva_mm`
 * object in the device FD's own table (as `sva_bind`), attached on (dev, pasid); VFIO_DEVICE_UNBIND_SVA or closing
 * the device FD releases it. A DMA through it at iova = a user VA reaches that page while it is mmapped and faults
 * once MUNMAP took it (translate.ts): the IOMMU walks the CPU page table and the kernel's mmu notifier invalidates the
 * IOTLB within the munmap, so no stale answer is ever allowed. Linux binds natively only inside a driver
 * (iommu_sva_bind_device(dev, current->mm), drivers/iommu/iommu-sva.c); neither iommufd nor RFC v1 has a uAPI for it.
 * Abstracted away: PASID allocation (Linux takes the mm's one global PASID; here the caller names it), I/O page
 * faults (a page not present faults, nothing pages it in), the mm's lifetime (the process outlives every trace).
 * Guards, in order (the first failing one answers):
 *  - the device FD is bound to a /dev/ioasid FD — the dispatcher's `.EINVAL.device_not_bound` (step.ts): an unbound
 *    device FD owns no DMA yet (vfio_device_fops_unl_ioctl), so it binds nothing;
 *  - flags: none is defined, any bit is EINVAL (`.EINVAL.flags`, as VFIO refuses unknown flags);
 *  - the device has no PASID capability: EOPNOTSUPP (`.EOPNOTSUPP.no_pasid`); the PASID is past its width: EINVAL
 *    (`.EINVAL.pasid_range`, as iommu_attach_device_pasid's pasid >= max_pasids);
 *  - bind: on guest-pasid-table hardware a guest PASID table on the device's RID owns every PASID of it, so the host has
 *    no CD/GCR3 entry to write: EBUSY (`.EBUSY.guest_pasid_table`); the PASID already routes somewhere (an attachment,
 *    a guest table, a native binding): EBUSY (`.EBUSY.route_in_use`);
 *  - unbind: the PASID is not natively bound: ENOENT (`.ENOENT.not_bound`).
 * A guest PASID table bound on the RID afterwards takes every PASID over (translate.ts), as it does attached PASIDs:
 * the binding stays, unconsulted, until it is unbound.
 */
import type { DevName, Pasid, VfioDeviceBindSva, VfioDeviceUnbindSva } from '../uapi/index.js';
import { addOwned, dropOwned } from './objects.js';
import { isRejection, reject, type Outcome, type Rejection } from './rule.js';
import { hw, physDevice, type File, type ObjOf, type State } from './state.js';
import { guestPasidTable, routeCtx } from './translate.js';

type DeviceFile = Extract<File, { kind: 'device' }>;

/** The PASID a call names, once its flags and the device's PASID width allow it. */
function pasidOf(s: State, f: DeviceFile, flags: number, pasid: Pasid, P: string): Pasid | Rejection {
  if (flags !== 0) return reject('EINVAL', `${P}.EINVAL.flags`);
  const bits = physDevice(s, f.dev).pasidBits;
  if (bits === 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.no_pasid`);
  if (pasid < 0 || pasid >= 2 ** bits) return reject('EINVAL', `${P}.EINVAL.pasid_range`);
  return pasid;
}

/** The native binding of (dev, pasid), if any. */
export const nativeBinding = (s: State, dev: DevName, pasid: Pasid | null): ObjOf<'sva_mm'> | undefined =>
  Object.values(s.objects).find((o): o is ObjOf<'sva_mm'> => o.kind === 'sva_mm' && o.dev === dev && o.pasid === pasid);

/** VFIO_DEVICE_BIND_SVA: the process's address space on one PASID of the device. */
export function deviceBindSva(s: State, f: DeviceFile, c: VfioDeviceBindSva): Outcome {
  const P = 'VFIO_DEVICE_BIND_SVA';
  const pasid = pasidOf(s, f, c.flags, c.pasid, P);
  if (isRejection(pasid)) return pasid;
  // the same routing translate() follows: a guest PASID table on the RID (its own or its group's) is walked for every PASID
  if (hw(s) === 'guest-pasid-table' && guestPasidTable(routeCtx(s, f.dev, null)) !== null) return reject('EBUSY', `${P}.EBUSY.guest_pasid_table`);
  if (s.attachments.some((a) => a.dev === f.dev && a.pasid === pasid)) return reject('EBUSY', `${P}.EBUSY.route_in_use`);
  return addOwned(s, f, pasid, `${P}.ok`, (file, id) => ({ kind: 'sva_mm', file, id, dev: f.dev, pasid }));
}

/** VFIO_DEVICE_UNBIND_SVA: the PASID no longer reaches the process's memory (a DMA there finds no PASID entry). */
export function deviceUnbindSva(s: State, f: DeviceFile, c: VfioDeviceUnbindSva): Outcome {
  const P = 'VFIO_DEVICE_UNBIND_SVA';
  const pasid = pasidOf(s, f, c.flags, c.pasid, P);
  if (isRejection(pasid)) return pasid;
  const b = nativeBinding(s, f.dev, pasid);
  if (!b) return reject('ENOENT', `${P}.ENOENT.not_bound`);
  return dropOwned(s, b, `${P}.ok`);
}
