/**
 * IOVA space of a kernel-managed address space: alignment, reserved ranges, automatic allocation.
 * Reserved ranges are derived from who is attached (device reserved regions) and whether a domain exists
 * (its aperture), never stored: detaching a device widens the space again (facts §2.5 "Reserved vs allowed").
 * @see drivers/iommu/iommufd/io_pagetable.c iopt_alloc_iova, iopt_check_iova, iopt_reserve_iova
 */
import { isDraft } from 'immer';
import { minPageSize, PAGE_SIZE, ULONG_MAX, type IovaRange } from '../uapi/index.js';
import { hasDomain } from './pins.js';
import { holes, overlaps } from './ranges.js';
import { keyOf, physDevice, type Area, type Obj, type ObjKey, type ObjOf, type State } from './state.js';

/**
 * What a domain of this world's IOMMU cannot translate: below its aperture start and above its aperture end
 * (profile `aperture`; the default world's domains cover [0, 2^48 - 1]). iopt_table_add_domain reserves both.
 */
export function outsideAperture(s: State): IovaRange[] {
  const { start, last } = s.world.iommu.aperture;
  const out: IovaRange[] = [];
  if (start > 0n) out.push({ start: 0n, last: start - 1n });
  if (last < ULONG_MAX) out.push({ start: last + 1n, last: ULONG_MAX });
  return out;
}

/** The kernel-managed address space at the root of a translation context (P-OWNER: reserved ranges apply there). */
export function rootSpace(s: State, ctx: Obj): ObjOf<'ioas'> | undefined {
  switch (ctx.kind) {
    case 'ioas':
      return ctx;
    case 'hwpt_paging':
    case 'hwpt_nested':
    case 'ioasid_child':
    case 'sva_bind': {
      const next = s.objects[ctx.kind === 'hwpt_paging' ? ctx.ioas : ctx.parent];
      return next ? rootSpace(s, next) : undefined;
    }
    case 'device':
    case 'sva_mm':
      return undefined;
  }
}

/** Devices whose DMA ends in `space` (attached to it, or to anything stacked on it). */
export function devicesOn(s: State, space: ObjKey) {
  const names = new Set(s.attachments.filter((a) => {
    const ctx = s.objects[a.ctx];
    return ctx !== undefined && rootSpace(s, ctx) !== undefined && keyOf(rootSpace(s, ctx)!) === space; // rootSpace checked just before
  }).map((a) => a.dev));
  return [...names];
}

/** Reserved ranges of an address space: device reserved regions and, once a domain exists, its aperture. */
export function reservedOf(s: State, space: ObjOf<'ioas'>): IovaRange[] {
  const out: IovaRange[] = [...space.testReserved];
  for (const dev of devicesOn(s, keyOf(space))) out.push(...physDevice(s, dev).reserved);
  if (hasDomain(s, space)) out.push(...outsideAperture(s));
  return out;
}

/** Transparent huge page size on x86 (2 MiB): the largest alignment an automatic IOVA keeps. */
export const HPAGE_SIZE = 1n << 21n;

/** The IOMMU's smallest page size (1 << __ffs(pgsize_bitmap)): 4 KiB on the default world, 2 KiB on the selftest mock. */
export const iommuPage = (s: State): bigint => minPageSize(s.world.iommu.pgsizeBitmap);

/**
 * iopt->iova_alignment (iopt_calculate_iova_alignment): 1 on a fresh IOAS, PAGE_SIZE once huge pages are disabled
 * (IOMMU_OPTION_HUGE_PAGES 0: batch_iommu_map_small maps page by page) or a pinning access is attached, and at least the IOMMU's smallest page size
 * once a domain exists.
 */
export const alignmentOf = (s: State, space: ObjOf<'ioas'>): bigint => {
  // a NEEDS_PIN_PAGES access holds the IOAS to PAGE_SIZE (access->iova_alignment, iopt_calculate_iova_alignment)
  const base = space.hugePages && !pinnedByAccess(s).has(keyOf(space)) ? 1n : PAGE_SIZE;
  const page = hasDomain(s, space) ? iommuPage(s) : 1n;
  return page > base ? page : base;
};

