/**
 * HWPT — iommufd's hardware page tables. HWPT_PAGING is a domain mirroring one IOAS (automatic when a device
 * attaches to the IOAS, manual by IOMMU_HWPT_ALLOC); HWPT_NESTED is a guest stage-1 on a NEST_PARENT paging HWPT.
 * Owner: the iommufd FD; devices hold it while attached, nested children hold their parent. Invalidation of a
 * nested HWPT reaches every device attached to it at once (per-ioasid, seed M2).
 * Abstracted: dirty tracking (the modelled IOMMU has none: EOPNOTSUPP), FAULT objects (none exist, so
 * FAULT_ID_VALID finds no fault: ENOENT), vIOMMU: on guest-pasid-table hardware the nested HWPT's data carries
 * the guest CD table and is invalidated through the HWPT itself — the kernel routes SMMUv3 invalidations through
 * a vIOMMU object (IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3), which this model folds into the nested HWPT.
 * @see drivers/iommu/iommufd/hw_pagetable.c
 */
import type { Draft } from 'immer';
import {
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING as DIRTY, IOMMU_HWPT_ALLOC_NEST_PARENT as NEST_PARENT, IOMMU_HWPT_ALLOC_PASID as ALLOC_PASID,
  IOMMU_HWPT_FAULT_ID_VALID as FAULT_ID_VALID, type IommuHwptAlloc, type IommuHwptInvalidate, type HwptDataType,
} from '../uapi/index.js';
import { aligned, iommuPage, outsideAperture } from './iova.js';
import { overlaps } from './ranges.js';
import { pinCheck } from './pins.js';
import { commit, reject, guardAfter, type Outcome, type Rejection } from './rule.js';
import { allocId, keyOf, lookup, objKey, physDevice, type File, type ObjOf, type S1, type State, type StaleEntry } from './state.js';
import { hasDomain } from './pins.js';

/** The stage-1 data format this IOMMU's nested domains take (profile `stage1Format`); null: it nests nothing. */
export const nativeDataType = (s: State): HwptDataType | null => s.world.iommu.stage1Format;

/**
 * iopt_table_add_domain's checks for a new domain on `ioas`: the domain's aperture must hold every allowed range
 * and area (iopt_reserve_iova of what lies outside it), and its smallest page size must fit every area
 * (iopt_check_iova_alignment) (EADDRINUSE); pinning the pages (EFAULT, ENOMEM) is checked on the resulting state
 * by the caller.
 */
export function addDomainCheck(s: State, ioas: ObjOf<'ioas'>, prefix: string): Rejection | null {
  if (hasDomain(s, ioas)) return null;
  const outside = outsideAperture(s);
  if (ioas.allowed.some((r) => outside.some((o) => overlaps(o, r)))) return reject('EADDRINUSE', `${prefix}.EADDRINUSE.aperture`);
  const page = iommuPage(s);
  for (const a of ioas.areas) {
    if (outside.some((o) => overlaps(o, a))) return reject('EADDRINUSE', `${prefix}.EADDRINUSE.aperture`);
    const off = a.target.kind === 'pages' ? ((s.pages[a.target.pages]?.uva ?? 0n) + a.target.offset) % 4096n : 0n;
    if (!aligned(a.start, page) || !aligned(a.last + 1n, page) || !aligned(off, page)) return reject('EADDRINUSE', `${prefix}.EADDRINUSE.alignment`);
  }
  return null;
}

/** Add a HWPT_PAGING on `ioas` (auto or manual) inside a draft; returns its id. */
export function newPaging(d: Draft<State>, f: File, ioas: ObjOf<'ioas'>, p: { auto: boolean; nestParent: boolean; pasid: boolean }): number {
  const id = allocId(d as State, f.key);
  d.objects[objKey(f.key, id)] = { kind: 'hwpt_paging', file: f.key, id, ioas: keyOf(ioas), ...p };
  return id;
}

