/**
 * Pinned pages and RLIMIT_MEMLOCK accounting, derived (never stored). A `pages` object pins the user pages that
 * its areas cover in address spaces that have a page table (iommufd: a HWPT_PAGING on the IOAS; RFC designs: the
 * ioasid's own page table, created at first attach), each such page once however many areas cover it; pages no
 * such area covers stay unpinned, even inside the object (a COPY of part of a map pins that part). Without a page
 * table, MAP only records the range (facts §2.5 "lazy pinning"). A page is pinned once per `pages` object that
 * pins it and once per registration, and charged once per holder, except that RFC v1 registered memory is charged
 * once for every map inside it (facts §1.3 IOASID_REGISTER_MEMORY).
 * @see drivers/iommu/iommufd/pages.c iopt_area_fill_domains (pins the area's index range), __iopt_area_unfill_domain
 *   (unpins only what no other area in a domain covers: interval_tree_double_span_iter), do_update_pinned
 */
import { isDraft } from 'immer';
import { accessPinnedPages } from './access.js';
import { memfdAddress, type IovaRange } from '../uapi/index.js';
import { countIn, countRuns, holes, inUnion, pagesSpanned, sizeOf, unionOf, type Union } from './ranges.js';
import { reject, type Rejection, type RuleId } from './rule.js';
import { keyOf, type Area, type FileKey, type Obj, type ObjKey, type State } from './state.js';

/**
 * The IOASes some HWPT_PAGING mirrors, found in one pass and remembered per state (states are immutable), so asking
 * about every address space of a state costs one walk of its objects, not one each.
 */
const mirrored = new WeakMap<State, ReadonlySet<ObjKey>>();
function mirroredSpaces(s: State): ReadonlySet<ObjKey> {
  let out = mirrored.get(s);
  if (out === undefined) {
    out = new Set(Object.values(s.objects).flatMap((o) => (o.kind === 'hwpt_paging' ? [o.ioas] : [])));
    if (!isDraft(s)) mirrored.set(s, out); // a draft may still change
  }
  return out;
}

/** Whether an address space has a page table that must hold its pages pinned. */
export function hasDomain(s: State, space: Obj): boolean {
  if (space.kind !== 'ioas') return false;
  return space.domain || mirroredSpaces(s).has(keyOf(space));
}

/** The user pages an area covers, by where its bytes come from (null: not user memory). */
export function areaPages(s: State, a: Area): IovaRange | null {
  if (a.target.kind !== 'pages') return null;
  const pg = s.pages[a.target.pages];
  return pg ? pagesSpanned(pg.uva + a.target.offset, a.last - a.start + 1n) : null;
}

/** What one pages object pins: its user pages as a union, and the file whose address spaces hold it. */
export interface PinnedPages {
  readonly file: FileKey;
  readonly pages: Union;
}

/** Every pages object that pins something, with what it pins. */
export function pinnedPages(s: State): Map<number, PinnedPages> {
  const spans = new Map<number, { file: FileKey; ranges: IovaRange[] }>();
  const pinning = new Map<ObjKey, boolean>();
  for (const o of Object.values(s.objects)) {
    if (o.kind !== 'ioas') continue;
    let p = pinning.get(keyOf(o));
    if (p === undefined) pinning.set(keyOf(o), (p = hasDomain(s, o)));
    if (!p) continue;
    for (const a of o.areas) {
      const r = areaPages(s, a);
      if (r === null || a.target.kind !== 'pages') continue;
      const e = spans.get(a.target.pages);
      if (e) e.ranges.push(r);
      else spans.set(a.target.pages, { file: o.file, ranges: [r] });
    }
  }
  // an access pins its ranges whether the IOAS has a domain or not (iopt_area_add_access, shared per pages object)
  for (const o of Object.values(s.objects)) {
    if (o.kind !== 'access' || o.pins.length === 0) continue;
    for (const p of accessPinnedPages(s, o)) {
      const e = spans.get(p.pages);
      if (e) e.ranges.push(p.range);
      else spans.set(p.pages, { file: o.file, ranges: [p.range] });
    }
  }
  return new Map([...spans].map(([id, e]) => [id, { file: e.file, pages: unionOf(e.ranges) }]));
}

