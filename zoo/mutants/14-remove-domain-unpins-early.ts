import type { Mutant } from '../mutant.js';

export default {
  id: 'remove-domain-unpins-early',
  title: 'removing a domain unpins every area before checking whether it was the last domain',
  class: 'accounting',
  fix: { commit: '727c28c1cef2bc013d2c8bb6c50e410a3882a04e', subject: 'iommufd: Fix unpinning of pages when an access is present' },
  note: 'Upstream, unfilling one domain while something else still held the pages unpinned pages it should not have (npinned WARN). Here iopt_table_remove_domain() drops the pins (and the locked_vm charge) when any domain goes, not only the last one: the remaining domains keep mapping unpinned pages, and the last removal unpins them again.',
  file: 'src/impl/iopt.ts',
  find: '    if (this.domains.length > 0) return;\n    for (const a of this.areas) a.pages.unpin(pagesOf(a));\n',
  replace: '    for (const a of this.areas) a.pages.unpin(pagesOf(a));\n    if (this.domains.length > 0) return;\n',
} satisfies Mutant;
