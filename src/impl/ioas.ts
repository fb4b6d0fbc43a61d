/**
 * IOAS ioctl handlers (iommufd): validate the arguments in the kernel's order, look up, call the io_pagetable
 * engine, respond. @see drivers/iommu/iommufd/ioas.c
 */
import {
  IOMMU_IOAS_MAP_FIXED_IOVA as FIXED, IOMMU_IOAS_MAP_READABLE as READ, IOMMU_IOAS_MAP_WRITEABLE as WRITE,
  U64_MAX, ULONG_MAX, fail, ok,
  type IommuIoasAlloc, type IommuIoasAllowIovas, type IommuIoasCopy, type IommuIoasIovaRanges, type IommuIoasMap,
  type IommuIoasUnmap, type IovaRange, type Prot, type Result,
} from '../uapi/index.js';
import { IommufdFile } from './iommufd-file.js';
import { IoPagetable } from './iopt.js';
import type { Kernel } from './kernel.js';
import { IoasObj } from './objects.js';
import { IoptPages, type Accounting } from './pages.js';

export const MAP_FLAGS = FIXED | WRITE | READ;
export const protOf = (flags: number): Prot => ({ read: (flags & READ) !== 0, write: (flags & WRITE) !== 0 });

/** Pins charged to the user (no registration): the RFC designs, and an iommufd in RLIMIT_MODE 0. */
export const userAccounting = (k: Kernel): Accounting => ({ mm: k.mm, pool: 'user', registered: () => [] });
/** An iommufd's new pages: charged to the mm once IOMMU_OPTION_RLIMIT_MODE set it (iopt_map_user_pages). */
export const accountingOf = (k: Kernel, f: IommufdFile): Accounting => (f.accountMm ? { mm: k.mm, pool: 'mm', registered: () => [] } : userAccounting(k));

export function ioasAlloc(k: Kernel, f: IommufdFile, c: IommuIoasAlloc): Result<unknown> {
  if (c.flags !== 0) return fail('EOPNOTSUPP');
  const id = f.table.insert(new IoasObj(new IoPagetable(k.iommu, k.alloc)));
  return id === null ? fail('ENOMEM') : ok({ out_ioas_id: id });
}

/**
 * Map new pages into an io_pagetable: user memory at `uva` (IOAS_MAP, the RFC designs' MAP_DMA), or with `file` a
 * file's bytes, whose host address `uva` is (IOAS_MAP_FILE: the file reference is the caller's to take on success).
 */
export function mapNewPages(k: Kernel, iopt: IoPagetable, acct: Accounting, p: { uva: bigint; length: bigint; prot: Prot; fixed: boolean; iova: bigint; file?: IoptPages['file'] }): Result<{ iova: bigint }> {
  if (!k.alloc.alloc('pages')) return fail('ENOMEM');
  const pages = new IoptPages(k.pagesSerial(), p.uva, p.length, p.prot.write, acct, k.alloc);
  pages.file = p.file ?? null;
  const iova = iopt.map([{ pages, offset: 0n, length: p.length }], { fixed: p.fixed, iova: p.iova, prot: p.prot });
  if (typeof iova === 'string') {
    k.alloc.free('pages');
    return fail(iova);
  }
  return ok({ iova });
}

export function ioasMap(k: Kernel, f: IommufdFile, c: IommuIoasMap): Result<unknown> {
  if ((c.flags & ~MAP_FLAGS) !== 0 || c.__reserved !== 0) return fail('EOPNOTSUPP');
  if (c.iova >= ULONG_MAX || c.length >= ULONG_MAX) return fail('EOVERFLOW');
  if ((c.flags & (READ | WRITE)) === 0) return fail('EINVAL');
  const ioas = f.table.getKind(c.ioas_id, IoasObj);
  if (!ioas) return fail('ENOENT');
  if (c.user_va + c.length > U64_MAX) return fail('EOVERFLOW');
  if (c.length === 0n) return fail('EINVAL');
  return mapNewPages(k, ioas.iopt, accountingOf(k, f), { uva: c.user_va, length: c.length, prot: protOf(c.flags), fixed: (c.flags & FIXED) !== 0, iova: c.iova });
}

