/**
 * IOAS — iommufd's I/O address space (and the shared area engine the RFC designs' MAP/UNMAP use).
 * Owner: the iommufd FD's object table in every per-VM design; the FD itself under fd-per-ioasid.
 * An IOAS is a set of whole areas (one per MAP/COPY piece) over shared, lazily pinned `pages`; HWPT_PAGINGs
 * mirror it, so a mapping change reaches every domain at once and the kernel invalidates their IOTLBs itself.
 * Abstracted: the interval trees (plain sorted arrays here), huge-page mappings (domains map 4 KiB pages).
 * IOAS_MAP_FILE (file-map.ts) and the selftest's access objects (access.ts) live beside it.
 * @see drivers/iommu/iommufd/ioas.c, io_pagetable.c
 */
import { revokePins } from './access.js';
import { forgetDirty } from './dirty.js';
import type { Draft } from 'immer';
import {
  IOMMU_IOAS_MAP_FIXED_IOVA as FIXED, IOMMU_IOAS_MAP_READABLE as READ, IOMMU_IOAS_MAP_WRITEABLE as WRITE,
  U64_MAX, ULONG_MAX, type IommuIoasAlloc, type IommuIoasAllowIovas, type IommuIoasCopy, type IommuIoasIovaRanges,
  type IommuIoasMap, type IommuIoasUnmap, type IovaRange, type Prot,
} from '../uapi/index.js';
import { aligned, alignmentOf, allocIova, hitsReserved, reservedOf } from './iova.js';
import { pinCheck } from './pins.js';
import { anyOverlap, contiguousParts, holes, lastOf, overlaps } from './ranges.js';
import { answer, commit, reject, guardAfter, type Outcome, type Rejection } from './rule.js';
import { allocId, keyOf, lookup, objKey, type Area, type AreaTarget, type File, type FileKey, type ObjKey, type ObjOf, type State } from './state.js';

export const MAP_FLAGS = FIXED | WRITE | READ;
export const protOf = (flags: number): Prot => ({ read: (flags & READ) !== 0, write: (flags & WRITE) !== 0 });

/** IOMMU_IOAS_ALLOC. @see ioas.c iommufd_ioas_alloc_ioctl */
export function ioasAlloc(s: State, f: File, c: IommuIoasAlloc): Outcome {
  if (c.flags !== 0) return reject('EOPNOTSUPP', 'IOAS_ALLOC.EOPNOTSUPP.flags');
  return commit(s, 'IOAS_ALLOC.ok', (d) => {
    const id = allocId(s, f.key);
    d.objects[objKey(f.key, id)] = { kind: 'ioas', file: f.key, id, areas: [], allowed: [], domain: false, hugePages: true, testReserved: [] };
    return { out_ioas_id: id };
  });
}

/** One piece of a new mapping: `length` bytes at `target`. */
export interface Piece {
  readonly target: AreaTarget;
  readonly length: bigint;
}

/**
 * iopt_map_pages: place pieces at a fixed or kernel-chosen IOVA, every check before any effect.
 * `uva` is the user address used for automatic alignment (the first piece's).
 */
export function placeArea(
  s: State, space: ObjOf<'ioas'>, p: { fixed: boolean; iova: bigint; length: bigint; uva: bigint }, prefix: string,
): bigint | Rejection {
  const align = alignmentOf(s, space);
  // iopt_alloc_area_pages: length must be a non-zero multiple of the IOAS alignment
  if (p.length === 0n || !aligned(p.length, align)) return reject('EINVAL', `${prefix}.EINVAL.length_alignment`);
  let iova = p.iova;
  if (!p.fixed) {
    const got = allocIova(s, space, p.length, p.uva);
    if (got === 'EOVERFLOW') return reject('EOVERFLOW', `${prefix}.EOVERFLOW.auto_iova`);
    if (got === 'EINVAL') return reject('EINVAL', `${prefix}.EINVAL.auto_iova`);
    if (got === 'ENOSPC') return reject('ENOSPC', `${prefix}.ENOSPC.auto_iova`);
    iova = got;
  } else {
    // iopt_check_iova: alignment, wrap, reserved, existing areas — in that order
    if (!aligned(iova, align)) return reject('EINVAL', `${prefix}.EINVAL.iova_alignment`);
    const last = lastOf(iova, p.length);
    if (last === null) return reject('EOVERFLOW', `${prefix}.EOVERFLOW.iova_wrap`);
    if (hitsReserved(s, space, { start: iova, last })) return reject('EINVAL', `${prefix}.EINVAL.reserved`);
    if (space.areas.some((a) => overlaps(a, { start: iova, last }))) return reject('EEXIST', `${prefix}.EEXIST.overlap`);
  }
  return iova;
}

