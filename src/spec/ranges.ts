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
