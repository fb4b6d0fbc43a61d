/**
 * IOMMU_GET_HW_INFO: what a VMM asks before it builds a vIOMMU — the IOMMU's hardware-info type and the length of
 * its struct, whether it tracks dirty pages, and the device's PASID width. A query: it changes nothing.
 * Guards, in order (the first failing one answers):
 *  - flags or a reserved byte set: EOPNOTSUPP (`.EOPNOTSUPP.flags`);
 *  - dev_id is not a device object of this FD: ENOENT (`.ENOENT.dev`, iommufd_get_device).
 * Answers: `out_data_type` from the machine profile (a driver without a hw_info op reports NONE and no data);
 * `data_len` is the length of the driver's struct, whatever the caller's buffer (the kernel fills min(both) bytes
 * and zeroes the rest, then writes back its own length); `out_capabilities` has DIRTY_TRACKING where the IOMMU is
 * capable (device_iommu_capable); `out_max_pasid_log2` is the device's PASID width (ilog2(max_pasids), 0 without
 * PASID). Abstracted: the register contents of the data, the PCI PASID EXEC/PRIV bits (no modelled device reports
 * them), the user buffer's address (never faults here), and the driver's allocation of the data (a fail_nth point the
 * simulated kernel has).
 * @see drivers/iommu/iommufd/device.c iommufd_get_hw_info
 */
import { HW_INFO, IOMMU_HW_CAP_DIRTY_TRACKING, type IommuGetHwInfo } from '../uapi/index.js';
import { answer, reject, type Outcome } from './rule.js';
import { lookup, physDevice, type File, type State } from './state.js';

export function getHwInfo(s: State, f: File, c: IommuGetHwInfo): Outcome {
  if (c.flags !== 0 || c.__reserved !== 0) return reject('EOPNOTSUPP', 'GET_HW_INFO.EOPNOTSUPP.flags');
  const dev = lookup(s, f.key, c.dev_id, 'device');
  if (!dev) return reject('ENOENT', 'GET_HW_INFO.ENOENT.dev');
  const type = s.world.iommu.hwInfoType;
  return answer(s, 'GET_HW_INFO.ok', {
    data_len: HW_INFO[type].len,
    out_data_type: type,
    out_max_pasid_log2: physDevice(s, dev.dev).pasidBits,
    out_capabilities: s.world.iommu.dirtyTracking ? IOMMU_HW_CAP_DIRTY_TRACKING : 0,
  });
}
