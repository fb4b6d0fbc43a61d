import type { Mutant } from '../mutant.js';

export default {
  id: 'sva-bind-leaked-on-device-release',
  title: 'device FD release drops the routes but not the per-device binds the FD owns',
  class: 'lifetime/refcount',
  fix: { commit: '3f4818ec139030f425476bf8a10b616bab53a7b5', subject: 'iommufd/fault: Destroy response and mutex in iommufd_fault_destroy()' },
  note: 'Upstream, iommufd_fault_destroy() did not release what the fault object still held. Here the release of a device FD (per-device-sva) leaves its sva_bind objects in place: each keeps a users reference on its root ioasid, so the /dev/ioasid file cannot release that root later (objects still referenced) and the bind objects leak.',
  file: 'src/impl/ioasid-device.ts',
  find: '  if (vdev.df instanceof DeviceFile) for (const o of vdev.df.table.values()) vdev.df.table.remove(o);\n',
  replace: '',
  designs: ['per-device-sva'],
} satisfies Mutant;