export const aligned = (x: bigint, align: bigint): boolean => x % align === 0n;

/** The IOASes a pinning access is attached to, found in one pass and remembered per state (states are immutable). */
const accessPinned = new WeakMap<State['objects'], ReadonlySet<ObjKey>>();
function pinnedByAccess(s: State): ReadonlySet<ObjKey> {
  let out = accessPinned.get(s.objects);
  if (out === undefined) {
    out = new Set(Object.values(s.objects).flatMap((o) => (o.kind === 'access' && o.needsPin ? [o.ioas] : [])));
    if (!isDraft(s.objects)) accessPinned.set(s.objects, out); // a draft may still change
  }
  return out;
}

/** iopt_check_iova_alignment for one area: its IOVA, its length and its offset into its first user page keep `align`. */
export function areaKeeps(s: State, a: Area, align: bigint): boolean {
  const off = a.target.kind === 'pages' ? ((s.pages[a.target.pages]?.uva ?? 0n) + a.target.offset) % PAGE_SIZE : 0n;
  return aligned(a.start, align) && aligned(a.last + 1n, align) && aligned(off, align);
}

function roundupPow2(x: bigint): bigint {
  let p = 1n;
  while (p < x) p <<= 1n;
  return p;
}
const lowestSetBit = (x: bigint): bigint => x & -x;

/**
 * iopt_alloc_iova: first fit inside the allowed ranges clipped to [PAGE_SIZE, ULONG_MAX - PAGE_SIZE] (the whole of
 * it when none are set; IOVA 0 is never returned), outside reserved ranges and areas, aligned to
 * min(roundup_pow_of_two(length), lowest set bit of user_va) capped at HPAGE_SIZE (the modelled kernel has
 * CONFIG_TRANSPARENT_HUGEPAGE, as x86 distributions do), OR-ed with user_va's offset in its page.
 * Returns the IOVA, or the errno.
 */
export function allocIova(s: State, space: ObjOf<'ioas'>, length: bigint, uva: bigint): bigint | 'EOVERFLOW' | 'EINVAL' | 'ENOSPC' {
  if (length === 0n || length >= ULONG_MAX / 2n) return 'EOVERFLOW';
  let align = uva === 0n ? roundupPow2(length) : roundupPow2(length) < lowestSetBit(uva) ? roundupPow2(length) : lowestSetBit(uva);
  if (align > HPAGE_SIZE) align = HPAGE_SIZE;
  if (align < alignmentOf(s, space)) return 'EINVAL';
  const pageOffset = uva % PAGE_SIZE;
  const used = [...reservedOf(s, space), ...space.areas];
  const windows = space.allowed.length > 0 ? space.allowed : [{ start: PAGE_SIZE, last: ULONG_MAX - PAGE_SIZE }];
  const sorted = [...windows].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const w of sorted) {
    const lo = w.start < PAGE_SIZE ? PAGE_SIZE : w.start;
    const hi = w.last > ULONG_MAX - PAGE_SIZE ? ULONG_MAX - PAGE_SIZE : w.last;
    if (lo > hi) continue;
    for (const h of holes(lo, hi, used)) {
      // __alloc_iova_check_range: ALIGN_UP(start) | page_offset, then room for length before the hole's last
      const up = h.start + align - 1n;
      if (up > ULONG_MAX) continue;
      const start = (up & ~(align - 1n)) | pageOffset;
      if (start >= h.last || h.last - start < length - 1n) continue;
      return start;
    }
  }
  return 'ENOSPC';
}

/** Whether [start, last] hits a reserved range of the space. */
export const hitsReserved = (s: State, space: ObjOf<'ioas'>, r: IovaRange): boolean => reservedOf(s, space).some((x) => overlaps(x, r));
