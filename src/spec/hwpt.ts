/**
 * HWPT — iommufd's hardware page tables. HWPT_PAGING is a domain mirroring one IOAS (automatic when a device
 * attaches to the IOAS, manual by IOMMU_HWPT_ALLOC); HWPT_NESTED is a guest stage-1 on a NEST_PARENT paging HWPT.
 * Owner: the iommufd FD; devices hold it while attached, nested children hold their parent. Invalidation of a
 * nested HWPT reaches every device attached to it at once (per-ioasid, seed M2).
 * A HWPT allocated with DIRTY_TRACKING (where the profile's IOMMU tracks dirty pages) has dirty bits: dirty.ts.
 * FAULT_ID_VALID names the FAULT its page requests go to (fault.ts). On guest-pasid-table hardware (SMMUv3) a nested
 * HWPT is made on a vIOMMU (viommu.ts) and invalidated through it; VT-d nests on the parent directly. A 6.12 world has
 * no vIOMMU, and there the nested HWPT on its parent carries the guest CD table as the model's stand-in.
 * @see drivers/iommu/iommufd/hw_pagetable.c
 */
import { castDraft, type Draft } from 'immer';
import {
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING as DIRTY, IOMMU_HWPT_ALLOC_NEST_PARENT as NEST_PARENT, IOMMU_HWPT_ALLOC_PASID as ALLOC_PASID,
  IOMMU_HWPT_FAULT_ID_VALID as FAULT_ID_VALID, HWPT_DATA_LEN, INVALIDATE_ENTRY_LEN, U64_MAX, hwptDataLen, uapiOf,
  IOMMU_VIOMMU_TYPE_ARM_SMMUV3, viommuTypeOf, type World, type IommuHwptAlloc, type IommuHwptInvalidate, type HwptDataType, type InvalidateEntry,
} from '../uapi/index.js';
import { NO_BITS, tracksAlways } from './dirty.js';
import { areaKeeps, iommuPage, outsideAperture } from './iova.js';
import { overlaps } from './ranges.js';
import { pinCheck } from './pins.js';
import { commit, peek, reject, guardAfter, type Outcome, type Rejection, type RuleId } from './rule.js';
import { allocId, keyOf, lookup, objKey, physDevice, type File, type ObjKey, type ObjOf, type S1, type State, type StaleEntry } from './state.js';
import { hasDomain } from './pins.js';

/** The stage-1 data format this IOMMU's nested domains take (profile `stage1Format`); null: it nests nothing. */
export const nativeDataType = (s: State): HwptDataType | null => s.world.iommu.stage1Format;

/**
 * Whether the IOMMU's driver builds nested domains only on a vIOMMU (its viommu ops' alloc_domain_nested) and none on a
 * bare nest parent (no domain_alloc_nested op): SMMUv3, whose vSTE carries the guest's CD table, once the kernel has
 * vIOMMUs. A 6.12 world keeps the nested HWPT on its parent as the stand-in it has no vIOMMU for (Linux 6.12's SMMUv3
 * nests nothing at all).
 */
export const nestsThroughViommu = (w: World): boolean => uapiOf(w).viommu && viommuTypeOf(w.iommu) === IOMMU_VIOMMU_TYPE_ARM_SMMUV3;

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
    if (!areaKeeps(s, a, page)) return reject('EADDRINUSE', `${prefix}.EADDRINUSE.alignment`);
  }
  return null;
}

/**
 * The FAULT a HWPT_ALLOC names: null without FAULT_ID_VALID, its key when `fault_id` is a FAULT of the file
 * (iommufd_get_fault), undefined when it is not (ENOENT).
 */
function faultOf(s: State, f: File, c: IommuHwptAlloc): ObjKey | null | undefined {
  if ((c.flags & FAULT_ID_VALID) === 0) return null;
  const o = lookup(s, f.key, c.fault_id, 'fault');
  return o ? keyOf(o) : undefined;
}

