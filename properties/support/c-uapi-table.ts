/**
 * The table the C uAPI of exported programs is held to (properties/c-uapi.test.ts, and against a built Linux's own
 * headers properties/kernel/export-c.test.ts): written by hand from the headers, each group citing its source, never
 * from src/check/c-uapi.ts nor from src/kernel/abi.ts; and the probe that prints what a compiler makes of a set of
 * definitions (sizeof every struct, offsetof and sizeof every member, every request number and enum constant).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IOMMUFD_UAPI, TEST_PORT_UAPI, VFIO_CDEV_UAPI } from '../../src/check/c-uapi.js';

/** A member: its offset and its sizeof (an array: all of it; a union arm: the whole arm). x86-64. */
export type Member = readonly [offset: number, size: number];
export interface Struct {
  readonly size: number;
  readonly members: Readonly<Record<string, Member>>;
}
/** A struct that grew after 6.12: its newest form, and the size and missing members of 6.12's. */
export interface Grown extends Struct {
  readonly in612: { readonly size: number; readonly without: readonly string[] };
}

// ---- the table ----

// include/uapi/linux/iommufd.h, Linux 6.12, and unchanged upstream (torvalds/linux b4d90dbc4c1b, v6.17)
export const IOMMUFD_STRUCTS_612: Record<string, Struct> = {
  iommu_destroy: { size: 8, members: { size: [0, 4], id: [4, 4] } },
  iommu_ioas_alloc: { size: 12, members: { size: [0, 4], flags: [4, 4], out_ioas_id: [8, 4] } },
  iommu_iova_range: { size: 16, members: { start: [0, 8], last: [8, 8] } },
  iommu_ioas_iova_ranges: {
    size: 32,
    members: { size: [0, 4], ioas_id: [4, 4], num_iovas: [8, 4], __reserved: [12, 4], allowed_iovas: [16, 8], out_iova_alignment: [24, 8] },
  },
  iommu_ioas_allow_iovas: { size: 24, members: { size: [0, 4], ioas_id: [4, 4], num_iovas: [8, 4], __reserved: [12, 4], allowed_iovas: [16, 8] } },
  iommu_ioas_map: {
    size: 40,
    members: { size: [0, 4], flags: [4, 4], ioas_id: [8, 4], __reserved: [12, 4], user_va: [16, 8], length: [24, 8], iova: [32, 8] },
  },
  iommu_ioas_copy: {
    size: 40,
    members: { size: [0, 4], flags: [4, 4], dst_ioas_id: [8, 4], src_ioas_id: [12, 4], length: [16, 8], dst_iova: [24, 8], src_iova: [32, 8] },
  },
  iommu_ioas_unmap: { size: 24, members: { size: [0, 4], ioas_id: [4, 4], iova: [8, 8], length: [16, 8] } },
  iommu_option: { size: 24, members: { size: [0, 4], option_id: [4, 4], op: [8, 2], __reserved: [10, 2], object_id: [12, 4], val64: [16, 8] } },
  iommu_hwpt_vtd_s1: { size: 24, members: { flags: [0, 8], pgtbl_addr: [8, 8], addr_width: [16, 4], __reserved: [20, 4] } },
  iommu_hwpt_alloc: {
    size: 48,
    members: {
      size: [0, 4], flags: [4, 4], dev_id: [8, 4], pt_id: [12, 4], out_hwpt_id: [16, 4], __reserved: [20, 4],
      data_type: [24, 4], data_len: [28, 4], data_uptr: [32, 8], fault_id: [40, 4], __reserved2: [44, 4],
    },
  },
  iommu_hwpt_set_dirty_tracking: { size: 16, members: { size: [0, 4], flags: [4, 4], hwpt_id: [8, 4], __reserved: [12, 4] } },
  iommu_hwpt_get_dirty_bitmap: {
    size: 48,
    members: { size: [0, 4], hwpt_id: [4, 4], flags: [8, 4], __reserved: [12, 4], iova: [16, 8], length: [24, 8], page_size: [32, 8], data: [40, 8] },
  },
  iommu_hwpt_vtd_s1_invalidate: { size: 24, members: { addr: [0, 8], npages: [8, 8], flags: [16, 4], __reserved: [20, 4] } },
  iommu_hwpt_invalidate: {
    size: 32,
    members: { size: [0, 4], hwpt_id: [4, 4], data_uptr: [8, 8], data_type: [16, 4], entry_len: [20, 4], entry_num: [24, 4], __reserved: [28, 4] },
  },
  iommu_fault_alloc: { size: 16, members: { size: [0, 4], flags: [4, 4], out_fault_id: [8, 4], out_fault_fd: [12, 4] } },
};

