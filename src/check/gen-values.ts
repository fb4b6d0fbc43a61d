/**
 * The argument values recipes draw: addresses, lengths, ranges, PASIDs, user VAs. Each is a random choice made at
 * generation time and resolved against the generation model at build time, so a choice like "just past the end
 * of the second area of this IOAS" means the same thing whatever the trace has mapped. The regions they reach are
 * the ones real iommufd bugs live in: area edges and holes, ranges that remove whole areas and then hit a split,
 * IOVA windows near 0, near U64_MAX and around 2 MiB / 1 GiB boundaries, lengths up to GiBs, PASIDs over the
 * whole 20-bit width, and the IOVAs a guest wrote into its stage-1 tables.
 */
import fc from 'fast-check';
import { PASID_MAX, U64_MAX, type IovaRange } from '../uapi/index.js';
import type { GenModel } from './model.js';

export const PAGE = 0x1000n;
const MIB2 = 0x20_0000n;
const GIB = 0x4000_0000n;
const MSI_START = 0xfee0_0000n;

/** Shares of deliberately bad references and of edge values among generated arguments (0..1 each). */
export interface GenConfig {
  readonly badShare: number;
  readonly edgeShare: number;
}
export const DEFAULT_GEN: GenConfig = { badShare: 0.1, edgeShare: 0.1 };

const pct = (share: number) => Math.round(share * 100);
/** Weights of a plain choice and an edge choice: the edge one takes `edgeShare` of the draws. */
const split = (g: GenConfig) => ({ plain: 100 - pct(g.edgeShare), edge: pct(g.edgeShare) });

/** Keep a computed address a u64 (an edge value plus an offset would leave the range). */
export const u64 = (v: bigint): bigint => (v < 0n ? 0n : v > U64_MAX ? U64_MAX : v);

/** Edge addresses: 0, misaligned, the MSI window, the aperture's end, 2 MiB / 1 GiB boundaries, the top of the u64 space. */
export const EDGE_ADDRS: readonly bigint[] = [
  0n, 0x1001n, MSI_START, (1n << 48n) - PAGE, 1n << 48n, MIB2 - PAGE, MIB2, GIB - PAGE, GIB,
  U64_MAX - MIB2 + 1n, U64_MAX - 0xfffn, U64_MAX,
];
/** Edge lengths: 0, sub-page, one huge page and a page more, 1 GiB, 4 GiB, 2^47, half the space (no IOVA fits), the whole space. */
export const EDGE_LENGTHS: readonly bigint[] = [0n, 0x800n, MIB2, MIB2 + PAGE, GIB, 4n * GIB, 1n << 47n, 1n << 63n, U64_MAX];

/** Where an address points, relative to what the trace has mapped. */
export type Addr =
  /** relative to the k-th mapped area of any address space */
  | { readonly area: number; readonly at: 'start' | 'inside' | 'last' | 'after' | 'before' }
  /** k pages from the bottom of the aperture (0, or the mock's 16 MiB): where guest tables and guest RAM sit in a stage-2 IOAS */
  | { readonly low: number }
  /** the k-th place the machine reserves or stops translating: reserved regions, the aperture's edges, IOMMU-page boundaries */
  | { readonly platform: number }
  /** a fixed value (edges) */
  | { readonly at: bigint };

export function addrA(g: GenConfig): fc.Arbitrary<Addr> {
  const w = split(g);
  return fc.oneof(
    { weight: 55, arbitrary: fc.record({ area: fc.nat({ max: 7 }), at: fc.constantFrom('start' as const, 'start' as const, 'inside' as const, 'last' as const, 'after' as const, 'before' as const) }) },
    // low pages: the guest's tables (2, 3: stage-1 roots; 4: PASID table) and the pages they point at
    { weight: Math.max(1, 39 - w.edge), arbitrary: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 8), fc.nat({ max: 31 })).map((low) => ({ low })) },
    // where the platform reserves: the MSI window, the card's RMRR, the aperture's ends (a VMM maps around them);
    // 12 choices spread evenly over the 3 to 6 places a machine has
    { weight: 6, arbitrary: fc.nat({ max: 11 }).map((platform) => ({ platform })) },
    { weight: Math.max(1, w.edge), arbitrary: fc.constantFrom(...EDGE_ADDRS).map((at) => ({ at })) },
  );
}

