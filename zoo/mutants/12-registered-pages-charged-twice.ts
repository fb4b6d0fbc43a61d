import type { Mutant } from '../mutant.js';

export default {
  id: 'registered-pages-charged-twice',
  title: 'pinning charges locked_vm for pages that a memory registration already charged',
  class: 'accounting',
  fix: { commit: '6fc85bbbeaeae39c61d230ce279c0b0d0952d3e3', subject: 'iommufd: Balance veventq->num_events inc/dec' },
  note: 'Upstream, a counter was raised on one path and not matched on the other. Here the pin of a map inside IOASID_REGISTER_MEMORY\'d memory charges its pages to locked_vm again although the registration already charged them (RFC v1: registered memory is charged once), so locked_vm runs ahead of what is pinned and RLIMIT_MEMLOCK is hit early.',
  file: 'src/impl/pages.ts',
  find: '    const charge = without(fresh, [...this.acct.registered()]);',
  replace: '    const charge = fresh;',
  miss: 'needs IOASID_REGISTER_MEMORY (one call in about 40 of the RFC vocabulary) and then a map inside the registration on an ioasid with a device, in one run; since RFC v1 draws its page-fault calls too, caught at seeds 1-4 after 553, 327, 227 and 219 runs (npm run zoo -- --only registered-pages-charged-twice --runs 600 --seed N), not within 100 runs of seed 1',
  designs: ['rfc-v1', 'setup-only-association', 'per-device-sva'],
} satisfies Mutant;