// include/uapi/linux/vfio.h, Linux 6.12 (struct vfio_device_bind_iommufd: c-uapi.ts keeps this form; upstream v6.17
// appends __aligned_u64 token_uuid_ptr at 16, read only under VFIO_DEVICE_BIND_FLAG_TOKEN)
export const VFIO_STRUCTS_612: Record<string, Struct> = {
  vfio_device_bind_iommufd: { size: 16, members: { argsz: [0, 4], flags: [4, 4], iommufd: [8, 4], out_devid: [12, 4] } },
};

// upstream (torvalds/linux b4d90dbc4c1b, v6.17) include/uapi/linux/iommufd.h (struct iommu_hw_info: in_data_type in
// an anonymous union with out_data_type) and include/uapi/linux/vfio.h (attach and detach: pasid at their end);
// in612: the same structs in Linux 6.12's include/uapi/linux/iommufd.h and include/uapi/linux/vfio.h
export const GROWN: Record<string, Grown> = {
  iommu_hw_info: {
    size: 40,
    members: {
      size: [0, 4], flags: [4, 4], dev_id: [8, 4], data_len: [12, 4], data_uptr: [16, 8], in_data_type: [24, 4], out_data_type: [24, 4],
      out_max_pasid_log2: [28, 1], __reserved: [29, 3], out_capabilities: [32, 8],
    },
    in612: { size: 40, without: ['in_data_type'] },
  },
  vfio_device_attach_iommufd_pt: { size: 16, members: { argsz: [0, 4], flags: [4, 4], pt_id: [8, 4], pasid: [12, 4] }, in612: { size: 12, without: ['pasid'] } },
  vfio_device_detach_iommufd_pt: { size: 12, members: { argsz: [0, 4], flags: [4, 4], pasid: [8, 4] }, in612: { size: 8, without: ['pasid'] } },
};

// upstream (torvalds/linux b4d90dbc4c1b, v6.17) include/uapi/linux/iommufd.h: structs Linux 6.12 does not have
export const IOMMUFD_STRUCTS_NEWER: Record<string, Struct> = {
  iommu_ioas_map_file: {
    size: 40,
    members: { size: [0, 4], flags: [4, 4], ioas_id: [8, 4], fd: [12, 4], start: [16, 8], length: [24, 8], iova: [32, 8] },
  },
  iommu_hwpt_arm_smmuv3: { size: 16, members: { ste: [0, 16] } },
  iommu_viommu_alloc: {
    size: 40,
    members: {
      size: [0, 4], flags: [4, 4], type: [8, 4], dev_id: [12, 4], hwpt_id: [16, 4], out_viommu_id: [20, 4],
      data_len: [24, 4], __reserved: [28, 4], data_uptr: [32, 8],
    },
  },
  iommu_vdevice_alloc: { size: 24, members: { size: [0, 4], viommu_id: [4, 4], dev_id: [8, 4], out_vdevice_id: [12, 4], virt_id: [16, 8] } },
  iommu_ioas_change_process: { size: 8, members: { size: [0, 4], __reserved: [4, 4] } },
  iommu_veventq_alloc: {
    size: 32,
    members: {
      size: [0, 4], flags: [4, 4], viommu_id: [8, 4], type: [12, 4], veventq_depth: [16, 4], out_veventq_id: [20, 4], out_veventq_fd: [24, 4],
      __reserved: [28, 4],
    },
  },
};

