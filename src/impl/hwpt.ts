/**
 * HWPT ioctl handlers (iommufd) and the paging-domain constructor the automatic path shares.
 * @see drivers/iommu/iommufd/hw_pagetable.c
 */
import {
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING as DIRTY, IOMMU_HWPT_ALLOC_NEST_PARENT as NEST_PARENT, IOMMU_HWPT_ALLOC_PASID as ALLOC_PASID,
  IOMMU_HWPT_FAULT_ID_VALID as FAULT_ID_VALID, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, HWPT_DATA_LEN, viommuTypeOf, INVALIDATE_ENTRY_LEN, U64_MAX, fail, hwptDataLen, ok, uapiOf,
  type Errno, type IommuHwptAlloc, type IommuHwptInvalidate, type Result,
} from '../uapi/index.js';
import { FaultObj } from './fault.js';
import type { IommufdFile } from './iommufd-file.js';
import type { Kernel } from './kernel.js';
import { DeviceObj, HwptNested, HwptPaging, IoasObj } from './objects.js';
import { ViommuObj } from './viommu.js';

/**
 * iommufd_hwpt_paging_alloc's core: a new domain added to `ioas` (aperture, alignment, pin, fill), inserted into
 * the table. Unwinds everything on failure.
 */
export function newPagingHwpt(k: Kernel, f: IommufdFile, ioas: IoasObj, p: { auto: boolean; nestParent: boolean; pasidCompat: boolean; dirty: boolean }): HwptPaging | Errno {
  const domain = k.newDomainOn(ioas.iopt, p.dirty);
  if (typeof domain === 'string') return domain;
  const hwpt = new HwptPaging(ioas, domain, p.auto, p.nestParent, p.pasidCompat, k.alloc);
  if (!f.table.insertOrAbort(hwpt)) return 'ENOMEM';
  return hwpt;
}

/** The stage-1 format the IOMMU driver's domain_alloc_user takes for a nested domain (null: none). */
const nativeDataType = (k: Kernel) => k.world.iommu.stage1Format;

/** Whether the driver has ops->domain_alloc_nested: not SMMUv3 once it has vIOMMUs (its nested domains are the vIOMMU's). */
const domainAllocNested = (k: Kernel): boolean => !(uapiOf(k.world).viommu && viommuTypeOf(k.world.iommu) === IOMMU_VIOMMU_TYPE_ARM_SMMUV3);

/**
 * The end of iommufd_hwpt_alloc for a HWPT just built: with FAULT_ID_VALID it takes a user of the FAULT `fault_id`
 * names, or is aborted (ENOENT) when there is none.
 */
function takeFault(f: IommufdFile, c: IommuHwptAlloc, hwpt: HwptPaging | HwptNested): Result<unknown> {
  if ((c.flags & FAULT_ID_VALID) !== 0) {
    const fault = f.table.getKind(c.fault_id, FaultObj);
    if (!fault) {
      f.table.remove(hwpt);
      return fail('ENOENT');
    }
    hwpt.fault = fault;
    fault.users++;
  }
  return ok({ out_hwpt_id: hwpt.id });
}

