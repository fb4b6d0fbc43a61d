/**
 * struct io_pagetable: the engine under an IOAS (and under an RFC ioasid). Areas in IOVA order over shared
 * IoptPages; the domains that mirror them (each area's pages are mapped into every domain's page table, and
 * pinned while at least one domain exists); reserved ranges with their owner (a device's regions, a domain's
 * aperture); the allowed ranges. It never sees object ids or argument records.
 * Simplified: a sorted array stands in for the interval trees; domains map 4 KiB pages one by one.
 * @see drivers/iommu/iommufd/io_pagetable.c
 */
import { PAGE_SIZE, ULONG_MAX, type Errno, type IovaRange, type Prot } from '../uapi/index.js';
import type { Allocator, IommuApi, PagingDomain } from './hw/contract.js';
import type { PageRange } from './page-ranges.js';
import type { IoptPages } from './pages.js';
import { tick } from './hw/stamp.js';
import { WARN_ON } from './warn.js';

/** What a domain of this IOMMU cannot translate: below its aperture and above it (iopt_table_add_domain reserves both). */
export function outsideAperture(iommu: IommuApi): IovaRange[] {
  const { start, last } = iommu.geometry.aperture;
  return [...(start > 0n ? [{ start: 0n, last: start - 1n }] : []), ...(last < ULONG_MAX ? [{ start: last + 1n, last: ULONG_MAX }] : [])];
}
/** x86 transparent huge page size: the most alignment an automatic IOVA keeps. */
const HPAGE_SIZE = 1n << 21n;

export interface Area {
  readonly start: bigint;
  readonly last: bigint;
  readonly pages: IoptPages;
  /** byte offset of `start` inside `pages` */
  readonly offset: bigint;
  readonly prot: Prot;
}

/** An access as the io_pagetable sees it: whether it pins (PAGE_SIZE alignment) and its unmap callback. */
export interface AccessUser {
  readonly needsPin: boolean;
  unmap(start: bigint, last: bigint): void;
}

/** One piece of a new mapping: `length` bytes of `pages` from byte `offset`. */
export interface Piece {
  readonly pages: IoptPages;
  readonly offset: bigint;
  readonly length: bigint;
}

interface Reservation extends IovaRange {
  readonly owner: string;
}

const overlaps = (a: IovaRange, b: IovaRange) => a.start <= b.last && b.start <= a.last;
const uvaOf = (p: Piece) => p.pages.uva + p.offset;
/** The user pages an area covers: the index range of its pages it pins while in a domain. */
export const pagesOf = (a: Area): PageRange => ({ first: (a.pages.uva + a.offset) >> 12n, last: (a.pages.uva + a.offset + (a.last - a.start)) >> 12n });

export class IoPagetable {
  readonly areas: Area[] = [];
  readonly domains: PagingDomain[] = [];
  /** when an area or a domain last came or went (stamp.ts) */
  stamp = 0;
  allowed: readonly IovaRange[] = [];
  private readonly reserved: Reservation[] = [];

  constructor(private readonly iommu: IommuApi, private readonly alloc: Allocator) {}

  /** The IOMMU's smallest page size: what a domain maps at. */
  private get granule(): bigint {
    return 1n << this.iommu.geometry.pageShift;
  }

  /** iopt->disable_large_pages (IOMMU_OPTION_HUGE_PAGES 0): every map is done page by page. */
  disableLargePages = false;

  /** iopt->access_list: the accesses attached (their unmap callbacks, and whether they pin: PAGE_SIZE alignment) */
  private readonly accesses = new Set<AccessUser>();
  /** area->num_accesses: the access pins that cover each area */
  private readonly numAccesses = new Map<Area, number>();

  /** iopt->iova_alignment: 1, or PAGE_SIZE with large pages disabled or a pinning access, raised to the domains' smallest page size. */
  get alignment(): bigint {
    const base = this.disableLargePages || [...this.accesses].some((a) => a.needsPin) ? PAGE_SIZE : 1n;
    return this.domains.length > 0 && this.granule > base ? this.granule : base;
  }