/** IOMMU_HWPT_ALLOC. @see hw_pagetable.c iommufd_hwpt_alloc, iommufd_hwpt_paging_alloc, iommufd_hwpt_nested_alloc */
export function hwptAlloc(s: State, f: File, c: IommuHwptAlloc): Outcome {
  if (c.__reserved !== 0) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.reserved');
  if ((c.data_type === 'IOMMU_HWPT_DATA_NONE') !== (c.data === null)) return reject('EINVAL', 'HWPT_ALLOC.EINVAL.data_len');
  const dev = lookup(s, f.key, c.dev_id, 'device');
  if (!dev) return reject('ENOENT', 'HWPT_ALLOC.ENOENT.dev');
  const pt = s.objects[objKey(f.key, c.pt_id)];
  if (!pt) return reject('EINVAL', 'HWPT_ALLOC.EINVAL.pt_id');
  const devPasid = physDevice(s, dev.dev).pasidBits > 0;
  if (pt.kind === 'ioas') {
    if ((c.flags & ~(NEST_PARENT | DIRTY | FAULT_ID_VALID | ALLOC_PASID)) !== 0) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.flags');
    if (c.data !== null) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.paging_data');
    if (c.flags & DIRTY) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.dirty_tracking');
    // a nest parent cannot take faults: refused before the fault id is ever looked up. Upstream 1062d8108615
    // ("iommufd: Disallow allocating nested parent domain with fault ID", v6.15, in stable 6.12.32); before it,
    // 6.13/6.14 looked the fault up and answered ENOENT for a bad id. @see hw_pagetable.c iommufd_hwpt_paging_alloc
    if (c.flags & FAULT_ID_VALID && c.flags & NEST_PARENT) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nest_parent_fault');
    if (c.flags & ALLOC_PASID && !devPasid) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.no_pasid');
    // the driver's domain_alloc_user refuses a nest parent it cannot be (AMD v1 in 6.12: amd_iommu_domain_alloc_user)
    if (c.flags & NEST_PARENT && !s.world.iommu.nestParent) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nest_parent');
    const conflict = addDomainCheck(s, pt, 'HWPT_ALLOC');
    if (conflict) return conflict;
    const done = commit(s, 'HWPT_ALLOC.ok.paging', (d) => ({
      out_hwpt_id: newPaging(d, f, pt, { auto: false, nestParent: (c.flags & NEST_PARENT) !== 0, pasid: (c.flags & ALLOC_PASID) !== 0 }),
    }));
    // the FAULT object is looked up after the HWPT is built (and aborted on failure): pin errors come first
    const pinned = guardAfter(done, pinCheck(s, 'HWPT_ALLOC'));
    if (pinned.kind === 'ok' && (c.flags & FAULT_ID_VALID) !== 0) return reject('ENOENT', 'HWPT_ALLOC.ENOENT.fault_id');
    return pinned;
  }
  if (pt.kind === 'hwpt_paging') {
    if ((c.flags & ~(FAULT_ID_VALID | ALLOC_PASID)) !== 0 || c.data === null) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nested_flags');
    if (pt.auto || !pt.nestParent) return reject('EINVAL', 'HWPT_ALLOC.EINVAL.not_nest_parent');
    if (c.data_type !== nativeDataType(s)) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.data_type');
    if (c.flags & ALLOC_PASID && !devPasid) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.no_pasid');
    if (c.flags & FAULT_ID_VALID) return reject('ENOENT', 'HWPT_ALLOC.ENOENT.fault_id');
    const s1: S1 = c.data_type === 'IOMMU_HWPT_DATA_VTD_S1' ? { kind: 'pgtable', root: c.data.pgtbl_addr } : { kind: 'pasid-table', root: c.data.pgtbl_addr };
    return commit(s, 'HWPT_ALLOC.ok.nested', (d) => {
      const id = allocId(s, f.key);
      d.objects[objKey(f.key, id)] = { kind: 'hwpt_nested', file: f.key, id, parent: keyOf(pt), s1, pasid: (c.flags & ALLOC_PASID) !== 0 };
      return { out_hwpt_id: id };
    });
  }
  return reject('EINVAL', 'HWPT_ALLOC.EINVAL.pt_kind');
}

/** Whether an invalidation entry covers a cached guest-table entry. */
export function covers(e: StaleEntry, scope: { all: true } | { all: false; first: bigint; last: bigint }): boolean {
  if (scope.all) return true;
  return e.kind === 'pte' && e.index >= scope.first && e.index <= scope.last;
}

/** Drop cached entries of `ctx` that `scope` covers (what reaches the IOTLB / PASID cache); `table`: only that table's. */
export function flush(d: Draft<State>, ctx: string, scope: Parameters<typeof covers>[1], table?: bigint) {
  d.stale = d.stale.filter((e) => e.ctx !== ctx || !covers(e, scope) || (table !== undefined && e.table !== table));
}

/**
 * IOMMU_HWPT_INVALIDATE on a nested HWPT: reaches every device attached to it. Every failure still writes back
 * `entry_num`, the entries handled before it (`out: cmd->entry_num = done_num` then respond, on every path): 0 here,
 * as no single entry fails. @see hw_pagetable.c iommufd_hwpt_invalidate
 */
export function hwptInvalidate(s: State, f: File, c: IommuHwptInvalidate): Outcome {
  const none = { entry_num: 0 };
  if (c.__reserved !== 0) return reject('EOPNOTSUPP', 'HWPT_INVALIDATE.EOPNOTSUPP.reserved', none);
  const o = s.objects[objKey(f.key, c.hwpt_id)];
  if (!o) return reject('ENOENT', 'HWPT_INVALIDATE.ENOENT.id', none);
  if (o.kind !== 'hwpt_nested') {
    // design point: invalidatePaging (facts §6: ENOENT before the vIOMMU rework, EINVAL after)
    return s.design.policy.invalidatePaging === 'ENOENT'
      ? reject('ENOENT', 'HWPT_INVALIDATE.ENOENT.not_nested', none)
      : reject('EINVAL', 'HWPT_INVALIDATE.EINVAL.not_nested', none);
  }
  // the invalidation format that goes with the IOMMU's stage-1 format (a nested HWPT exists only where there is one)
  const native = nativeDataType(s) === 'IOMMU_HWPT_DATA_VTD_S1' ? 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' : 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3';
  if (c.data_type !== native) return reject('EINVAL', 'HWPT_INVALIDATE.EINVAL.data_type', none);
  if (c.entries.length === 0) return commit(s, 'HWPT_INVALIDATE.ok.probe', () => ({ entry_num: 0 }));
  return commit(s, 'HWPT_INVALIDATE.ok', (d) => {
    for (const e of c.entries) {
      flush(d, keyOf(o), e.scope === 'all' ? { all: true } : { all: false, first: e.addr >> 12n, last: (e.addr >> 12n) + (e.npages === 0n ? 0n : e.npages - 1n) });
    }
    return { entry_num: c.entries.length };
  });
}
