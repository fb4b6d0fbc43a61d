import type { Mutant } from '../mutant.js';

export default {
  id: 'unpin-off-by-one',
  title: 'shared pages are unpinned and uncharged while one area still uses them',
  class: 'accounting',
  fix: { commit: '6fc85bbbeaeae39c61d230ce279c0b0d0952d3e3', subject: 'iommufd: Balance veventq->num_events inc/dec' },
  note: 'Upstream, a counter\'s increments and decrements did not balance. Here the pin-users count of an iopt_pages shared by IOAS_COPY is tested off by one on the way down (> 1 instead of > 0): the pages are unpinned and uncharged when the second-to-last user goes, and the last user\'s unpin releases the pin a second time.',
  file: 'src/impl/pages.ts',
  find: '    if (--this.pinUsers > 0) return;',
  replace: '    if (--this.pinUsers > 1) return;',
} satisfies Mutant;
