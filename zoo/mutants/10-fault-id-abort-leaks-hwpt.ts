import type { Mutant } from '../mutant.js';

export default {
  id: 'fault-id-abort-leaks-hwpt',
  title: 'a HWPT whose FAULT_ID lookup fails is not aborted and stays in the table',
  class: 'error-unwind',
  fix: { commit: 'aeb004c0cd6958e910123a1607634401009c9539', subject: 'iommufd: Fix iopt_access_list_id overwrite bug' },
  note: 'Upstream, iopt_add_access() committed its new id before a step that could still fail, and the error path did not undo it (the fix commits only on success). Here iommufd_hwpt_alloc() has already inserted the paging HWPT when the FAULT_ID_VALID lookup fails; the error path returns ENOENT without iommufd_object_abort_and_destroy(), so the failed call leaves a live HWPT and domain behind.',
  file: 'src/impl/hwpt.ts',
  find: '      f.table.remove(hwpt);\n      return fail(\'ENOENT\');',
  replace: '      return fail(\'ENOENT\');',
  designs: ['iommufd'],
} satisfies Mutant;
