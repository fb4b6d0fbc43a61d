import type { Mutant } from '../mutant.js';

export default {
  id: 'nested-hwpt-no-parent-ref',
  title: 'a nested HWPT does not take a users reference on its parent HWPT',
  class: 'lifetime/refcount',
  fix: { commit: '6f9c4d8c468c189d6dc470324bd52955f8aa0a10', subject: 'iommufd: Do not UAF during iommufd_put_object()' },
  note: 'Upstream, IOMMUFD_DESTROY could free an object while another path still used it (a use-after-free). Here iommufd_hwpt_nested_alloc\'s refcount_inc(&parent->common.obj.users) is left out, so the parent HWPT can be destroyed while the nested HWPT still walks its domain, and destroying the nested HWPT then drops a reference it never took (refcount_dec hits 0).',
  file: 'src/impl/objects.ts',
  find: '    } else parent.users++;\n',
  replace: '    }\n',
  designs: ['iommufd'],
} satisfies Mutant;