// drivers/iommu/iommufd/iommufd_test.h, Linux 6.12 (struct iommu_test_cmd: every arm of its union, and each arm's members)
export const TEST_STRUCTS: Record<string, Struct> = {
  iommu_test_cmd: {
    size: 72,
    members: {
      size: [0, 4], op: [4, 4], id: [8, 4], __reserved: [12, 4],
      add_reserved: [16, 16], 'add_reserved.start': [16, 8], 'add_reserved.length': [24, 8],
      mock_domain: [16, 12], 'mock_domain.out_stdev_id': [16, 4], 'mock_domain.out_hwpt_id': [20, 4], 'mock_domain.out_idev_id': [24, 4],
      mock_domain_flags: [16, 16], 'mock_domain_flags.out_stdev_id': [16, 4], 'mock_domain_flags.out_hwpt_id': [20, 4],
      'mock_domain_flags.out_idev_id': [24, 4], 'mock_domain_flags.dev_flags': [28, 4],
      mock_domain_replace: [16, 4], 'mock_domain_replace.pt_id': [16, 4],
      check_map: [16, 24], 'check_map.iova': [16, 8], 'check_map.length': [24, 8], 'check_map.uptr': [32, 8],
      check_refs: [16, 24], 'check_refs.length': [16, 8], 'check_refs.uptr': [24, 8], 'check_refs.refs': [32, 4],
      create_access: [16, 8], 'create_access.out_access_fd': [16, 4], 'create_access.flags': [20, 4],
      destroy_access_pages: [16, 4], 'destroy_access_pages.access_pages_id': [16, 4],
      access_pages: [16, 32], 'access_pages.flags': [16, 4], 'access_pages.out_access_pages_id': [20, 4], 'access_pages.iova': [24, 8],
      'access_pages.length': [32, 8], 'access_pages.uptr': [40, 8],
      access_rw: [16, 32], 'access_rw.iova': [16, 8], 'access_rw.length': [24, 8], 'access_rw.uptr': [32, 8], 'access_rw.flags': [40, 4],
      memory_limit: [16, 4], 'memory_limit.limit': [16, 4],
      access_replace_ioas: [16, 4], 'access_replace_ioas.ioas_id': [16, 4],
      dirty: [16, 48], 'dirty.flags': [16, 4], 'dirty.iova': [24, 8], 'dirty.length': [32, 8], 'dirty.page_size': [40, 8], 'dirty.uptr': [48, 8],
      'dirty.out_nr_dirty': [56, 8],
      check_iotlb: [16, 8], 'check_iotlb.id': [16, 4], 'check_iotlb.iotlb': [20, 4],
      trigger_iopf: [16, 24], 'trigger_iopf.dev_id': [16, 4], 'trigger_iopf.pasid': [20, 4], 'trigger_iopf.grpid': [24, 4],
      'trigger_iopf.perm': [28, 4], 'trigger_iopf.addr': [32, 8],
      last: [64, 4],
    },
  },
  iommu_test_hw_info: { size: 8, members: { flags: [0, 4], test_reg: [4, 4] } },
  iommu_hwpt_selftest: { size: 4, members: { iotlb: [0, 4] } },
  iommu_hwpt_invalidate_selftest: { size: 8, members: { flags: [0, 4], iotlb_id: [4, 4] } },
};

// request numbers, _IO(';', nr) = 0x3b00 | nr: include/uapi/linux/iommufd.h and include/uapi/linux/vfio.h (VFIO_BASE
// 100 = 0x64), drivers/iommu/iommufd/iommufd_test.h (IOMMUFD_CMD_BASE + 32), Linux 6.12
export const REQUESTS_612: Record<string, number> = {
  IOMMU_DESTROY: 0x3b80, IOMMU_IOAS_ALLOC: 0x3b81, IOMMU_IOAS_ALLOW_IOVAS: 0x3b82, IOMMU_IOAS_COPY: 0x3b83, IOMMU_IOAS_IOVA_RANGES: 0x3b84,
  IOMMU_IOAS_MAP: 0x3b85, IOMMU_IOAS_UNMAP: 0x3b86, IOMMU_OPTION: 0x3b87, IOMMU_HWPT_ALLOC: 0x3b89, IOMMU_GET_HW_INFO: 0x3b8a,
  IOMMU_HWPT_SET_DIRTY_TRACKING: 0x3b8b, IOMMU_HWPT_GET_DIRTY_BITMAP: 0x3b8c, IOMMU_HWPT_INVALIDATE: 0x3b8d, IOMMU_FAULT_QUEUE_ALLOC: 0x3b8e,
  VFIO_DEVICE_BIND_IOMMUFD: 0x3b76, VFIO_DEVICE_ATTACH_IOMMUFD_PT: 0x3b77, VFIO_DEVICE_DETACH_IOMMUFD_PT: 0x3b78,
  IOMMU_TEST_CMD: 0x3ba0,
};