/** Insert `a` where its start belongs (a binary search, then one splice: a draft array is costly to sort). */
export function insertSorted(areas: Area[], a: Area) {
  let lo = 0;
  let hi = areas.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (areas[mid]!.start < a.start) lo = mid + 1; // lo <= mid < hi <= length
    else hi = mid;
  }
  areas.splice(lo, 0, a);
}

/** IOMMU_IOAS_MAP. @see ioas.c iommufd_ioas_map, io_pagetable.c iopt_map_user_pages */
export function ioasMap(s: State, f: File, c: IommuIoasMap): Outcome {
  if ((c.flags & ~MAP_FLAGS) !== 0 || c.__reserved !== 0) return reject('EOPNOTSUPP', 'IOAS_MAP.EOPNOTSUPP.flags');
  if (c.iova >= ULONG_MAX || c.length >= ULONG_MAX) return reject('EOVERFLOW', 'IOAS_MAP.EOVERFLOW.args');
  if ((c.flags & (READ | WRITE)) === 0) return reject('EINVAL', 'IOAS_MAP.EINVAL.prot');
  const ioas = lookup(s, f.key, c.ioas_id, 'ioas');
  if (!ioas) return reject('ENOENT', 'IOAS_MAP.ENOENT.ioas');
  // iopt_alloc_user_pages: check_add_overflow(uptr, length), then iopt_alloc_pages: length 0
  if (c.user_va + c.length > U64_MAX) return reject('EOVERFLOW', 'IOAS_MAP.EOVERFLOW.user_va');
  if (c.length === 0n) return reject('EINVAL', 'IOAS_MAP.EINVAL.length');
  return mapNewPages(s, ioas, { flags: c.flags, iova: c.iova, length: c.length, uva: c.user_va }, 'IOAS_MAP');
}

/**
 * iopt_map_common, the tail IOAS_MAP and IOAS_MAP_FILE share: new pages (user memory at `uva`, or with `file` that
 * file's bytes, whose host address `uva` is) placed as one area at a fixed or kernel-chosen IOVA, the first byte's
 * page offset kept to the IOAS alignment (iopt_insert_area), and pinned where a domain needs them.
 */
export function mapNewPages(s: State, ioas: ObjOf<'ioas'>, p: { flags: number; iova: bigint; length: bigint; uva: bigint; file?: FileKey }, prefix: string): Outcome {
  const fixed = (p.flags & FIXED) !== 0;
  const iova = placeArea(s, ioas, { fixed, iova: p.iova, length: p.length, uva: p.uva }, prefix);
  if (typeof iova !== 'bigint') return iova;
  if (!aligned(p.uva % 4096n, alignmentOf(s, ioas))) return reject('EINVAL', `${prefix}.EINVAL.page_offset`);
  const done = commit(s, fixed ? `${prefix}.ok.fixed` : `${prefix}.ok.auto_iova`, (d) => {
    const pages = d.nextPages++;
    d.pages[pages] = { uva: p.uva, length: p.length, writable: (p.flags & WRITE) !== 0, ...(p.file === undefined ? {} : { file: p.file }) };
    insertSorted((d.objects[keyOf(ioas)] as Draft<ObjOf<'ioas'>>).areas, {
      start: iova, last: iova + p.length - 1n, target: { kind: 'pages', pages, offset: 0n }, prot: protOf(p.flags),
    });
    return { iova };
  });
  return guardAfter(done, pinCheck(s, prefix));
}

