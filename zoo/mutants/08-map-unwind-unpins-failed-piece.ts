import type { Mutant } from '../mutant.js';

export default {
  id: 'map-unwind-unpins-failed-piece',
  title: 'map\'s error unwind also unpins the piece whose pin just failed',
  class: 'error-unwind',
  fix: { commit: 'af7f4780514f850322b2959032ecaa96e4b26472', subject: 'iommufd: Fix out_fput in iommufd_fault_alloc()' },
  note: 'Upstream, the error path put references that the failed step had never taken (fput() had already dropped them: refcount_t decrement hit 0). Here the unwind of a map whose pin failed (EFAULT outside mmapped memory) unpins pieces [0, i] instead of [0, i): one unpin too many, of pages that were never pinned.',
  file: 'src/impl/iopt.ts',
  find: 'if (bad) return this.unwindNew(made, i, bad);',
  replace: 'if (bad) return this.unwindNew(made, i + 1, bad);',
} satisfies Mutant;
