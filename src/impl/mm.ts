/**
 * The process's memory as the kernel sees it when pinning: mmapped ranges (pin_user_pages fails with EFAULT
 * outside them) and the user's locked_vm charged against RLIMIT_MEMLOCK (ENOMEM past it).
 * Simplified: one process, one user; a user page is its own host page (hpa == uva).
 */
import type { IovaRange } from '../uapi/index.js';
import { WARN_ON } from './warn.js';

export class Mm {
  private readonly vmas: IovaRange[] = [];
  /** pages charged to RLIMIT_MEMLOCK */
  lockedVm = 0;

  constructor(readonly memlockPages: number) {}

  /** mmap(2) of anonymous memory; the caller checked alignment. */
  mmap(start: bigint, last: bigint) {
    this.vmas.push({ start, last });
  }

  /** Whether every byte of [start, last] is mapped (what get_user_pages needs). */
  present(start: bigint, last: bigint): boolean {
    let next = start;
    for (let progress = true; progress && next <= last; ) {
      progress = false;
      for (const v of this.vmas) {
        if (v.start <= next && next <= v.last) {
          if (v.last >= last) return true;
          next = v.last + 1n;
          progress = true;
        }
      }
    }
    return next > last;
  }

  /** incr_user_locked_vm: false (ENOMEM) when the charge would pass the limit. */
  charge(pages: number): boolean {
    if (this.lockedVm + pages > this.memlockPages) return false;
    this.lockedVm += pages;
    return true;
  }

  uncharge(pages: number) {
    WARN_ON(pages > this.lockedVm, 'iopt_pages_update_pinned', () => `locked_vm underflow: ${this.lockedVm} - ${pages}`);
    this.lockedVm -= pages;
  }
}
