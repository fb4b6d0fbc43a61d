/**
 * Dirty tracking on a paging HWPT: IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP, and the device writes
 * that dirty IOMMU pages. A HWPT allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING has the driver's dirty_ops (`dirty`
 * non-null); an automatic HWPT or one allocated without the flag has none. The dirty bits belong to the HWPT's own page
 * table (one per domain, even when two HWPTs share an IOAS) and are kept here per IOMMU page (iommuPage), as an IOVA
 * union of the pages a device wrote through the HWPT — directly, or as the stage-2 of a nested HWPT — since they were
 * last cleared.
 *
 * Rules chosen where the kernel leaves a choice or where drivers differ (Linux 6.12 sources, Debian's 6.12 tree):
 *  - Every ENABLE clears every bit first, tracking on already or not (iopt_set_dirty_tracking calls
 *    iopt_clear_dirty_data, io_pagetable.c); DISABLE keeps the bits, they just cannot be read.
 *  - Reading while tracking is off is EINVAL (the driver's read_and_clear_dirty with a bitmap: selftest.c, intel/iommu.c,
 *    amd/iommu.c), except on SMMUv3, whose set_dirty_tracking does nothing ("always enabled", arm-smmu-v3.c): there the
 *    hardware records dirty pages whatever the flag, and a read always works. SMMUv3 dirty tracking is a stage-1
 *    feature (io-pgtable-arm.c: ARM_64_LPAE_S1 only), so a NEST_PARENT with DIRTY_TRACKING is refused (hwpt.ts).
 *  - The bitmap bit size is the lowest set bit of page_size (iova_bitmap_alloc: 1 << __ffs(page_size)); page_size need
 *    not be a power of two nor at least PAGE_SIZE; the alignment checks use page_size - 1 as the kernel does.
 *  - A bitmap pointer the kernel cannot write is never checked (iova_bitmap pins the user pages only when it records a
 *    bit, and ignores a pin failure): the call succeeds, reports nothing, and without NO_CLEAR the bits are gone.
 *  - The range must be covered by contiguous areas (iopt_for_each_contig_area, EINVAL): a range that starts in a hole
 *    changes nothing; one with a hole later has already read (and, without NO_CLEAR, cleared) the areas before the hole
 *    — a partial outcome, as the uAPI says ("the dirty state becomes unknown").
 *  - Unmapping a range drops its bits unreported (iommu_unmap; 6.12 has no unmap-and-read), so a page mapped again is
 *    clean; destroying the HWPT drops all of them.
 *  - Every device of an IOMMU with the capability can attach to a dirty-tracking HWPT: the per-device refusal
 *    (MOCK_FLAGS_DEVICE_NO_DIRTY, EINVAL at attach) is not modelled, one IOMMU serving every device here.
 *  - A write the IOTLB may serve from an entry the guest has since changed (a stale stage-1 translation) dirties one of
 *    the pages it may reach, unknown which: those pages are `maybe` — reported or not — until the next clear of them.
 * @see drivers/iommu/iommufd/hw_pagetable.c iommufd_hwpt_set_dirty_tracking, iommufd_hwpt_get_dirty_bitmap;
 *      io_pagetable.c iopt_set_dirty_tracking, iopt_read_and_clear_dirty_data, iommufd_check_iova_range; iova_bitmap.c
 */
import { castDraft, type Draft } from 'immer';
import {
  IOMMU_HWPT_DIRTY_TRACKING_ENABLE as ENABLE, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR as NO_CLEAR, U64_MAX,
  type DevName, type IommuHwptGetDirtyBitmap, type IommuHwptSetDirtyTracking, type IovaRange, type Pasid, type World,
} from '../uapi/index.js';
import { alignmentOf, iommuPage } from './iova.js';
import { contiguousParts, firstEndingAtOrAfter, unionOf, unionWith, unionWithout, type Union } from './ranges.js';
import { commit, peek, reject, type Outcome } from './rule.js';
import { keyOf, lookup, type DirtyBits, type File, type ObjKey, type ObjOf, type State } from './state.js';
import { writeTargets } from './translate.js';

