/**
 * Page ranges of one iopt_pages: which of its pages are pinned and which it charged, kept as sorted disjoint runs
 * (the kernel walks interval trees of areas and accesses with interval_tree_double_span_iter for the same answer:
 * which indexes some user still covers). Inclusive page numbers.
 */
export interface PageRange {
  readonly first: bigint;
  readonly last: bigint;
}

/** `rs` as sorted, disjoint, non-adjacent runs. */
export function merge(rs: readonly PageRange[]): PageRange[] {
  const sorted = [...rs].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: PageRange[] = [];
  for (const r of sorted) {
    const top = out[out.length - 1];
    if (top && r.first <= top.last + 1n) out[out.length - 1] = { first: top.first, last: r.last > top.last ? r.last : top.last };
    else out.push(r);
  }
  return out;
}

/** The parts of `r` that no run of `covered` (sorted, disjoint) holds. */
export function uncovered(r: PageRange, covered: readonly PageRange[]): PageRange[] {
  const out: PageRange[] = [];
  let next = r.first;
  for (const c of covered) {
    if (c.last < next) continue;
    if (c.first > r.last) break;
    if (c.first > next) out.push({ first: next, last: c.first - 1n });
    next = c.last + 1n;
    if (next > r.last) return out;
  }
  if (next <= r.last) out.push({ first: next, last: r.last });
  return out;
}

/** `runs` without any page of `gone`. */
export const without = (runs: readonly PageRange[], gone: readonly PageRange[]): PageRange[] => runs.flatMap((r) => uncovered(r, merge(gone)));

/** How many pages `rs` (disjoint) hold. */
export const pageCount = (rs: readonly PageRange[]): number => rs.reduce((n, r) => n + Number(r.last - r.first + 1n), 0);

/** The pages of `r` that `rs` also hold. */
export const overlapCount = (r: PageRange, rs: readonly PageRange[]): number => pageCount([r]) - pageCount(uncovered(r, merge(rs)));