/** An address, moved up by `shift` when it is relative to what is mapped (a fixed value stays where it is). */
export const shifted = (m: GenModel, a: Addr, shift: bigint): bigint => u64(addrOf(m, a) + ('at' in a && typeof a.at === 'bigint' ? 0n : shift));

export function addrOf(m: GenModel, a: Addr): bigint {
  if ('low' in a) return m.iovaBase() + BigInt(a.low) * PAGE;
  if ('platform' in a) {
    const edges = m.platformAddrs();
    return edges[a.platform % edges.length]!; // never empty: the aperture's end is always there
  }
  if (typeof a.at === 'bigint') return a.at;
  const areas = m.areas();
  if (!('area' in a) || areas.length === 0) return m.iovaBase() + PAGE * BigInt(('area' in a ? a.area : 0) + 1);
  const r = areas[a.area % areas.length]!; // length > 0
  return pointIn(r, a.at);
}

function pointIn(r: IovaRange, at: 'start' | 'inside' | 'last' | 'after' | 'before'): bigint {
  switch (at) {
    case 'start': return r.start;
    case 'inside': return r.last - r.start >= PAGE ? r.start + PAGE : r.start;
    case 'last': return r.last;
    case 'after': return u64(r.last + 1n);
    case 'before': return r.start >= PAGE ? r.start - PAGE : 0n;
  }
}

export function lenA(g: GenConfig): fc.Arbitrary<bigint> {
  const w = split(g);
  return fc.oneof(
    { weight: Math.max(1, w.plain - 6), arbitrary: fc.constantFrom(PAGE, PAGE, 2n * PAGE, 4n * PAGE, 8n * PAGE) },
    // huge-page sized: how a VMM maps guest RAM (and where IOVA alignment is capped at 2 MiB)
    { weight: 6, arbitrary: fc.constantFrom(MIB2, 2n * MIB2) },
    { weight: Math.max(1, w.edge), arbitrary: fc.constantFrom(...EDGE_LENGTHS) },
  );
}

/**
 * A range drawn against the areas of one address space (IOAS_UNMAP, the source of IOAS_COPY): exactly one area,
 * a part inside one (a split), from one area into the next (whole areas removed, then a split), past the end of
 * one, a span of several whole areas with the holes between them, or not tied to the areas at all.
 */
export type RangeShape =
  | { readonly shape: 'exact' | 'inside' | 'straddle' | 'past-end' | 'head-split'; readonly i: number; readonly pages: number }
  | { readonly shape: 'span'; readonly i: number; readonly j: number }
  /** a range that runs off the top of the u64 space (`pages` of it fit below 2^64) */
  | { readonly shape: 'wrap'; readonly pages: number }
  | { readonly shape: 'free'; readonly a: Addr; readonly n: bigint };

export function rangeA(g: GenConfig): fc.Arbitrary<RangeShape> {
  const i = fc.nat({ max: 7 });
  const pages = fc.integer({ min: 1, max: 4 });
  return fc.oneof(
    { weight: 20, arbitrary: fc.record({ shape: fc.constant('exact' as const), i, pages }) },
    { weight: 12, arbitrary: fc.record({ shape: fc.constant('inside' as const), i, pages }) },
    { weight: 14, arbitrary: fc.record({ shape: fc.constant('straddle' as const), i, pages }) },
    { weight: 8, arbitrary: fc.record({ shape: fc.constant('head-split' as const), i, pages }) },
    { weight: 10, arbitrary: fc.record({ shape: fc.constant('past-end' as const), i, pages }) },
    { weight: 10, arbitrary: fc.record({ shape: fc.constant('span' as const), i, j: fc.nat({ max: 7 }) }) },
    { weight: 22, arbitrary: fc.record({ shape: fc.constant('free' as const), a: addrA(g), n: lenA(g) }) },
    // an empty range: length 0 is refused before anything is looked at
    { weight: 2, arbitrary: fc.record({ shape: fc.constant('free' as const), a: addrA(g), n: fc.constant(0n) }) },
    { weight: Math.max(1, Math.round(g.edgeShare * 20)), arbitrary: fc.record({ shape: fc.constant('wrap' as const), pages: fc.integer({ min: 0, max: 2 }) }) },
  );
}