/** A new HWPT with dirty_ops: tracking off, nothing dirty (iopt_fill_domain maps clean PTEs). */
export const NO_BITS: DirtyBits = { tracking: false, bits: [], maybe: [] };

/** SMMUv3 records dirty pages whatever SET_DIRTY_TRACKING said (its set_dirty_tracking is a no-op). */
export const tracksAlways = (w: World): boolean => w.iommu.hwInfoType === 'IOMMU_HW_INFO_TYPE_ARM_SMMUV3';

/** Whether a write through `hwpt` now sets its dirty bits. */
const recording = (s: State, d: DirtyBits): boolean => d.tracking || tracksAlways(s.world);

/** IOMMU_HWPT_SET_DIRTY_TRACKING. `__reserved` is never read. */
export function setDirtyTracking(s: State, f: File, c: IommuHwptSetDirtyTracking): Outcome {
  if ((c.flags & ~ENABLE) !== 0) return reject('EOPNOTSUPP', 'HWPT_SET_DIRTY_TRACKING.EOPNOTSUPP.flags');
  const hwpt = lookup(s, f.key, c.hwpt_id, 'hwpt_paging');
  if (!hwpt) return reject('ENOENT', 'HWPT_SET_DIRTY_TRACKING.ENOENT.hwpt');
  const dirty = hwpt.dirty;
  if (dirty === null) return reject('EOPNOTSUPP', 'HWPT_SET_DIRTY_TRACKING.EOPNOTSUPP.no_dirty_ops');
  if ((c.flags & ENABLE) === 0) {
    return commit(s, 'HWPT_SET_DIRTY_TRACKING.ok.disable', (d) => {
      paging(d, keyOf(hwpt)).dirty = castDraft({ ...dirty, tracking: false });
      return {};
    });
  }
  return commit(s, 'HWPT_SET_DIRTY_TRACKING.ok.enable', (d) => {
    paging(d, keyOf(hwpt)).dirty = { tracking: true, bits: [], maybe: [] };
    return {};
  });
}

const paging = (d: Draft<State>, key: ObjKey) => d.objects[key] as Draft<ObjOf<'hwpt_paging'>>;

/** The effective bit size: the lowest set bit of page_size. */
const bitSize = (pageSize: bigint): bigint => pageSize & -pageSize;

/** The IOVA runs the bits covering `u` ∩ [iova, last] span, in bitmap order and merged (bits of `ps` bytes from `iova`). */
export function bitRuns(u: Union, iova: bigint, last: bigint, ps: bigint): IovaRange[] {
  const out: IovaRange[] = [];
  for (let i = firstEndingAtOrAfter(u, iova); i < u.length && u[i]!.start <= last; i++) { // i < length
    const r = u[i]!; // i < length
    const a = r.start > iova ? r.start : iova;
    const b = r.last < last ? r.last : last;
    out.push({ start: iova + ((a - iova) / ps) * ps, last: iova + ((b - iova) / ps) * ps + ps - 1n });
  }
  return [...unionOf(out)];
}

/**
 * IOMMU_HWPT_GET_DIRTY_BITMAP: the argument checks in the kernel's order (flags, the HWPT, iommufd_check_iova_range,
 * dirty_ops), then the driver's tracking check on the first area, then the walk: every bit over a dirty (or maybe
 * dirty) IOMMU page of the range is reported, and cleared unless NO_CLEAR.
 */
