import type { Mutant } from '../mutant.js';

/*
 * The alignment of an automatic IOVA is min(roundup_pow_of_two(length), lowest set bit of the user VA). Before
 * the fix nothing capped it: a huge length with a highly aligned user VA asked for an alignment so large that
 * ALIGN() overflowed; the fix caps it at HPAGE_SIZE, the most alignment a mapping can use.
 */
export default {
  id: 'alloc-iova-align-uncapped',
  title: 'automatic IOVA alignment is not capped at the huge-page size',
  class: 'arithmetic/overflow',
  fix: { commit: '8f6887349b2f829a4121c518aeb064fc922714e4', subject: 'iommufd: Protect against overflow of ALIGN() during iova allocation' },
  note: 'removes the HPAGE_SIZE cap the fix introduced; here the effect is an IOVA aligned far beyond 2 MiB (a different, sparser placement) rather than a wrapped one',
  file: 'src/impl/iopt.ts',
  find: '    if (align > HPAGE_SIZE) align = HPAGE_SIZE;\n',
  replace: '    // alignment follows the length and the user VA, however large\n',
  designs: ['iommufd'],
  miss: 'needs an automatic map of more than 2 MiB from a user VA aligned above 2 MiB, then a map whose placement differs: caught at seeds 1-4 after 196, 313, 83 and 102 runs (npm run zoo -- --only alloc-iova-align-uncapped --runs 600 --seed N), not within 100 runs of seed 1',
} satisfies Mutant;