// upstream (torvalds/linux b4d90dbc4c1b, v6.17) include/uapi/linux/iommufd.h: requests Linux 6.12 does not define
export const REQUESTS_NEWER: Record<string, number> = {
  IOMMU_IOAS_MAP_FILE: 0x3b8f, IOMMU_VIOMMU_ALLOC: 0x3b90, IOMMU_VDEVICE_ALLOC: 0x3b91, IOMMU_IOAS_CHANGE_PROCESS: 0x3b92, IOMMU_VEVENTQ_ALLOC: 0x3b93,
};

// include/uapi/linux/iommufd.h and include/uapi/linux/vfio.h, Linux 6.12, and unchanged upstream: the command enum and
// the flag and type enums
export const CONSTANTS_612: Record<string, number> = {
  IOMMUFD_TYPE: 0x3b, IOMMUFD_CMD_BASE: 0x80, IOMMUFD_CMD_DESTROY: 0x80, IOMMUFD_CMD_IOAS_ALLOC: 0x81, IOMMUFD_CMD_IOAS_ALLOW_IOVAS: 0x82,
  IOMMUFD_CMD_IOAS_COPY: 0x83, IOMMUFD_CMD_IOAS_IOVA_RANGES: 0x84, IOMMUFD_CMD_IOAS_MAP: 0x85, IOMMUFD_CMD_IOAS_UNMAP: 0x86,
  IOMMUFD_CMD_OPTION: 0x87, IOMMUFD_CMD_VFIO_IOAS: 0x88, IOMMUFD_CMD_HWPT_ALLOC: 0x89, IOMMUFD_CMD_GET_HW_INFO: 0x8a,
  IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING: 0x8b, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP: 0x8c, IOMMUFD_CMD_HWPT_INVALIDATE: 0x8d,
  IOMMUFD_CMD_FAULT_QUEUE_ALLOC: 0x8e,
  IOMMU_IOAS_MAP_FIXED_IOVA: 1, IOMMU_IOAS_MAP_WRITEABLE: 2, IOMMU_IOAS_MAP_READABLE: 4,
  IOMMU_OPTION_RLIMIT_MODE: 0, IOMMU_OPTION_HUGE_PAGES: 1, IOMMU_OPTION_OP_SET: 0, IOMMU_OPTION_OP_GET: 1,
  IOMMU_HWPT_ALLOC_NEST_PARENT: 1, IOMMU_HWPT_ALLOC_DIRTY_TRACKING: 2, IOMMU_HWPT_FAULT_ID_VALID: 4,
  IOMMU_VTD_S1_SRE: 1, IOMMU_VTD_S1_EAFE: 2, IOMMU_VTD_S1_WPE: 4,
  IOMMU_HWPT_DATA_NONE: 0, IOMMU_HWPT_DATA_VTD_S1: 1,
  IOMMU_HW_INFO_TYPE_NONE: 0, IOMMU_HW_INFO_TYPE_INTEL_VTD: 1,
  IOMMU_HW_CAP_DIRTY_TRACKING: 1, IOMMU_HW_CAP_PCI_PASID_EXEC: 2, IOMMU_HW_CAP_PCI_PASID_PRIV: 4,
  IOMMU_HWPT_DIRTY_TRACKING_ENABLE: 1, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: 1,
  IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: 0, IOMMU_VTD_INV_FLAGS_LEAF: 1,
  VFIO_TYPE: 0x3b, VFIO_BASE: 100,
};