export function getDirtyBitmap(s: State, f: File, c: IommuHwptGetDirtyBitmap): Outcome {
  const P = 'HWPT_GET_DIRTY_BITMAP';
  if ((c.flags & ~NO_CLEAR) !== 0 || c.__reserved !== 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.flags`);
  const hwpt = lookup(s, f.key, c.hwpt_id, 'hwpt_paging');
  if (!hwpt) return reject('ENOENT', `${P}.ENOENT.hwpt`);
  const ioas = s.objects[hwpt.ioas];
  if (ioas?.kind !== 'ioas') return reject('ENOENT', `${P}.ENOENT.hwpt`); // never: a HWPT_PAGING always has its IOAS (wellFormed)
  if (c.length === 0n) return reject('EINVAL', `${P}.EINVAL.length`);
  const last = c.iova + c.length - 1n;
  if (last > U64_MAX) return reject('EOVERFLOW', `${P}.EOVERFLOW.range`);
  const align = alignmentOf(s, ioas);
  if (c.iova % align !== 0n || (last + 1n) % align !== 0n) return reject('EINVAL', `${P}.EINVAL.iova_alignment`);
  if (c.page_size === 0n) return reject('EINVAL', `${P}.EINVAL.page_size`);
  const mask = c.page_size - 1n;
  if ((c.iova & mask) !== 0n || ((last + 1n) & mask & U64_MAX) !== 0n) return reject('EINVAL', `${P}.EINVAL.page_size_alignment`);
  const dirty = hwpt.dirty;
  if (dirty === null) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.no_dirty_ops`);
  const walk = contiguousParts(ioas.areas, c.iova, last);
  const reached = walk.parts.at(-1);
  if (reached === undefined) return reject('EINVAL', `${P}.EINVAL.hole`);
  if (!recording(s, dirty)) return reject('EINVAL', `${P}.EINVAL.not_tracking`);
  const upTo = reached.last;
  const ps = bitSize(c.page_size);
  const effect = (d: Draft<State>) => {
    const cleared = { start: c.iova, last: upTo };
    if ((c.flags & NO_CLEAR) === 0) paging(d, keyOf(hwpt)).dirty = castDraft({ ...dirty, bits: unionWithout(dirty.bits, cleared), maybe: unionWithout(dirty.maybe, cleared) });
    if (!c.data) return { dirty: [] };
    const bits = bitRuns(dirty.bits, c.iova, upTo, ps);
    const maybe = bitRuns(dirty.maybe, c.iova, upTo, ps);
    return maybe.length === 0 ? { dirty: bits } : { dirty: bits, maybe };
  };
  if (walk.whole) return commit(s, c.data ? `${P}.ok` : `${P}.ok.bad_data`, effect);
  // a hole after some areas: those were read (and cleared) before the walk found it
  const kept = commit(s, `${P}.EINVAL.hole_after_some`, effect);
  return { kind: 'partial', state: (kept as Extract<typeof kept, { kind: 'ok' }>).state, errno: 'EINVAL', rule: kept.rule };
}

/**
 * What a DMA write does to dirty bits: the IOMMU page it reaches in the stage-2 HWPT of its route (the HWPT itself, or a
 * nested HWPT's parent) becomes dirty, when that HWPT records. With a stale stage-1 entry about, the pages it may reach
 * are only maybe dirty. Returns null when nothing changes.
 */
export function dirtyAfterWrite(s: State, dev: DevName, pasid: Pasid | null, iova: bigint): { hwpt: ObjKey; dirty: DirtyBits } | null {
  const t = writeTargets(s, dev, pasid, iova);
  if (t === null || t.s2.kind !== 'hwpt_paging') return null;
  const dirty = t.s2.dirty;
  if (dirty === null || !recording(s, dirty) || t.addrs.length === 0) return null;
  const page = iommuPage(s);
  const pages = t.addrs.map((a) => ({ start: a - (a % page), last: a - (a % page) + page - 1n }));
  let bits = dirty.bits;
  let maybe = dirty.maybe;
  if (t.certain) bits = unionWith(bits, pages[0]!); // certain: one address
  else for (const p of pages) maybe = unionWith(maybe, p);
  return bits === dirty.bits && maybe === dirty.maybe ? null : { hwpt: keyOf(t.s2), dirty: { ...dirty, bits, maybe } };
}

/** IOAS_UNMAP of `r` on `ioas`: every HWPT mirroring it forgets the bits of the unmapped pages. */
export function forgetDirty(d: Draft<State>, ioas: ObjKey, r: IovaRange): void {
  for (const o of Object.values(d.objects)) {
    if (o.kind !== 'hwpt_paging' || o.ioas !== ioas || o.dirty === null) continue;
    const was = peek(o.dirty);
    const bits = unionWithout(was.bits, r);
    const maybe = unionWithout(was.maybe, r);
    if (bits !== was.bits || maybe !== was.maybe) o.dirty = castDraft({ ...was, bits, maybe });
  }
}
