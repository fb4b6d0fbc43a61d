import type { Mutant } from '../mutant.js';

export default {
  id: 'register-handover-missing',
  title: 'a new registration does not take over the charge of maps already pinned inside it',
  class: 'accounting',
  fix: { commit: '13a0d1ae7ee6b438f5537711a8c60cba00554943', subject: 'iommufd: Do not corrupt the pfn list when doing batch carry' },
  note: 'Upstream, batch_clear_carry() moved pages from one batch to the next without adjusting the carried entry, corrupting the pin accounting. Here IOASID_REGISTER_MEMORY takes over the locked_vm charge of pages that maps already pinned (it uncharges the difference) but does not lower those pages\' own charge, so their later unpin uncharges the same pages a second time (locked_vm underflow).',
  file: 'src/impl/ioasid-file.ts',
  find: '    for (const p of pinned) p.handOver(pages); // uncharged by the registration from now on, not by p\'s unpin\n',
  replace: '',
  designs: ['rfc-v1', 'setup-only-association', 'per-device-sva'],
} satisfies Mutant;
