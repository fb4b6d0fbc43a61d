/**
 * Recipes: one fast-check arbitrary per ioctl and environment action (an exhaustive table, so a new ioctl cannot
 * be forgotten). A recipe holds only random choices; at run time it is built against the generation model, so
 * its references name live objects (or, by a tunable share, deliberately bad ones) and its addresses lean on
 * what is mapped. Edge values (0, U64_MAX, misaligned, wrapping lengths) come with their own small weight.
 */
import fc from 'fast-check';
import {
  DEVICE_NAMES, U64_MAX, defaultWorld, type DesignName, type EnvName, type IoctlName,
} from '../uapi/index.js';
import { GenModel, type FdRole, type Kind, type Ref } from './model.js';
import type { Sym, SymCmd } from './trace.js';

export type Resolve = (s: Sym) => number | undefined;
export interface Recipe {
  readonly name: IoctlName | EnvName;
  readonly build: (m: GenModel, resolve: Resolve) => SymCmd;
}

export interface GenConfig {
  /** share of references that are deliberately bad (0..1) */
  readonly badShare: number;
  /** share of address/length choices that are edge values (0..1) */
  readonly edgeShare: number;
}
export const DEFAULT_GEN: GenConfig = { badShare: 0.1, edgeShare: 0.1 };

const PAGE = 0x1000n;
const UVA = 0x100000n;

/** Where the set-up maps user memory, and how much. */
export const USER_MEM = { uva: UVA, length: 0x10000n } as const;

function refA(g: GenConfig): fc.Arbitrary<Ref> {
  const bad = fc.constantFrom('never' as const, 'destroyed' as const, 'wrong-kind' as const, 'other-fd' as const);
  const badW = Math.round(g.badShare * 100);
  return fc.record({
    pick: fc.nat({ max: 7 }),
    bad: fc.oneof({ weight: 100 - badW, arbitrary: fc.constant(null) }, { weight: badW, arbitrary: bad }),
  });
}

/** An address: a mapped area's start (resolved at build), a small aligned one, or an edge value. */
type Addr = { readonly area: number } | { readonly at: bigint };
function addrA(g: GenConfig): fc.Arbitrary<Addr> {
  const edgeW = Math.round(g.edgeShare * 100);
  return fc.oneof(
    { weight: 60, arbitrary: fc.nat({ max: 7 }).map((area) => ({ area })) },
    { weight: 40 - edgeW, arbitrary: fc.integer({ min: 0, max: 31 }).map((k) => ({ at: BigInt(k) * PAGE })) },
    { weight: edgeW, arbitrary: fc.constantFrom(0n, 0x1001n, 0xfee00000n, 1n << 48n, U64_MAX - 0xfffn, U64_MAX).map((at) => ({ at })) },
  );
}
/** Keep a computed address a u64 (an edge value plus an offset would leave the range). */
const u64 = (v: bigint): bigint => (v > U64_MAX ? U64_MAX : v);

const addrOf = (m: GenModel, a: Addr): bigint => {
  if ('at' in a) return a.at;
  const starts = m.areaStarts();
  return starts.length > 0 ? starts[a.area % starts.length]! : PAGE * BigInt(a.area + 1); // length > 0
};

function lenA(g: GenConfig): fc.Arbitrary<bigint> {
  const edgeW = Math.round(g.edgeShare * 100);
  return fc.oneof(
    { weight: 100 - edgeW, arbitrary: fc.constantFrom(PAGE, 2n * PAGE, 4n * PAGE) },
    { weight: edgeW, arbitrary: fc.constantFrom(0n, 0x800n, U64_MAX, 1n << 47n) },
  );
}

function uvaA(g: GenConfig): fc.Arbitrary<bigint> {
  const edgeW = Math.round(g.edgeShare * 100);
  return fc.oneof(
    { weight: 100 - edgeW, arbitrary: fc.integer({ min: 0, max: 12 }).map((k) => UVA + BigInt(k) * PAGE) },
    { weight: edgeW, arbitrary: fc.constantFrom(UVA + 0x800n, 0x7000_0000n, U64_MAX - 0xfffn) },
  );
}

const gpaA = fc.constantFrom(0n, PAGE, 2n * PAGE, 0x8000n);
const tableA = fc.constantFrom(0x2000n, 0x3000n);
const pasidA = fc.option(fc.constantFrom(1, 2), { nil: null, freq: 2 });
const mapFlagsA = fc.constantFrom(6, 6, 6, 7, 2, 4, 0, 0x40);