export function hwptAlloc(k: Kernel, f: IommufdFile, c: IommuHwptAlloc): Result<unknown> {
  if (c.__reserved !== 0) return fail('EOPNOTSUPP');
  const len = hwptDataLen(c);
  if ((c.data_type === 'IOMMU_HWPT_DATA_NONE' && len !== 0) || (c.data_type !== 'IOMMU_HWPT_DATA_NONE' && len === 0)) return fail('EINVAL');
  const idev = f.table.getKind(c.dev_id, DeviceObj);
  if (!idev) return fail('ENOENT');
  const pt = f.table.get(c.pt_id);
  if (!pt) return fail('EINVAL');
  const devPasid = (k.devices.get(idev.dev)?.phys.pasidBits ?? 0) > 0;
  // the flags this kernel version knows: 6.12's iommufd_hwpt_paging_alloc takes NEST_PARENT | DIRTY_TRACKING only
  const uapi = uapiOf(k.world);
  const pasidFlag = uapi.hwptAllocPasid ? ALLOC_PASID : 0;
  if (pt instanceof IoasObj) {
    if ((c.flags & ~(NEST_PARENT | DIRTY | (uapi.pagingFault ? FAULT_ID_VALID : 0) | pasidFlag)) !== 0) return fail('EOPNOTSUPP');
    if (len !== 0) return fail('EOPNOTSUPP'); // user_data.len ? &user_data : NULL
    if ((c.flags & DIRTY) !== 0 && !k.world.iommu.dirtyTracking) return fail('EOPNOTSUPP'); // !device_iommu_capable(IOMMU_CAP_DIRTY_TRACKING)
    // iommufd_hwpt_paging_alloc: "if ((flags & IOMMU_HWPT_FAULT_ID_VALID) && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT))"
    if ((c.flags & FAULT_ID_VALID) !== 0 && (c.flags & NEST_PARENT) !== 0) return fail('EOPNOTSUPP');
    if ((c.flags & ALLOC_PASID) !== 0 && !devPasid) return fail('EOPNOTSUPP');
    if ((c.flags & NEST_PARENT) !== 0 && !k.world.iommu.nestParent) return fail('EOPNOTSUPP'); // the driver cannot be a nest parent
    // SMMUv3: dirty tracking is a stage-1 feature and a nest parent is stage 2 (arm_smmu_domain_alloc_paging_flags)
    if ((c.flags & NEST_PARENT) !== 0 && (c.flags & DIRTY) !== 0 && k.dirtyAlwaysOn) return fail('EOPNOTSUPP');
    const hwpt = newPagingHwpt(k, f, pt, { auto: false, nestParent: (c.flags & NEST_PARENT) !== 0, pasidCompat: (c.flags & ALLOC_PASID) !== 0, dirty: (c.flags & DIRTY) !== 0 });
    if (typeof hwpt === 'string') return fail(hwpt);
    return takeFault(f, c, hwpt);
  }
  if (pt instanceof HwptPaging) {
    // "if ((flags & ~(...)) || !user_data->len || !ops->domain_alloc_nested)": SMMUv3 nests only through its vIOMMU
    if ((c.flags & ~(FAULT_ID_VALID | pasidFlag)) !== 0 || len === 0 || !domainAllocNested(k)) return fail('EOPNOTSUPP');
    if (pt.auto || !pt.nestParent) return fail('EINVAL');
    if (c.data_type !== nativeDataType(k)) return fail('EOPNOTSUPP');
    // iommu_copy_struct_from_user: the length must be the struct's, and the user pointer readable
    if (len !== HWPT_DATA_LEN[c.data_type]) return fail('EINVAL');
    if (c.data === null) return fail('EFAULT');
    if ((c.flags & ALLOC_PASID) !== 0 && !devPasid) return fail('EOPNOTSUPP');
    const s1 = { kind: c.data_type === 'IOMMU_HWPT_DATA_VTD_S1' ? ('pgtable' as const) : ('pasid-table' as const), root: c.data.pgtbl_addr };
    const hwpt = new HwptNested(pt, k.newContextId(), s1, (c.flags & ALLOC_PASID) !== 0);
    if (!f.table.insertOrAbort(hwpt)) return fail('ENOMEM');
    return takeFault(f, c, hwpt);
  }
  if (pt instanceof ViommuObj) return viommuNested(k, f, c, pt, len);
  return fail('EINVAL');
}

/**
 * iommufd_viommu_alloc_hwpt_nested: only FAULT_ID_VALID, and data; the driver's alloc_domain_nested copies the data
 * (SMMUv3: iommu_copy_struct_from_user of a vSTE; the mock takes only its own IOMMU_HWPT_DATA_SELFTEST).
 */