  /** Whether every area keeps `align` in its IOVA, its length and its offset into its first page (iopt_check_iova_alignment). */
  private areasAligned(align: bigint): boolean {
    return this.areas.every((a) => a.start % align === 0n && (a.last + 1n) % align === 0n && ((a.pages.uva + a.offset) % PAGE_SIZE) % align === 0n);
  }

  /**
   * iopt_disable_large_pages: refused while a domain has pages mapped (EINVAL); the alignment it raises must fit every
   * area (EADDRINUSE), else the flag is put back.
   */
  disableLarge(): Errno | null {
    if (this.disableLargePages) return null;
    if (this.domains.length > 0 && this.areas.length > 0) return 'EINVAL';
    const before = this.alignment;
    this.disableLargePages = true;
    if (this.alignment > before && !this.areasAligned(this.alignment)) {
      this.disableLargePages = false;
      return 'EADDRINUSE';
    }
    return null;
  }

  /** iopt_add_access: the alignment it raises must fit every area (EADDRINUSE), else it is not added. */
  addAccess(a: AccessUser): Errno | null {
    const before = this.alignment;
    this.accesses.add(a);
    if (this.alignment > before && !this.areasAligned(this.alignment)) {
      this.accesses.delete(a);
      return 'EADDRINUSE';
    }
    return null;
  }

  /** iopt_remove_access (the alignment may drop again). */
  removeAccess(a: AccessUser) {
    WARN_ON(!this.accesses.delete(a), 'iopt_remove_access', () => 'the access is not on this io_pagetable');
  }

  /** iopt_area_add_access / iopt_area_remove_access: one pin more or less on `a`. */
  areaAccess(a: Area, delta: 1 | -1) {
    const n = (this.numAccesses.get(a) ?? 0) + delta;
    WARN_ON(n < 0, 'iopt_area_remove_access', () => `area 0x${a.start.toString(16)} has no access pin to remove`);
    if (n === 0) this.numAccesses.delete(a);
    else this.numAccesses.set(a, n);
  }

  /**
   * Before area `a` goes: while access pins cover it, tell every access of the io_pagetable (iommufd_access_notify_unmap,
   * the area's whole range) and look again; an access that never lets go is a WARN (EDEADLOCK after 100 tries).
   */
  private notifyAccesses(a: Area) {
    for (let tries = 0; (this.numAccesses.get(a) ?? 0) > 0; tries++) {
      WARN_ON(tries >= 101, 'iopt_unmap_iova_range', () => `area 0x${a.start.toString(16)}..0x${a.last.toString(16)}: the accesses do not respond to unmap requests (EDEADLOCK)`);
      for (const x of [...this.accesses]) x.unmap(a.start, a.last);
    }
  }

  /** The area holding `iova`. */
  areaAt(iova: bigint): Area | undefined {
    return this.areas.find((a) => a.start <= iova && iova <= a.last);
  }

  reservedRanges(): readonly IovaRange[] {
    return this.reserved;
  }

  /** iopt_check_iova for a fixed IOVA. */
  private checkIova(iova: bigint, length: bigint): Errno | null {
    if (iova % this.alignment !== 0n) return 'EINVAL';
    const last = iova + length - 1n;
    if (last > ULONG_MAX) return 'EOVERFLOW';
    if (this.reserved.some((r) => overlaps(r, { start: iova, last }))) return 'EINVAL';
    if (this.areas.some((a) => overlaps(a, { start: iova, last }))) return 'EEXIST';
    return null;
  }

