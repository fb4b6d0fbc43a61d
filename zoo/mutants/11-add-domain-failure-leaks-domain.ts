import type { Mutant } from '../mutant.js';

export default {
  id: 'add-domain-failure-leaks-domain',
  title: 'a new domain that cannot be added to the IOAS is not freed',
  class: 'error-unwind',
  fix: { commit: '70eadc7fc7ef29bfe0e361376983822b5e36dd67', subject: 'iommufd: Allow a hwpt to be aborted after allocation' },
  note: 'Upstream, a HWPT whose domain was allocated could not be taken apart again on a later failure under the ioas lock, until an abort path was added. Here, when iopt_table_add_domain() fails for a freshly allocated domain (EFAULT pinning an area, EADDRINUSE for an area above the aperture or not page aligned), the error path returns without freeing the domain and its page table.',
  file: 'src/impl/kernel.ts',
  find: '    if (!bad) return d;\n    freeDomain(this.alloc, d);\n',
  replace: '    if (!bad) return d;\n',
} satisfies Mutant;
