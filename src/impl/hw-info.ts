/**
 * IOMMU_GET_HW_INFO as iommufd_get_hw_info does it: look the device object up, ask the IOMMU driver's hw_info op for
 * its data (a buffer the driver allocates, kfree'd after the copy — an allocation fail_nth can fail), then report the
 * driver's own length, its type, the dirty-tracking capability and the PASID width. The copy into the user's buffer
 * (min of both lengths, the rest zeroed) is not done: no observation reads the buffer.
 */
import { fail, HW_INFO, IOMMU_HW_CAP_DIRTY_TRACKING, ok, type HwInfoType, type IommuGetHwInfo, type Result } from '../uapi/index.js';
import type { IommufdFile } from './iommufd-file.js';
import type { Kernel } from './kernel.js';
import { DeviceObj } from './objects.js';

/** The driver's hw_info op: its struct, filled, or null when the driver has none (IOMMU_HW_INFO_TYPE_NONE). */
function driverHwInfo(k: Kernel): { type: HwInfoType; len: number } | 'ENOMEM' | null {
  const type = k.world.iommu.hwInfoType;
  if (type === 'IOMMU_HW_INFO_TYPE_NONE') return null;
  if (!k.alloc.alloc('hw-info')) return 'ENOMEM';
  return { type, len: HW_INFO[type].len }; // the registers' contents are not modelled
}

export function getHwInfo(k: Kernel, f: IommufdFile, c: IommuGetHwInfo): Result<unknown> {
  if (c.flags !== 0 || c.__reserved !== 0) return fail('EOPNOTSUPP');
  const idev = f.table.getKind(c.dev_id, DeviceObj);
  if (!idev) return fail('ENOENT');
  const info = driverHwInfo(k);
  if (info === 'ENOMEM') return fail('ENOMEM');
  if (info) k.alloc.free('hw-info'); // kfree(data), after the copy to the user
  const pasidBits = k.devices.get(idev.dev)?.phys.pasidBits ?? 0;
  return ok({
    data_len: info?.len ?? 0,
    out_data_type: info?.type ?? 'IOMMU_HW_INFO_TYPE_NONE',
    out_max_pasid_log2: pasidBits,
    out_capabilities: k.world.iommu.dirtyTracking ? IOMMU_HW_CAP_DIRTY_TRACKING : 0,
  });
}