/** Add a HWPT_PAGING on `ioas` (auto or manual) inside a draft; returns its id. */
export function newPaging(d: Draft<State>, f: File, ioas: ObjOf<'ioas'>, p: { auto: boolean; nestParent: boolean; pasid: boolean; dirty: boolean; fault?: ObjKey | null }): number {
  const id = allocId(d as State, f.key);
  d.objects[objKey(f.key, id)] = {
    kind: 'hwpt_paging', file: f.key, id, ioas: keyOf(ioas), auto: p.auto, nestParent: p.nestParent, pasid: p.pasid, dirty: p.dirty ? castDraft(NO_BITS) : null, fault: p.fault ?? null,
  };
  return id;
}


/** IOMMU_HWPT_ALLOC. @see hw_pagetable.c iommufd_hwpt_alloc, iommufd_hwpt_paging_alloc, iommufd_hwpt_nested_alloc */
export function hwptAlloc(s: State, f: File, c: IommuHwptAlloc): Outcome {
  if (c.__reserved !== 0) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.reserved');
  const dataLen = hwptDataLen(c);
  if ((c.data_type === 'IOMMU_HWPT_DATA_NONE') !== (dataLen === 0)) return reject('EINVAL', 'HWPT_ALLOC.EINVAL.data_len');
  const dev = lookup(s, f.key, c.dev_id, 'device');
  if (!dev) return reject('ENOENT', 'HWPT_ALLOC.ENOENT.dev');
  const pt = s.objects[objKey(f.key, c.pt_id)];
  if (!pt || pt.kind === 'tombstone') return reject('EINVAL', 'HWPT_ALLOC.EINVAL.pt_id');
  const devPasid = physDevice(s, dev.dev).pasidBits > 0;
  // kernel version: the flags this kernel knows (6.12: no ALLOC_PASID, and FAULT_ID_VALID only for a nested HWPT)
  const uapi = uapiOf(s.world);
  const pasidFlag = uapi.hwptAllocPasid ? ALLOC_PASID : 0;
  if (pt.kind === 'ioas') {
    if ((c.flags & ~(NEST_PARENT | DIRTY | (uapi.pagingFault ? FAULT_ID_VALID : 0) | pasidFlag)) !== 0) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.flags');
    if (dataLen !== 0) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.paging_data');
    // device_iommu_capable(IOMMU_CAP_DIRTY_TRACKING): the IOMMU tracks dirty pages or the flag is refused (found against
    // Linux 6.12: the selftest mock has the capability, so its DIRTY_TRACKING HWPT_ALLOC succeeds)
    if (c.flags & DIRTY && !s.world.iommu.dirtyTracking) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.dirty_tracking');
    // a nest parent cannot take faults: refused before the fault id is ever looked up. Upstream 1062d8108615
    // ("iommufd: Disallow allocating nested parent domain with fault ID", v6.15, in stable 6.12.32); before it,
    // 6.13/6.14 looked the fault up and answered ENOENT for a bad id. @see hw_pagetable.c iommufd_hwpt_paging_alloc
    if (c.flags & FAULT_ID_VALID && c.flags & NEST_PARENT) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nest_parent_fault');
    if (c.flags & ALLOC_PASID && !devPasid) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.no_pasid');
    // the driver's domain_alloc_user refuses a nest parent it cannot be (AMD v1 in 6.12: amd_iommu_domain_alloc_user)
    if (c.flags & NEST_PARENT && !s.world.iommu.nestParent) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nest_parent');
    // SMMUv3 tracks dirty pages at stage 1 only; a nest parent is a stage-2 domain (arm_smmu_domain_alloc_paging_flags)
    if (c.flags & NEST_PARENT && c.flags & DIRTY && tracksAlways(s.world)) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.dirty_nest_parent');
    const conflict = addDomainCheck(s, pt, 'HWPT_ALLOC');
    if (conflict) return conflict;
    const fault = faultOf(s, f, c);
    const done = commit(s, 'HWPT_ALLOC.ok.paging', (d) => ({
      out_hwpt_id: newPaging(d, f, pt, { auto: false, nestParent: (c.flags & NEST_PARENT) !== 0, pasid: (c.flags & ALLOC_PASID) !== 0, dirty: (c.flags & DIRTY) !== 0, fault: fault ?? null }),
    }));
    // the FAULT object is looked up after the HWPT is built (and aborted on failure): pin errors come first
    const pinned = guardAfter(done, pinCheck(s, 'HWPT_ALLOC'));
    if (pinned.kind === 'ok' && fault === undefined) return reject('ENOENT', 'HWPT_ALLOC.ENOENT.fault_id');
    return pinned;
  }
  if (pt.kind === 'hwpt_paging') {
    if ((c.flags & ~(FAULT_ID_VALID | pasidFlag)) !== 0 || dataLen === 0) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nested_flags');
    // the same check's third term, !ops->domain_alloc_nested: an IOMMU that nests only through a vIOMMU (SMMUv3) builds
    // no nested domain on a bare parent
    if (nestsThroughViommu(s.world)) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nested_needs_viommu');
    if (pt.auto || !pt.nestParent) return reject('EINVAL', 'HWPT_ALLOC.EINVAL.not_nest_parent');
    if (c.data_type !== nativeDataType(s)) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.data_type');
    // the driver's iommu_copy_struct_from_user: data_len must be the struct's size (min_len = its size in 6.12),
    // and the pointer must be readable
    if (dataLen !== HWPT_DATA_LEN[c.data_type]) return reject('EINVAL', 'HWPT_ALLOC.EINVAL.data_len_size');
    if (c.data === null) return reject('EFAULT', 'HWPT_ALLOC.EFAULT.data_uptr');
    if (c.flags & ALLOC_PASID && !devPasid) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.no_pasid');
    const fault = faultOf(s, f, c);
    if (fault === undefined) return reject('ENOENT', 'HWPT_ALLOC.ENOENT.fault_id');
    const s1: S1 = c.data_type === 'IOMMU_HWPT_DATA_VTD_S1' ? { kind: 'pgtable', root: c.data.pgtbl_addr } : { kind: 'pasid-table', root: c.data.pgtbl_addr };
    return commit(s, 'HWPT_ALLOC.ok.nested', (d) => {
      const id = allocId(s, f.key);
      d.objects[objKey(f.key, id)] = { kind: 'hwpt_nested', file: f.key, id, parent: keyOf(pt), s1, pasid: (c.flags & ALLOC_PASID) !== 0, fault, viommu: null };
      return { out_hwpt_id: id };
    });
  }
  if (pt.kind === 'viommu') return nestedOnViommu(s, f, c, pt, dataLen);
  return reject('EINVAL', 'HWPT_ALLOC.EINVAL.pt_kind');
}

