/**
 * Inclusive [start, last] ranges over u64, as the kernel's interval trees keep them. `length` appears only at
 * the uAPI edge and is turned into `last` once, by `lastOf` (the kernel's check_add_overflow in iopt_unmap_iova).
 */
import { U64_MAX, type IovaRange } from '../uapi/index.js';

/** iova + length - 1, or null when it wraps past U64_MAX (or length is 0). */
export function lastOf(start: bigint, length: bigint): bigint | null {
  if (length === 0n) return null;
  const last = start + length - 1n;
  return last > U64_MAX ? null : last;
}

export const overlaps = (a: IovaRange, b: IovaRange): boolean => a.start <= b.last && b.start <= a.last;
export const contains = (outer: IovaRange, inner: IovaRange): boolean => outer.start <= inner.start && inner.last <= outer.last;
export const within = (x: bigint, r: IovaRange): boolean => r.start <= x && x <= r.last;
export const sizeOf = (r: IovaRange): bigint => r.last - r.start + 1n;

/** Whether `r` lies inside the union of `ranges`. */
export function coveredBy(r: IovaRange, ranges: readonly IovaRange[]): boolean {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let next = r.start;
  for (const x of sorted) {
    if (x.start > next) continue;
    if (x.last >= next) {
      if (x.last >= r.last) return true;
      next = x.last + 1n;
    }
  }
  return false;
}

const byStart = (a: IovaRange, b: IovaRange) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);

/** Whether two of `ranges` (each with start <= last) overlap: sorted by start, an overlap always shows between neighbours. */
export function anyOverlap(ranges: readonly IovaRange[]): boolean {
  const sorted = [...ranges].sort(byStart);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start <= sorted[i - 1]!.last) return true; // 0 < i < length
  return false;
}

/**
 * A union of ranges in normal form: sorted, disjoint and never adjacent, so a point or a range is looked up by
 * binary search. `unionWith` keeps the form (mm's VMA merge of adjacent anonymous mappings does the same).
 */
export type Union = readonly IovaRange[];

/** Index of the first range of sorted, disjoint `u` whose last is >= x (u.length when none): a binary search. */
export function firstEndingAtOrAfter(u: readonly IovaRange[], x: bigint): number {
  let lo = 0;
  let hi = u.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u[mid]!.last < x) lo = mid + 1; // mid < hi <= length
    else hi = mid;
  }
  return lo;
}

/**
 * iopt_for_each_contig_area: the ranges of sorted, disjoint `areas` from `iova` on that leave no hole, each clipped to
 * [iova, last], and whether they reach `last` (`whole`). No part when `iova` itself is in none.
 */
export function contiguousParts<A extends IovaRange>(areas: readonly A[], iova: bigint, last: bigint): { parts: { area: A; start: bigint; last: bigint }[]; whole: boolean } {
  const parts: { area: A; start: bigint; last: bigint }[] = [];
  let cur = iova;
  for (let i = firstEndingAtOrAfter(areas, iova); i < areas.length; i++) { // i < length
    const a = areas[i]!; // i < length
    if (a.start > cur) break;
    const end = a.last < last ? a.last : last;
    parts.push({ area: a, start: cur, last: end });
    if (end === last) return { parts, whole: true };
    cur = end + 1n;
  }
  return { parts, whole: false };
}

/** `u` with `r` added, in normal form; `u` itself when it already covers `r`. */
export function unionWith(u: Union, r: IovaRange): Union {
  // ranges that overlap r or touch it: from the first ending at r.start - 1 or later, while they start by r.last + 1
  const i = firstEndingAtOrAfter(u, r.start === 0n ? 0n : r.start - 1n);
  let j = i;
  let start = r.start;
  let last = r.last;
  for (; j < u.length && u[j]!.start <= last + 1n; j++) { // j < length
    if (u[j]!.start <= r.start && r.last <= u[j]!.last) return u;
    if (u[j]!.start < start) start = u[j]!.start;
    if (u[j]!.last > last) last = u[j]!.last;
  }
  return [...u.slice(0, i), { start, last }, ...u.slice(j)];
}

