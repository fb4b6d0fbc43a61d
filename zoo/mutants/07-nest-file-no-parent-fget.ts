import type { Mutant } from '../mutant.js';

export default {
  id: 'nest-file-no-parent-fget',
  title: 'a nested ioasid FD does not hold a reference on its parent\'s file, but drops one on release',
  class: 'lifetime/refcount',
  fix: { commit: '4e034bf045b12852a24d5d33f2451850818ba0c1', subject: 'iommufd: Fix race during abort for file descriptors' },
  note: 'Upstream, the lifetime of an fd-backed iommufd object and of its struct file were not tied together, so the file\'s release put a reference on an object that was already freed. Here IOASID_CREATE_NESTING under fd-per-ioasid makes a child file that uses the parent file but never fget()s it, while its release still fput()s it: the parent file is released under the child (or the fput underflows).',
  file: 'src/impl/ioasid-file.ts',
  find: '    k.fget(parentFile); // released with this file\n',
  replace: '',
  designs: ['fd-per-ioasid'],
} satisfies Mutant;
