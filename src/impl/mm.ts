/**
 * The process's memory as the kernel sees it when pinning: mmapped ranges (pin_user_pages fails with EFAULT
 * outside them) and the user's locked_vm charged against RLIMIT_MEMLOCK (ENOMEM past it).
 * Simplified: one process, one user; a user page is its own host page (hpa == uva).
 */
import type { IovaRange } from '../uapi/index.js';
import { tick } from './hw/stamp.js';
import { WARN_ON } from './warn.js';

export class Mm {
  /**
   * The mapped ranges in address order, disjoint and never adjacent: an mmap next to or over a mapping merges with
   * it (as vma_merge joins anonymous VMAs), so lookups are a binary search (find_vma) and remapping memory is free.
   */
  private readonly vmas: IovaRange[] = [];
  /** pages charged to RLIMIT_MEMLOCK */
  lockedVm = 0;
  /** when a page was last pinned or unpinned, or a registration came or went (stamp.ts) */
  pinsStamp = 0;

  constructor(readonly memlockPages: number) {}

  /** find_vma: the first mapping that ends at or after `addr` (vmas.length when none). */
  private findVma(addr: bigint): number {
    let lo = 0;
    let hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.vmas[mid]!.last < addr) lo = mid + 1; // lo <= mid < hi <= length
      else hi = mid;
    }
    return lo;
  }

  /** mmap(2) of anonymous memory; the caller checked alignment. */
  mmap(start: bigint, last: bigint) {
    if (this.present(start, last)) return;
    const i = this.findVma(start === 0n ? 0n : start - 1n);
    let j = i;
    let lo = start;
    let hi = last;
    for (; j < this.vmas.length && this.vmas[j]!.start <= hi + 1n; j++) { // j < length
      const v = this.vmas[j]!; // j < length
      if (v.start < lo) lo = v.start;
      if (v.last > hi) hi = v.last;
    }
    this.vmas.splice(i, j - i, { start: lo, last: hi });
  }

  /** Whether every byte of [start, last] is mapped (what get_user_pages needs): merged, one mapping must hold it. */
  present(start: bigint, last: bigint): boolean {
    const v = this.vmas[this.findVma(start)];
    return v !== undefined && v.start <= start && last <= v.last;
  }

  /** incr_user_locked_vm: false (ENOMEM) when the charge would pass the limit. */
  charge(pages: number): boolean {
    if (this.lockedVm + pages > this.memlockPages) return false;
    this.lockedVm += pages;
    return true;
  }

  /** The process's pinned pages changed (a pin, an unpin, a registration). */
  pinsChanged() {
    this.pinsStamp = tick();
  }

  uncharge(pages: number) {
    WARN_ON(pages > this.lockedVm, 'iopt_pages_update_pinned', () => `locked_vm underflow: ${this.lockedVm} - ${pages}`);
    this.lockedVm -= pages;
  }
}