/**
 * The host bytes of the pages of the memfd a pages object is of, as a range (null: user memory, or a file that is
 * gone): every page that holds a byte below its size (shmem_get_folio refuses an index at or past i_size only).
 */
export function fileOfPages(s: State, id: number): IovaRange | null {
  const key = s.pages[id]?.file;
  const f = key === undefined ? undefined : s.files[key];
  if (key === undefined || f?.kind !== 'memfd') return null;
  const pages = (f.length + 0xfffn) >> 12n;
  return pages === 0n ? { start: 1n, last: 0n } : { start: memfdAddress(key, 0n), last: memfdAddress(key, (pages << 12n) - 1n) };
}

/** The registered memory of `file` as a union of page numbers (RFC v1 registrations are page aligned). */
function registeredPages(s: State, file: FileKey): Union {
  const f = s.files[file];
  return f?.kind === 'ioasid' ? unionOf(f.registrations.map((r) => pagesSpanned(r.start, sizeOf(r)))) : [];
}

/** The last user page number of the u64 space. */
const TOP_PAGE = (1n << 52n) - 1n;

/** Pages of a pinned range that its file's registrations do not already charge. */
const unregisteredPages = (span: IovaRange, registered: Union): bigint => sizeOf(span) - countIn(span, registered);

/**
 * P-PINCOUNT's right-hand side: user pages with the number of holders that pin them, as maximal runs of pages
 * with the same count, in page order (ranges, never one entry per page: a registration may span terabytes).
 */
export function pinRuns(s: State): { readonly start: bigint; readonly last: bigint; readonly count: number }[] {
  const spans: IovaRange[] = [...pinnedPages(s).values()].flatMap((p) => p.pages);
  for (const f of Object.values(s.files)) if (f.kind === 'ioasid') for (const r of f.registrations) spans.push(pagesSpanned(r.start, sizeOf(r)));
  return countRuns(spans);
}

/**
 * Whose locked_vm a file's pins are charged to (each checked against RLIMIT_MEMLOCK on its own): the process's mm
 * for an iommufd under IOMMU_OPTION_RLIMIT_MODE 1 (IOPT_PAGES_ACCOUNT_MM, update_mm_locked_vm), else the user
 * (IOPT_PAGES_ACCOUNT_USER, incr_user_locked_vm; the RFC designs' registrations too). One process, one user: every
 * user-charged file shares one counter, every mm-charged file the other.
 */
export const POOLS = ['user', 'mm'] as const;
export type Pool = (typeof POOLS)[number];
const poolOf = (s: State, file: FileKey): Pool => {
  const f = s.files[file];
  return f?.kind === 'iommufd' && f.accountMm ? 'mm' : 'user';
};

/** Pages charged to RLIMIT_MEMLOCK, per pool. */
export function lockedByPool(s: State): Record<Pool, number> {
  const n: Record<Pool, bigint> = { user: 0n, mm: 0n };
  for (const f of Object.values(s.files)) {
    if (f.kind !== 'ioasid') continue;
    for (const r of f.registrations) n.user += sizeOf(pagesSpanned(r.start, sizeOf(r)));
  }
  const registered = new Map<FileKey, Union>();
  for (const p of pinnedPages(s).values()) {
    if (!registered.has(p.file)) registered.set(p.file, registeredPages(s, p.file));
    for (const r of p.pages) n[poolOf(s, p.file)] += unregisteredPages(r, registered.get(p.file) ?? []);
  }
  return { user: Number(n.user), mm: Number(n.mm) };
}

/** Pages charged to RLIMIT_MEMLOCK, both pools together. */
export function lockedPages(s: State): number {
  const n = lockedByPool(s);
  return n.user + n.mm;
}

/**
 * The IOVA at which each pages object is first pinned by the step from `prev` to `next`: the lowest start among
 * the areas that pin it now and did not before — areas of an address space that just got its first domain, or new
 * areas in one that had a domain. The kernel pins in that order: iopt_fill_domain walks the new domain's areas by
 * IOVA, a map or copy fills its own new areas; areas of other address spaces play no part.
 */