/** `u` without the points of `r`, in normal form; `u` itself when they do not meet (munmap of a hole changes nothing). */
export function unionWithout(u: Union, r: IovaRange): Union {
  const i = firstEndingAtOrAfter(u, r.start);
  let j = i;
  while (j < u.length && u[j]!.start <= r.last) j++; // j < length
  if (j === i) return u;
  const first = u[i]!; // i < j <= length
  const last = u[j - 1]!; // i <= j - 1 < length
  const kept: IovaRange[] = [];
  if (first.start < r.start) kept.push({ start: first.start, last: r.start - 1n });
  if (last.last > r.last) kept.push({ start: r.last + 1n, last: last.last });
  return [...u.slice(0, i), ...kept, ...u.slice(j)];
}

/** Whether `r` lies inside the union `u` (normal form: one of its ranges must hold all of r). */
export function inUnion(r: IovaRange, u: Union): boolean {
  const x = u[firstEndingAtOrAfter(u, r.start)];
  return x !== undefined && x.start <= r.start && r.last <= x.last;
}

/** How many points of `r` the union `u` (normal form) covers. */
export function countIn(r: IovaRange, u: Union): bigint {
  let n = 0n;
  for (let i = firstEndingAtOrAfter(u, r.start); i < u.length && u[i]!.start <= r.last; i++) { // i < length
    const x = u[i]!; // i < length
    n += (x.last < r.last ? x.last : r.last) - (x.start > r.start ? x.start : r.start) + 1n;
  }
  return n;
}

/** `ranges` as a union in normal form: sorted by start, each joins the last range kept when it meets or touches it. */
export function unionOf(ranges: readonly IovaRange[]): Union {
  const out: IovaRange[] = [];
  for (const r of [...ranges].sort(byStart)) {
    const top = out[out.length - 1];
    if (top !== undefined && r.start <= top.last + 1n) out[out.length - 1] = { start: top.start, last: r.last > top.last ? r.last : top.last };
    else out.push(r);
  }
  return out;
}

/**
 * How many of `ranges` hold each point, as maximal runs of equal count (> 0) in ascending order: a sweep over the
 * ranges' ends, so the cost follows the number of ranges, never their size.
 */
export function countRuns(ranges: readonly IovaRange[]): { readonly start: bigint; readonly last: bigint; readonly count: number }[] {
  const delta = new Map<bigint, number>();
  for (const r of ranges) {
    delta.set(r.start, (delta.get(r.start) ?? 0) + 1);
    delta.set(r.last + 1n, (delta.get(r.last + 1n) ?? 0) - 1);
  }
  const points = [...delta].filter(([, d]) => d !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: { start: bigint; last: bigint; count: number }[] = [];
  let count = 0;
  for (let i = 0; i < points.length; i++) {
    const [at, d] = points[i]!; // i < length
    count += d;
    if (count > 0) out.push({ start: at, last: points[i + 1]![0] - 1n, count }); // a positive count is closed by a later end
  }
  return out;
}

/** The holes of [lo, hi] not covered by `used`, in ascending order. */
export function holes(lo: bigint, hi: bigint, used: readonly IovaRange[]): IovaRange[] {
  const sorted = [...used].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: IovaRange[] = [];
  let next = lo;
  for (const u of sorted) {
    if (u.last < next) continue;
    if (u.start > hi) break;
    if (u.start > next) out.push({ start: next, last: u.start - 1n });
    if (u.last >= hi) return out;
    next = u.last + 1n;
  }
  if (next <= hi) out.push({ start: next, last: hi });
  return out;
}

export const U64_RANGE: IovaRange = { start: 0n, last: U64_MAX };

export const pageOf = (addr: bigint): bigint => addr >> 12n;
/** User pages spanned by [uva, uva+length). */
export function pagesSpanned(uva: bigint, length: bigint): IovaRange {
  return { start: pageOf(uva), last: pageOf(uva + length - 1n) };
}

export const hex = (x: bigint): string => `0x${x.toString(16)}`;