  /** iopt_alloc_iova: first fit in the allowed ranges clipped to [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]. */
  private allocIova(length: bigint, uva: bigint): bigint | Errno {
    if (length === 0n || length >= ULONG_MAX / 2n) return 'EOVERFLOW';
    let roundup = 1n;
    while (roundup < length) roundup <<= 1n;
    const lowBit = uva & -uva;
    let align = uva !== 0n && lowBit < roundup ? lowBit : roundup;
    if (align > HPAGE_SIZE) align = HPAGE_SIZE;
    if (align < this.alignment) return 'EINVAL';
    const pageOffset = uva % PAGE_SIZE;
    const used = [...this.reserved, ...this.areas].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const windows = this.allowed.length > 0 ? [...this.allowed].sort((a, b) => (a.start < b.start ? -1 : 1)) : [{ start: 0n, last: ULONG_MAX }];
    for (const w of windows) {
      const lo = w.start < PAGE_SIZE ? PAGE_SIZE : w.start;
      const hi = w.last > ULONG_MAX - PAGE_SIZE ? ULONG_MAX - PAGE_SIZE : w.last;
      let holeStart = lo;
      for (const u of [...used, { start: hi + 1n, last: hi + 1n }]) {
        if (u.last < holeStart) continue;
        const holeLast = u.start - 1n < hi ? u.start - 1n : hi;
        if (holeStart <= holeLast) {
          const up = holeStart + align - 1n;
          if (up <= ULONG_MAX) {
            const start = (up & ~(align - 1n)) | pageOffset;
            if (start < holeLast && holeLast - start >= length - 1n) return start;
          }
        }
        if (u.start > hi) break;
        holeStart = u.last + 1n;
      }
    }
    return 'ENOSPC';
  }

  /**
   * iopt_map_pages: place `pieces` end to end at a fixed or automatic IOVA, pin them if a domain exists, fill
   * every domain, insert the areas. All checks come before any effect; a failure after allocation unwinds.
   */
  map(pieces: readonly Piece[], p: { fixed: boolean; iova: bigint; prot: Prot }): bigint | Errno {
    const first = pieces[0];
    if (!first) return 'EINVAL';
    const length = pieces.reduce((n, x) => n + x.length, 0n);
    if (length === 0n || length % this.alignment !== 0n) return 'EINVAL';
    const iova = p.fixed ? p.iova : this.allocIova(length, uvaOf(first));
    if (typeof iova === 'string') return iova;
    if (p.fixed) {
      const bad = this.checkIova(iova, length);
      if (bad) return bad;
    }
    for (const x of pieces) {
      if (p.prot.write && !x.pages.writable) return 'EPERM';
      if ((uvaOf(x) % PAGE_SIZE) % this.alignment !== 0n) return 'EINVAL';
    }
    const made: Area[] = [];
    let at = iova;
    for (const x of pieces) {
      if (!this.alloc.alloc('area')) return this.unwindNew(made, 0, 'ENOMEM');
      made.push({ start: at, last: at + x.length - 1n, pages: x.pages, offset: x.offset, prot: p.prot });
      at += x.length;
    }
    if (this.domains.length > 0) {
      for (let i = 0; i < made.length; i++) {
        const bad = made[i]!.pages.pin(pagesOf(made[i]!)); // i < made.length
        if (bad) return this.unwindNew(made, i, bad);
      }
      // batch_to_domain maps whole IOMMU pages from the area's IOVA: iommu_map refuses a piece that is not aligned
      // to them (a copy of sub-page areas of an IOAS without a domain can sum to whole pages)
      const g = this.granule;
      if (made.some((a) => a.start % g !== 0n || (a.last + 1n) % g !== 0n)) return this.unwindNew(made, made.length, 'EINVAL');
      for (let d = 0; d < this.domains.length; d++) {
        for (let i = 0; i < made.length; i++) {
          if (!this.fillArea(this.domains[d]!, made[i]!)) { // d, i in range
            for (let j = 0; j < i; j++) this.unfillArea(this.domains[d]!, made[j]!); // d in range
            for (let e = 0; e < d; e++) for (const a of made) this.unfillArea(this.domains[e]!, a); // e < d
            return this.unwindNew(made, made.length, 'ENOMEM');
          }
        }
      }
    }
    for (const a of made) {
      a.pages.users++;
      this.insert(a);
    }
    return iova;
  }

