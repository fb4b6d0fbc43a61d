/**
 * The binary uAPI: ioctl request numbers and the byte layout of every argument struct a trace's commands become,
 * from include/uapi/linux/iommufd.h, include/uapi/linux/vfio.h and drivers/iommu/iommufd/iommufd_test.h of Linux
 * 6.12 (x86-64: little endian, __aligned_u64 on 8 bytes). uAPI structs only grow at their end and the kernel
 * takes any size from the first release of a struct on (copy_struct_from_user), so these layouts hold on newer
 * kernels too; `ioasid-lab kernel build` compiles a probe against the tree it builds and refuses a tree whose
 * header disagrees with a single offset here (layout-probe.ts).
 */
import type { EnvAction, IommufdCmd, InvalidateEntry } from '../uapi/index.js';
import { HW_INFO, HW_INFO_TYPES, hwptDataLen, INVALIDATE_ENTRY_LEN, U64_MAX } from '../uapi/index.js';

/** A field: byte offset and width. */
export type FieldSpec = readonly [offset: number, bytes: 1 | 2 | 4 | 8];
export interface Layout {
  /** the C struct it is */
  readonly name: string;
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const layout = (name: string, size: number, fields: Record<string, FieldSpec>): Layout => ({ name, size, fields });

/** The structs, by C name. */
export const LAYOUTS = {
  iommu_destroy: layout('iommu_destroy', 8, { size: [0, 4], id: [4, 4] }),
  iommu_ioas_alloc: layout('iommu_ioas_alloc', 12, { size: [0, 4], flags: [4, 4], out_ioas_id: [8, 4] }),
  iommu_iova_range: layout('iommu_iova_range', 16, { start: [0, 8], last: [8, 8] }),
  iommu_ioas_allow_iovas: layout('iommu_ioas_allow_iovas', 24, { size: [0, 4], ioas_id: [4, 4], num_iovas: [8, 4], __reserved: [12, 4], allowed_iovas: [16, 8] }),
  iommu_ioas_copy: layout('iommu_ioas_copy', 40, { size: [0, 4], flags: [4, 4], dst_ioas_id: [8, 4], src_ioas_id: [12, 4], length: [16, 8], dst_iova: [24, 8], src_iova: [32, 8] }),
  iommu_ioas_iova_ranges: layout('iommu_ioas_iova_ranges', 32, { size: [0, 4], ioas_id: [4, 4], num_iovas: [8, 4], __reserved: [12, 4], allowed_iovas: [16, 8], out_iova_alignment: [24, 8] }),
  iommu_ioas_map: layout('iommu_ioas_map', 40, { size: [0, 4], flags: [4, 4], ioas_id: [8, 4], __reserved: [12, 4], user_va: [16, 8], length: [24, 8], iova: [32, 8] }),
  iommu_ioas_unmap: layout('iommu_ioas_unmap', 24, { size: [0, 4], ioas_id: [4, 4], iova: [8, 8], length: [16, 8] }),
  iommu_hwpt_alloc: layout('iommu_hwpt_alloc', 48, {
    size: [0, 4], flags: [4, 4], dev_id: [8, 4], pt_id: [12, 4], out_hwpt_id: [16, 4], __reserved: [20, 4], data_type: [24, 4], data_len: [28, 4], data_uptr: [32, 8], fault_id: [40, 4], __reserved2: [44, 4],
  }),
  iommu_option: layout('iommu_option', 24, { size: [0, 4], option_id: [4, 4], op: [8, 2], __reserved: [10, 2], object_id: [12, 4], val64: [16, 8] }),
  iommu_hw_info: layout('iommu_hw_info', 40, {
    size: [0, 4], flags: [4, 4], dev_id: [8, 4], data_len: [12, 4], data_uptr: [16, 8], out_data_type: [24, 4], out_max_pasid_log2: [28, 1],
    '__reserved[0]': [29, 1], '__reserved[1]': [30, 1], '__reserved[2]': [31, 1], out_capabilities: [32, 8],
  }),
  iommu_hwpt_vtd_s1: layout('iommu_hwpt_vtd_s1', 24, { flags: [0, 8], pgtbl_addr: [8, 8], addr_width: [16, 4], __reserved: [20, 4] }),
  iommu_hwpt_invalidate: layout('iommu_hwpt_invalidate', 32, { size: [0, 4], hwpt_id: [4, 4], data_uptr: [8, 8], data_type: [16, 4], entry_len: [20, 4], entry_num: [24, 4], __reserved: [28, 4] }),
  iommu_hwpt_set_dirty_tracking: layout('iommu_hwpt_set_dirty_tracking', 16, { size: [0, 4], flags: [4, 4], hwpt_id: [8, 4], __reserved: [12, 4] }),
  iommu_hwpt_get_dirty_bitmap: layout('iommu_hwpt_get_dirty_bitmap', 48, {
    size: [0, 4], hwpt_id: [4, 4], flags: [8, 4], __reserved: [12, 4], iova: [16, 8], length: [24, 8], page_size: [32, 8], data: [40, 8],
  }),
  iommu_fault_alloc: layout('iommu_fault_alloc', 16, { size: [0, 4], flags: [4, 4], out_fault_id: [8, 4], out_fault_fd: [12, 4] }),
  iommu_hwpt_vtd_s1_invalidate: layout('iommu_hwpt_vtd_s1_invalidate', 24, { addr: [0, 8], npages: [8, 8], flags: [16, 4], __reserved: [20, 4] }),
  vfio_device_bind_iommufd: layout('vfio_device_bind_iommufd', 16, { argsz: [0, 4], flags: [4, 4], iommufd: [8, 4], out_devid: [12, 4] }),
  vfio_device_attach_iommufd_pt: layout('vfio_device_attach_iommufd_pt', 12, { argsz: [0, 4], flags: [4, 4], pt_id: [8, 4] }),
  vfio_device_detach_iommufd_pt: layout('vfio_device_detach_iommufd_pt', 8, { argsz: [0, 4], flags: [4, 4] }),
  /** iommufd_test.h: the header and the union members the executor's host side uses */
  iommu_test_cmd: layout('iommu_test_cmd', 72, {
    size: [0, 4], op: [4, 4], id: [8, 4], __reserved: [12, 4],
    'add_reserved.start': [16, 8], 'add_reserved.length': [24, 8],
    'mock_domain.out_stdev_id': [16, 4], 'mock_domain.out_hwpt_id': [20, 4], 'mock_domain.out_idev_id': [24, 4],
    'mock_domain_replace.pt_id': [16, 4],
    'check_map.iova': [16, 8], 'check_map.length': [24, 8], 'check_map.uptr': [32, 8],
    'check_refs.length': [16, 8], 'check_refs.uptr': [24, 8], 'check_refs.refs': [32, 4],
    'create_access.out_access_fd': [16, 4], 'create_access.flags': [20, 4], 'destroy_access_pages.access_pages_id': [16, 4],
    'access_pages.flags': [16, 4], 'access_pages.out_access_pages_id': [20, 4], 'access_pages.iova': [24, 8], 'access_pages.length': [32, 8], 'access_pages.uptr': [40, 8],
    'access_rw.iova': [16, 8], 'access_rw.length': [24, 8], 'access_rw.uptr': [32, 8], 'access_rw.flags': [40, 4], 'access_replace_ioas.ioas_id': [16, 4],
    'dirty.flags': [16, 4], 'dirty.iova': [24, 8], 'dirty.length': [32, 8], 'dirty.page_size': [40, 8], 'dirty.uptr': [48, 8], 'dirty.out_nr_dirty': [56, 8],
    last: [64, 4],
  }),
} as const satisfies Record<string, Layout>;
export type StructName = keyof typeof LAYOUTS;

/**
 * Structs of Linux 6.13 and later, which the 6.12 header the layout probe compiles against does not have: the offsets
 * are include/uapi/linux/iommufd.h's upstream. A 6.12 kernel answers their ioctls ENOTTY whatever the bytes.
 */
export const NEWER_LAYOUTS = {
  iommu_ioas_map_file: layout('iommu_ioas_map_file', 40, { size: [0, 4], flags: [4, 4], ioas_id: [8, 4], fd: [12, 4], start: [16, 8], length: [24, 8], iova: [32, 8] }),
  iommu_ioas_change_process: layout('iommu_ioas_change_process', 8, { size: [0, 4], __reserved: [4, 4] }),
  // the 6.13 sizes (ending at out_viommu_id; data_len/data_uptr came later and a shorter struct is still taken)
  iommu_viommu_alloc: layout('iommu_viommu_alloc', 24, { size: [0, 4], flags: [4, 4], type: [8, 4], dev_id: [12, 4], hwpt_id: [16, 4], out_viommu_id: [20, 4] }),
  iommu_vdevice_alloc: layout('iommu_vdevice_alloc', 24, { size: [0, 4], viommu_id: [4, 4], dev_id: [8, 4], out_vdevice_id: [12, 4], virt_id: [16, 8] }),
  iommu_veventq_alloc: layout('iommu_veventq_alloc', 32, {
    size: [0, 4], flags: [4, 4], viommu_id: [8, 4], type: [12, 4], veventq_depth: [16, 4], out_veventq_id: [20, 4], out_veventq_fd: [24, 4], __reserved: [28, 4],
  }),
} as const satisfies Record<string, Layout>;

/** _IO(type, nr): iommufd and VFIO ioctls carry no size in the number (the struct's own size field says it). */
const io = (type: number, nr: number) => (type << 8) | nr;
const IOMMUFD_TYPE = 0x3b; // ';'
const VFIO_TYPE = 0x3b;
const VFIO_BASE = 100;

/** Request numbers (IOMMUFD_CMD_* from 0x80; VFIO_DEVICE_* from VFIO_BASE; IOMMU_TEST_CMD at 0x80 + 32). */
export const REQUESTS = {
  IOMMU_DESTROY: io(IOMMUFD_TYPE, 0x80),
  IOMMU_IOAS_ALLOC: io(IOMMUFD_TYPE, 0x81),
  IOMMU_IOAS_ALLOW_IOVAS: io(IOMMUFD_TYPE, 0x82),
  IOMMU_IOAS_COPY: io(IOMMUFD_TYPE, 0x83),
  IOMMU_IOAS_IOVA_RANGES: io(IOMMUFD_TYPE, 0x84),
  IOMMU_IOAS_MAP: io(IOMMUFD_TYPE, 0x85),
  IOMMU_IOAS_UNMAP: io(IOMMUFD_TYPE, 0x86),
  IOMMU_HWPT_ALLOC: io(IOMMUFD_TYPE, 0x89),
  IOMMU_GET_HW_INFO: io(IOMMUFD_TYPE, 0x8a),
  IOMMU_OPTION: io(IOMMUFD_TYPE, 0x87),
  IOMMU_HWPT_SET_DIRTY_TRACKING: io(IOMMUFD_TYPE, 0x8b),
  IOMMU_HWPT_GET_DIRTY_BITMAP: io(IOMMUFD_TYPE, 0x8c),
  IOMMU_HWPT_INVALIDATE: io(IOMMUFD_TYPE, 0x8d),
  IOMMU_FAULT_QUEUE_ALLOC: io(IOMMUFD_TYPE, 0x8e),
  IOMMU_VIOMMU_ALLOC: io(IOMMUFD_TYPE, 0x90),
  IOMMU_VDEVICE_ALLOC: io(IOMMUFD_TYPE, 0x91),
  IOMMU_VEVENTQ_ALLOC: io(IOMMUFD_TYPE, 0x93),
  IOMMU_IOAS_MAP_FILE: io(IOMMUFD_TYPE, 0x8f),
  IOMMU_IOAS_CHANGE_PROCESS: io(IOMMUFD_TYPE, 0x92),
  IOMMU_TEST_CMD: io(IOMMUFD_TYPE, 0x80 + 32),
  VFIO_DEVICE_BIND_IOMMUFD: io(VFIO_TYPE, VFIO_BASE + 18),
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: io(VFIO_TYPE, VFIO_BASE + 19),
  VFIO_DEVICE_DETACH_IOMMUFD_PT: io(VFIO_TYPE, VFIO_BASE + 20),
} as const;

/** enum iommu_hwpt_data_type (IOMMU_HWPT_DATA_ARM_SMMUV3 is 6.13+: a 6.12 kernel is sent the number all the same). */
export const HWPT_DATA_TYPES = { IOMMU_HWPT_DATA_NONE: 0, IOMMU_HWPT_DATA_VTD_S1: 1, IOMMU_HWPT_DATA_ARM_SMMUV3: 2 } as const;
/** enum iommu_hwpt_invalidate_data_type (the SMMUv3 one is 6.13+, as above). */
export const INVALIDATE_DATA_TYPES = { IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: 0, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: 1 } as const;

/** iommufd_test.h enum: the IOMMU_TEST_CMD operations used here. */
export const TEST_OPS = {
  ADD_RESERVED: 1, MOCK_DOMAIN: 2, MD_CHECK_MAP: 3, MD_CHECK_REFS: 4, CREATE_ACCESS: 5, DESTROY_ACCESS_PAGES: 6, ACCESS_PAGES: 7, ACCESS_RW: 8,
  MOCK_DOMAIN_REPLACE: 10, ACCESS_REPLACE_IOAS: 11, DIRTY: 13,
} as const;
/** The mock domain's page size (selftest.c MOCK_IO_PAGE_SIZE = PAGE_SIZE / 2). */
export const MOCK_IO_PAGE_SIZE = 0x800n;

export type FieldValues = Readonly<Record<string, bigint | number>>;

/** The bytes of a struct: every field of `values` at its offset, the rest zero. */
export function pack(l: Layout, values: FieldValues): Buffer {
  const b = Buffer.alloc(l.size);
  for (const [name, v] of Object.entries(values)) {
    const f = l.fields[name];
    if (!f) throw new Error(`${l.name} has no field ${name}`);
    put(b, f, BigInt(v));
  }
  return b;
}

function put(b: Buffer, [off, bytes]: FieldSpec, v: bigint) {
  const x = BigInt.asUintN(bytes * 8, v);
  if (bytes === 8) b.writeBigUInt64LE(x, off);
  else if (bytes === 4) b.writeUInt32LE(Number(x), off);
  else if (bytes === 2) b.writeUInt16LE(Number(x), off);
  else b.writeUInt8(Number(x), off);
}

/** A field of a struct's bytes (u64 as bigint, the rest as number). */
export function field(l: Layout, b: Buffer, name: string): bigint | number {
  const f = l.fields[name];
  if (!f) throw new Error(`${l.name} has no field ${name}`);
  const [off, bytes] = f;
  if (off + bytes > b.length) return 0; // a shorter struct than ours: the kernel wrote nothing there
  return bytes === 8 ? b.readBigUInt64LE(off) : bytes === 4 ? b.readUInt32LE(off) : bytes === 2 ? b.readUInt16LE(off) : b.readUInt8(off);
}

/** A buffer an argument points at (`data: null`: a NULL pointer), and where in the argument the pointer goes. */
export interface PointedBuffer {
  readonly at: number;
  readonly data: Buffer | null;
}

/** One ioctl as the executor issues it. */
export interface RawIoctl {
  readonly req: number;
  readonly arg: Buffer;
  readonly bufs: readonly PointedBuffer[];
}

const sizeOf = (name: StructName) => LAYOUTS[name].size;
const ptrAt = (name: StructName, f: string) => LAYOUTS[name].fields[f as never] as FieldSpec;

/**
 * The stage-1 data a nested HWPT_ALLOC carries, `dataLen` bytes of it (zero-padded, or cut where a trace passes a
 * raw length): VT-d's struct (addr_width 48, a 4-level guest table), or SMMUv3's STE (its first word the table).
 */
function hwptData(c: Extract<IommufdCmd, { ioctl: 'IOMMU_HWPT_ALLOC' }>, dataLen: number): Buffer | null {
  if (c.data === null) return null;
  const ste = Buffer.alloc(16);
  ste.writeBigUInt64LE(c.data.pgtbl_addr, 0);
  const struct = c.data_type === 'IOMMU_HWPT_DATA_ARM_SMMUV3' ? ste : pack(LAYOUTS.iommu_hwpt_vtd_s1, { pgtbl_addr: c.data.pgtbl_addr, addr_width: 48 });
  const out = Buffer.alloc(Math.min(dataLen, 4096));
  struct.copy(out, 0, 0, Math.min(struct.length, out.length));
  return out;
}

/** The entries of an invalidation, each laid out at `entryLen` bytes (a raw length other than the struct's truncates or zero-pads it). */
function invalidateEntries(entries: readonly InvalidateEntry[], entryLen: number): Buffer {
  const out = Buffer.alloc(entries.length * entryLen);
  entries.forEach((e, i) => {
    const one = pack(LAYOUTS.iommu_hwpt_vtd_s1_invalidate, {
      addr: e.scope === 'all' ? 0n : e.addr, npages: e.scope === 'all' ? U64_MAX : e.npages, flags: e.flags ?? 0, __reserved: e.__reserved ?? 0,
    });
    one.copy(out, i * entryLen, 0, Math.min(entryLen, one.length));
  });
  return out;
}

/** The most bitmap bytes a call is given (a trace may ask for a range of 2^64 bytes at one bit per byte). */
export const BITMAP_MAX_BYTES = 1 << 20;

/** The IOVA one dirty-bitmap bit stands for: the lowest set bit of `pageSize` (1 for none). */
const bitSpan = (pageSize: bigint) => (pageSize === 0n ? 1n : pageSize & -pageSize);

/** The bytes of a dirty bitmap of `length` bytes of IOVA at one bit per lowest set bit of `pageSize`, capped. */
function bitmapBytes(length: bigint, pageSize: bigint): number {
  const bit = bitSpan(pageSize);
  const bits = length / bit + 1n;
  const bytes = (bits + 7n) / 8n;
  return Number(bytes > BigInt(BITMAP_MAX_BYTES) ? BigInt(BITMAP_MAX_BYTES) : bytes);
}

/** A dirty bitmap read back as the IOVA runs its set bits cover, in order, adjacent bits merged (bit i: iova + i * bit). */
export function bitmapRuns(buf: Buffer, iova: bigint, pageSize: bigint): { start: bigint; last: bigint }[] {
  const bit = pageSize & -pageSize;
  const out: { start: bigint; last: bigint }[] = [];
  for (let i = 0; i < buf.length; i++) {
    const byte = buf[i]!; // i < length
    if (byte === 0) continue;
    for (let b = 0; b < 8; b++) {
      if ((byte & (1 << b)) === 0) continue;
      const start = iova + BigInt(i * 8 + b) * bit;
      const top = out[out.length - 1];
      if (top !== undefined && top.last + 1n === start) top.last = start + bit - 1n;
      else out.push({ start, last: start + bit - 1n });
    }
  }
  return out;
}

/**
 * The inverse of bitmapRuns: a bitmap of `bytes` bytes with the bit of every `pageSize` span from `iova` that one of
 * `runs` touches set (bit i: iova + i * bit), the bits past its end left out.
 */
export function runsBitmap(runs: readonly { readonly start: bigint; readonly last: bigint }[], iova: bigint, pageSize: bigint, bytes: number): Buffer {
  const bit = bitSpan(pageSize);
  const out = Buffer.alloc(bytes);
  const top = BigInt(bytes * 8) - 1n;
  for (const r of runs) {
    if (r.last < iova) continue;
    const first = r.start > iova ? (r.start - iova) / bit : 0n;
    const last = (r.last - iova) / bit;
    for (let i = Number(first); i <= Number(last < top ? last : top); i++) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

/** An iommufd ioctl with its ids already the kernel's own numbers. */
export function encodeIommufd(c: Exclude<IommufdCmd, { ioctl: `VFIO_${string}` }>): RawIoctl {
  const req = REQUESTS[c.ioctl];
  switch (c.ioctl) {
    case 'IOMMU_DESTROY':
      return { req, arg: pack(LAYOUTS.iommu_destroy, { size: sizeOf('iommu_destroy'), id: c.id }), bufs: [] };
    case 'IOMMU_IOAS_ALLOC':
      return { req, arg: pack(LAYOUTS.iommu_ioas_alloc, { size: sizeOf('iommu_ioas_alloc'), flags: c.flags }), bufs: [] };
    case 'IOMMU_IOAS_ALLOW_IOVAS': {
      const ranges = Buffer.concat(c.allowed_iovas.map((r) => pack(LAYOUTS.iommu_iova_range, { start: r.start, last: r.last })));
      return {
        req, arg: pack(LAYOUTS.iommu_ioas_allow_iovas, { size: sizeOf('iommu_ioas_allow_iovas'), ioas_id: c.ioas_id, num_iovas: c.allowed_iovas.length, __reserved: c.__reserved }),
        bufs: c.allowed_iovas.length === 0 ? [] : [{ at: ptrAt('iommu_ioas_allow_iovas', 'allowed_iovas')[0], data: ranges }],
      };
    }
    case 'IOMMU_IOAS_COPY':
      return { req, arg: pack(LAYOUTS.iommu_ioas_copy, { size: sizeOf('iommu_ioas_copy'), flags: c.flags, dst_ioas_id: c.dst_ioas_id, src_ioas_id: c.src_ioas_id, length: c.length, dst_iova: c.dst_iova, src_iova: c.src_iova }), bufs: [] };
    case 'IOMMU_IOAS_IOVA_RANGES':
      return {
        req, arg: pack(LAYOUTS.iommu_ioas_iova_ranges, { size: sizeOf('iommu_ioas_iova_ranges'), ioas_id: c.ioas_id, num_iovas: c.num_iovas, __reserved: c.__reserved }),
        // room for what the caller said it has (bounded: a trace may claim a huge array it never reads)
        bufs: c.num_iovas === 0 ? [] : [{ at: ptrAt('iommu_ioas_iova_ranges', 'allowed_iovas')[0], data: Buffer.alloc(Math.min(c.num_iovas, 64) * sizeOf('iommu_iova_range')) }],
      };
    case 'IOMMU_IOAS_MAP':
      return { req, arg: pack(LAYOUTS.iommu_ioas_map, { size: sizeOf('iommu_ioas_map'), flags: c.flags, ioas_id: c.ioas_id, __reserved: c.__reserved, user_va: c.user_va, length: c.length, iova: c.iova }), bufs: [] };
    case 'IOMMU_IOAS_UNMAP':
      return { req, arg: pack(LAYOUTS.iommu_ioas_unmap, { size: sizeOf('iommu_ioas_unmap'), ioas_id: c.ioas_id, iova: c.iova, length: c.length }), bufs: [] };
    case 'IOMMU_OPTION':
      return { req, arg: pack(LAYOUTS.iommu_option, { size: sizeOf('iommu_option'), option_id: c.option_id, op: c.op, __reserved: c.__reserved, object_id: c.object_id, val64: c.val64 }), bufs: [] };
    case 'IOMMU_GET_HW_INFO':
      return {
        req,
        arg: pack(LAYOUTS.iommu_hw_info, {
          size: sizeOf('iommu_hw_info'), flags: c.flags, dev_id: c.dev_id, data_len: c.data_len,
          '__reserved[0]': c.__reserved & 0xff, '__reserved[1]': (c.__reserved >> 8) & 0xff, '__reserved[2]': (c.__reserved >> 16) & 0xff,
        }),
        // the user's buffer, as long as it says (bounded: a trace may claim more than any driver fills)
        bufs: c.data_len === 0 ? [] : [{ at: ptrAt('iommu_hw_info', 'data_uptr')[0], data: Buffer.alloc(Math.min(c.data_len, 4096)) }],
      };
    case 'IOMMU_HWPT_ALLOC': {
      const dataLen = hwptDataLen(c);
      const data = hwptData(c, dataLen);
      return {
        req,
        arg: pack(LAYOUTS.iommu_hwpt_alloc, {
          size: sizeOf('iommu_hwpt_alloc'), flags: c.flags, dev_id: c.dev_id, pt_id: c.pt_id, __reserved: c.__reserved,
          data_type: HWPT_DATA_TYPES[c.data_type], data_len: dataLen, fault_id: c.fault_id,
        }),
        bufs: data === null && dataLen === 0 ? [] : [{ at: ptrAt('iommu_hwpt_alloc', 'data_uptr')[0], data }],
      };
    }
    case 'IOMMU_IOAS_MAP_FILE': {
      const l = NEWER_LAYOUTS.iommu_ioas_map_file;
      return { req, arg: pack(l, { size: l.size, flags: c.flags, ioas_id: c.ioas_id, fd: c.file_fd, start: c.start, length: c.length, iova: c.iova }), bufs: [] };
    }
    case 'IOMMU_IOAS_CHANGE_PROCESS': {
      const l = NEWER_LAYOUTS.iommu_ioas_change_process;
      return { req, arg: pack(l, { size: l.size, __reserved: c.__reserved }), bufs: [] };
    }
    case 'IOMMU_VIOMMU_ALLOC': {
      const l = NEWER_LAYOUTS.iommu_viommu_alloc;
      return { req, arg: pack(l, { size: l.size, flags: c.flags, type: c.type, dev_id: c.dev_id, hwpt_id: c.hwpt_id }), bufs: [] };
    }
    case 'IOMMU_VDEVICE_ALLOC': {
      const l = NEWER_LAYOUTS.iommu_vdevice_alloc;
      return { req, arg: pack(l, { size: l.size, viommu_id: c.viommu_id, dev_id: c.dev_id, virt_id: c.virt_id }), bufs: [] };
    }
    case 'IOMMU_VEVENTQ_ALLOC': {
      const l = NEWER_LAYOUTS.iommu_veventq_alloc;
      return { req, arg: pack(l, { size: l.size, flags: c.flags, viommu_id: c.viommu_id, type: c.type, veventq_depth: c.veventq_depth, __reserved: c.__reserved }), bufs: [] };
    }
    case 'IOMMU_FAULT_QUEUE_ALLOC':
      return { req, arg: pack(LAYOUTS.iommu_fault_alloc, { size: sizeOf('iommu_fault_alloc'), flags: c.flags }), bufs: [] };
    case 'IOMMU_HWPT_SET_DIRTY_TRACKING':
      return { req, arg: pack(LAYOUTS.iommu_hwpt_set_dirty_tracking, { size: sizeOf('iommu_hwpt_set_dirty_tracking'), flags: c.flags, hwpt_id: c.hwpt_id, __reserved: c.__reserved }), bufs: [] };
    case 'IOMMU_HWPT_GET_DIRTY_BITMAP':
      return {
        req,
        arg: pack(LAYOUTS.iommu_hwpt_get_dirty_bitmap, {
          size: sizeOf('iommu_hwpt_get_dirty_bitmap'), hwpt_id: c.hwpt_id, flags: c.flags, __reserved: c.__reserved, iova: c.iova, length: c.length, page_size: c.page_size,
        }),
        // a zeroed bitmap of the bits the range has (the kernel only sets bits), or NULL
        bufs: [{ at: ptrAt('iommu_hwpt_get_dirty_bitmap', 'data')[0], data: c.data ? Buffer.alloc(bitmapBytes(c.length, c.page_size)) : null }],
      };
    case 'IOMMU_HWPT_INVALIDATE': {
      const entryLen = c.entry_len ?? INVALIDATE_ENTRY_LEN[c.data_type];
      const entryNum = c.entry_num ?? c.entries.length;
      return {
        req,
        arg: pack(LAYOUTS.iommu_hwpt_invalidate, {
          size: sizeOf('iommu_hwpt_invalidate'), hwpt_id: c.hwpt_id, data_type: INVALIDATE_DATA_TYPES[c.data_type], entry_len: entryLen, entry_num: entryNum, __reserved: c.__reserved,
        }),
        // no entries: a NULL data_uptr (the raw entry_num case)
        bufs: [{ at: ptrAt('iommu_hwpt_invalidate', 'data_uptr')[0], data: c.entries.length === 0 ? null : invalidateEntries(c.entries, entryLen) }],
      };
    }
  }
}

/** A VFIO cdev ioctl as the real vfio.h lays it out (issued for real where its fd is no emulated device file). */
export function encodeVfio(c: Extract<IommufdCmd, { ioctl: `VFIO_${string}` }>): RawIoctl {
  const req = REQUESTS[c.ioctl];
  switch (c.ioctl) {
    case 'VFIO_DEVICE_BIND_IOMMUFD':
      return { req, arg: pack(LAYOUTS.vfio_device_bind_iommufd, { argsz: sizeOf('vfio_device_bind_iommufd'), flags: c.flags, iommufd: c.iommufd }), bufs: [] };
    case 'VFIO_DEVICE_ATTACH_IOMMUFD_PT':
      return { req, arg: pack(LAYOUTS.vfio_device_attach_iommufd_pt, { argsz: sizeOf('vfio_device_attach_iommufd_pt'), flags: c.flags, pt_id: c.pt_id }), bufs: [] };
    case 'VFIO_DEVICE_DETACH_IOMMUFD_PT':
      return { req, arg: pack(LAYOUTS.vfio_device_detach_iommufd_pt, { argsz: sizeOf('vfio_device_detach_iommufd_pt'), flags: c.flags }), bufs: [] };
  }
}

/** IOMMU_TEST_CMD `op` on object `id` with union fields (`check_map.iova`, ...). */
export const testCmd = (op: keyof typeof TEST_OPS, id: number, values: FieldValues = {}, bufs: readonly PointedBuffer[] = []): RawIoctl => ({
  req: REQUESTS.IOMMU_TEST_CMD,
  arg: pack(LAYOUTS.iommu_test_cmd, { size: sizeOf('iommu_test_cmd'), op: TEST_OPS[op], id, ...values }),
  bufs,
});

/** The selftest port's own actions a trace takes (the mock's reserved ranges and access objects), each one IOMMU_TEST_CMD. */
export type TestPortAction = Extract<EnvAction, { env: 'MOCK_ADD_RESERVED' | `MOCK_ACCESS_${string}` }>;
export const isTestPortAction = (c: EnvAction): c is TestPortAction => c.env === 'MOCK_ADD_RESERVED' || c.env.startsWith('MOCK_ACCESS_');

/** The largest buffer IOMMU_TEST_OP_ACCESS_RW is given (a longer access is refused before its buffer is read). */
const ACCESS_RW_MAX = 1n << 24n;

/** The IOMMU_TEST_CMD of a test-port action, on the iommufd the action names (`c.fd`). */
export function encodeTestPort(c: TestPortAction): RawIoctl {
  switch (c.env) {
    case 'MOCK_ADD_RESERVED':
      return testCmd('ADD_RESERVED', c.ioas_id, { 'add_reserved.start': c.start, 'add_reserved.length': c.length });
    case 'MOCK_ACCESS_CREATE':
      return testCmd('CREATE_ACCESS', c.ioas_id, { 'create_access.flags': c.flags });
    case 'MOCK_ACCESS_PIN':
      return testCmd('ACCESS_PAGES', c.access_fd, { 'access_pages.flags': c.flags, 'access_pages.iova': c.iova, 'access_pages.length': c.length });
    case 'MOCK_ACCESS_UNPIN':
      return testCmd('DESTROY_ACCESS_PAGES', c.access_fd, { 'destroy_access_pages.access_pages_id': c.pages_id });
    case 'MOCK_ACCESS_RW': {
      // the selftest copies through a buffer of the length asked (bounded: more than 16 MiB is refused before it is read)
      const buf = Buffer.alloc(Number(c.length > ACCESS_RW_MAX ? 16n : c.length));
      return testCmd('ACCESS_RW', c.access_fd, { 'access_rw.iova': c.iova, 'access_rw.length': c.length, 'access_rw.flags': c.flags },
        buf.length === 0 ? [] : [{ at: ptrAt('iommu_test_cmd', 'access_rw.uptr')[0], data: buf }]);
    }
    case 'MOCK_ACCESS_REPLACE':
      return testCmd('ACCESS_REPLACE_IOAS', c.access_fd, { 'access_replace_ioas.ioas_id': c.ioas_id });
  }
}

/**
 * IOMMU_TEST_OP_DIRTY: the mock's stand-in for a device write, setting the dirty bit of the one mock page at `iova` of
 * HWPT `hwpt` (a one-bit bitmap at the mock's page size, as the selftests pass it).
 */
export const testDirty = (hwpt: number, iova: bigint): RawIoctl => testCmd('DIRTY', hwpt, {
  'dirty.iova': iova, 'dirty.length': MOCK_IO_PAGE_SIZE, 'dirty.page_size': MOCK_IO_PAGE_SIZE,
}, [{ at: ptrAt('iommu_test_cmd', 'dirty.uptr')[0], data: Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]) }]);

/** What an iommufd ioctl returns, read back from its argument (and the buffers it filled), in the spec's terms. */
export function decodeOut(c: Exclude<IommufdCmd, { ioctl: `VFIO_${string}` }>, arg: Buffer, bufs: readonly Buffer[]): Record<string, unknown> {
  switch (c.ioctl) {
    case 'IOMMU_DESTROY':
    case 'IOMMU_IOAS_ALLOW_IOVAS':
      return {};
    case 'IOMMU_IOAS_ALLOC':
      return { out_ioas_id: Number(field(LAYOUTS.iommu_ioas_alloc, arg, 'out_ioas_id')) };
    case 'IOMMU_IOAS_COPY':
      return { dst_iova: BigInt(field(LAYOUTS.iommu_ioas_copy, arg, 'dst_iova')) };
    case 'IOMMU_IOAS_MAP':
      return { iova: BigInt(field(LAYOUTS.iommu_ioas_map, arg, 'iova')) };
    case 'IOMMU_IOAS_UNMAP':
      return { length: BigInt(field(LAYOUTS.iommu_ioas_unmap, arg, 'length')) };
    case 'IOMMU_HWPT_ALLOC':
      return { out_hwpt_id: Number(field(LAYOUTS.iommu_hwpt_alloc, arg, 'out_hwpt_id')) };
    case 'IOMMU_HWPT_INVALIDATE':
      return { entry_num: Number(field(LAYOUTS.iommu_hwpt_invalidate, arg, 'entry_num')) };
    case 'IOMMU_OPTION':
      return { val64: BigInt(field(LAYOUTS.iommu_option, arg, 'val64')) };
    case 'IOMMU_HWPT_SET_DIRTY_TRACKING':
    case 'IOMMU_IOAS_CHANGE_PROCESS':
      return {};
    case 'IOMMU_IOAS_MAP_FILE':
      return { iova: BigInt(field(NEWER_LAYOUTS.iommu_ioas_map_file, arg, 'iova')) };
    case 'IOMMU_VIOMMU_ALLOC':
      return { out_viommu_id: Number(field(NEWER_LAYOUTS.iommu_viommu_alloc, arg, 'out_viommu_id')) };
    case 'IOMMU_VDEVICE_ALLOC':
      return { out_vdevice_id: Number(field(NEWER_LAYOUTS.iommu_vdevice_alloc, arg, 'out_vdevice_id')) };
    case 'IOMMU_VEVENTQ_ALLOC':
      return {
        out_veventq_id: Number(field(NEWER_LAYOUTS.iommu_veventq_alloc, arg, 'out_veventq_id')),
        out_veventq_fd: Number(field(NEWER_LAYOUTS.iommu_veventq_alloc, arg, 'out_veventq_fd')),
      };
    case 'IOMMU_FAULT_QUEUE_ALLOC':
      return { out_fault_id: Number(field(LAYOUTS.iommu_fault_alloc, arg, 'out_fault_id')), out_fault_fd: Number(field(LAYOUTS.iommu_fault_alloc, arg, 'out_fault_fd')) };
    case 'IOMMU_HWPT_GET_DIRTY_BITMAP':
      return { dirty: c.data && bufs[0] ? bitmapRuns(bufs[0], c.iova, c.page_size) : [] };
    case 'IOMMU_GET_HW_INFO': {
      const type = Number(field(LAYOUTS.iommu_hw_info, arg, 'out_data_type'));
      return {
        data_len: Number(field(LAYOUTS.iommu_hw_info, arg, 'data_len')),
        // a type this project does not know stays a number: the comparison with the spec then shows it
        out_data_type: HW_INFO_TYPES.find((t) => HW_INFO[t].value === type) ?? type,
        out_max_pasid_log2: Number(field(LAYOUTS.iommu_hw_info, arg, 'out_max_pasid_log2')),
        out_capabilities: Number(field(LAYOUTS.iommu_hw_info, arg, 'out_capabilities')),
      };
    }
    case 'IOMMU_IOAS_IOVA_RANGES': {
      const num = Number(field(LAYOUTS.iommu_ioas_iova_ranges, arg, 'num_iovas'));
      const buf = bufs[0] ?? Buffer.alloc(0);
      const fit = Math.min(num, c.num_iovas, buf.length / sizeOf('iommu_iova_range'));
      const ranges = Array.from({ length: fit }, (_, i) => ({
        start: BigInt(field(LAYOUTS.iommu_iova_range, buf.subarray(i * 16), 'start')),
        last: BigInt(field(LAYOUTS.iommu_iova_range, buf.subarray(i * 16), 'last')),
      }));
      return { num_iovas: num, allowed_iovas: ranges, out_iova_alignment: BigInt(field(LAYOUTS.iommu_ioas_iova_ranges, arg, 'out_iova_alignment')) };
    }
  }
}
