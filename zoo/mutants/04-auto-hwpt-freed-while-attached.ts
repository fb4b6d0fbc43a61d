import type { Mutant } from '../mutant.js';

export default {
  id: 'auto-hwpt-freed-while-attached',
  title: 'detach frees the automatic HWPT while another device of the group is still attached to it',
  class: 'lifetime/refcount',
  fix: { commit: '31422dff187b243c58f3a97d16bbe9e9ada639fe', subject: 'iommufd: Fix locking around hwpt allocation' },
  note: 'Upstream, an automatic HWPT was visible on ioas->hwpt_list (so a concurrent iommufd_device_auto_get_domain() could pick it up) while its lifetime was not yet settled. The mutant breaks the same auto-domain lifetime from the other end: the "last user gone" test after a detach is off by one (users <= 2), so the auto HWPT and its domain are destroyed while a group sibling still routes DMA through them.',
  file: 'src/impl/device.ts',
  find: 'r.target.auto && r.target.users === 1 && vdev.ctx',
  replace: 'r.target.auto && r.target.users <= 2 && vdev.ctx',
  designs: ['iommufd'],
} satisfies Mutant;