function viommuNested(k: Kernel, f: IommufdFile, c: IommuHwptAlloc, viommu: ViommuObj, len: number): Result<unknown> {
  if ((c.flags & ~FAULT_ID_VALID) !== 0 || len === 0) return fail('EOPNOTSUPP');
  if (viommu.type !== IOMMU_VIOMMU_TYPE_ARM_SMMUV3) return fail('EOPNOTSUPP'); // mock_viommu_alloc_domain_nested
  if (c.data_type !== 'IOMMU_HWPT_DATA_ARM_SMMUV3' || len < HWPT_DATA_LEN[c.data_type]) return fail('EINVAL');
  if (c.data === null) return fail('EFAULT');
  const hwpt = new HwptNested(viommu.hwpt, k.newContextId(), { kind: 'pasid-table', root: c.data.pgtbl_addr }, false, viommu);
  if (!f.table.insertOrAbort(hwpt)) return fail('ENOMEM');
  return takeFault(f, c, hwpt);
}

export function hwptInvalidate(k: Kernel, f: IommufdFile, c: IommuHwptInvalidate): Result<unknown> {
  // "out: cmd->entry_num = done_num; iommufd_ucmd_respond()": a failure still reports the entries it handled (none)
  const failed = (errno: Errno, done = 0): Result<unknown> => ({ ok: false, errno, out: { entry_num: done } });
  if (c.__reserved !== 0) return failed('EOPNOTSUPP');
  const num = c.entry_num ?? c.entries.length;
  const entryLen = c.entry_len ?? INVALIDATE_ENTRY_LEN[c.data_type];
  // "if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len || cmd->entry_len > PAGE_SIZE || ... > ENTRY_NUM_MAX))";
  // a raw entry_num with no entries stands for a NULL data_uptr
  if (num !== 0 && (c.entries.length === 0 || entryLen === 0 || entryLen > 4096 || num > 1 << 19)) return failed('EINVAL');
  const o = f.table.get(c.hwpt_id);
  if (!o) return failed('ENOENT');
  // a vIOMMU's cache_invalidate reaches every nested domain on it; a nested domain made on one has no cache_invalidate_user
  if (o instanceof ViommuObj) {
    if (o.type !== IOMMU_VIOMMU_TYPE_ARM_SMMUV3 || c.data_type !== 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3') return failed('EINVAL');
    return invalidateEntries(k, c, num, entryLen, false, [...o.nested].map((h) => h.domainId));
  }
  if (o instanceof HwptNested && o.viommu) return failed('EOPNOTSUPP');
  // before the vIOMMU rework the lookup itself asks for a nested HWPT (iommufd_get_hwpt_nested): ENOENT
  if (!(o instanceof HwptNested)) return failed(uapiOf(k.world).invalidatePaging);
  const vtd = k.world.iommu.stage1Format === 'IOMMU_HWPT_DATA_VTD_S1';
  const native = vtd ? 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' : 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3';
  if (c.data_type !== native) return failed('EINVAL');
  return invalidateEntries(k, c, num, entryLen, vtd, [o.domainId]);
}

/** The driver's loop over the entries: each checked, then flushed in every domain it reaches; a refused one stops it. */
function invalidateEntries(k: Kernel, c: IommuHwptInvalidate, num: number, entryLen: number, vtd: boolean, domains: readonly number[]): Result<unknown> {
  const failed = (errno: Errno, done = 0): Result<unknown> => ({ ok: false, errno, out: { entry_num: done } });
  if (num === 0) return ok({ entry_num: 0 });
  if (entryLen !== INVALIDATE_ENTRY_LEN[c.data_type]) return failed('EINVAL'); // iommu_copy_struct_from_user_array
  // the driver's loop: each entry checked, then flushed; a refused one stops it with what was done so far
  for (const [i, e] of c.entries.entries()) {
    if (((e.flags ?? 0) & ~1) !== 0 || (e.__reserved ?? 0) !== 0) return failed('EOPNOTSUPP', i);
    if (vtd && e.scope === 'range' && (e.addr % 4096n !== 0n || (e.npages === U64_MAX && e.addr !== 0n))) return failed('EINVAL', i);
    for (const id of domains) {
      if (e.scope === 'all') k.iommu.flushDomain(id);
      else k.iommu.flushRange(id, e.addr >> 12n, (e.addr >> 12n) + (e.npages === 0n ? 0n : e.npages - 1n));
    }
  }
  return ok({ entry_num: c.entries.length });
}
