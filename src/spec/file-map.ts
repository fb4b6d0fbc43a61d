/**
 * File maps: MEMFD_CREATE (the environment's anonymous files), IOMMU_IOAS_MAP_FILE (IOAS_MAP of a file's pages rather
 * than of user memory) and IOMMU_IOAS_CHANGE_PROCESS (moving the pin accounting of file maps to the calling process).
 * A file map's pages are the file's own: its bytes have host addresses of their own (memfdAddress), the mapping holds
 * the file (pages->file = get_file), so closing the fd unmaps nothing. Pinning is as for IOAS_MAP: lazy without a
 * domain; a pin of bytes past the end of the file is EINVAL (memfd_pin_folios), charged like any pin.
 *
 * Rules chosen (upstream iommufd; 6.12 has neither ioctl: ENOTTY there):
 *  - The file must be a memfd: another file (an iommufd, a device fd) is EINVAL at map time. This differs from the
 *    kernel, which takes any file and fails only where memfd_pin_folios pins it (EINVAL at the map with a domain, at
 *    the first attach or access pin without one); refusing at map time keeps a lazily made map from holding, say, its
 *    own iommufd (a reference cycle no release breaks, which the model's leak check would report on every such trace).
 *  - One process: CHANGE_PROCESS has no other process to take the charge from, so it is a no-op when every mapping of
 *    every IOAS of the FD is a file map (need_charge_update finds every iopt_pages already charged to the caller's mm
 *    and user), else EINVAL with nothing changed.
 *  - The memfd's size is set once at creation (ftruncate to a shorter size is not modelled); up to MEMFD_MAX bytes.
 * @see drivers/iommu/iommufd/ioas.c iommufd_ioas_map_file, iommufd_ioas_change_process; io_pagetable.c
 *      iopt_map_file_pages; pages.c iopt_alloc_file_pages, pin_memfd_pages; selftest iommufd.c mock_domain file variants
 */
import {
  IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, MEMFD_MAX, memfdAddress, U64_MAX, ULONG_MAX, uapiOf, type EnvMemfdCreate, type IommuIoasChangeProcess, type IommuIoasMapFile,
} from '../uapi/index.js';
import { MAP_FLAGS, mapNewPages } from './ioas.js';
import { commit, reject, type Outcome } from './rule.js';
import { openFile, fileOfFd, lookup, objectsOf, type File, type State } from './state.js';

/** MEMFD_CREATE: a file of `length` bytes. */
export function memfdCreate(s: State, c: EnvMemfdCreate): Outcome {
  if (c.length > MEMFD_MAX) return reject('EINVAL', 'MEMFD_CREATE.EINVAL.length');
  return commit(s, 'MEMFD_CREATE.ok', (d) => {
    return { fd: openFile(d, s, (key) => ({ kind: 'memfd', key, length: c.length })).fd };
  });
}

/** IOMMU_IOAS_MAP_FILE: IOMMU_IOAS_MAP's checks and placement, of a memfd's pages. */
export function ioasMapFile(s: State, f: File, c: IommuIoasMapFile): Outcome {
  const P = 'IOAS_MAP_FILE';
  if (!uapiOf(s.world).fileMaps) return reject('ENOTTY', `${P}.ENOTTY.kernel_version`);
  if ((c.flags & ~MAP_FLAGS) !== 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.flags`);
  if (c.iova >= ULONG_MAX || c.length >= ULONG_MAX) return reject('EOVERFLOW', `${P}.EOVERFLOW.args`);
  if ((c.flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)) === 0) return reject('EINVAL', `${P}.EINVAL.prot`);
  const ioas = lookup(s, f.key, c.ioas_id, 'ioas');
  if (!ioas) return reject('ENOENT', `${P}.ENOENT.ioas`);
  // iopt_map_file_pages: the range before the fd (fget)
  if (c.length === 0n) return reject('EINVAL', `${P}.EINVAL.length`);
  if (c.start + c.length - 1n > U64_MAX) return reject('EOVERFLOW', `${P}.EOVERFLOW.start`);
  const file = fileOfFd(s, c.file_fd);
  if (!file) return reject('EBADF', `${P}.EBADF.file_fd`);
  if (file.kind !== 'memfd') return reject('EINVAL', `${P}.EINVAL.file_kind`);
  return mapNewPages(s, ioas, { flags: c.flags, iova: c.iova, length: c.length, uva: memfdAddress(file.key, c.start), file: file.key }, P);
}

/** IOMMU_IOAS_CHANGE_PROCESS: every mapping of the FD must be a file map; with one process nothing moves. */
export function ioasChangeProcess(s: State, f: File, c: IommuIoasChangeProcess): Outcome {
  const P = 'IOAS_CHANGE_PROCESS';
  if (!uapiOf(s.world).fileMaps) return reject('ENOTTY', `${P}.ENOTTY.kernel_version`);
  if (c.__reserved !== 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.reserved`);
  const anonymous = objectsOf(s, f.key).some((o) => o.kind === 'ioas' && o.areas.some((a) => a.target.kind !== 'pages' || s.pages[a.target.pages]?.file === undefined));
  if (anonymous) return reject('EINVAL', `${P}.EINVAL.not_file_map`);
  return commit(s, `${P}.ok`, () => ({}));
}