/** IOMMU_IOAS_COPY: new areas in dst sharing the source's pages (pinned and charged once). @see ioas.c iommufd_ioas_copy */
export function ioasCopy(s: State, f: File, c: IommuIoasCopy): Outcome {
  if ((c.flags & ~MAP_FLAGS) !== 0) return reject('EOPNOTSUPP', 'IOAS_COPY.EOPNOTSUPP.flags');
  if (c.length >= ULONG_MAX || c.src_iova >= ULONG_MAX || c.dst_iova >= ULONG_MAX) return reject('EOVERFLOW', 'IOAS_COPY.EOVERFLOW.args');
  if ((c.flags & (READ | WRITE)) === 0) return reject('EINVAL', 'IOAS_COPY.EINVAL.prot');
  const src = lookup(s, f.key, c.src_ioas_id, 'ioas');
  if (!src) return reject('ENOENT', 'IOAS_COPY.ENOENT.src_ioas');
  if (c.length === 0n) return reject('EINVAL', 'IOAS_COPY.EINVAL.length');
  const srcLast = lastOf(c.src_iova, c.length);
  if (srcLast === null) return reject('EOVERFLOW', 'IOAS_COPY.EOVERFLOW.src_wrap');
  const walk = contiguousParts(src.areas, c.src_iova, srcLast);
  if (!walk.whole) return reject('ENOENT', 'IOAS_COPY.ENOENT.src_not_covered');
  const pieces = walk.parts;
  const dst = lookup(s, f.key, c.dst_ioas_id, 'ioas');
  if (!dst) return reject('ENOENT', 'IOAS_COPY.ENOENT.dst_ioas');
  const first = pieces[0]!; // a whole walk has a part
  const uvaOf = (p: (typeof pieces)[number]) => {
    const t = p.area.target;
    return t.kind === 'pages' ? (s.pages[t.pages]?.uva ?? 0n) + t.offset + (p.start - p.area.start) : 0n;
  };
  const fixed = (c.flags & FIXED) !== 0;
  const iova = placeArea(s, dst, { fixed, iova: c.dst_iova, length: c.length, uva: uvaOf(first) }, 'IOAS_COPY');
  if (typeof iova !== 'bigint') return iova;
  // iopt_insert_area per piece: WRITEABLE needs writable pages, then page offsets must keep the alignment
  const align = alignmentOf(s, dst);
  for (const p of pieces) {
    const t = p.area.target;
    if ((c.flags & WRITE) !== 0 && t.kind === 'pages' && !s.pages[t.pages]?.writable) return reject('EPERM', 'IOAS_COPY.EPERM.readonly_pages');
    if (!aligned(uvaOf(p) % 4096n, align)) return reject('EINVAL', 'IOAS_COPY.EINVAL.page_offset');
  }
  // iopt_fill_domains_pages maps each new area page by page (batch_to_domain): under a domain a piece that starts or
  // ends inside a page gets an unaligned IOVA, iommu_map refuses it, and the copy unwinds. A copy whose pieces are
  // sub-page areas of an IOAS without a domain can sum to a page and still do that. Checked after pinning (the
  // kernel pins each area before it maps it; an earlier piece's EINVAL before a later piece's pin error is not told apart).
  const unaligned = pieces.some((p) => !aligned(iova + (p.start - c.src_iova), align) || !aligned(p.last - p.start + 1n, align));
  const done = commit(s, fixed ? 'IOAS_COPY.ok.fixed' : 'IOAS_COPY.ok.auto_iova', (d) => {
    const areas = (d.objects[keyOf(dst)] as Draft<ObjOf<'ioas'>>).areas;
    for (const p of pieces) {
      const t = p.area.target;
      const target: AreaTarget = t.kind === 'pages' ? { ...t, offset: t.offset + (p.start - p.area.start) } : { kind: 'gpa', gpa: t.gpa + (p.start - p.area.start) };
      const start = iova + (p.start - c.src_iova);
      insertSorted(areas, { start, last: start + (p.last - p.start), target, prot: protOf(c.flags) });
    }
    return { dst_iova: iova };
  });
  const pinned = guardAfter(done, pinCheck(s, 'IOAS_COPY'));
  return guardAfter(pinned, () => (unaligned ? reject('EINVAL', 'IOAS_COPY.EINVAL.piece_alignment') : null));
}