export function ioasCopy(_k: Kernel, f: IommufdFile, c: IommuIoasCopy): Result<unknown> {
  if ((c.flags & ~MAP_FLAGS) !== 0) return fail('EOPNOTSUPP');
  if (c.length >= ULONG_MAX || c.src_iova >= ULONG_MAX || c.dst_iova >= ULONG_MAX) return fail('EOVERFLOW');
  if ((c.flags & (READ | WRITE)) === 0) return fail('EINVAL');
  const src = f.table.getKind(c.src_ioas_id, IoasObj);
  if (!src) return fail('ENOENT');
  if (c.length === 0n) return fail('EINVAL');
  const last = c.src_iova + c.length - 1n;
  if (last > U64_MAX) return fail('EOVERFLOW');
  const pieces = src.iopt.contiguous(c.src_iova, last);
  if (!pieces) return fail('ENOENT');
  const dst = f.table.getKind(c.dst_ioas_id, IoasObj);
  if (!dst) return fail('ENOENT');
  const iova = dst.iopt.map(pieces, { fixed: (c.flags & FIXED) !== 0, iova: c.dst_iova, prot: protOf(c.flags) });
  return typeof iova === 'string' ? fail(iova) : ok({ dst_iova: iova });
}

/** Range unmap keeps what it removed before an area that sticks out (ENOENT): no length is written back then. */
export function ioasUnmap(_k: Kernel, f: IommufdFile, c: IommuIoasUnmap): Result<unknown> {
  const ioas = f.table.getKind(c.ioas_id, IoasObj);
  if (!ioas) return fail('ENOENT');
  if (c.iova === 0n && c.length === U64_MAX) return ok({ length: ioas.iopt.unmapAll() });
  if (c.iova >= ULONG_MAX || c.length >= ULONG_MAX) return fail('EOVERFLOW');
  if (c.length === 0n) return fail('EINVAL');
  const last = c.iova + c.length - 1n;
  if (last > U64_MAX) return fail('EOVERFLOW');
  const r = ioas.iopt.unmapRange(c.iova, last, false);
  if (r.stuck || r.removed === 0) return fail('ENOENT');
  return ok({ length: r.bytes });
}

/** The holes of the reserved ranges in [0, ULONG_MAX]. */
export function holesOf(reserved: readonly IovaRange[]): IovaRange[] {
  const sorted = [...reserved].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: IovaRange[] = [];
  let next = 0n;
  for (const r of sorted) {
    if (r.last < next) continue;
    if (r.start > next) out.push({ start: next, last: r.start - 1n });
    if (r.last >= ULONG_MAX) return out;
    next = r.last + 1n;
  }
  out.push({ start: next, last: ULONG_MAX });
  return out;
}

export function ioasIovaRanges(_k: Kernel, f: IommufdFile, c: IommuIoasIovaRanges): Result<unknown> {
  if (c.__reserved !== 0) return fail('EOPNOTSUPP');
  const ioas = f.table.getKind(c.ioas_id, IoasObj);
  if (!ioas) return fail('ENOENT');
  const ranges = holesOf(ioas.iopt.reservedRanges());
  // the count, the alignment and the ranges that fit are written back before the EMSGSIZE (iommufd_ucmd_respond first)
  const out = { num_iovas: ranges.length, allowed_iovas: ranges.slice(0, c.num_iovas), out_iova_alignment: ioas.iopt.alignment };
  return c.num_iovas < ranges.length ? { ok: false, errno: 'EMSGSIZE', out } : ok(out);
}

export function ioasAllowIovas(_k: Kernel, f: IommufdFile, c: IommuIoasAllowIovas): Result<unknown> {
  if (c.__reserved !== 0) return fail('EOPNOTSUPP');
  const ioas = f.table.getKind(c.ioas_id, IoasObj);
  if (!ioas) return fail('ENOENT');
  const rs = c.allowed_iovas;
  if (rs.some((r) => r.start >= r.last)) return fail('EINVAL');
  // the kernel refuses a range meeting one already in its interval tree; sorted by start, a clash shows between neighbours
  const sorted = [...rs].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  if (sorted.some((r, i) => i > 0 && r.start <= sorted[i - 1]!.last)) return fail('EINVAL'); // 0 < i < length
  const bad = ioas.iopt.setAllowed(rs.map((r) => ({ start: r.start, last: r.last })));
  return bad ? fail(bad) : ok({});
}