  /** Undo a map that failed: unpin the first `pinned` areas, free every new area. */
  private unwindNew(made: readonly Area[], pinned: number, errno: Errno): Errno {
    for (let i = 0; i < pinned; i++) made[i]!.pages.unpin(pagesOf(made[i]!)); // i < pinned <= made.length
    for (let i = 0; i < made.length; i++) this.alloc.free('area');
    return errno;
  }

  private insert(a: Area) {
    let i = this.areas.length;
    while (i > 0 && this.areas[i - 1]!.start > a.start) i--; // i - 1 in range
    this.areas.splice(i, 0, a);
    this.stamp = tick();
  }

  /** Map an area's pages into one domain's page table; false (nothing left mapped) if a table page is missing. */
  private fillArea(d: PagingDomain, a: Area): boolean {
    const g = 1n << d.pt.shift;
    for (let iova = a.start; iova <= a.last; iova += g) {
      const hpa = a.pages.uva + a.offset + (iova - a.start);
      if (!d.pt.map(iova, hpa, a.prot)) {
        for (let back = a.start; back < iova; back += g) d.pt.unmap(back);
        return false;
      }
    }
    return true;
  }

  /** Unmap an area from one domain and invalidate that domain's IOTLB for it (iommu_unmap + iotlb_sync). */
  private unfillArea(d: PagingDomain, a: Area) {
    const g = 1n << d.pt.shift;
    for (let iova = a.start; iova <= a.last; iova += g) d.pt.unmap(iova);
    this.iommu.flushRange(d.id, a.start >> d.pt.shift, a.last >> d.pt.shift);
  }

  /** Remove one area from every domain, drop its pin and its pages reference. */
  private removeArea(a: Area) {
    for (const d of this.domains) this.unfillArea(d, a);
    if (this.domains.length > 0) a.pages.unpin(pagesOf(a));
    if (--a.pages.users === 0) { // the last area let go of the iopt_pages
      this.alloc.free('pages');
      a.pages.file?.release();
    }
    this.areas.splice(this.areas.indexOf(a), 1);
    this.stamp = tick();
    this.alloc.free('area');
  }

  /**
   * iopt_unmap_iova_range: whole areas only, lowest IOVA first. An area sticking out of [start, last] stops the
   * walk (ENOENT); with `atomic` nothing is removed then, otherwise the areas below it stay removed.
   */
  unmapRange(start: bigint, last: bigint, atomic: boolean): { bytes: bigint; stuck: boolean; removed: number } {
    const hit = this.areas.filter((a) => overlaps(a, { start, last }));
    const stop = hit.findIndex((a) => a.start < start || a.last > last);
    if (stop !== -1 && (atomic || stop === 0)) return { bytes: 0n, stuck: true, removed: 0 };
    const gone = stop === -1 ? hit : hit.slice(0, stop);
    let bytes = 0n;
    for (const a of gone) {
      bytes += a.last - a.start + 1n;
      this.notifyAccesses(a);
      this.removeArea(a);
    }
    return { bytes, stuck: stop !== -1, removed: gone.length };
  }

  unmapAll(): bigint {
    let bytes = 0n;
    for (const a of [...this.areas]) {
      bytes += a.last - a.start + 1n;
      this.notifyAccesses(a);
      this.removeArea(a);
    }
    return bytes;
  }