/**
 * The whole-area walk of a range unmap, lowest IOVA first: the areas it removes before the first one that sticks
 * out of [start, last] (`stop` is that area's index among those hit, -1 when none does). Shared by every design;
 * what a sticking-out area means (partial ENOENT, atomic refusal) is each rule's.
 */
export function scanUnmap(areas: readonly Area[], start: bigint, last: bigint): { hit: Area[]; stop: number; removed: Area[] } {
  const hit = areas.filter((a) => overlaps(a, { start, last }));
  const stop = hit.findIndex((a) => a.start < start || a.last > last);
  return { hit, stop, removed: stop === -1 ? hit : hit.slice(0, stop) };
}

/**
 * IOMMU_IOAS_UNMAP. Whole areas only; "0..U64_MAX" unmaps all. Areas go lowest IOVA first: one that sticks out of
 * the range stops the walk with ENOENT and the areas already removed stay removed — the kernel's documented
 * exception to atomic failure (facts §3), the named `partial` outcome. No length is written back on that error.
 * @see ioas.c iommufd_ioas_unmap, io_pagetable.c iopt_unmap_iova_range
 */
export function ioasUnmap(s: State, f: File, c: IommuIoasUnmap): Outcome {
  const ioas = lookup(s, f.key, c.ioas_id, 'ioas');
  if (!ioas) return reject('ENOENT', 'IOAS_UNMAP.ENOENT.ioas');
  if (c.iova === 0n && c.length === U64_MAX) {
    const total = ioas.areas.reduce((n, a) => n + (a.last - a.start + 1n), 0n);
    return commit(s, 'IOAS_UNMAP.ok.all', (d) => {
      for (const a of ioas.areas) revokePins(d, keyOf(ioas), a);
      (d.objects[keyOf(ioas)] as Draft<ObjOf<'ioas'>>).areas = [];
      forgetDirty(d, keyOf(ioas), { start: 0n, last: U64_MAX });
      return { length: total };
    });
  }
  if (c.iova >= ULONG_MAX || c.length >= ULONG_MAX) return reject('EOVERFLOW', 'IOAS_UNMAP.EOVERFLOW.args');
  if (c.length === 0n) return reject('EINVAL', 'IOAS_UNMAP.EINVAL.length');
  const last = lastOf(c.iova, c.length);
  if (last === null) return reject('EOVERFLOW', 'IOAS_UNMAP.EOVERFLOW.wrap');
  const { stop, removed } = scanUnmap(ioas.areas, c.iova, last);
  if (removed.length === 0) return reject('ENOENT', stop === -1 ? 'IOAS_UNMAP.ENOENT.nothing_mapped' : 'IOAS_UNMAP.ENOENT.split');
  // design point: unmap — a design that promises atomic unmap refuses before removing anything
  if (stop !== -1 && s.design.policy.unmap === 'type1-atomic') return reject('ENOENT', 'IOAS_UNMAP.ENOENT.split');
  const effect = (d: Draft<State>) => ({ length: removeAreas(d, keyOf(ioas), removed) });
  if (stop === -1) return commit(s, 'IOAS_UNMAP.ok.range', effect);
  const kept = commit(s, 'IOAS_UNMAP.ENOENT.split_after_removing', effect);
  return { kind: 'partial', state: (kept as Extract<typeof kept, { kind: 'ok' }>).state, errno: 'ENOENT', rule: kept.rule };
}