/**
 * HWPT_ALLOC with pt_id a vIOMMU: a nested HWPT the vIOMMU's driver builds over the vIOMMU's parent (SMMUv3: a vSTE,
 * whose CD table is the guest's). FAULT_ID_VALID is the only flag; the data must be given; the driver then copies it
 * with iommu_copy_struct_from_user (another data_type or a short length EINVAL, a NULL pointer EFAULT) — the mock
 * driver takes only its own data type (EOPNOTSUPP). The fault is looked up once the HWPT is built.
 * @see hw_pagetable.c iommufd_viommu_alloc_hwpt_nested, arm-smmu-v3-iommufd.c arm_vsmmu_alloc_domain_nested
 */
function nestedOnViommu(s: State, f: File, c: IommuHwptAlloc, viommu: ObjOf<'viommu'>, dataLen: number): Outcome {
  if ((c.flags & ~FAULT_ID_VALID) !== 0 || dataLen === 0) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.viommu_flags');
  if (viommu.type !== IOMMU_VIOMMU_TYPE_ARM_SMMUV3) return reject('EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.viommu_data_type');
  if (c.data_type !== 'IOMMU_HWPT_DATA_ARM_SMMUV3' || dataLen < HWPT_DATA_LEN[c.data_type]) return reject('EINVAL', 'HWPT_ALLOC.EINVAL.viommu_data');
  if (c.data === null) return reject('EFAULT', 'HWPT_ALLOC.EFAULT.data_uptr');
  const fault = faultOf(s, f, c);
  if (fault === undefined) return reject('ENOENT', 'HWPT_ALLOC.ENOENT.fault_id');
  const root = c.data.pgtbl_addr;
  return commit(s, 'HWPT_ALLOC.ok.viommu_nested', (d) => {
    const id = allocId(s, f.key);
    d.objects[objKey(f.key, id)] = { kind: 'hwpt_nested', file: f.key, id, parent: viommu.parent, s1: { kind: 'pasid-table', root }, pasid: false, fault, viommu: keyOf(viommu) };
    return { out_hwpt_id: id };
  });
}

