import type { Mutant } from '../mutant.js';

/*
 * iopt_alloc_iova rounds each candidate hole start up to the alignment with ALIGN() in unsigned long arithmetic.
 * Without an overflow check a hole that starts within `align` of ULONG_MAX wraps to a tiny IOVA, and the room
 * check then measures from that wrapped start: the new area lands on top of another area or a reserved range.
 */
export default {
  id: 'alloc-iova-align-wrap',
  title: 'automatic IOVA allocation rounds a hole start near ULONG_MAX up with a wrapping ALIGN()',
  class: 'arithmetic/overflow',
  fix: { commit: 'b42497e3c0e74db061eafad41c0cd7243c46436b', subject: 'iommufd: Prevent ALIGN() overflow' },
  note: 'the same ALIGN_UP of the hole start, emulated in 64-bit arithmetic (& ULONG_MAX) with the check_add_overflow() the fix added removed',
  file: 'src/impl/iopt.ts',
  find: `          const up = holeStart + align - 1n;
          if (up <= ULONG_MAX) {`,
  replace: `          const up = (holeStart + align - 1n) & ULONG_MAX; // ALIGN(): unsigned long wraps
          {`,
  designs: ['iommufd'],
  miss: "ALIGN() wraps only when the automatic IOVA is searched in a window that starts less than one alignment below ULONG_MAX - PAGE_SIZE and the map is aligned more coarsely than the distance to the top: an IOAS allowing only a top window (a fifth of ALLOW_IOVAS calls), then an automatic map of at least 16 KiB from a user VA aligned as much into it; not reached in 500 runs per design and hardware kind",
} satisfies Mutant;
