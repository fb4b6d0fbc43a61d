/**
 * struct iopt_pages: a user VA range, shared by every area that maps it (IOAS_COPY shares, MAP creates). A page of
 * it is pinned while some area using it, in an IOAS that has a domain, covers that page — once, however many
 * such areas cover it — and charged once, when it is pinned (unless a registration already charges it, RFC v1).
 * `pin`/`unpin` take one area's page range, as iopt_area_fill_domains pins the area's index range and
 * __iopt_area_unfill_domain unpins only what no other area still covers. Simplified: the pages of one call are
 * pinned at once (the kernel pins in batches).
 * @see drivers/iommu/iommufd/pages.c
 */
import type { Errno } from '../uapi/index.js';
import type { Allocator } from './hw/contract.js';
import type { ChargePool, Mm } from './mm.js';
import { merge, overlapCount, pageCount, uncovered, without, type PageRange } from './page-ranges.js';
import { WARN_ON } from './warn.js';

/** What a pin may leave uncharged (RFC v1 registered memory is charged once, by its registration). */
export interface Accounting {
  readonly mm: Mm;
  /** whose locked_vm the pins are charged to, fixed when the pages are made (iopt_map_user_pages) */
  readonly pool: ChargePool;
  /** the page ranges someone else already charges */
  registered(): readonly PageRange[];
}

export class IoptPages {
  /** areas using these pages */
  users = 0;
  /**
   * a file map's pages (IOAS_MAP_FILE): the host addresses the file's bytes have, which a pin must stay inside (EINVAL
   * past the end of the file, memfd_pin_folios), and what to let go of when the last area goes (the file reference)
   */
  file: { readonly first: bigint; readonly last: bigint; readonly release: () => void } | null = null;
  /** the page range of each area that pins these pages now (one entry per such area) */
  private readonly pinners: PageRange[] = [];
  /** the pinned pages this object charged to locked_vm */
  private charges: PageRange[] = [];

  constructor(
    readonly serial: number,
    readonly uva: bigint,
    readonly length: bigint,
    readonly writable: boolean,
    private readonly acct: Accounting,
    private readonly alloc: Allocator,
  ) {}

  /** How many areas pin these pages now. */
  get pinCount(): number {
    return this.pinners.length;
  }

  /** The pages pinned now, as runs. */
  pinnedRuns(): PageRange[] {
    return merge(this.pinners);
  }

  /** Pages charged to locked_vm by this object. */
  get charged(): number {
    return pageCount(this.charges);
  }

  /**
   * Whether the memory behind host bytes `first`..`last` of these pages can be found: a file's pages lie inside the
   * file (memfd_pin_folios: EINVAL past its end), user memory is mapped (EFAULT). Null when it can.
   */
  missing(first: bigint, last: bigint): 'EINVAL' | 'EFAULT' | null {
    if (this.file !== null) return first < this.file.first || last > this.file.last ? 'EINVAL' : null;
    return this.acct.mm.present(first, last) ? null : 'EFAULT';
  }

  /** One more area pins `r`: what no area pinned yet is pinned (EFAULT outside mapped memory) and charged (ENOMEM past RLIMIT_MEMLOCK). */
  pin(r: PageRange): Errno | null {
    const fresh = uncovered(r, this.pinnedRuns());
    // gup_fast_fallback: "check_add_overflow(start, len, &end)" before any lookup: the top page of the space wraps
    if (this.file === null && fresh.some((h) => h.last === (1n << 52n) - 1n)) return 'EOVERFLOW';
    for (const h of fresh) {
      const missing = this.missing(h.first << 12n, (h.last << 12n) | 0xfffn);
      if (missing) return missing;
    }
    if (!this.alloc.alloc('pin')) return 'ENOMEM';
    const charge = without(fresh, [...this.acct.registered()]);
    if (!this.acct.mm.charge(pageCount(charge), this.acct.pool)) {
      this.alloc.free('pin');
      return 'ENOMEM';
    }
    this.charges = merge([...this.charges, ...charge]);
    this.pinners.push(r);
    this.acct.mm.pinsChanged();
    return null;
  }

  /** An area that pinned `r` lets go: what no other area still covers is unpinned and uncharged. */
  unpin(r: PageRange) {
    const i = this.pinners.findIndex((x) => x.first === r.first && x.last === r.last);
    WARN_ON(i < 0, 'iopt_area_unpin', () => `unpin of pages 0x${r.first.toString(16)}..0x${r.last.toString(16)} at uva 0x${this.uva.toString(16)}, which no area pinned`);
    this.pinners.splice(i, 1);
    this.acct.mm.pinsChanged();
    const released = uncovered(r, this.pinnedRuns());
    const n = released.reduce((k, x) => k + overlapCount(x, this.charges), 0);
    this.charges = without(this.charges, released);
    this.acct.mm.uncharge(n, this.acct.pool);
    this.alloc.free('pin');
  }

  /** How many pages of `r` this object charged. */
  chargedIn(r: PageRange): number {
    return overlapCount(r, this.charges);
  }

  /** A registration now charges the pages of `r`: they are no longer this object's to uncharge. */
  handOver(r: PageRange) {
    this.charges = without(this.charges, [r]);
  }
}