/** Whether an invalidation entry covers a cached guest-table entry. */
export function covers(e: StaleEntry, scope: { all: true } | { all: false; first: bigint; last: bigint }): boolean {
  if (scope.all) return true;
  return e.kind === 'pte' && e.index >= scope.first && e.index <= scope.last;
}

/** Drop cached entries of `ctx` that `scope` covers (what reaches the IOTLB / PASID cache); `table`: only that table's. */
export function flush(d: Draft<State>, ctx: string, scope: Parameters<typeof covers>[1], table?: bigint) {
  d.stale = peek(d.stale).filter((e) => e.ctx !== ctx || !covers(e, scope) || (table !== undefined && e.table !== table));
}

/** IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX: the most entries one call may pass (hw_pagetable.c, a 6.12 stable bound). */
const ENTRY_NUM_MAX = 1 << 19;

/**
 * Why one entry is refused, by the driver's per-entry checks (intel_nested_cache_invalidate_user): an unknown
 * flag or a non-zero __reserved is EOPNOTSUPP; on VT-d an address that is not page aligned, or a whole-space
 * npages from a non-zero address, is EINVAL. The SMMUv3 command words are abstracted: only the first rule applies.
 */
function entryProblem(e: InvalidateEntry, vtd: boolean): { first: Rejection; later: RuleId } | null {
  if (((e.flags ?? 0) & ~1) !== 0 || (e.__reserved ?? 0) !== 0) {
    return { first: reject('EOPNOTSUPP', 'HWPT_INVALIDATE.EOPNOTSUPP.entry_flags'), later: 'HWPT_INVALIDATE.EOPNOTSUPP.entry_flags_after_some' };
  }
  if (vtd && e.scope === 'range' && (e.addr % 4096n !== 0n || (e.npages === U64_MAX && e.addr !== 0n))) {
    return { first: reject('EINVAL', 'HWPT_INVALIDATE.EINVAL.entry_addr'), later: 'HWPT_INVALIDATE.EINVAL.entry_addr_after_some' };
  }
  return null;
}

/**
 * IOMMU_HWPT_INVALIDATE on a nested HWPT: reaches every device attached to it. Every failure still writes back
 * `entry_num`, the entries handled before it (`out: cmd->entry_num = done_num` then respond, on every path). The
 * array is bounded before the lookup (entry_num with a NULL pointer, a zero or oversized entry_len, too many
 * entries: EINVAL); the driver then copies each entry (an entry_len other than its struct's: EINVAL) and checks it.
 * An entry refused after others were handled leaves those flushed: a documented partial outcome, entry_num saying
 * how many. @see hw_pagetable.c iommufd_hwpt_invalidate, intel/nested.c intel_nested_cache_invalidate_user
 */