function pinOrder(prev: State, next: State): Map<number, bigint> {
  const out = new Map<number, bigint>();
  const had = (key: ObjKey) => { const o = prev.objects[key]; return o !== undefined && hasDomain(prev, o); };
  for (const o of Object.values(next.objects)) {
    if (o.kind !== 'ioas' || !hasDomain(next, o)) continue;
    // the areas it had before, by their target (an area keeps its target object while it lives)
    const old = new Map<Area['target'], Area[]>();
    for (const x of had(keyOf(o)) ? (prev.objects[keyOf(o)] as typeof o).areas : []) old.set(x.target, [...(old.get(x.target) ?? []), x]);
    for (const a of o.areas) {
      if (a.target.kind !== 'pages' || old.get(a.target)?.some((x) => x.start === a.start && x.last === a.last)) continue;
      const seen = out.get(a.target.pages);
      if (seen === undefined || a.start < seen) out.set(a.target.pages, a.start);
    }
  }
  return out;
}

/**
 * The checks pinning makes after an effect, pages object by pages object in area (IOVA) order as the kernel fills
 * a domain: each must be mapped user memory (EFAULT, as pin_user_pages), and the running charge must stay within
 * RLIMIT_MEMLOCK (ENOMEM); within one object EFAULT comes first (pages are charged after they are pinned). A
 * registration (RFC v1) is charged as a whole.
 */
export function pinCheck(prev: State, prefix: string): (next: State) => Rejection | null {
  return (next) => {
    const before = pinnedPages(prev);
    const order = pinOrder(prev, next);
    // what each pages object pins now and did not before: only those pages are pinned and charged by this step
    const newly = [...pinnedPages(next)]
      .map(([id, p]) => [id, { file: p.file, pages: p.pages.flatMap((r) => holes(r.start, r.last, before.get(id)?.pages ?? [])) }] as const)
      .filter(([, p]) => p.pages.length > 0)
      .sort(([a], [b]) => { const x = order.get(a) ?? 0n, y = order.get(b) ?? 0n; return x < y ? -1 : x > y ? 1 : a - b; });
    const chargedBefore = lockedByPool(prev);
    const charge = { ...chargedBefore };
    const limit = next.world.memlockPages;
    const registered = new Map<FileKey, Union>();
    for (const [id, p] of newly) {
      // a file map's pages are the file's: pin_memfd_pages finds none past its end (EINVAL)
      const file = fileOfPages(next, id);
      if (file !== null) {
        if (p.pages.some((r) => !inUnion({ start: r.start << 12n, last: (r.last << 12n) | 0xfffn }, [file]))) return reject('EINVAL', `${prefix}.EINVAL.file_range` as RuleId);
      } else {
        // pin_user_pages_fast refuses a run whose end wraps past 2^64 before it looks at memory (found against Linux
        // 6.12: a map of the top page answers EOVERFLOW, mm/gup.c gup_fast_fallback check_add_overflow(start, len))
        if (p.pages.some((r) => r.last === TOP_PAGE)) return reject('EOVERFLOW', `${prefix}.EOVERFLOW.pin` as RuleId);
        if (p.pages.some((r) => !inUnion({ start: r.start << 12n, last: (r.last << 12n) | 0xfffn }, next.userMem))) return reject('EFAULT', `${prefix}.EFAULT.pin` as RuleId);
      }
      if (!registered.has(p.file)) registered.set(p.file, registeredPages(next, p.file));
      const pool = poolOf(next, p.file);
      for (const r of p.pages) charge[pool] += Number(unregisteredPages(r, registered.get(p.file) ?? []));
      if (charge[pool] > limit) return reject('ENOMEM', `${prefix}.ENOMEM.memlock` as RuleId);
    }
    // a new registration pins its whole range at once (RFC v1 REGISTER_MEMORY)
    const known = new Set(Object.values(prev.files).flatMap((f) => (f.kind === 'ioasid' ? f.registrations.map((r) => `${f.key}:${r.start}`) : [])));
    for (const f of Object.values(next.files)) {
      if (f.kind !== 'ioasid') continue;
      for (const r of f.registrations) if (!known.has(`${f.key}:${r.start}`) && !inUnion(r, next.userMem)) return reject('EFAULT', `${prefix}.EFAULT.pin` as RuleId);
    }
    const after = lockedByPool(next);
    if (POOLS.some((q) => after[q] > chargedBefore[q] && after[q] > limit)) return reject('ENOMEM', `${prefix}.ENOMEM.memlock` as RuleId);
    return null;
  };
}
