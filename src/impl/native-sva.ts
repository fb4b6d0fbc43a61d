/**
 * Native SVA (per-device-sva, seed M3 concern 3: "Native SVA bind is per-device"): VFIO_DEVICE_BIND_SVA puts the
 * calling process's mm on one PASID of the device, as a driver's iommu_sva_bind_device(dev, current->mm) does in
 * Linux — a PASID entry whose root is the CPU page table (VT-d: a first-level entry, the first-level format being the
 * CPU's, intel_svm_set_dev_pasid; on guest-pasid-table hardware the host-owned CD / GCR3 entry,
 * arm_smmu_sva_set_dev_pasid). The binding registers an mmu notifier on the mm, so a munmap invalidates its IOTLB
 * entries in the range (arch_invalidate_secondary_tlbs): a DMA never reaches a page the CPU lost. It is an 'sva_mm'
 * object in the device FD's own table with a context tag of its own; the route holds it until
 * VFIO_DEVICE_UNBIND_SVA or the release of the device FD (which drops every route, then empties the table).
 * Refused: flags (EINVAL); a device without PASID (EOPNOTSUPP) or a PASID past its width (EINVAL); a RID walking a
 * guest PASID table, which owns every PASID of the device (EBUSY); a PASID that already routes somewhere (EBUSY).
 */
import { fail, ok, type DevName, type Errno, type Result, type VfioDeviceBindSva, type VfioDeviceUnbindSva } from '../uapi/index.js';
import type { Context, DomainId, IommuApi } from './hw/contract.js';
import { addOwned, dropOwned } from './ioasid-device.js';
import type { DeviceFile, Kernel } from './kernel.js';
import type { Mm, MmuNotifier } from './mm.js';
import { IommufdObject } from './object.js';

/** One native binding: the mm on (dev, pasid), followed by its notifier. */
export class SvaMm extends IommufdObject {
  readonly kind = 'sva_mm';
  private readonly notifier: MmuNotifier;

  constructor(
    /** its own tag: what the IOTLB caches through it, and what the notifier invalidates */
    readonly ctxId: DomainId,
    readonly dev: DevName,
    readonly pasid: number,
    private readonly mm: Mm,
    private readonly iommu: IommuApi,
  ) {
    super();
    this.notifier = { invalidate: (start, last) => iommu.flushRange(ctxId, start >> 12n, last >> 12n) };
    mm.register(this.notifier); // unregistered in destroy()
  }

  get context(): Context {
    return { kind: 'sva', id: this.ctxId, mm: this.mm };
  }

  destroy() {
    this.mm.unregister(this.notifier);
    this.iommu.flushDomain(this.ctxId);
  }
}

/** The PASID a call names, once its flags and the device's PASID width allow it. */
function pasidOf(f: DeviceFile, flags: number, pasid: number): number | Errno {
  if (flags !== 0) return 'EINVAL';
  const bits = f.vdev.phys.pasidBits;
  if (bits === 0) return 'EOPNOTSUPP';
  if (pasid < 0 || pasid >= 2 ** bits) return 'EINVAL';
  return pasid;
}

const nativeOf = (f: DeviceFile, pasid: number): SvaMm | undefined =>
  f.table.values().find((o): o is SvaMm => o instanceof SvaMm && o.pasid === pasid);

/** VFIO_DEVICE_BIND_SVA. */
export function deviceBindSva(k: Kernel, f: DeviceFile, c: VfioDeviceBindSva): Result<unknown> {
  const pasid = pasidOf(f, c.flags, c.pasid);
  if (typeof pasid === 'string') return fail(pasid);
  // what the RID entry is programmed with: a guest CD / GCR3 table there is walked for every PASID of the device
  if (k.world.hw === 'guest-pasid-table' && k.iommu.context(f.vdev.name, null).kind === 'guest-pasid-table') return fail('EBUSY');
  if (f.vdev.routes.some((r) => r.pasid === pasid)) return fail('EBUSY');
  return addOwned(k, f, pasid, new SvaMm(k.newContextId(), f.vdev.name, pasid, k.mm, k.iommu)); // until VFIO_DEVICE_UNBIND_SVA or release
}

/** VFIO_DEVICE_UNBIND_SVA: ENOENT unless the PASID is bound natively. */
export function deviceUnbindSva(k: Kernel, f: DeviceFile, c: VfioDeviceUnbindSva): Result<unknown> {
  const pasid = pasidOf(f, c.flags, c.pasid);
  if (typeof pasid === 'string') return fail(pasid);
  return dropOwned(k, f, nativeOf(f, pasid)) ? ok({}) : fail('ENOENT');
}

/** Whether the device FD holds a native binding of `pasid` (a per-device guest-table bind counts as taken too: sva.ts). */
export const isNativelyBound = (f: DeviceFile, pasid: number | null): boolean => pasid !== null && nativeOf(f, pasid) !== undefined;
