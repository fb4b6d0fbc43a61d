/**
 * Dirty tracking as iommufd and an IOMMU driver do it: the dirty bits live in the domain's PTEs (the IOMMU sets them on
 * a write walk, hw/iommu.ts), the driver's read_and_clear_dirty walks PTEs over the areas of the range, records each
 * dirty one into the user's bitmap through iova_bitmap and clears it, and the gathered range is flushed from the IOTLB
 * afterwards so the next write walks again and sets the bit anew.
 * @see drivers/iommu/iommufd/hw_pagetable.c iommufd_hwpt_set_dirty_tracking, iommufd_hwpt_get_dirty_bitmap;
 *      io_pagetable.c iopt_set_dirty_tracking, iopt_clear_dirty_data, iopt_read_and_clear_dirty_data; iova_bitmap.c
 */
import {
  IOMMU_HWPT_DIRTY_TRACKING_ENABLE as ENABLE, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR as NO_CLEAR, U64_MAX, fail, ok,
  type Errno, type IommuHwptGetDirtyBitmap, type IommuHwptSetDirtyTracking, type IovaRange, type Result,
} from '../uapi/index.js';
import type { PagingDomain } from './hw/contract.js';
import type { IommufdFile } from './iommufd-file.js';
import type { Kernel } from './kernel.js';
import { HwptPaging } from './objects.js';

/**
 * The user's bitmap as iova_bitmap writes it: one bit per 2^shift bytes of IOVA from `base`, in 64-bit words; only set,
 * never zeroed. `writable` false is a pointer the kernel cannot pin: every record is dropped without a word.
 */
class UserBitmap {
  private readonly words = new Map<bigint, bigint>();
  constructor(private readonly base: bigint, private readonly shift: bigint, private readonly writable: boolean) {}

  /** iova_bitmap_set: the bits covering [iova, iova + length). */
  set(iova: bigint, length: bigint): void {
    if (!this.writable) return;
    const first = (iova - this.base) >> this.shift;
    const last = (iova + length - 1n - this.base) >> this.shift;
    for (let w = first >> 6n; w <= last >> 6n; w++) {
      const lo = w === first >> 6n ? first & 63n : 0n;
      const hi = w === last >> 6n ? last & 63n : 63n;
      const mask = ((1n << (hi - lo + 1n)) - 1n) << lo;
      this.words.set(w, (this.words.get(w) ?? 0n) | mask);
    }
  }

  /** The IOVA runs the set bits cover, in order, adjacent bits merged: what the user reads back. */
  runs(): IovaRange[] {
    const out: IovaRange[] = [];
    const bit = 1n << this.shift;
    for (const w of [...this.words.keys()].sort((a, b) => (a < b ? -1 : 1))) {
      const word = this.words.get(w)!; // a key of the map
      for (let i = 0n; i < 64n; i++) {
        if (((word >> i) & 1n) === 0n) continue;
        const start = this.base + ((w * 64n + i) << this.shift);
        const top = out[out.length - 1];
        if (top !== undefined && top.last + 1n === start) out[out.length - 1] = { start: top.start, last: start + bit - 1n };
        else out.push({ start, last: start + bit - 1n });
      }
    }
    return out;
  }
}

/** An iommu_iotlb_gather: the one range spanning every PTE cleared, flushed at the end (iommu_iotlb_sync). */
class Gather {
  private first: bigint | null = null;
  private last = 0n;
  add(iova: bigint, length: bigint): void {
    if (this.first === null || iova < this.first) this.first = iova;
    if (iova + length - 1n > this.last) this.last = iova + length - 1n;
  }
  sync(k: Kernel, d: PagingDomain): void {
    if (this.first !== null) k.iommu.flushRange(d.id, this.first >> d.pt.shift, this.last >> d.pt.shift);
  }
}

/**
 * The driver's read_and_clear_dirty over [start, last]: every present PTE whose dirty bit is set is recorded (into the
 * bitmap, when there is one) and, without NO_CLEAR, cleared and gathered. With a bitmap and tracking off it refuses
 * (EINVAL), as the mock, VT-d and AMD do; SMMUv3 has no such check (its hardware always records).
 */
