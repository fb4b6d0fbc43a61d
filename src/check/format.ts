/**
 * Counterexamples for people: commands printed as their meaning, results as a kernel engineer reads them, and the
 * .md that sits beside a counterexample's JSON. Pure text, separate from the engine (as fast-check keeps its
 * RunDetailsFormatter beside the Runner): the engine, the CLI and the tests only call these functions.
 * A field is decoded when it decodes cleanly (flags into names, lengths into K/M/G) and printed raw otherwise,
 * so a malformed call — the interesting ones — still shows exactly what was sent.
 */
import { createHash } from 'node:crypto';
import {
  IOASID_ATTACH_USER_PASID, IOASID_DMA_MAP_FLAG_READ, IOASID_DMA_MAP_FLAG_WRITE, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_FAULT_ID_VALID, IOMMU_IOAS_MAP_FIXED_IOVA,
  IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, U64_MAX, VFIO_DEVICE_ATTACH_PASID, VFIO_DEVICE_SVA_PASID,
  type EnvAction, type EnvName, type Granularity, type InvalidateEntry, type Ioctl, type IoctlName, type Result,
} from '../uapi/index.js';
import type { ReplayOutcome } from './replay.js';
import { encode, FD_FIELDS, ID_FIELDS, isSym, stepName, type Sym, type SymCmd, type Trace, type TraceStep } from './trace.js';

// ---- values ----------------------------------------------------------------------------------------------------

/** What a field holds that is not what its type says (a hand-written trace): shown as JSON, never hidden. */
const raw = (v: unknown): string => (v === undefined ? '?' : (JSON.stringify(v, encode) ?? String(v)));

/** A u64 (address, GPA, user VA) in hex. */
export function hex(v: unknown): string {
  if (isSym(v)) return v; // a bound value: `$iova1`
  if (typeof v === 'bigint' && v >= 0n) return `0x${v.toString(16)}`;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return `0x${v.toString(16)}`;
  return raw(v);
}

const UNITS: readonly (readonly [bigint, string])[] = [[40n, 'T'], [30n, 'G'], [20n, 'M'], [10n, 'K']];

/** A length: 4K, 2M, 1G when exact and short, U64_MAX by name, otherwise hex. */
export function size(v: unknown): string {
  if (isSym(v)) return v;
  const n = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof n !== 'bigint' || n < 0n) return raw(v);
  if (n === U64_MAX) return 'U64_MAX';
  if (n === 0n) return '0';
  for (const [shift, unit] of UNITS) if (n % (1n << shift) === 0n && n >> shift < 100_000n) return `${n >> shift}${unit}`;
  return hex(n);
}

/** An fd or object reference: `$ioas1`, or the plain number a hand-written trace (or a bad id) gives. */
const ref = (v: unknown): string => (typeof v === 'string' && v.startsWith('$') ? v : typeof v === 'number' ? String(v) : raw(v));
/** The fd an ioctl is issued on, first after the name: `$fd1`, or `fd=3` for a plain number. */
const on = (v: unknown): string => (typeof v === 'number' ? `fd=${v}` : ref(v));
const num = (v: unknown): string => (typeof v === 'number' ? String(v) : raw(v));
/** A count that is a u64 in the header (npages): decimal. */
const count = (v: unknown): string => (typeof v === 'bigint' ? v.toString() : num(v));

/** `name=value` only when the value is not 0: reserved fields and must-be-zero flags. */
const nonZero = (name: string, v: unknown): string | null => (v === 0 || v === 0n ? null : `${name}=${typeof v === 'number' ? hex(v) : raw(v)}`);

const line = (...parts: readonly (string | null)[]): string => parts.filter((p): p is string => p !== null && p !== '').join(' ');

// ---- flags -----------------------------------------------------------------------------------------------------

/** Flag names in bit order, then what is left as `unknown_flags=0x..` (the kernel's EOPNOTSUPP case). */
function flagNames(flags: unknown, names: readonly (readonly [number, string])[]): string[] {
  if (typeof flags !== 'number') return [`flags=${raw(flags)}`];
  const out = names.filter(([bit]) => flags & bit).map(([, n]) => n);
  const known = names.reduce((m, [bit]) => m | bit, 0);
  if (flags & ~known) out.push(`unknown_flags=0x${(flags & ~known).toString(16)}`);
  return out;
}

/** Map protection and placement: `RW FIXED`, `READ`; no READ/WRITE at all is the EINVAL case and is said so. */
function mapFlags(flags: unknown, read: number, write: number, fixed: number | null): string {
  if (typeof flags !== 'number') return `flags=${raw(flags)}`;
  const prot = flags & read && flags & write ? 'RW' : flags & read ? 'READ' : flags & write ? 'WRITE' : '(no READ/WRITE)';
  const rest = flagNames(flags & ~(read | write), fixed === null ? [] : [[fixed, 'FIXED']]);
  return line(prot, ...rest);
}

