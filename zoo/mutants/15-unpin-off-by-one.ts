import type { Mutant } from '../mutant.js';

export default {
  id: 'unpin-off-by-one',
  title: 'shared pages are unpinned and uncharged while one area still uses them',
  class: 'accounting',
  fix: { commit: '6fc85bbbeaeae39c61d230ce279c0b0d0952d3e3', subject: 'iommufd: Balance veventq->num_events inc/dec' },
  note: 'Upstream, a counter\'s increments and decrements did not balance. Here an area that leaves an iopt_pages shared by IOAS_COPY releases its whole page range, not only the pages no other area still covers: the pages are unpinned and uncharged while the other area maps them, and its own unpin releases them a second time.',
  file: 'src/impl/pages.ts',
  find: '    const released = uncovered(r, this.pinnedRuns());',
  replace: '    const released = [r];',
} satisfies Mutant;