/** Remove `removed` from the areas of `space` (pages nobody uses then go after the call: gcPages); returns the bytes removed. */
export function removeAreas(d: Draft<State>, space: ObjKey, removed: readonly Area[]): bigint {
  const gone = new Set(removed.map((a) => a.start));
  // iommufd_access_notify_unmap: before each area goes, the accesses drop the pins that meet it
  for (const a of removed) {
    revokePins(d, space, a);
    forgetDirty(d, space, a);
  }
  const o = d.objects[space] as Draft<ObjOf<'ioas'> | ObjOf<'ioasid_child'>>;
  o.areas = o.areas.filter((a) => !gone.has(a.start));
  return removed.reduce((n, a) => n + (a.last - a.start + 1n), 0n);
}

/**
 * IOMMU_IOAS_IOVA_RANGES: the holes of the reserved ranges. Too small a buffer is EMSGSIZE, but the kernel has
 * already written back the count it needs, the alignment and the ranges that fit (the respond comes before the
 * EMSGSIZE). @see ioas.c iommufd_ioas_iova_ranges
 */
export function ioasIovaRanges(s: State, f: File, c: IommuIoasIovaRanges): Outcome {
  if (c.__reserved !== 0) return reject('EOPNOTSUPP', 'IOAS_IOVA_RANGES.EOPNOTSUPP.reserved');
  const ioas = lookup(s, f.key, c.ioas_id, 'ioas');
  if (!ioas) return reject('ENOENT', 'IOAS_IOVA_RANGES.ENOENT.ioas');
  const ranges = holes(0n, ULONG_MAX, reservedOf(s, ioas));
  const out = { num_iovas: ranges.length, allowed_iovas: ranges.slice(0, c.num_iovas), out_iova_alignment: alignmentOf(s, ioas) };
  if (c.num_iovas < ranges.length) return reject('EMSGSIZE', 'IOAS_IOVA_RANGES.EMSGSIZE.too_small', out);
  return answer(s, 'IOAS_IOVA_RANGES.ok', out);
}

/**
 * IOMMU_IOAS_ALLOW_IOVAS: replaces the allowed list. Allowed ranges restrict automatic IOVAs and later
 * reserved regions (attach fails with EADDRINUSE), never fixed-IOVA maps (iopt_check_iova ignores them).
 * @see ioas.c iommufd_ioas_allow_iovas, io_pagetable.c iopt_set_allow_iova
 */
export function ioasAllowIovas(s: State, f: File, c: IommuIoasAllowIovas): Outcome {
  if (c.__reserved !== 0) return reject('EOPNOTSUPP', 'IOAS_ALLOW_IOVAS.EOPNOTSUPP.reserved');
  const ioas = lookup(s, f.key, c.ioas_id, 'ioas');
  if (!ioas) return reject('ENOENT', 'IOAS_ALLOW_IOVAS.ENOENT.ioas');
  const rs: IovaRange[] = c.allowed_iovas.map((r) => ({ start: r.start, last: r.last }));
  if (rs.some((r) => r.start >= r.last)) return reject('EINVAL', 'IOAS_ALLOW_IOVAS.EINVAL.empty_range');
  if (anyOverlap(rs)) return reject('EINVAL', 'IOAS_ALLOW_IOVAS.EINVAL.overlap'); // the kernel's interval_tree_iter_first per range
  const reserved = reservedOf(s, ioas);
  if (rs.some((r) => reserved.some((x) => overlaps(x, r)))) return reject('EADDRINUSE', 'IOAS_ALLOW_IOVAS.EADDRINUSE.reserved');
  return commit(s, 'IOAS_ALLOW_IOVAS.ok', (d) => {
    (d.objects[keyOf(ioas)] as Draft<ObjOf<'ioas'>>).allowed = [...rs].sort((a, b) => (a.start < b.start ? -1 : 1));
    return {};
  });
}