/**
 * A PASID that one flag bit turns on: `pasid=5` with the flag, nothing without it; any other combination (a
 * PASID without its flag, unknown bits) is printed raw, as the kernel will judge it.
 */
function pasidArg(flags: unknown, pasid: unknown, bit: number, field: string): string | null {
  if (flags === bit) return `pasid=${num(pasid)}`;
  if (flags === 0 && pasid === 0) return null;
  return `flags=${typeof flags === 'number' ? hex(flags) : raw(flags)} ${field}=${num(pasid)}`;
}

const HWPT_ALLOC_FLAGS = [
  [IOMMU_HWPT_ALLOC_NEST_PARENT, 'NEST_PARENT'], [IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 'DIRTY_TRACKING'],
  [IOMMU_HWPT_FAULT_ID_VALID, 'FAULT_ID_VALID'], [IOMMU_HWPT_ALLOC_PASID, 'ALLOC_PASID'],
] as const;

// ---- commands --------------------------------------------------------------------------------------------------

type RefField = (typeof FD_FIELDS)[number] | (typeof ID_FIELDS)[number];
/** A command as a trace holds it: fd and object fields may be symbols. */
type Symbolic<C> = { readonly [K in keyof C]: K extends RefField ? Sym | number : C[K] };
type IoctlFormats = { readonly [N in IoctlName]: (c: Symbolic<Extract<Ioctl, { ioctl: N }>>) => string };
type EnvFormats = { readonly [N in EnvName]: (c: Symbolic<Extract<EnvAction, { env: N }>>) => string };

const stripped = (v: unknown, prefix: string): string => (typeof v === 'string' && v.startsWith(prefix) ? v.slice(prefix.length) : raw(v));
const formatArg = (v: unknown): string => `format=${stripped(v, 'IOASID_FORMAT_')}`;

function granularity(g: Granularity): string {
  if (typeof g !== 'object' || g === null) return `granularity=${raw(g)}`;
  return g.kind === 'all' ? 'all' : g.kind === 'range' ? `iova=${hex(g.iova)} size=${size(g.size)}` : `granularity=${raw(g)}`;
}

function invalidateEntry(e: InvalidateEntry): string {
  const words = line(e.flags === undefined ? null : nonZero('flags', e.flags), e.__reserved === undefined ? null : nonZero('__reserved', e.__reserved));
  const body = e.scope === 'all' ? 'all' : e.scope === 'range' ? `addr=${hex(e.addr)} npages=${count(e.npages)}` : raw(e);
  return words === '' ? body : `${body} ${words}`;
}

/** A raw layout word the trace gave (data_len, entry_len, entry_num): shown as given; absent, nothing. */
const rawWord = (name: string, v: unknown): string | null => (v === undefined ? null : `${name}=${typeof v === 'number' ? num(v) : raw(v)}`);

const list = <T>(xs: readonly T[] | unknown, each: (x: T) => string): string => (Array.isArray(xs) ? `[${(xs as T[]).map(each).join(', ')}]` : raw(xs));
const rangeText = (r: { readonly start: unknown; readonly last: unknown }): string => `${hex(r.start)}..${hex(r.last)}`;

/** A vIOMMU type by its name (enum iommu_viommu_type, the selftest's), else the number. */
const viommuType = (t: unknown): string => (t === 0 ? 'DEFAULT' : t === 1 ? 'ARM_SMMUV3' : t === 2 ? 'TEGRA241_CMDQV' : t === 0xdeadbeef ? 'SELFTEST' : num(t));
/** A vEVENTQ type by its name (enum iommu_veventq_type, the selftest's), else the number. */
const veventqType = (t: unknown): string => (t === 0 ? 'DEFAULT' : t === 1 ? 'ARM_SMMUV3' : t === 2 ? 'TEGRA241_CMDQV' : t === 0xbeefbeef ? 'SELFTEST' : num(t));