/** The (iova, length) a shape names among `areas` (sorted by start); `free` shapes ignore them. */
export function rangeOf(m: GenModel, areas: readonly IovaRange[], r: RangeShape): { iova: bigint; length: bigint } {
  const sorted = [...areas].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  if (r.shape === 'wrap') return { iova: U64_MAX - BigInt(r.pages) * PAGE - (PAGE - 1n), length: BigInt(r.pages + 2) * PAGE };
  if (r.shape === 'free' || sorted.length === 0) {
    const a = r.shape === 'free' ? r.a : { area: r.i, at: 'start' as const };
    return { iova: addrOf(m, a), length: r.shape === 'free' ? r.n : PAGE * BigInt('pages' in r ? r.pages : 1) };
  }
  const at = (k: number) => sorted[k % sorted.length]!; // length > 0
  const span = (start: bigint, last: bigint) => ({ iova: start, length: last >= start ? last - start + 1n : PAGE });
  const a = at(r.i);
  const k = 'pages' in r ? BigInt(r.pages) * PAGE : PAGE;
  switch (r.shape) {
    case 'exact':
      return span(a.start, a.last);
    case 'inside': // a proper part of one area where it has more than one page
      return a.last - a.start + 1n > PAGE ? span(a.start + PAGE, a.last - a.start + 1n > 2n * PAGE ? a.last - PAGE : a.last) : span(a.start, a.last);
    case 'straddle': { // whole areas first, then part of a later one that has more than a page: the partial-unmap path
      const splittable = sorted.map((_, j) => j).filter((j) => j > 0 && sorted[j]!.last - sorted[j]!.start + 1n > PAGE); // j < length
      if (splittable.length === 0) return span(a.start, u64(a.last + k));
      const j = splittable[r.i % splittable.length]!; // length > 0
      const next = sorted[j]!; // j < length
      const size = next.last - next.start + 1n;
      return span(sorted[j - 1]!.start, next.start + (k < size ? k : size - PAGE) - 1n); // j > 0
    }
    case 'head-split': { // part of an area first, then whole areas
      const next = sorted[(r.i % sorted.length) + 1];
      return span(a.last - a.start + 1n > PAGE ? a.start + PAGE : a.start, next ? next.last : a.last);
    }
    case 'past-end':
      return span(a.start, u64(a.last + k));
    case 'span': {
      const b = at(r.j);
      return a.start <= b.start ? span(a.start, b.last) : span(b.start, a.last);
    }
  }
}

/** PASIDs: mostly the few the trace uses, sometimes anywhere in the 20-bit width, its ends, and one past it. */
export const pasidA: fc.Arbitrary<number | null> = fc.option(
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(1, 2) },
    { weight: 2, arbitrary: fc.constantFrom(0, PASID_MAX, PASID_MAX + 1) },
    { weight: 1, arbitrary: fc.integer({ min: 3, max: PASID_MAX }) },
  ),
  { nil: null, freq: 2 },
);

/** Guest stage-1 table roots (guest-physical), and the PASID table's root. */
export const S1_ROOT = 0x2000n;
export const tableA = fc.constantFrom(S1_ROOT, 0x3000n);
export const PASID_TABLE = 0x4000n;
/** Guest IOVAs the stage-1 maps: a small window, so DMA aimed at it meets what the guest wrote. */
export const GUEST_IOVA = 0x20_0000n;
