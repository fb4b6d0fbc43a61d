import type { Mutant } from '../mutant.js';

/*
 * The 2021 designs keep VFIO type1 semantics for MAP_DMA / UNMAP_DMA. type1 tested ranges through `iova + size`,
 * which is 0 for a range ending exactly at the top of the address space, so such ranges were refused although
 * the IOVA-range capability reported them usable; the fix compares against iova + size - 1.
 */
export default {
  id: 'type1-end-of-space',
  title: 'type1 range checks use iova + size, refusing ranges that end exactly at U64_MAX',
  class: 'arithmetic/overflow',
  fix: { commit: 'ef270ec44637d464126bd4ade483c4a1887e06bc', subject: 'vfio/type1: handle DMA map/unmap up to the addressable limit' },
  note: 'the RFC /dev/ioasid designs inherit type1 MAP/UNMAP; the mutant brings back the exclusive-end overflow test in their shared last-address helper (map, unmap, registration, invalidation ranges)',
  file: 'src/impl/ioasid.ts',
  find: 'const lastOf = (start: bigint, size: bigint): bigint | null => (start + size - 1n > U64_MAX ? null : start + size - 1n);',
  replace: 'const lastOf = (start: bigint, size: bigint): bigint | null => (start + size > U64_MAX ? null : start + size - 1n);',
  designs: ['rfc-v1', 'fd-per-ioasid', 'per-device-sva', 'setup-only-association'],
} satisfies Mutant;
