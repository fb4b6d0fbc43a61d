import type { Mutant } from '../mutant.js';

export default {
  id: 'replace-leaks-old-hwpt-ref',
  title: 'replace does not drop the reference the moved devices held on the old HWPT',
  class: 'lifetime/refcount',
  fix: { commit: 'b4ff830eca097df51af10a9be29e8cc817327919', subject: 'iommufd: Do not add the same hwpt to the ioas->hwpt_list twice' },
  note: 'Upstream, one attach path did the HWPT bookkeeping a second time (it re-added an already listed hwpt to ioas->hwpt_list). Here the replace path gets the HWPT bookkeeping wrong in the same way: it takes the new HWPT\'s reference but never puts the old one (iommufd_hw_pagetable_put(old_hwpt) left out), so the old HWPT stays busy forever and an old automatic HWPT is never freed.',
  file: 'src/impl/device.ts',
  find: '  for (const r of olds) {\n    putUsers(r.target);\n',
  replace: '  for (const r of olds) {\n',
  designs: ['iommufd'],
} satisfies Mutant;
