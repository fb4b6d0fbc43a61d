import type { Mutant } from '../mutant.js';

export default {
  id: 'detach-root-under-child',
  title: 'detaching a device from a root ioasid is not refused while the device still reaches a child of it',
  class: 'lifetime/refcount',
  fix: { commit: '55c85fa7579dc2e3f5399ef5bad67a44257c1a48', subject: 'iommufd: Fail replace if device has not been attached' },
  note: 'Upstream, iommufd_device_do_replace() lacked the precondition that the device be attached, so a replace "succeeded" on a device whose attachment state did not allow it. Here VFIO_DETACH_IOASID lacks its EBUSY precondition (no child or per-device bind of this root still on the device): the root route goes while the nested route stacked on it stays.',
  file: 'src/impl/ioasid-device.ts',
  find: '  if (vdev.routes.some((x) => (x.target instanceof IoasidChild || x.target instanceof SvaBind) && x.target.parent === o)) return fail(\'EBUSY\');\n',
  replace: '',
  miss: 'needs a device on a child of a root ioasid, then a detach of its root route while the child route stays; since the 2021 designs draw their page-fault calls and queries too, caught at seeds 1-4 after 182, 162, 19 and 11 runs (npm run zoo -- --only detach-root-under-child --runs 600 --seed N), not within 100 runs of seed 1',
  designs: ['rfc-v1', 'setup-only-association', 'fd-per-ioasid', 'per-device-sva'],
} satisfies Mutant;