  /**
   * iopt_table_add_domain: reserve what lies outside the aperture (EADDRINUSE if an area or allowed range is
   * there), raise the alignment (iopt_check_iova_alignment: EADDRINUSE if an area does not fit the IOMMU's pages),
   * pin and fill. Unwinds on failure.
   */
  addDomain(d: PagingDomain): Errno | null {
    const firstDomain = this.domains.length === 0;
    const outside = outsideAperture(this.iommu);
    if (firstDomain) {
      const hit = (r: IovaRange) => outside.some((o) => overlaps(o, r));
      if (this.areas.some(hit) || this.allowed.some(hit)) return 'EADDRINUSE';
      if (!this.areasAligned(this.granule)) return 'EADDRINUSE';
      for (let i = 0; i < this.areas.length; i++) {
        const bad = this.areas[i]!.pages.pin(pagesOf(this.areas[i]!)); // i in range
        if (bad) {
          for (let j = 0; j < i; j++) this.areas[j]!.pages.unpin(pagesOf(this.areas[j]!)); // j < i
          return bad;
        }
      }
    }
    for (let i = 0; i < this.areas.length; i++) {
      if (!this.fillArea(d, this.areas[i]!)) { // i in range
        for (let j = 0; j < i; j++) this.unfillArea(d, this.areas[j]!); // j < i
        if (firstDomain) for (const a of this.areas) a.pages.unpin(pagesOf(a));
        return 'ENOMEM';
      }
    }
    if (firstDomain) for (const o of outside) this.reserved.push({ ...o, owner: 'aperture' });
    this.domains.push(d);
    this.stamp = tick();
    return null;
  }

  /** iopt_table_remove_domain: unmap everything from it; the last domain's removal unpins every area. */
  removeDomain(d: PagingDomain) {
    const i = this.domains.indexOf(d);
    WARN_ON(i < 0, 'iopt_table_remove_domain', () => `domain ${d.id} is not on this io_pagetable`);
    for (const a of this.areas) this.unfillArea(d, a);
    this.domains.splice(i, 1);
    this.stamp = tick();
    this.iommu.flushDomain(d.id);
    if (this.domains.length > 0) return;
    for (const a of this.areas) a.pages.unpin(pagesOf(a));
    this.unreserve('aperture');
  }

  /** iopt_reserve_iova for `owner`: EADDRINUSE if an area or an allowed range is in the way. */
  reserve(owner: string, ranges: readonly IovaRange[]): Errno | null {
    for (const r of ranges) if (this.areas.some((a) => overlaps(a, r)) || this.allowed.some((x) => overlaps(x, r))) return 'EADDRINUSE';
    for (const r of ranges) this.reserved.push({ start: r.start, last: r.last, owner });
    return null;
  }

  unreserve(owner: string) {
    for (let i = this.reserved.length - 1; i >= 0; i--) if (this.reserved[i]!.owner === owner) this.reserved.splice(i, 1); // i in range
  }

  hasReservation(owner: string): boolean {
    return this.reserved.some((r) => r.owner === owner);
  }

  /** iopt_set_allow_iova: EADDRINUSE if a reserved range is inside the new list. */
  setAllowed(ranges: readonly IovaRange[]): Errno | null {
    if (ranges.some((r) => this.reserved.some((x) => overlaps(x, r)))) return 'EADDRINUSE';
    this.allowed = [...ranges].sort((a, b) => (a.start < b.start ? -1 : 1));
    return null;
  }

  /**
   * iopt_for_each_contig_area: the areas from `iova` on without a hole, each clipped to [iova, last], and whether they
   * reach `last` (`whole`).
   */
  contiguousParts(iova: bigint, last: bigint): { parts: { area: Area; start: bigint; last: bigint }[]; whole: boolean } {
    const parts: { area: Area; start: bigint; last: bigint }[] = [];
    // the areas are sorted and disjoint: after the one holding iova, only the next can continue the run
    let cur = iova;
    for (let i = this.areas.findIndex((x) => x.start <= iova && iova <= x.last); i !== -1 && i < this.areas.length && this.areas[i]!.start <= cur; i++) { // i < length
      const a = this.areas[i]!; // i < length
      const end = a.last < last ? a.last : last;
      parts.push({ area: a, start: cur, last: end });
      if (end === last) return { parts, whole: true };
      cur = end + 1n;
    }
    return { parts, whole: false };
  }

  /** The areas of [start, last] end to end, cut to it (iopt_get_pages), or null if there is a gap. */
  contiguous(start: bigint, last: bigint): Piece[] | null {
    const walk = this.contiguousParts(start, last);
    return walk.whole ? walk.parts.map((p) => ({ pages: p.area.pages, offset: p.area.offset + (p.start - p.area.start), length: p.last - p.start + 1n })) : null;
  }
}
