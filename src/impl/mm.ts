/**
 * The process's memory as the kernel sees it: mmapped ranges (pin_user_pages fails with EFAULT outside them), the
 * user's locked_vm charged against RLIMIT_MEMLOCK (ENOMEM past it), and the CPU page table a native SVA binding
 * shares with the IOMMU, with the mmu notifiers that keep such bindings' IOTLB entries in step with it.
 * Simplified: one process, one user; a user page is its own host page (hpa == uva), anonymous and read-write, present
 * wherever it is mapped (no demand paging); a pin holds the page, never the mapping, so munmap leaves pins alone.
 */
import { PAGE_SIZE, type IovaRange, type Prot } from '../uapi/index.js';
import type { CpuPageTableApi } from './hw/contract.js';
import { tick } from './hw/stamp.js';
import { WARN_ON } from './warn.js';

/** A secondary TLB's hook on the mm (mmu_notifier_ops.arch_invalidate_secondary_tlbs): [start, last] lost its mapping. */
export interface MmuNotifier {
  invalidate(start: bigint, last: bigint): void;
}

const ANON: Prot = Object.freeze({ read: true, write: true });

/** Whose locked_vm a pin is charged to (iopt_pages account_mode USER or MM). */
export type ChargePool = 'user' | 'mm';

export class Mm implements CpuPageTableApi {
  /**
   * The mapped ranges in address order, disjoint and never adjacent: an mmap next to or over a mapping merges with
   * it (as vma_merge joins anonymous VMAs), so lookups are a binary search (find_vma) and remapping memory is free.
   */
  private readonly vmas: IovaRange[] = [];
  private readonly notifiers = new Set<MmuNotifier>();
  /**
   * Pages charged to RLIMIT_MEMLOCK, per counter: the user's (user->locked_vm, incr_user_locked_vm: every
   * user-accounted FD of the one user) and this mm's (mm->locked_vm, __account_locked_vm: an iommufd in RLIMIT_MODE 1).
   */
  readonly lockedVm: Record<ChargePool, number> = { user: 0, mm: 0 };
  /** when a page was last pinned or unpinned, or a registration came or went (stamp.ts) */
  pinsStamp = 0;
  /** when a mapping last came or went: what a walk of the CPU page table finds (stamp.ts) */
  stamp = 0;

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
    this.stamp = tick();
  }

  /**
   * munmap(2) of [start, last] (the caller checked alignment): the mappings lose it, a mapping across an end is split,
   * and each piece that was mapped is invalidated in every secondary TLB sharing this page table (unmap_region ->
   * tlb_finish_mmu -> mmu_notifier_arch_invalidate_secondary_tlbs). Nothing mapped there: nothing happens.
   */
  munmap(start: bigint, last: bigint) {
    const i = this.findVma(start);
    let j = i;
    while (j < this.vmas.length && this.vmas[j]!.start <= last) j++; // j < length
    if (j === i) return;
    const gone = this.vmas.slice(i, j).map((v) => ({ start: v.start > start ? v.start : start, last: v.last < last ? v.last : last }));
    const first = this.vmas[i]!; // i < j <= length
    const end = this.vmas[j - 1]!; // i <= j - 1 < length
    const kept: IovaRange[] = [];
    if (first.start < start) kept.push({ start: first.start, last: start - 1n });
    if (end.last > last) kept.push({ start: last + 1n, last: end.last });
    this.vmas.splice(i, j - i, ...kept);
    this.stamp = tick();
    for (const g of gone) this.invalidateSecondaryTlbs(g.start, g.last);
  }

  /** Tell every registered notifier that [start, last] lost its mapping. */
  invalidateSecondaryTlbs(start: bigint, last: bigint) {
    for (const n of this.notifiers) n.invalidate(start, last);
  }

  /** mmu_notifier_register: a native SVA binding follows this page table from now on. */
  register(n: MmuNotifier) {
    WARN_ON(this.notifiers.has(n), 'mmu_notifier_register', () => 'a notifier registered twice');
    this.notifiers.add(n);
  }

  /** mmu_notifier_unregister. */
  unregister(n: MmuNotifier) {
    WARN_ON(!this.notifiers.delete(n), 'mmu_notifier_unregister', () => 'a notifier that was never registered');
  }

  /** How many notifiers are registered (a leak check: none once every binding is gone). */
  get notifierCount(): number {
    return this.notifiers.size;
  }

  /** Whether every byte of [start, last] is mapped (what get_user_pages needs): merged, one mapping must hold it. */
  present(start: bigint, last: bigint): boolean {
    const v = this.vmas[this.findVma(start)];
    return v !== undefined && v.start <= start && last <= v.last;
  }

  /** The CPU's walk of `va`: its page, read-write, where it is mapped. */
  walk(va: bigint): { readonly hpa: bigint; readonly prot: Prot } | null {
    return this.present(va, va) ? { hpa: va - (va % PAGE_SIZE), prot: ANON } : null;
  }

  /** Both counters: every page charged to RLIMIT_MEMLOCK. */
  get lockedTotal(): number {
    return this.lockedVm.user + this.lockedVm.mm;
  }

  /** incr_user_locked_vm / __account_locked_vm: false (ENOMEM) when the charge would pass the limit; each counter has it. */
  charge(pages: number, pool: ChargePool): boolean {
    if (this.lockedVm[pool] + pages > this.memlockPages) return false;
    this.lockedVm[pool] += pages;
    return true;
  }

  /** The process's pinned pages changed (a pin, an unpin, a registration). */
  pinsChanged() {
    this.pinsStamp = tick();
  }

  uncharge(pages: number, pool: ChargePool) {
    WARN_ON(pages > this.lockedVm[pool], 'iopt_pages_update_pinned', () => `${pool} locked_vm underflow: ${this.lockedVm[pool]} - ${pages}`);
    this.lockedVm[pool] -= pages;
  }
}