// upstream (torvalds/linux b4d90dbc4c1b, v6.17) include/uapi/linux/iommufd.h and include/uapi/linux/vfio.h: constants
// Linux 6.12 does not have
export const CONSTANTS_NEWER: Record<string, number> = {
  IOMMUFD_CMD_IOAS_MAP_FILE: 0x8f, IOMMUFD_CMD_VIOMMU_ALLOC: 0x90, IOMMUFD_CMD_VDEVICE_ALLOC: 0x91, IOMMUFD_CMD_IOAS_CHANGE_PROCESS: 0x92,
  IOMMUFD_CMD_VEVENTQ_ALLOC: 0x93, IOMMUFD_CMD_HW_QUEUE_ALLOC: 0x94,
  IOMMU_HWPT_ALLOC_PASID: 8, IOMMU_HWPT_DATA_ARM_SMMUV3: 2,
  IOMMU_HW_INFO_TYPE_DEFAULT: 0, IOMMU_HW_INFO_TYPE_ARM_SMMUV3: 2, IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV: 3, IOMMU_HW_INFO_FLAG_INPUT_TYPE: 1,
  IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: 1,
  IOMMU_VIOMMU_TYPE_DEFAULT: 0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3: 1, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: 2,
  IOMMU_VEVENTQ_TYPE_DEFAULT: 0, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3: 1, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV: 2,
  VFIO_DEVICE_ATTACH_PASID: 1, VFIO_DEVICE_DETACH_PASID: 1,
};

// drivers/iommu/iommufd/iommufd_test.h, Linux 6.12
export const TEST_CONSTANTS: Record<string, number> = {
  IOMMU_TEST_OP_ADD_RESERVED: 1, IOMMU_TEST_OP_MOCK_DOMAIN: 2, IOMMU_TEST_OP_MD_CHECK_MAP: 3, IOMMU_TEST_OP_MD_CHECK_REFS: 4,
  IOMMU_TEST_OP_CREATE_ACCESS: 5, IOMMU_TEST_OP_DESTROY_ACCESS_PAGES: 6, IOMMU_TEST_OP_ACCESS_PAGES: 7, IOMMU_TEST_OP_ACCESS_RW: 8,
  IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT: 9, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: 10, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS: 11,
  IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS: 12, IOMMU_TEST_OP_DIRTY: 13, IOMMU_TEST_OP_MD_CHECK_IOTLB: 14, IOMMU_TEST_OP_TRIGGER_IOPF: 15,
  MOCK_APERTURE_START: 0x1000000, MOCK_APERTURE_LAST: 0x7fffffff,
  MOCK_FLAGS_ACCESS_WRITE: 1, MOCK_FLAGS_ACCESS_SYZ: 0x10000, MOCK_ACCESS_RW_WRITE: 1, MOCK_ACCESS_RW_SLOW_PATH: 4,
  MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES: 1, MOCK_FLAGS_DEVICE_NO_DIRTY: 1, MOCK_FLAGS_DEVICE_HUGE_IOVA: 2,
  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX: 3, MOCK_NESTED_DOMAIN_IOTLB_NUM: 4,
  IOMMU_HW_INFO_TYPE_SELFTEST: 0xfeedbeef, IOMMU_HW_INFO_SELFTEST_REGVAL: 0xdeadbeef, IOMMU_HWPT_DATA_SELFTEST: 0xdead,
  IOMMU_TEST_IOTLB_DEFAULT: 0xbadbeef, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST: 0xdeadbeef, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID: 0xdadbeef,
  IOMMU_TEST_INVALIDATE_FLAG_ALL: 1,
};

// ---- the probe ----

/** What a probe asks for: structs, values (request numbers, enum constants), and macros that must not be defined. */
export interface Expected {
  readonly structs: Readonly<Record<string, Struct>>;
  readonly values: Readonly<Record<string, number>>;
  readonly undefinedMacros: readonly string[];
}

/** The newest upstream forms: what c-uapi.ts must give. */
export const NEWEST: Expected = {
  structs: { ...IOMMUFD_STRUCTS_612, ...VFIO_STRUCTS_612, ...GROWN, ...IOMMUFD_STRUCTS_NEWER, ...TEST_STRUCTS },
  values: { ...REQUESTS_612, ...REQUESTS_NEWER, ...CONSTANTS_612, ...CONSTANTS_NEWER, ...TEST_CONSTANTS },
  undefinedMacros: [],
};

/** A grown struct as 6.12 has it. */
export const as612 = (g: Grown): Struct => ({
  size: g.in612.size,
  members: Object.fromEntries(Object.entries(g.members).filter(([m]) => !g.in612.without.includes(m))),
});