function readAndClearDirty(k: Kernel, d: PagingDomain, start: bigint, last: bigint, noClear: boolean, bitmap: UserBitmap | null, gather: Gather): Errno | null {
  if (bitmap !== null && d.dirty?.recording !== true && !k.dirtyAlwaysOn) return 'EINVAL';
  const g = 1n << d.pt.shift;
  for (let iova = start - (start % g); iova <= last; iova += g) {
    const pte = d.pt.walk(iova);
    if (pte === null || !pte.dirty) continue;
    bitmap?.set(iova, g);
    gather.add(iova, g);
    if (!noClear) pte.dirty = false;
  }
  return null;
}

export function setDirtyTracking(k: Kernel, f: IommufdFile, c: IommuHwptSetDirtyTracking): Result<unknown> {
  if ((c.flags & ~ENABLE) !== 0) return fail('EOPNOTSUPP');
  const hwpt = f.table.getKind(c.hwpt_id, HwptPaging);
  if (!hwpt) return fail('ENOENT');
  const d = hwpt.domain;
  if (d.dirty === null) return fail('EOPNOTSUPP'); // no dirty_ops
  const enable = (c.flags & ENABLE) !== 0;
  if (enable) {
    // iopt_clear_dirty_data: no bit of an earlier round may show in this one
    const gather = new Gather();
    for (const a of hwpt.ioas.iopt.areas) readAndClearDirty(k, d, a.start, a.last, false, null, gather);
    gather.sync(k, d);
  }
  if (!k.dirtyAlwaysOn) d.dirty.recording = enable; // the driver's set_dirty_tracking
  return ok({});
}

export function getDirtyBitmap(k: Kernel, f: IommufdFile, c: IommuHwptGetDirtyBitmap): Result<unknown> {
  if ((c.flags & ~NO_CLEAR) !== 0 || c.__reserved !== 0) return fail('EOPNOTSUPP');
  const hwpt = f.table.getKind(c.hwpt_id, HwptPaging);
  if (!hwpt) return fail('ENOENT');
  const iopt = hwpt.ioas.iopt;
  // iommufd_check_iova_range (a u64 end that wraps to 0 is aligned, as in C)
  if (c.length === 0n) return fail('EINVAL');
  const last = c.iova + c.length - 1n;
  if (last > U64_MAX) return fail('EOVERFLOW');
  const end = (last + 1n) & U64_MAX;
  if ((c.iova & (iopt.alignment - 1n)) !== 0n || (end & (iopt.alignment - 1n)) !== 0n) return fail('EINVAL');
  if (c.page_size === 0n) return fail('EINVAL');
  if ((c.iova & (c.page_size - 1n)) !== 0n || (end & (c.page_size - 1n)) !== 0n) return fail('EINVAL');
  const d = hwpt.domain;
  if (d.dirty === null) return fail('EOPNOTSUPP');
  if (!k.alloc.alloc('iova-bitmap')) return fail('ENOMEM');
  try {
    let shift = 0n; // iova_bitmap_alloc: 1 << __ffs(page_size)
    while (((c.page_size >> shift) & 1n) === 0n) shift++;
    const bitmap = new UserBitmap(c.iova, shift, c.data);
    const noClear = (c.flags & NO_CLEAR) !== 0;
    const gather = new Gather();
    const walk = iopt.contiguousParts(c.iova, last);
    for (const p of walk.parts) {
      const rc = readAndClearDirty(k, d, p.start, p.last, noClear, bitmap, gather);
      if (rc) {
        if (!noClear) gather.sync(k, d);
        return fail(rc);
      }
    }
    if (!noClear) gather.sync(k, d);
    return walk.whole ? ok({ dirty: bitmap.runs() }) : fail('EINVAL'); // !iopt_area_contig_done
  } finally {
    k.alloc.free('iova-bitmap');
  }
}
