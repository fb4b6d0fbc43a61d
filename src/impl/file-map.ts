/**
 * File maps in the simulated kernel: the environment's memfds, IOMMU_IOAS_MAP_FILE (iopt_map_file_pages: an iopt_pages
 * of the file's pages, holding the file until its last area goes) and IOMMU_IOAS_CHANGE_PROCESS (one process: nothing to
 * move, once every mapping is a file map).
 * @see drivers/iommu/iommufd/ioas.c iommufd_ioas_map_file, iommufd_ioas_change_process; pages.c iopt_alloc_file_pages
 */
import {
  fail, IOMMU_IOAS_MAP_FIXED_IOVA as FIXED, IOMMU_IOAS_MAP_READABLE as READ, IOMMU_IOAS_MAP_WRITEABLE as WRITE, MEMFD_MAX, memfdAddress, ok,
  U64_MAX, ULONG_MAX, uapiOf, type EnvMemfdCreate, type IommuIoasChangeProcess, type IommuIoasMapFile, type Result,
} from '../uapi/index.js';
import { accountingOf, MAP_FLAGS, mapNewPages, protOf } from './ioas.js';
import type { IommufdFile } from './iommufd-file.js';
import type { Kernel } from './kernel.js';
import { KFile } from './kfile.js';
import { IoasObj } from './objects.js';

/** A memfd: a file of `length` bytes whose pages have host addresses of their own. */
export class MemfdFile extends KFile {
  readonly kind = 'memfd';
  constructor(serial: number, readonly length: bigint) {
    super(serial);
  }
  release() {}
}

export function memfdCreate(k: Kernel, c: EnvMemfdCreate): Result<unknown> {
  if (c.length > MEMFD_MAX) return fail('EINVAL');
  const serial = k.opens + 1;
  k.opens = serial;
  return ok({ fd: k.installFd(new MemfdFile(serial, c.length)) });
}

export function ioasMapFile(k: Kernel, f: IommufdFile, c: IommuIoasMapFile): Result<unknown> {
  if (!uapiOf(k.world).fileMaps) return fail('ENOTTY');
  if ((c.flags & ~MAP_FLAGS) !== 0) return fail('EOPNOTSUPP');
  if (c.iova >= ULONG_MAX || c.length >= ULONG_MAX) return fail('EOVERFLOW');
  if ((c.flags & (READ | WRITE)) === 0) return fail('EINVAL');
  const ioas = f.table.getKind(c.ioas_id, IoasObj);
  if (!ioas) return fail('ENOENT');
  if (c.length === 0n) return fail('EINVAL');
  if (c.start + c.length - 1n > U64_MAX) return fail('EOVERFLOW');
  const file = k.fds.get(c.file_fd);
  if (!file) return fail('EBADF');
  if (!(file instanceof MemfdFile)) return fail('EINVAL');
  // shmem_get_folio: a page index at or past i_size has no folio (memfd_pin_folios fails EINVAL); a partial last page does
  const size = (file.length + 0xfffn) & ~0xfffn;
  const first = memfdAddress(file.serial, 0n);
  const r = mapNewPages(k, ioas.iopt, accountingOf(k, f), {
    uva: memfdAddress(file.serial, c.start), length: c.length, prot: protOf(c.flags), fixed: (c.flags & FIXED) !== 0, iova: c.iova,
    file: { first, last: first + size - 1n, release: () => k.fput(file) },
  });
  if (r.ok) k.fget(file); // pages->file = get_file(file)
  return r;
}

export function ioasChangeProcess(k: Kernel, f: IommufdFile, c: IommuIoasChangeProcess): Result<unknown> {
  if (!uapiOf(k.world).fileMaps) return fail('ENOTTY');
  if (c.__reserved !== 0) return fail('EOPNOTSUPP');
  const all = f.table.values().filter((o): o is IoasObj => o instanceof IoasObj);
  if (all.some((o) => o.iopt.areas.some((a) => a.pages.file === null))) return fail('EINVAL');
  return ok({});
}