export function hwptInvalidate(s: State, f: File, c: IommuHwptInvalidate): Outcome {
  const none = { entry_num: 0 };
  if (c.__reserved !== 0) return reject('EOPNOTSUPP', 'HWPT_INVALIDATE.EOPNOTSUPP.reserved', none);
  const entryNum = c.entry_num ?? c.entries.length;
  const entryLen = c.entry_len ?? INVALIDATE_ENTRY_LEN[c.data_type];
  // a raw entry_num with no entries is a NULL data_uptr
  const noArray = c.entries.length === 0;
  if (entryNum !== 0 && (noArray || entryLen === 0 || entryLen > 4096 || entryNum > ENTRY_NUM_MAX)) return reject('EINVAL', 'HWPT_INVALIDATE.EINVAL.array', none);
  const o = s.objects[objKey(f.key, c.hwpt_id)];
  if (!o || o.kind === 'tombstone') return reject('ENOENT', 'HWPT_INVALIDATE.ENOENT.id', none);
  if (o.kind === 'viommu') return invalidate(s, c, o, 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3', 'HWPT_INVALIDATE.ok.viommu');
  // a nested HWPT of an SMMUv3 vIOMMU has no cache_invalidate_user: its invalidations go through the vIOMMU
  if (o.kind === 'hwpt_nested' && o.viommu !== null) return reject('EOPNOTSUPP', 'HWPT_INVALIDATE.EOPNOTSUPP.viommu_nested', none);
  if (o.kind !== 'hwpt_nested') {
    // kernel version: ENOENT before the vIOMMU rework (6.12 looks up a nested HWPT only), EINVAL after (facts §6)
    return uapiOf(s.world).invalidatePaging === 'ENOENT'
      ? reject('ENOENT', 'HWPT_INVALIDATE.ENOENT.not_nested', none)
      : reject('EINVAL', 'HWPT_INVALIDATE.EINVAL.not_nested', none);
  }
  // the invalidation format that goes with the IOMMU's stage-1 format (a nested HWPT exists only where there is one)
  const native = nativeDataType(s) === 'IOMMU_HWPT_DATA_VTD_S1' ? 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' : 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3';
  return invalidate(s, c, o, native, 'HWPT_INVALIDATE.ok');
}

/**
 * The driver's part of HWPT_INVALIDATE, on a nested HWPT or a vIOMMU: the entries in its `native` format, each flushing
 * what it covers in every context it reaches (a nested HWPT: itself; a vIOMMU: each nested HWPT made on it, the VMID
 * they share). A vIOMMU of a driver whose format the model lacks (the mock's) refuses every data_type (EINVAL).
 */
function invalidate(s: State, c: IommuHwptInvalidate, o: ObjOf<'hwpt_nested'> | ObjOf<'viommu'>, native: IommuHwptInvalidate['data_type'], ok: RuleId): Outcome {
  const none = { entry_num: 0 };
  const entryNum = c.entry_num ?? c.entries.length;
  const entryLen = c.entry_len ?? INVALIDATE_ENTRY_LEN[c.data_type];
  const key = keyOf(o);
  const ctxs = o.kind === 'viommu' ? Object.values(s.objects).filter((x) => x.kind === 'hwpt_nested' && x.viommu === key).map(keyOf) : [key];
  if (c.data_type !== native || (o.kind === 'viommu' && o.type !== IOMMU_VIOMMU_TYPE_ARM_SMMUV3)) return reject('EINVAL', 'HWPT_INVALIDATE.EINVAL.data_type', none);
  if (entryNum === 0) return commit(s, 'HWPT_INVALIDATE.ok.probe', () => ({ entry_num: 0 }));
  if (entryLen !== INVALIDATE_ENTRY_LEN[c.data_type]) return reject('EINVAL', 'HWPT_INVALIDATE.EINVAL.entry_len', none);
  const vtd = native === 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1';
  const problems = c.entries.map((e) => entryProblem(e, vtd));
  const bad = problems.findIndex((p) => p !== null);
  const why = bad === -1 ? null : problems[bad]!; // bad indexes a problem
  if (why !== null && bad === 0) return reject(why.first.errno, why.first.rule, none);
  const done = bad === -1 ? c.entries : c.entries.slice(0, bad);
  const flushed = commit(s, ok, (d) => {
    for (const e of done) {
      for (const ctx of ctxs) flush(d, ctx, e.scope === 'all' ? { all: true } : { all: false, first: e.addr >> 12n, last: (e.addr >> 12n) + (e.npages === 0n ? 0n : e.npages - 1n) });
    }
    return { entry_num: done.length };
  });
  if (why === null) return flushed;
  // the entries before the refused one stay flushed: a partial outcome, entry_num saying how many
  const kept = (flushed as Extract<typeof flushed, { kind: 'ok' }>).state; // commit always succeeds
  return { kind: 'partial', state: kept, errno: why.first.errno, rule: why.later, out: { entry_num: bad } };
}