/** One row per ioctl, in the order of include/uapi/linux/iommufd.h then the RFC: a missing one fails to compile. */
const IOCTL_FORMATS: IoctlFormats = {
  IOMMU_DESTROY: (c) => line(c.ioctl, on(c.fd), `id=${ref(c.id)}`),
  IOMMU_IOAS_ALLOC: (c) => line(c.ioctl, on(c.fd), nonZero('flags', c.flags)),
  IOMMU_IOAS_ALLOW_IOVAS: (c) => line(c.ioctl, on(c.fd), `ioas=${ref(c.ioas_id)}`, `allowed=${list(c.allowed_iovas, rangeText)}`, nonZero('__reserved', c.__reserved)),
  IOMMU_IOAS_COPY: (c) => line(c.ioctl, on(c.fd), `dst=${ref(c.dst_ioas_id)}`, fixedIova('dst_iova', c.dst_iova, c.flags), `src=${ref(c.src_ioas_id)}`,
    `src_iova=${hex(c.src_iova)}`, `len=${size(c.length)}`, mapFlags(c.flags, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, IOMMU_IOAS_MAP_FIXED_IOVA)),
  IOMMU_IOAS_IOVA_RANGES: (c) => line(c.ioctl, on(c.fd), `ioas=${ref(c.ioas_id)}`, `num_iovas=${num(c.num_iovas)}`, nonZero('__reserved', c.__reserved)),
  IOMMU_IOAS_MAP: (c) => line(c.ioctl, on(c.fd), `ioas=${ref(c.ioas_id)}`, fixedIova('iova', c.iova, c.flags), `len=${size(c.length)}`, `user_va=${hex(c.user_va)}`,
    mapFlags(c.flags, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, IOMMU_IOAS_MAP_FIXED_IOVA), nonZero('__reserved', c.__reserved)),
  IOMMU_IOAS_UNMAP: (c) => line(c.ioctl, on(c.fd), `ioas=${ref(c.ioas_id)}`, `iova=${hex(c.iova)}`, `len=${size(c.length)}`),
  IOMMU_OPTION: (c) => line(c.ioctl, on(c.fd), c.option_id === 0 ? 'RLIMIT_MODE' : c.option_id === 1 ? 'HUGE_PAGES' : `option_id=${num(c.option_id)}`,
    c.op === 1 ? 'GET' : c.op === 0 ? `SET=${c.val64}` : `op=${num(c.op)}`, c.option_id === 0 && c.object_id === 0 ? '' : `object=${ref(c.object_id)}`,
    c.op === 1 && c.val64 !== 0n ? `val64=${c.val64}` : '', nonZero('__reserved', c.__reserved)),
  IOMMU_GET_HW_INFO: (c) => line(c.ioctl, on(c.fd), `dev=${ref(c.dev_id)}`, `data_len=${num(c.data_len)}`, nonZero('flags', c.flags), nonZero('__reserved', c.__reserved)),
  IOMMU_HWPT_ALLOC: (c) => line(c.ioctl, on(c.fd), `dev=${ref(c.dev_id)}`, `pt=${ref(c.pt_id)}`, ...flagNames(c.flags, HWPT_ALLOC_FLAGS),
    hwptData(c.data_type, c.data, c.data_len), rawWord('data_len', c.data_len), faultId(c.flags, c.fault_id),
    nonZero('__reserved', c.__reserved)),
  IOMMU_HWPT_INVALIDATE: (c) => line(c.ioctl, on(c.fd), `hwpt=${ref(c.hwpt_id)}`,
    `data=${c.data_type === 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' ? 'VTD_S1' : stripped(c.data_type, 'IOMMU_VIOMMU_INVALIDATE_DATA_')}`,
    `entries=${list(c.entries, invalidateEntry)}`, rawWord('entry_len', c.entry_len), rawWord('entry_num', c.entry_num), nonZero('__reserved', c.__reserved)),
  IOMMU_HWPT_SET_DIRTY_TRACKING: (c) => line(c.ioctl, on(c.fd), `hwpt=${ref(c.hwpt_id)}`, c.flags === 1 ? 'ENABLE' : c.flags === 0 ? 'DISABLE' : `flags=${hex(c.flags)}`,
    nonZero('__reserved', c.__reserved)),
  IOMMU_HWPT_GET_DIRTY_BITMAP: (c) => line(c.ioctl, on(c.fd), `hwpt=${ref(c.hwpt_id)}`, `iova=${hex(c.iova)}`, `len=${size(c.length)}`, `page_size=${size(c.page_size)}`,
    c.flags === 1 ? 'NO_CLEAR' : nonZero('flags', c.flags), c.data === false ? 'data=NULL' : c.data === true ? null : `data=${raw(c.data)}`, nonZero('__reserved', c.__reserved)),
  IOMMU_FAULT_QUEUE_ALLOC: (c) => line(c.ioctl, on(c.fd), nonZero('flags', c.flags)),
  IOMMU_IOAS_MAP_FILE: (c) => line(c.ioctl, on(c.fd), `ioas=${ref(c.ioas_id)}`, fixedIova('iova', c.iova, c.flags), `len=${size(c.length)}`, `file=${ref(c.file_fd)}`, `start=${hex(c.start)}`,
    mapFlags(c.flags, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, IOMMU_IOAS_MAP_FIXED_IOVA)),
  IOMMU_IOAS_CHANGE_PROCESS: (c) => line(c.ioctl, on(c.fd), nonZero('__reserved', c.__reserved)),
  IOMMU_VIOMMU_ALLOC: (c) => line(c.ioctl, on(c.fd), `dev=${ref(c.dev_id)}`, `hwpt=${ref(c.hwpt_id)}`, `type=${viommuType(c.type)}`, nonZero('flags', c.flags)),
  IOMMU_VDEVICE_ALLOC: (c) => line(c.ioctl, on(c.fd), `viommu=${ref(c.viommu_id)}`, `dev=${ref(c.dev_id)}`, `virt_id=${hex(c.virt_id)}`),
  IOMMU_VEVENTQ_ALLOC: (c) => line(c.ioctl, on(c.fd), `viommu=${ref(c.viommu_id)}`, `type=${veventqType(c.type)}`, `depth=${num(c.veventq_depth)}`,
    nonZero('flags', c.flags), nonZero('__reserved', c.__reserved)),
  VFIO_DEVICE_BIND_IOMMUFD: (c) => line(c.ioctl, on(c.fd), `iommufd=${ref(c.iommufd)}`, nonZero('flags', c.flags)),
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: (c) => line(c.ioctl, on(c.fd), `pt=${ref(c.pt_id)}`, pasidArg(c.flags, c.pasid, VFIO_DEVICE_ATTACH_PASID, 'pasid')),
  VFIO_DEVICE_DETACH_IOMMUFD_PT: (c) => line(c.ioctl, on(c.fd), pasidArg(c.flags, c.pasid, VFIO_DEVICE_ATTACH_PASID, 'pasid')),

  IOASID_ALLOC: (c) => line(c.ioctl, on(c.fd)),
  IOASID_FREE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`),
  IOASID_REGISTER_MEMORY: (c) => line(c.ioctl, on(c.fd), `vaddr=${hex(c.vaddr)}`, `size=${size(c.size)}`),
  IOASID_UNREGISTER_MEMORY: (c) => line(c.ioctl, on(c.fd), `vaddr=${hex(c.vaddr)}`, `size=${size(c.size)}`),
  IOASID_MAP_DMA: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, `iova=${hex(c.iova)}`, `size=${size(c.size)}`, `vaddr=${hex(c.vaddr)}`,
    mapFlags(c.flags, IOASID_DMA_MAP_FLAG_READ, IOASID_DMA_MAP_FLAG_WRITE, null)),
  IOASID_UNMAP_DMA: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, `iova=${hex(c.iova)}`, `size=${size(c.size)}`),
  IOASID_CREATE_NESTING: (c) => line(c.ioctl, on(c.fd), `parent=${ref(c.parent_ioasid)}`),
  IOASID_BIND_PGTABLE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, formatArg(c.format), `pgtbl_addr=${hex(c.pgtbl_addr)}`),
  IOASID_UNBIND_PGTABLE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`),
  IOASID_BIND_PASID_TABLE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, formatArg(c.format), `pasid_table_addr=${hex(c.pasid_table_addr)}`),
  IOASID_UNBIND_PASID_TABLE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`),
  IOASID_INVALIDATE_CACHE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, granularity(c.granularity)),
  IOASID_CHECK_EXTENSION: (c) => line(c.ioctl, on(c.fd), `extension=${num(c.extension)}`),
  IOASID_GET_INFO: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`),
  IOASID_PAGE_RESPONSE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, `code=${num(c.code)}`),
  VFIO_BIND_IOASID_FD: (c) => line(c.ioctl, on(c.fd), `ioasid_fd=${ref(c.ioasid_fd)}`),
  VFIO_UNBIND_IOASID_FD: (c) => line(c.ioctl, on(c.fd)),
  VFIO_ATTACH_IOASID: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, pasidArg(c.flags, c.user_pasid, IOASID_ATTACH_USER_PASID, 'user_pasid')),
  VFIO_DETACH_IOASID: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, pasidArg(c.flags, c.user_pasid, IOASID_ATTACH_USER_PASID, 'user_pasid')),
  VFIO_DEVICE_BIND_PGTABLE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, pasidArg(c.flags, c.pasid, VFIO_DEVICE_SVA_PASID, 'pasid'), formatArg(c.format),
    `pgtbl_addr=${hex(c.pgtbl_addr)}`),
  VFIO_DEVICE_UNBIND_PGTABLE: (c) => line(c.ioctl, on(c.fd), pasidArg(c.flags, c.pasid, VFIO_DEVICE_SVA_PASID, 'pasid')),
  VFIO_DEVICE_BIND_PASID_TABLE: (c) => line(c.ioctl, on(c.fd), `ioasid=${ref(c.ioasid)}`, formatArg(c.format), `pasid_table_addr=${hex(c.pasid_table_addr)}`),
  VFIO_DEVICE_INVALIDATE_CACHE: (c) => line(c.ioctl, on(c.fd), pasidArg(c.flags, c.pasid, VFIO_DEVICE_SVA_PASID, 'pasid'), granularity(c.granularity)),
  VFIO_DEVICE_BIND_SVA: (c) => line(c.ioctl, on(c.fd), `pasid=${num(c.pasid)}`, nonZero('flags', c.flags)),
  VFIO_DEVICE_UNBIND_SVA: (c) => line(c.ioctl, on(c.fd), `pasid=${num(c.pasid)}`, nonZero('flags', c.flags)),
};

