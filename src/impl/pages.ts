/**
 * struct iopt_pages: a user VA range, shared by every area that maps it (IOAS_COPY shares, MAP creates). Pinned
 * once while any area using it lives in an IOAS that has a domain (`pinUsers` counts those areas), charged once
 * for the pages it pins. Simplified: the whole range is pinned at once (the kernel pins in batches).
 * @see drivers/iommu/iommufd/pages.c
 */
import type { Errno } from '../uapi/index.js';
import type { Allocator } from './hw/contract.js';
import type { Mm } from './mm.js';
import { WARN_ON } from './warn.js';

/** What a pin may leave uncharged (RFC v1 registered memory is charged once, by its registration). */
export interface Accounting {
  readonly mm: Mm;
  /** pages of [first, last] (page numbers) that someone else already charges */
  alreadyCharged(first: bigint, last: bigint): number;
}

export class IoptPages {
  /** areas using these pages */
  users = 0;
  /** areas using them in an IOAS with a domain: the pages stay pinned while this is > 0 */
  pinUsers = 0;
  /** pages charged to locked_vm by this object */
  charged = 0;

  constructor(
    readonly serial: number,
    readonly uva: bigint,
    readonly length: bigint,
    readonly writable: boolean,
    private readonly acct: Accounting,
    private readonly alloc: Allocator,
  ) {}

  get firstPage(): bigint {
    return this.uva >> 12n;
  }
  get lastPage(): bigint {
    return (this.uva + this.length - 1n) >> 12n;
  }
  get pinned(): boolean {
    return this.pinUsers > 0;
  }

  /** One more pinning user; the first pins: EFAULT outside mapped memory, ENOMEM past RLIMIT_MEMLOCK. */
  pin(): Errno | null {
    if (this.pinUsers > 0) {
      this.pinUsers++;
      return null;
    }
    if (!this.acct.mm.present(this.uva, this.uva + this.length - 1n)) return 'EFAULT';
    if (!this.alloc.alloc('pin')) return 'ENOMEM';
    const n = Number(this.lastPage - this.firstPage + 1n) - this.acct.alreadyCharged(this.firstPage, this.lastPage);
    if (!this.acct.mm.charge(n)) {
      this.alloc.free('pin');
      return 'ENOMEM';
    }
    this.charged = n;
    this.pinUsers = 1;
    return null;
  }

  unpin() {
    WARN_ON(this.pinUsers === 0, 'iopt_area_unpin', () => `unpin of unpinned pages at uva 0x${this.uva.toString(16)}`);
    if (--this.pinUsers > 0) return;
    this.acct.mm.uncharge(this.charged);
    this.charged = 0;
    this.alloc.free('pin');
  }
}