/** What Linux 6.12's installed headers (and its iommufd_test.h) must give; its request macros stop before the newer ones. */
export const LINUX_612: Expected = {
  structs: { ...IOMMUFD_STRUCTS_612, ...VFIO_STRUCTS_612, ...Object.fromEntries(Object.entries(GROWN).map(([n, g]) => [n, as612(g)])), ...TEST_STRUCTS },
  values: { ...REQUESTS_612, ...CONSTANTS_612, ...TEST_CONSTANTS },
  undefinedMacros: [...Object.keys(REQUESTS_NEWER), 'VFIO_DEVICE_ATTACH_PASID', 'VFIO_DEVICE_DETACH_PASID'],
};

/** The C program that prints, after `prelude` (the definitions under test), one line per thing `e` asks for. */
export function probeSource(prelude: string, e: Expected): string {
  const lines: string[] = [];
  for (const [name, s] of Object.entries(e.structs)) {
    const t = `struct ${name}`;
    lines.push(`\tprintf("S ${name} %zu\\n", sizeof(${t}));`);
    for (const m of Object.keys(s.members)) {
      lines.push(`\tprintf("M ${name}.${m} %zu %zu\\n", offsetof(${t}, ${m}), sizeof(((${t} *)0)->${m}));`);
    }
  }
  for (const v of Object.keys(e.values)) lines.push(`\tprintf("V ${v} %lld\\n", (long long)(${v}));`);
  for (const m of e.undefinedMacros) lines.push(`#ifdef ${m}`, `\tprintf("D ${m}\\n");`, '#endif');
  return ['#include <stddef.h>', '#include <stdio.h>', prelude, 'int main(void)', '{', ...lines, '\treturn 0;', '}', ''].join('\n');
}

/** How the table and the probe both say a thing: `sizeof 40`, `offset 4, sizeof 4`, `0x3b85`. */
export const sizeSays = (n: number) => `sizeof ${n}`;
export const memberSays = ([off, size]: Member) => `offset ${off}, sizeof ${size}`;
export const valueSays = (v: number) => `0x${v.toString(16)}`;

/** What the table says of each thing `e` asks for, by the name the probe prints it under. */
export function tableSays(e: Expected): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, s] of Object.entries(e.structs)) {
    out.set(name, sizeSays(s.size));
    for (const [m, at] of Object.entries(s.members)) out.set(`${name}.${m}`, memberSays(at));
  }
  for (const [v, n] of Object.entries(e.values)) out.set(v, valueSays(n));
  for (const m of e.undefinedMacros) out.set(m, 'not defined');
  return out;
}

/** The probe's lines: `S struct size`, `M struct.member offset size`, `V NAME value`, `D NAME` (a macro defined). */
export function probeSays(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of output.trim().split('\n')) {
    const [kind, key = '', ...nums] = line.split(' ');
    const [a = NaN, b = NaN] = nums.map(Number);
    if (kind === 'S') out.set(key, sizeSays(a));
    else if (kind === 'M') out.set(key, memberSays([a, b]));
    else if (kind === 'V') out.set(key, valueSays(a));
    else if (kind === 'D') out.set(key, 'defined');
  }
  return out;
}

/** Every thing the C says otherwise than the table, as "iommu_ioas_map.flags: offset 8, sizeof 8 in the C; ... in the table". */
export function disagreements(e: Expected, output: string): string[] {
  const got = probeSays(output);
  const wrong: string[] = [];
  for (const [key, want] of tableSays(e)) {
    const says = got.get(key) ?? (want === 'not defined' ? 'not defined' : 'nothing printed');
    if (says !== want) wrong.push(`${key}: ${says} in the C; ${want} in the table`);
  }
  return wrong;
}

/** Compiles the probe (gcc -Wall -Werror -std=gnu11, `flags` first) in a fresh temp dir and runs it: its output. */
export function runProbe(source: string, flags: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-lab-c-uapi-'));
  try {
    const c = join(dir, 'probe.c');
    const exe = join(dir, 'probe');
    writeFileSync(c, source);
    execFileSync('gcc', ['-Wall', '-Werror', '-std=gnu11', ...flags, '-o', exe, c], { stdio: 'pipe' });
    return execFileSync(exe, { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const OURS = `${IOMMUFD_UAPI}\n${VFIO_CDEV_UAPI}\n${TEST_PORT_UAPI}`;