/** The IOVA of a map or copy: an input only with FIXED_IOVA (otherwise the kernel chooses), shown then or when set. */
function fixedIova(name: string, iova: unknown, flags: unknown): string | null {
  const fixed = typeof flags === 'number' && (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0;
  return fixed || !(iova === 0n || iova === 0) ? `${name}=${hex(iova)}` : null;
}

/** The fault object of IOMMU_HWPT_ALLOC: shown with FAULT_ID_VALID, or when set without it. */
function faultId(flags: unknown, id: unknown): string | null {
  const valid = typeof flags === 'number' && (flags & IOMMU_HWPT_FAULT_ID_VALID) !== 0;
  return valid || id !== 0 ? `fault_id=${ref(id)}` : null;
}

/** The stage-1 data of a nested HWPT: `data=VTD_S1 pgtbl_addr=0x2000`; nothing for a paging HWPT. */
function hwptData(type: unknown, data: { readonly pgtbl_addr: bigint } | null, rawLen: unknown): string | null {
  if (type === 'IOMMU_HWPT_DATA_NONE' && data === null && rawLen === undefined) return null;
  const t = `data=${stripped(type, 'IOMMU_HWPT_DATA_')}`;
  // with a raw data_len, no data is a NULL data_uptr (the length is printed beside)
  if (data === null) return rawLen === undefined ? `${t} data_len=0` : `${t} data_uptr=NULL`;
  return typeof data === 'object' ? `${t} pgtbl_addr=${hex(data.pgtbl_addr)}` : `${t} ${raw(data)}`;
}

const ENV_FORMATS: EnvFormats = {
  OPEN: (c) => line('OPEN', typeof c.path === 'string' ? c.path : raw(c.path)),
  CLOSE: (c) => line('CLOSE', on(c.fd)),
  MMAP: (c) => line('MMAP', `uva=${hex(c.uva)}`, `len=${size(c.length)}`),
  MUNMAP: (c) => line('MUNMAP', `uva=${hex(c.uva)}`, `len=${size(c.length)}`),
  DMA: (c) => line('DMA', String(c.dev), c.pasid === null ? null : `pasid ${num(c.pasid)}`, String(c.access), hex(c.iova)),
  GUEST_WRITE_PGTABLE: (c) => line('GUEST_WRITE_PGTABLE', `table=${hex(c.table)}`, `iova=${hex(c.iova)}`, '->', c.gpa === null ? 'not-present' : hex(c.gpa)),
  GUEST_WRITE_PASID_TABLE: (c) => line('GUEST_WRITE_PASID_TABLE', `table=${hex(c.table)}`, `pasid=${num(c.pasid)}`, '->', c.pgtable === null ? 'not-present' : hex(c.pgtable)),
  MOCK_ADD_RESERVED: (c) => line('MOCK_ADD_RESERVED', on(c.fd), ref(c.ioas_id), `iova=${hex(c.start)}`, `len=${size(c.length)}`),
  PAGE_REQUEST: (c) => line('PAGE_REQUEST', String(c.dev), c.pasid === null ? null : `pasid ${num(c.pasid)}`, `addr=${hex(c.addr)}`, `perm=${num(c.perm)}`),
  FAULT_READ: (c) => line('FAULT_READ', on(c.fd), `count=${num(c.count)}`),
  FAULT_RING_READ: (c) => line('FAULT_RING_READ', on(c.fd), `count=${num(c.count)}`),
  MEMFD_CREATE: (c) => line('MEMFD_CREATE', `len=${size(c.length)}`),
  IOMMU_EVENT: (c) => line('IOMMU_EVENT', String(c.dev)),
  VEVENTQ_READ: (c) => line('VEVENTQ_READ', on(c.fd), `count=${num(c.count)}`),
  MOCK_ACCESS_CREATE: (c) => line('MOCK_ACCESS_CREATE', on(c.fd), `ioas=${ref(c.ioas_id)}`, c.flags === 1 ? 'NEEDS_PIN_PAGES' : nonZero('flags', c.flags)),
  MOCK_ACCESS_PIN: (c) => line('MOCK_ACCESS_PIN', on(c.fd), `access=${ref(c.access_fd)}`, `iova=${hex(c.iova)}`, `len=${size(c.length)}`, c.flags === 1 ? 'WRITE' : nonZero('flags', c.flags)),
  MOCK_ACCESS_UNPIN: (c) => line('MOCK_ACCESS_UNPIN', on(c.fd), `access=${ref(c.access_fd)}`, `pages_id=${num(c.pages_id)}`),
  MOCK_ACCESS_RW: (c) => line('MOCK_ACCESS_RW', on(c.fd), `access=${ref(c.access_fd)}`, `iova=${hex(c.iova)}`, `len=${size(c.length)}`,
    ...flagNames(c.flags, [[1, 'WRITE'], [4, 'SLOW_PATH']])),
  MOCK_ACCESS_REPLACE: (c) => line('MOCK_ACCESS_REPLACE', on(c.fd), `access=${ref(c.access_fd)}`, `ioas=${ref(c.ioas_id)}`),
  FAULT_WRITE: (c) => line('FAULT_WRITE', on(c.fd), list(c.responses, (r: { cookie: unknown; code: unknown }) => `cookie=${num(r.cookie)} code=${num(r.code)}`)),
};

/** A command nothing in the uapi names (a typo in a hand-written trace): every field, raw. */
const unknownCmd = (c: SymCmd): string =>
  line(stepName(c), ...Object.entries(c).filter(([k]) => k !== 'ioctl' && k !== 'env' && k !== 'assert').map(([k, v]) => `${k}=${isRefField(k) ? ref(v) : typeof v === 'bigint' ? hex(v) : raw(v)}`));
const isRefField = (k: string): boolean => (FD_FIELDS as readonly string[]).includes(k) || (ID_FIELDS as readonly string[]).includes(k);

/** A command as its meaning, on one line: `IOMMU_IOAS_MAP $fd1 ioas=$ioas1 iova=0x1000 len=4K user_va=0x100000 RW FIXED`. */
export function formatCmd(cmd: SymCmd): string {
  const name = stepName(cmd);
  // each row takes the command of its name; the trace's record is trusted to be one (loadTrace checks the fields)
  if ('ioctl' in cmd) return Object.hasOwn(IOCTL_FORMATS, name) ? (IOCTL_FORMATS[name as IoctlName] as (c: SymCmd) => string)(cmd) : unknownCmd(cmd);
  if ('assert' in cmd) return unknownCmd(cmd); // an assertion prints its query and fields as they are: `ASSERT PINS uva=0x100000 length=0x4000`
  return Object.hasOwn(ENV_FORMATS, name) ? (ENV_FORMATS[name as EnvName] as (c: SymCmd) => string)(cmd) : unknownCmd(cmd);
}

// ---- results ---------------------------------------------------------------------------------------------------

/** Output fields that are byte counts. */
const SIZE_FIELDS: ReadonlySet<string> = new Set(['length', 'size', 'out_iova_alignment']);

function isXlate(x: unknown): x is { kind: 'hit'; hpa: bigint } | { kind: 'fault'; reason: string } {
  return typeof x === 'object' && x !== null && 'kind' in x && ((x.kind === 'hit' && 'hpa' in x) || (x.kind === 'fault' && 'reason' in x));
}
const xlateText = (x: { kind: 'hit'; hpa: bigint } | { kind: 'fault'; reason: string }): string => (x.kind === 'hit' ? `hit ${hex(x.hpa)}` : `fault ${x.reason}`);

function outValue(field: string, v: unknown): string {
  if (SIZE_FIELDS.has(field)) return size(v);
  if (typeof v === 'bigint') return hex(v);
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  if (Array.isArray(v)) return list(v, (x: unknown) => (typeof x === 'object' && x !== null && 'start' in x && 'last' in x ? rangeText(x) : raw(x)));
  return raw(v);
}

/** `field=value` for each output field; a field the step binds prints as its symbol (`$ioas1`), the number being noise. */
function outFields(out: unknown, bind?: Readonly<Record<string, Sym>>): string[] {
  if (typeof out !== 'object' || out === null) return out === undefined ? [] : [raw(out)];
  return Object.entries(out).map(([k, v]) => (bind?.[k] !== undefined ? bind[k] : `${k}=${outValue(k, v)}`));
}

/**
 * An answer: `ok`, `ok iova=0x1000`, `ok $ioas1` (with the step's bindings), `ENOENT`, `EMSGSIZE num_iovas=3`;
 * a DMA as `hit 0x100000` or `fault no-translation`, with the stale answers an un-invalidated IOTLB may still give.
 */
export function formatResult(r: Result<unknown>, bind?: Readonly<Record<string, Sym>>): string {
  if (!r.ok) return line(r.errno, ...outFields(r.out));
  const out = r.out;
  if (typeof out === 'object' && out !== null && 'xlate' in out && isXlate(out.xlate)) {
    const stale = 'stale' in out && Array.isArray(out.stale) ? out.stale.filter(isXlate).map(xlateText) : [];
    return line(xlateText(out.xlate), ...stale.map((s) => `| stale ${s}`));
  }
  return line('ok', ...outFields(out, bind));
}

// ---- the counterexample page -----------------------------------------------------------------------------------

/** The property a counterexample is filed under: the replay's violation, else the recorded verdict. */
export function counterexampleProperty(t: Trace, outcome: ReplayOutcome): string {
  return outcome.violation?.property ?? t.verdict?.property ?? (outcome.unexpected.length > 0 ? 'expect' : 'none');
}

/**
 * Stable name: the same design, hardware, profile, RLIMIT_MEMLOCK, commands and binds give the same name, whatever
 * the results or origin; any of them differing gives another name (each can change the verdict).
 */
export function counterexampleHash(t: Pick<Trace, 'design' | 'hardware' | 'profile' | 'memlockPages' | 'kernel' | 'steps'>): string {
  // profile, memlockPages and kernel drop out of the key when unset (JSON.stringify skips undefined): old names stay
  const binds = t.steps.some((s) => s.bind !== undefined) ? { binds: t.steps.map((s) => s.bind ?? null) } : {};
  const key = JSON.stringify({ design: t.design, hardware: t.hardware, profile: t.profile, memlockPages: t.memlockPages, kernel: t.kernel, cmds: t.steps.map((s) => s.cmd), ...binds }, encode);
  return createHash('sha256').update(key).digest('hex').slice(0, 10);
}

/** `counterexamples/<property>/<hash>.json`, relative to the repository root, '/'-separated. */
export function counterexamplePath(t: Trace, outcome: ReplayOutcome): string {
  return `counterexamples/${counterexampleProperty(t, outcome).replace(/[^A-Za-z0-9._-]/g, '_')}/${counterexampleHash(t)}.json`;
}

/** The step the page marks: where the property broke, else the first step that missed its own expectation. */
function divergingStep(outcome: ReplayOutcome): number | null {
  return outcome.violation?.step ?? outcome.unexpected[0]?.step ?? null;
}

interface StepAnswers {
  readonly spec: Result<unknown>;
  readonly rule: string;
  readonly kernel: Result<unknown> | null;
}

/** What each side answered at step i (0-based): from the replay, else as recorded in the trace, else null (not run). */
function answers(st: TraceStep, i: number, outcome: ReplayOutcome): StepAnswers | null {
  const rec = outcome.records[i];
  if (rec) return { spec: rec.spec.result, rule: rec.spec.rule, kernel: rec.impl };
  if (st.spec) return { spec: st.spec.result, rule: st.spec.rule, kernel: st.impl?.result ?? null };
  return null;
}

/** Whether the kernel's answer differs from the spec's (a DMA: from the spec's settled answer). */
function kernelDiffers(a: StepAnswers): boolean {
  if (a.kernel === null) return false;
  if (isDma(a.spec)) return formatResult(a.spec).split(' | ')[0] !== formatResult(a.kernel);
  return JSON.stringify(a.spec, encode) !== JSON.stringify(a.kernel, encode);
}
const isDma = (r: Result<unknown>): boolean => r.ok && typeof r.out === 'object' && r.out !== null && 'xlate' in r.out;

/** Which kernel answered beside the spec: Linux itself for a find of `kernel check`, else the simulated kernel. */
const kernelOf = (t: Trace): string => (t.origin.linux === undefined ? 'the kernel' : `Linux ${t.origin.linux}`);

/** `ok $ioas1`, or both answers with their numbers when the kernel's differs (bindings would hide the difference). */
function answerText(t: Trace, st: TraceStep, a: StepAnswers): string {
  if (!kernelDiffers(a) || a.kernel === null) return formatResult(a.spec, st.bind);
  return `${formatResult(a.spec)}, ${t.origin.linux === undefined ? 'kernel' : `Linux ${t.origin.linux}`}: ${formatResult(a.kernel)}`;
}

/** The program: one numbered line per step, `>>` before the step that diverges, and the end-of-trace line if that broke. */
function program(t: Trace, outcome: ReplayOutcome): string[] {
  const mark = divergingStep(outcome);
  const width = String(t.steps.length).length;
  const lines = t.steps.map((st, i) => {
    const n = `${String(i + 1).padStart(width)}.`;
    const a = answers(st, i, outcome);
    // an injected allocation failure shows on its step: `IOMMU_IOAS_ALLOC $fd1 [fail_nth 1] -> ENOMEM`
    const cmd = st.failNth === undefined ? formatCmd(st.cmd) : `${formatCmd(st.cmd)} [fail_nth ${st.failNth}]`;
    const body = a === null ? `${cmd}  (not run)` : `${cmd} -> ${answerText(t, st, a)}  [${a.rule}]`;
    return `${mark === i + 1 ? '>> ' : '   '}${n} ${body}`;
  });
  if (mark === 0) lines.push(`>> ${' '.repeat(width + 1)} end of trace: every fd closed  [${outcome.violation?.property ?? 'end'}]`);
  return lines;
}

const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
/** A single-quoted TypeScript string literal. */
const quoted = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Expected vs actual, in one sentence. */
function expectedVsActual(t: Trace, outcome: ReplayOutcome): string {
  const v = outcome.violation;
  if (v === null) {
    const u = outcome.unexpected[0];
    if (!u) return `Expected the spec and ${kernelOf(t)} to agree on every step and nothing to break; that is what happens now.`;
    const st = t.steps[u.step - 1];
    const why = u.message.slice(u.message.indexOf(': ') + 2);
    return sentence(`At step ${u.step} (${st ? code(formatCmd(st.cmd)) : '?'}) the ${u.side} did not answer as the trace expects: ${why}`);
  }
  if (v.step === 0) return sentence(`Expected ${v.property} to hold once every fd is closed at the end of the trace; actually ${v.message}`);
  const st = t.steps[v.step - 1];
  const a = st ? answers(st, v.step - 1, outcome) : null;
  const cmd = st ? code(formatCmd(st.cmd)) : '?';
  if (a && a.kernel !== null && kernelDiffers(a)) {
    return `At step ${v.step} (${cmd}) the spec expects ${code(formatResult(a.spec))} by rule ${a.rule}, but ${kernelOf(t)} answered ${code(formatResult(a.kernel))}.`;
  }
  const both = a ? ` both answered ${code(formatResult(a.spec))} (${a.rule}), and` : '';
  return sentence(`At step ${v.step} (${cmd})${both} ${v.property} was expected to hold; actually ${v.message}`);
}

/** ` (machine selftest-mock)` for a trace on a machine other than the default world; nothing otherwise. */
const onMachine = (t: Trace): string => (t.profile === undefined || t.profile === 'default' ? '' : ` (machine ${typeof t.profile === 'string' ? t.profile : t.profile.iommu.name})`);

/** A vitest case that replays the counterexample from its JSON: it keeps failing this way until fixed, then passes. */
function replaySnippet(t: Trace, outcome: ReplayOutcome, source: string): string[] {
  // a find against Linux replays there (docs/kernel.md); the simulated kernel shared the spec's belief
  if (t.origin.linux !== undefined) return ['```sh', `npx ioasid-lab kernel replay ${source}`, '```'];
  const v = outcome.violation;
  const where = v === null ? '' : v.step === 0 ? ' at the end' : ` at step ${v.step}`;
  const title = `${counterexampleProperty(t, outcome)}${where}: ${t.design} on ${t.hardware} (${source})`;
  const check =
    t.verdict?.status === 'fixed' || (v === null && outcome.unexpected.length === 0)
      ? ['  expect(outcome.violation).toBeNull();', '  expect(outcome.unexpected).toEqual([]);']
      : v === null
        ? [`  expect(outcome.unexpected[0]).toMatchObject({ step: ${outcome.unexpected[0]?.step ?? 0}, side: '${outcome.unexpected[0]?.side ?? 'kernel'}' });`]
        : [`  expect(outcome.violation).toMatchObject({ property: '${v.property}', step: ${v.step} });`];
  return [
    '```ts',
    "import { readFileSync } from 'node:fs';",
    "import { expect, it } from 'vitest';",
    "import { replay } from '../src/check/replay.js';",
    "import { loadTrace } from '../src/check/schema.js';",
    '',
    `it(${quoted(title)}, () => {`,
    `  const file = ${quoted(source)};`,
    "  const outcome = replay(loadTrace(readFileSync(file, 'utf8'), file));",
    ...check,
    '});',
    '```',
  ];
}

/** How the trace was found, on one line. */
function originLine(t: Trace): string {
  const o = t.origin;
  const found = o.kind === 'hand' ? 'Written by hand' : `Found by ${o.kind}`;
  const facts = [
    o.seed === undefined ? null : `seed ${o.seed}`,
    o.path ? `path ${o.path}` : null,
    o.runs === undefined ? null : `${o.runs} runs`,
    o.shrinks === undefined ? null : `${o.shrinks} shrinks`,
    o.minimality && o.minimality !== 'none' ? o.minimality : null,
    t.memlockPages === undefined ? null : `RLIMIT_MEMLOCK ${t.memlockPages} pages`,
    t.kernel === undefined ? null : `the uAPI of kernel ${t.kernel}`,
    o.linux === undefined ? null : `against Linux ${o.linux}`,
  ].filter((x): x is string => x !== null);
  return `${found}${facts.length ? ` (${facts.join(', ')})` : ''}; ${t.steps.length} step${t.steps.length === 1 ? '' : 's'}.`;
}

/**
 * The page beside a counterexample: title, what broke, the trace as a numbered program (the program sits in a
 * text block: it stays aligned, and `$fd1 … =$ioas1` is not taken for math), expected vs actual, a replaying test.
 * `source`: the JSON's path from the repository root (default: where writeCounterexample puts it).
 */
export function counterexampleMarkdown(t: Trace, outcome: ReplayOutcome, source = counterexamplePath(t, outcome)): string {
  const property = counterexampleProperty(t, outcome);
  const v = outcome.violation;
  const at = v === null ? '' : v.step === 0 ? ' at the end of the trace' : ` at step ${v.step}`;
  const broke = v ? sentence(capital(v.message)) : outcome.unexpected[0] ? sentence(outcome.unexpected[0].message) : 'Nothing: every property holds on replay.';
  return [
    `# ${v === null && outcome.unexpected.length === 0 ? 'No property broken' : `${property}${at}`}: ${t.design} on ${t.hardware}${onMachine(t)}`,
    '',
    originLine(t),
    '',
    `**What broke:** ${broke}`,
    '',
    '```text',
    ...program(t, outcome),
    '```',
    '',
    '## Expected vs actual',
    '',
    expectedVsActual(t, outcome),
    '',
    '## Replay',
    '',
    ...replaySnippet(t, outcome, source),
    '',
  ].join('\n');
}