type RecipeArbs = { readonly [N in IoctlName | EnvName]: (g: GenConfig) => fc.Arbitrary<Recipe> };

const recipe = <T>(name: IoctlName | EnvName, a: fc.Arbitrary<T>, build: (x: T, m: GenModel, res: Resolve) => SymCmd): fc.Arbitrary<Recipe> =>
  a.map((x) => ({ name, build: (m, res) => build(x, m, res), toString: () => name }));

/** fd of `role` and an object of `kind` in that fd's (bound) file. */
function fdObj(m: GenModel, res: Resolve, role: FdRole, f: Ref, kind: Kind, o: Ref): { fd: Sym | number; id: Sym | number } {
  const fd = m.fd(role, f);
  return { fd, id: m.obj(kind, m.tableOf(fd, res), o) };
}

const DEVICE_PATHS = defaultWorld().devices.map((d) => d.path);

export const RECIPES: RecipeArbs = {
  OPEN: () => recipe('OPEN', fc.nat({ max: 9 }), (k, m) => ({ env: 'OPEN', path: k < 3 ? m.state.design.node : k < 9 ? DEVICE_PATHS[k % DEVICE_PATHS.length]! : '/dev/null' })), // modulo length
  CLOSE: (g) => recipe('CLOSE', refA(g), (f, m) => ({ env: 'CLOSE', fd: m.fd('any', f) })),
  MMAP: () => recipe('MMAP', fc.nat({ max: 3 }), (k) => ({ env: 'MMAP', uva: UVA + 0x10000n * BigInt(k + 1), length: 0x4000n })),
  DMA: (g) => recipe('DMA', fc.record({ dev: fc.constantFrom(...DEVICE_NAMES), attached: fc.nat({ max: 3 }), p: fc.nat({ max: 3 }), a: addrA(g), w: fc.boolean(), off: fc.constantFrom(0n, 0x10n) }), (x, m) => {
    const ps = m.pasids();
    // mostly a device that is attached somewhere: that is whose DMA fills the IOTLB
    const on = [...new Set(m.state.attachments.map((a) => a.dev))];
    const dev = x.attached > 0 && on.length > 0 ? on[x.attached % on.length]! : x.dev; // length > 0
    return { env: 'DMA', dev, pasid: x.p === 0 || ps.length === 0 ? null : ps[x.p % ps.length]!, iova: u64(addrOf(m, x.a) + x.off), access: x.w ? 'write' : 'read' }; // length > 0
  }),
  GUEST_WRITE_PGTABLE: () => recipe('GUEST_WRITE_PGTABLE', fc.record({ t: tableA, v: fc.integer({ min: 0, max: 3 }), g: fc.option(gpaA, { nil: null }) }), (x) => ({ env: 'GUEST_WRITE_PGTABLE', table: x.t, iova: 0x200000n + BigInt(x.v) * PAGE, gpa: x.g })),
  GUEST_WRITE_PASID_TABLE: () => recipe('GUEST_WRITE_PASID_TABLE', fc.record({ t: tableA, p: fc.constantFrom(0, 1, 2), r: fc.option(tableA, { nil: null }) }), (x) => ({ env: 'GUEST_WRITE_PASID_TABLE', table: 0x4000n, pasid: x.p, pgtable: x.r ?? null })),

  IOMMU_DESTROY: (g) => recipe('IOMMU_DESTROY', fc.record({ f: refA(g), o: refA(g), k: fc.constantFrom<Kind>('ioas', 'hwpt', 'device') }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, x.k, x.o);
    return { ioctl: 'IOMMU_DESTROY', fd, id };
  }),
  IOMMU_IOAS_ALLOC: (g) => recipe('IOMMU_IOAS_ALLOC', fc.record({ f: refA(g), flags: fc.constantFrom(0, 0, 0, 1) }), (x, m) => ({ ioctl: 'IOMMU_IOAS_ALLOC', fd: m.fd('ctx', x.f), flags: x.flags })),
  IOMMU_IOAS_ALLOW_IOVAS: (g) => recipe('IOMMU_IOAS_ALLOW_IOVAS', fc.record({ f: refA(g), o: refA(g), rs: fc.array(fc.record({ start: addrA(g), n: lenA(g) }), { maxLength: 2 }) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    const allowed_iovas = x.rs.map((r) => { const start = addrOf(m, r.start); const last = start + r.n - 1n; return { start, last: last > U64_MAX ? U64_MAX : last }; });
    return { ioctl: 'IOMMU_IOAS_ALLOW_IOVAS', fd, ioas_id: id, __reserved: 0, allowed_iovas };
  }),
  IOMMU_IOAS_COPY: (g) => recipe('IOMMU_IOAS_COPY', fc.record({ f: refA(g), d: refA(g), s: refA(g), src: addrA(g), dst: fc.option(addrA(g), { nil: null }), n: lenA(g), flags: mapFlagsA }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const fixed = x.dst === null ? 0 : 1;
    return { ioctl: 'IOMMU_IOAS_COPY', fd, flags: (x.flags & ~1) | fixed, dst_ioas_id: m.obj('ioas', file, x.d), src_ioas_id: m.obj('ioas', file, x.s), length: x.n, dst_iova: x.dst === null ? 0n : u64(addrOf(m, x.dst) + 0x100000n), src_iova: addrOf(m, x.src) };
  }),
  IOMMU_IOAS_IOVA_RANGES: (g) => recipe('IOMMU_IOAS_IOVA_RANGES', fc.record({ f: refA(g), o: refA(g), n: fc.constantFrom(0, 1, 4, 8) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    return { ioctl: 'IOMMU_IOAS_IOVA_RANGES', fd, ioas_id: id, num_iovas: x.n, __reserved: 0 };
  }),
  IOMMU_IOAS_MAP: (g) => recipe('IOMMU_IOAS_MAP', fc.record({ f: refA(g), o: refA(g), iova: fc.option(addrA(g), { nil: null, freq: 4 }), n: lenA(g), u: uvaA(g), flags: mapFlagsA }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    const iova = x.iova === null ? 0n : u64(addrOf(m, x.iova) + 0x10000n);
    return { ioctl: 'IOMMU_IOAS_MAP', fd, flags: (x.flags & ~1) | (x.iova === null ? 0 : 1), ioas_id: id, __reserved: 0, user_va: x.u, length: x.n, iova };
  }),
  IOMMU_IOAS_UNMAP: (g) => recipe('IOMMU_IOAS_UNMAP', fc.record({ f: refA(g), o: refA(g), a: addrA(g), n: fc.oneof(lenA(g), fc.constant(U64_MAX)) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    const iova = x.n === U64_MAX ? 0n : addrOf(m, x.a);
    return { ioctl: 'IOMMU_IOAS_UNMAP', fd, ioas_id: id, iova, length: x.n };
  }),
  IOMMU_HWPT_ALLOC: (g) => recipe('IOMMU_HWPT_ALLOC', fc.record({ f: refA(g), d: refA(g), p: refA(g), onHwpt: fc.boolean(), flags: fc.constantFrom(0, 1, 1, 8, 9, 2, 4), data: fc.option(fc.record({ t: fc.constantFrom('IOMMU_HWPT_DATA_VTD_S1' as const, 'IOMMU_HWPT_DATA_ARM_SMMUV3' as const), root: tableA }), { nil: null }) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const native = m.state.world.hw === 'host-pasid-table' ? ('IOMMU_HWPT_DATA_VTD_S1' as const) : ('IOMMU_HWPT_DATA_ARM_SMMUV3' as const);
    const data = x.onHwpt ? (x.data ?? { t: native, root: 0x2000n }) : null;
    return {
      ioctl: 'IOMMU_HWPT_ALLOC', fd, flags: x.onHwpt ? x.flags & 12 : x.flags, dev_id: m.obj('device', file, x.d), pt_id: m.obj(x.onHwpt ? 'hwpt_paging' : 'ioas', file, x.p),
      __reserved: 0, data_type: data ? data.t : 'IOMMU_HWPT_DATA_NONE', data: data ? { pgtbl_addr: data.root } : null, fault_id: 0,
    };
  }),
  IOMMU_HWPT_INVALIDATE: (g) => recipe('IOMMU_HWPT_INVALIDATE', fc.record({ f: refA(g), o: refA(g), all: fc.boolean(), v: fc.nat({ max: 3 }) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'hwpt_nested', x.o);
    const data_type = m.state.world.hw === 'host-pasid-table' ? 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' : 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3';
    return { ioctl: 'IOMMU_HWPT_INVALIDATE', fd, hwpt_id: id, data_type, entries: [x.all ? { scope: 'all' } : { scope: 'range', addr: 0x200000n + BigInt(x.v) * PAGE, npages: 1n }], __reserved: 0 };
  }),
  VFIO_DEVICE_BIND_IOMMUFD: (g) => recipe('VFIO_DEVICE_BIND_IOMMUFD', fc.record({ d: refA(g), f: refA(g) }), (x, m) => ({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: m.fd('device', x.d), flags: 0, iommufd: m.fd('ctx', x.f) })),
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: (g) => recipe('VFIO_DEVICE_ATTACH_IOMMUFD_PT', fc.record({ d: refA(g), p: refA(g), k: fc.constantFrom<Kind>('ioas', 'ioas', 'hwpt'), pasid: pasidA }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    return { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd, flags: x.pasid === null ? 0 : 1, pt_id: m.obj(x.k, m.tableOf(fd, res), x.p), pasid: x.pasid ?? 0 };
  }),
  VFIO_DEVICE_DETACH_IOMMUFD_PT: (g) => recipe('VFIO_DEVICE_DETACH_IOMMUFD_PT', fc.record({ d: refA(g), pasid: pasidA }), (x, m) => ({ ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', fd: m.fd('device', x.d), flags: x.pasid === null ? 0 : 1, pasid: x.pasid ?? 0 })),

  IOASID_ALLOC: (g) => recipe('IOASID_ALLOC', refA(g), (f, m) => ({ ioctl: 'IOASID_ALLOC', fd: m.fd('ctx', f) })),
  IOASID_FREE: (g) => recipe('IOASID_FREE', fc.record({ f: refA(g), o: refA(g) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    return { ioctl: 'IOASID_FREE', fd, ioasid: id };
  }),
  IOASID_REGISTER_MEMORY: (g) => recipe('IOASID_REGISTER_MEMORY', fc.record({ f: refA(g), u: uvaA(g), n: lenA(g) }), (x, m) => ({ ioctl: 'IOASID_REGISTER_MEMORY', fd: m.fd('ctx', x.f), vaddr: x.u, size: x.n })),
  IOASID_UNREGISTER_MEMORY: (g) => recipe('IOASID_UNREGISTER_MEMORY', fc.record({ f: refA(g), u: uvaA(g), n: lenA(g) }), (x, m) => ({ ioctl: 'IOASID_UNREGISTER_MEMORY', fd: m.fd('ctx', x.f), vaddr: x.u, size: x.n })),
  IOASID_MAP_DMA: (g) => recipe('IOASID_MAP_DMA', fc.record({ f: refA(g), o: refA(g), child: fc.boolean(), a: addrA(g), n: lenA(g), u: uvaA(g), gpa: gpaA, flags: fc.constantFrom(3, 3, 1, 2, 0) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const single = m.state.design.policy.fdModel === 'per-ioasid';
    const id = single ? 0 : m.obj(x.child ? 'ioasid_child' : 'ioas', m.tableOf(fd, res), x.o);
    return { ioctl: 'IOASID_MAP_DMA', fd, ioasid: id, flags: x.flags, vaddr: x.child ? x.gpa : x.u, iova: u64(addrOf(m, x.a) + 0x10000n), size: x.n };
  }),
  IOASID_UNMAP_DMA: (g) => recipe('IOASID_UNMAP_DMA', fc.record({ f: refA(g), o: refA(g), child: fc.boolean(), a: addrA(g), n: lenA(g) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const id = m.state.design.policy.fdModel === 'per-ioasid' ? 0 : m.obj(x.child ? 'ioasid_child' : 'ioas', m.tableOf(fd, res), x.o);
    return { ioctl: 'IOASID_UNMAP_DMA', fd, ioasid: id, iova: addrOf(m, x.a), size: x.n };
  }),
  IOASID_CREATE_NESTING: (g) => recipe('IOASID_CREATE_NESTING', fc.record({ f: refA(g), o: refA(g) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    return { ioctl: 'IOASID_CREATE_NESTING', fd, parent_ioasid: m.state.design.policy.fdModel === 'per-ioasid' ? 0 : id };
  }),
  IOASID_BIND_PGTABLE: (g) => recipe('IOASID_BIND_PGTABLE', fc.record({ f: refA(g), o: refA(g), t: tableA, native: fc.boolean() }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_BIND_PGTABLE', fd, ioasid: m.state.design.policy.fdModel === 'per-ioasid' ? 0 : id, format: nativeFormat(m, x.native), pgtbl_addr: x.t };
  }),
  IOASID_UNBIND_PGTABLE: (g) => recipe('IOASID_UNBIND_PGTABLE', fc.record({ f: refA(g), o: refA(g) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_UNBIND_PGTABLE', fd, ioasid: m.state.design.policy.fdModel === 'per-ioasid' ? 0 : id };
  }),
  IOASID_BIND_PASID_TABLE: (g) => recipe('IOASID_BIND_PASID_TABLE', fc.record({ f: refA(g), o: refA(g), native: fc.boolean() }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_BIND_PASID_TABLE', fd, ioasid: id, format: nativeFormat(m, x.native), pasid_table_addr: 0x4000n };
  }),
  IOASID_UNBIND_PASID_TABLE: (g) => recipe('IOASID_UNBIND_PASID_TABLE', fc.record({ f: refA(g), o: refA(g) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_UNBIND_PASID_TABLE', fd, ioasid: id };
  }),
  IOASID_INVALIDATE_CACHE: (g) => recipe('IOASID_INVALIDATE_CACHE', fc.record({ f: refA(g), o: refA(g), all: fc.boolean(), v: fc.nat({ max: 3 }) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_INVALIDATE_CACHE', fd, ioasid: m.state.design.policy.fdModel === 'per-ioasid' ? 0 : id, granularity: x.all ? { kind: 'all' } : { kind: 'range', iova: 0x200000n + BigInt(x.v) * PAGE, size: PAGE } };
  }),
  VFIO_BIND_IOASID_FD: (g) => recipe('VFIO_BIND_IOASID_FD', fc.record({ d: refA(g), f: refA(g) }), (x, m) => ({ ioctl: 'VFIO_BIND_IOASID_FD', fd: m.fd('device', x.d), ioasid_fd: m.fd('ctx', x.f) })),
  VFIO_UNBIND_IOASID_FD: (g) => recipe('VFIO_UNBIND_IOASID_FD', refA(g), (d, m) => ({ ioctl: 'VFIO_UNBIND_IOASID_FD', fd: m.fd('device', d) })),
  VFIO_ATTACH_IOASID: (g) => recipe('VFIO_ATTACH_IOASID', fc.record({ d: refA(g), o: refA(g), child: fc.boolean(), pasid: pasidA }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    const ioasid = m.state.design.policy.fdModel === 'per-ioasid' ? m.fd('ctx', x.o) : m.obj(x.child ? 'ioasid_child' : 'ioas', m.tableOf(fd, res), x.o);
    return { ioctl: 'VFIO_ATTACH_IOASID', fd, ioasid, flags: x.pasid === null ? 0 : 1, user_pasid: x.pasid ?? 0 };
  }),
  VFIO_DETACH_IOASID: (g) => recipe('VFIO_DETACH_IOASID', fc.record({ d: refA(g), o: refA(g), child: fc.boolean(), pasid: pasidA }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    const ioasid = m.state.design.policy.fdModel === 'per-ioasid' ? m.fd('ctx', x.o) : m.obj(x.child ? 'ioasid_child' : 'ioas', m.tableOf(fd, res), x.o);
    return { ioctl: 'VFIO_DETACH_IOASID', fd, ioasid, flags: x.pasid === null ? 0 : 1, user_pasid: x.pasid ?? 0 };
  }),
  VFIO_DEVICE_BIND_PGTABLE: (g) => recipe('VFIO_DEVICE_BIND_PGTABLE', fc.record({ d: refA(g), o: refA(g), pasid: pasidA, t: tableA, native: fc.boolean() }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    return { ioctl: 'VFIO_DEVICE_BIND_PGTABLE', fd, ioasid: m.obj('ioas', m.tableOf(fd, res), x.o), flags: x.pasid === null ? 0 : 1, pasid: x.pasid ?? 0, format: nativeFormat(m, x.native), pgtbl_addr: x.t };
  }),
  VFIO_DEVICE_UNBIND_PGTABLE: (g) => recipe('VFIO_DEVICE_UNBIND_PGTABLE', fc.record({ d: refA(g), pasid: pasidA }), (x, m) => ({ ioctl: 'VFIO_DEVICE_UNBIND_PGTABLE', fd: m.fd('device', x.d), flags: x.pasid === null ? 0 : 1, pasid: x.pasid ?? 0 })),
  VFIO_DEVICE_BIND_PASID_TABLE: (g) => recipe('VFIO_DEVICE_BIND_PASID_TABLE', fc.record({ d: refA(g), o: refA(g), native: fc.boolean() }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    return { ioctl: 'VFIO_DEVICE_BIND_PASID_TABLE', fd, ioasid: m.obj('ioas', m.tableOf(fd, res), x.o), format: nativeFormat(m, x.native), pasid_table_addr: 0x4000n };
  }),
  VFIO_DEVICE_INVALIDATE_CACHE: (g) => recipe('VFIO_DEVICE_INVALIDATE_CACHE', fc.record({ d: refA(g), pasid: pasidA, all: fc.boolean(), v: fc.nat({ max: 3 }) }), (x, m) => ({
    ioctl: 'VFIO_DEVICE_INVALIDATE_CACHE', fd: m.fd('device', x.d), flags: x.pasid === null ? 0 : 1, pasid: x.pasid ?? 0,
    granularity: x.all ? { kind: 'all' } : { kind: 'range', iova: 0x200000n + BigInt(x.v) * PAGE, size: PAGE },
  })),
};

function nativeFormat(m: GenModel, native: boolean) {
  const host = m.state.world.hw === 'host-pasid-table';
  return host === native ? ('IOASID_FORMAT_VTD' as const) : ('IOASID_FORMAT_SMMUV3' as const);
}

/** How often each recipe is drawn: the state-building ones more. */
const WEIGHT: Partial<Record<IoctlName | EnvName, number>> = {
  DMA: 8, IOMMU_IOAS_MAP: 5, IOASID_MAP_DMA: 5, VFIO_DEVICE_ATTACH_IOMMUFD_PT: 4, VFIO_ATTACH_IOASID: 4, GUEST_WRITE_PGTABLE: 3,
  IOMMU_IOAS_UNMAP: 3, IOASID_UNMAP_DMA: 3, IOMMU_HWPT_ALLOC: 3, IOASID_CREATE_NESTING: 2, IOASID_BIND_PGTABLE: 2,
  VFIO_DEVICE_BIND_PGTABLE: 2, IOMMU_HWPT_INVALIDATE: 2, IOASID_INVALIDATE_CACHE: 2, VFIO_DEVICE_INVALIDATE_CACHE: 2,
  IOMMU_IOAS_ALLOC: 2, IOASID_ALLOC: 2,
};

/** The recipes of one design: its ioctls plus the environment actions, weighted. */
export function recipesFor(ioctls: readonly IoctlName[], g: GenConfig = DEFAULT_GEN): fc.Arbitrary<Recipe>[] {
  const names = [...ioctls, 'OPEN', 'CLOSE', 'MMAP', 'DMA', 'GUEST_WRITE_PGTABLE', 'GUEST_WRITE_PASID_TABLE'] as (IoctlName | EnvName)[];
  return names.flatMap((n) => Array.from({ length: WEIGHT[n] ?? 1 }, () => RECIPES[n](g)));
}

/**
 * The set-up every generated trace starts from (a selftest fixture), so random commands meet live objects: the
 * design's node ($fd1), three device FDs ($fd2..$fd4) bound to it, user memory, one address space ($ioas1 /
 * $ioasid1, or the ioasid FD itself) with dev1 attached. Symbols follow the order in which the run binds them.
 */
export function prologue(design: DesignName, node: string): SymCmd[] {
  const open: SymCmd[] = [
    { env: 'OPEN', path: node },
    { env: 'OPEN', path: DEVICE_PATHS[0]! }, // three devices in the default world
    { env: 'OPEN', path: DEVICE_PATHS[1]! },
    { env: 'OPEN', path: DEVICE_PATHS[2]! },
    { env: 'MMAP', uva: USER_MEM.uva, length: USER_MEM.length },
  ];
  const devs = ['$fd2', '$fd3', '$fd4'];
  if (design === 'iommufd') {
    return [...open, { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 },
      ...devs.map((d) => ({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: d, flags: 0, iommufd: '$fd1' })),
      { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd2', flags: 0, pt_id: '$ioas1', pasid: 0 }];
  }
  if (design === 'fd-per-ioasid') return [...open, { ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd2', ioasid: '$fd1', flags: 0, user_pasid: 0 }];
  return [...open, ...devs.map((d) => ({ ioctl: 'VFIO_BIND_IOASID_FD', fd: d, ioasid_fd: '$fd1' })), { ioctl: 'IOASID_ALLOC', fd: '$fd1' },
    { ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd2', ioasid: '$ioasid1', flags: 0, user_pasid: 0 }];
}
