/**
 * Recipes: one fast-check arbitrary per ioctl and environment action (an exhaustive table, so a new ioctl cannot
 * be forgotten). A recipe holds only random choices; at run time it is built against the generation model, so
 * its references name live objects (or, by a tunable share, deliberately bad ones) and its addresses and ranges
 * are drawn against what is mapped (gen-values.ts). DMA is aimed where translation bugs show: at IOVAs the guest
 * wrote into a stage-1 through the device that walks it, at area edges and holes of attached devices.
 */
import fc from 'fast-check';
import {
  DEVICE_NAMES, DEVICE_PATHS, hasTestPort, uapiOf, viommuTypeOf, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_DEFAULT, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, IOMMU_VEVENTQ_TYPE_DEFAULT, HWPT_DATA_LEN, INVALIDATE_ENTRY_LEN, U64_MAX, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_FAULT_ID_VALID, type EnvName, type HwptDataType, type IoctlName, type World,
} from '../uapi/index.js';
import { envNamesOf, holders, isPageFaultEnv, nestsThroughViommu, objectOfFile, objKey, type Design, type Obj } from '../spec/index.js';
import { GenModel, type FdRole, type Kind, type Ref } from './model.js';
import type { Sym, SymCmd } from './trace.js';
import { HIGH_RAM, USER_MEM } from './fixture.js';
import {
  addrA, addrOf, DEFAULT_GEN, shifted, GUEST_IOVA, lenA, PAGE, PASID_TABLE, pasidA, rangeA, rangeOf, tableA, u64, type GenConfig,
} from './gen-values.js';

export { DEFAULT_GEN, type GenConfig } from './gen-values.js';

export type Resolve = (s: Sym) => number | undefined;
export interface Recipe {
  readonly name: IoctlName | EnvName;
  readonly build: (m: GenModel, resolve: Resolve) => SymCmd;
}

const UVA = USER_MEM.uva;

/** Further user memory an MMAP adds: small windows, and one 4 MiB window that holds 2 MiB-aligned huge maps. */
const MMAPS: readonly { uva: bigint; length: bigint }[] = [
  { uva: 0x20_0000n, length: 0x4000n }, { uva: 0x30_0000n, length: 0x4000n }, { uva: 0x4000_0000n, length: 0x40_0000n },
];

function refA(g: GenConfig): fc.Arbitrary<Ref> {
  const bad = fc.constantFrom('never' as const, 'destroyed' as const, 'wrong-kind' as const, 'other-fd' as const);
  const badW = Math.round(g.badShare * 100);
  return fc.record({
    pick: fc.nat({ max: 7 }),
    bad: fc.oneof({ weight: Math.max(0, 100 - badW), arbitrary: fc.constant(null) }, { weight: badW, arbitrary: bad }),
  });
}

/** A user VA: inside mmapped memory (the set-up's or a later MMAP's), or an edge value. */
function uvaA(g: GenConfig): fc.Arbitrary<(m: GenModel) => bigint> {
  const edgeW = Math.round(g.edgeShare * 100);
  return fc.oneof(
    { weight: Math.max(1, 64 - edgeW), arbitrary: fc.integer({ min: 0, max: 12 }).map((k) => () => UVA + BigInt(k) * PAGE) },
    // user memory that is not mmapped (pinning it fails, once a domain needs it) or not page aligned
    { weight: 6, arbitrary: fc.constantFrom(0x7000_0000n, UVA + 0x800n).map((v) => () => v) },
    { weight: 30, arbitrary: fc.record({ r: fc.nat({ max: 7 }), k: fc.nat({ max: 3 }) }).map(({ r, k }) => (m: GenModel) => {
      const mem = m.state.userMem;
      return mem.length === 0 ? UVA : mem[r % mem.length]!.start + BigInt(k) * PAGE; // length > 0
    }) },
    { weight: Math.max(1, edgeW), arbitrary: fc.constantFrom(UVA + 0x800n, 0x7000_0000n, U64_MAX - 0xfffn).map((v) => () => v) },
  );
}

/** A guest-physical page: one the parent maps (so the stage-1 walk completes), or a fixed low one. */
const gpaA = fc.record({ mapped: fc.boolean(), k: fc.nat({ max: 63 }), low: fc.constantFrom(0n, PAGE, 2n * PAGE, 0x8000n) }).map((x) => (m: GenModel) => {
  const pages = m.stage2Pages();
  return x.mapped && pages.length > 0 ? pages[x.k % pages.length]! : x.low; // length > 0
});
/** MAP/COPY flags: read-write mostly, one-way sometimes, and (in the edge share) no permission or an unknown bit. */
function mapFlagsA(g: GenConfig): fc.Arbitrary<number> {
  const edgeW = Math.round(g.edgeShare * 50);
  return fc.oneof({ weight: 100 - edgeW, arbitrary: fc.constantFrom(6, 6, 6, 7, 2, 4) }, { weight: edgeW, arbitrary: fc.constantFrom(0, 0x40) });
}

/** A `__reserved` field or a flags word's unknown bits: 0, or (in the edge share) a non-zero value. */
function resvA(g: GenConfig, nonzero: number): fc.Arbitrary<number> {
  const edgeW = Math.round(g.edgeShare * 50);
  return fc.oneof({ weight: 100 - edgeW, arbitrary: fc.constant(0) }, { weight: edgeW, arbitrary: fc.constant(nonzero) });
}
const DATA_TYPES: readonly HwptDataType[] = ['IOMMU_HWPT_DATA_NONE', 'IOMMU_HWPT_DATA_VTD_S1', 'IOMMU_HWPT_DATA_ARM_SMMUV3'];

type RecipeArbs = { readonly [N in IoctlName | EnvName]: (g: GenConfig) => fc.Arbitrary<Recipe> };

const recipe = <T>(name: IoctlName | EnvName, a: fc.Arbitrary<T>, build: (x: T, m: GenModel, res: Resolve) => SymCmd): fc.Arbitrary<Recipe> =>
  a.map((x) => ({ name, build: (m, res) => build(x, m, res), toString: () => name }));

/** fd of `role` and an object of `kind` in that fd's (bound) file. */
function fdObj(m: GenModel, res: Resolve, role: FdRole, f: Ref, kind: Kind, o: Ref): { fd: Sym | number; id: Sym | number } {
  const fd = m.fd(role, f);
  return { fd, id: m.obj(kind, m.tableOf(fd, res), o) };
}


export const RECIPES: RecipeArbs = {
  OPEN: () => recipe('OPEN', fc.nat({ max: 9 }), (k, m) => ({ env: 'OPEN', path: k < 3 ? m.state.design.node : k < 9 ? DEVICE_PATHS[k % DEVICE_PATHS.length]! : '/dev/null' })), // modulo length
  CLOSE: (g) => recipe('CLOSE', refA(g), (f, m) => {
    // half the closes take an object's own fd (a FAULT's, a vEVENTQ's) where there is one, that of an object
    // only its fd holds where there is one: IOMMU_DESTROY of the object then succeeds
    const own = (['fault', 'veventq'] as const).filter((r) => m.fdsOf(r).length > 0);
    const onlyFdHolds = (fd: number) => {
      const file = m.state.files[m.state.fds[fd]!]; // listed fds are open
      const o = file?.kind === 'fault' || file?.kind === 'veventq' ? m.state.objects[objectOfFile(file)] : undefined;
      return o !== undefined && holders(m.state, o).length === 1;
    };
    return f.pick % 2 === 0 && own.length > 0
      ? { env: 'CLOSE', fd: m.fd(own[(f.pick >> 1) % own.length]!, f, onlyFdHolds) } // length > 0
      : { env: 'CLOSE', fd: m.fd('any', f) };
  }),
  MMAP: (g) => recipe('MMAP', fc.record({ k: fc.nat({ max: MMAPS.length - 1 }), bad: resvA(g, 1) }), ({ k, bad }) => {
    const r = MMAPS[k]!; // k < length
    return { env: 'MMAP', uva: r.uva + (bad && k === 0 ? 0x800n : 0n), length: bad && k !== 0 ? 0n : r.length }; // misaligned, or empty
  }),
  // munmap cuts what is mapped: a whole mapping, its first, second or last page, or two pages from its second; in the
  // edge share a misaligned address or an empty length
  MUNMAP: (g) => recipe('MUNMAP', fc.record({ r: fc.nat({ max: 7 }), shape: fc.nat({ max: 4 }), bad: resvA(g, 1) }), (x, m) => {
    const mem = m.state.userMem;
    const fixed = MMAPS[x.r % MMAPS.length]!; // modulo length
    // nothing mapped any more: a window an MMAP maps
    const w = mem.length > 0 ? mem[x.r % mem.length]! : { start: fixed.uva, last: fixed.uva + fixed.length - 1n }; // modulo length
    const second = w.last - w.start + 1n > PAGE ? w.start + PAGE : w.start;
    const cuts: readonly (readonly [bigint, bigint])[] = [[w.start, w.last - w.start + 1n], [w.start, PAGE], [second, PAGE], [w.last + 1n - PAGE, PAGE], [second, 2n * PAGE]];
    const [uva, length] = cuts[x.shape]!; // shape < 5 = length
    return { env: 'MUNMAP', uva: uva + (x.bad !== 0 && x.r % 2 === 0 ? 0x800n : 0n), length: x.bad !== 0 && x.r % 2 === 1 ? 0n : length };
  }),
  DMA: (g) => recipe('DMA', fc.record({ aim: fc.nat({ max: 9 }), dev: fc.constantFrom(...DEVICE_NAMES), k: fc.nat({ max: 7 }), p: fc.nat({ max: 3 }), a: addrA(g), w: fc.boolean(), off: fc.constantFrom(0n, 0n, 0x10n, 0xfffn) }), (x, m) => {
    const access = x.w ? ('write' as const) : ('read' as const);
    // half the DMAs go through a guest stage-1 when there is one, at an IOVA the guest wrote: where nested IOTLB entries are made
    const routes = m.nestedRoutes();
    // PASID routes count twice: each is one more context whose cached translations an invalidation must reach
    const nested = [...routes, ...routes.filter((r) => r.pasid !== null)];
    // where the process's own memory is bound to a PASID (native SVA), three in ten DMAs walk it at a user page
    const native = m.nativeRoutes();
    if (x.aim >= 5 && x.aim < 8 && native.length > 0) {
      const r = native[x.k % native.length]!; // length > 0
      const pages = [...m.userPages(), ...MMAPS.map((w) => w.uva)];
      return { env: 'DMA', dev: r.dev, pasid: r.pasid, iova: pages[(x.k + x.p) % pages.length]! + x.off, access }; // length > 0
    }
    if (x.aim < 5 && nested.length > 0) {
      const r = nested[x.k % nested.length]!; // length > 0
      const mine = m.stage1IovasOf(r.dev, r.pasid);
      const guest = mine.length > 0 ? mine : m.guestIovas();
      const iova = guest.length > 0 && x.p > 0 ? guest[x.k % guest.length]! : GUEST_IOVA + BigInt(x.p) * PAGE; // length > 0
      return { env: 'DMA', dev: r.dev, pasid: r.pasid, iova: iova + x.off, access };
    }
    // where a HWPT records dirty pages, one DMA in five writes through it at a page its IOAS maps: what dirties a bit
    const dirtying = m.dirtyRoutes();
    if (x.aim >= 8 && dirtying.length > 0) {
      const r = dirtying[x.k % dirtying.length]!; // length > 0
      const page = r.pages[(x.k + x.p) % r.pages.length]!; // dirtyRoutes lists routes with pages only
      return { env: 'DMA', dev: r.dev, pasid: r.pasid, iova: page + x.off, access: x.p === 3 ? access : 'write' };
    }
    // mostly a device that is attached somewhere (whose DMA fills the IOTLB), at area edges and holes
    const on = m.attachedDevs();
    const ps = m.pasids();
    const dev = x.aim < 8 && on.length > 0 ? on[x.k % on.length]! : x.dev; // length > 0
    return { env: 'DMA', dev, pasid: x.p === 0 || ps.length === 0 ? null : ps[x.p % ps.length]!, iova: u64(addrOf(m, x.a) + x.off), access }; // length > 0
  }),
  // the guest writes mostly into tables a stage-1 context reads (as a guest kernel does), else anywhere
  // and half the time it changes an entry that is present (remaps or unmaps a page): what invalidation is for
  GUEST_WRITE_PGTABLE: () => recipe('GUEST_WRITE_PGTABLE', fc.record({ t: tableA, live: fc.nat({ max: 3 }), v: fc.integer({ min: 0, max: 3 }), remap: fc.boolean(), g: fc.option(gpaA, { nil: null, freq: 5 }) }), (x, m) => {
    const roots = m.stage1Roots().pgtables;
    const table = x.live > 0 && roots.length > 0 ? roots[x.live % roots.length]! : x.t; // length > 0
    const present = Object.keys(m.state.guestPgtables[table.toString()] ?? {});
    const iova = x.remap && present.length > 0 ? BigInt(present[x.v % present.length]!) << 12n : GUEST_IOVA + BigInt(x.v) * PAGE; // length > 0
    return { env: 'GUEST_WRITE_PGTABLE', table, iova, gpa: x.g === null ? null : x.g(m) };
  }),
  GUEST_WRITE_PASID_TABLE: () => recipe('GUEST_WRITE_PASID_TABLE', fc.record({ live: fc.nat({ max: 3 }), p: fc.constantFrom(0, 0, 1, 2), r: fc.option(tableA, { nil: null, freq: 4 }) }), (x, m) => {
    const roots = m.stage1Roots().pasidTables;
    const table = x.live > 0 && roots.length > 0 ? roots[x.live % roots.length]! : PASID_TABLE; // length > 0
    return { env: 'GUEST_WRITE_PASID_TABLE', table, pasid: x.p, pgtable: x.r ?? null };
  }),
  // the selftest mock's reserved range: at an address drawn like a map's, so it meets areas and allowed ranges;
  // now and then empty (the selftests' own EINVAL case)
  // in the edge share, a range from the last byte of the u64 space: one that wraps (EOVERFLOW) unless one byte long
  // a device that is attached (most of the time through a HWPT with a FAULT, where there is one), for a page its
  // route maps or not, reading or writing
  PAGE_REQUEST: () => recipe('PAGE_REQUEST', fc.record({ aim: fc.nat({ max: 3 }), dev: fc.constantFrom(...DEVICE_NAMES), k: fc.nat({ max: 7 }), perm: fc.constantFrom(1, 2, 3), page: fc.nat({ max: 3 }) }), (x, m) => {
    const faulting = m.faultRoutes();
    const r = x.aim > 0 && faulting.length > 0 ? faulting[x.k % faulting.length]! : null; // length > 0
    return { env: 'PAGE_REQUEST', dev: r?.dev ?? x.dev, pasid: r?.pasid ?? null, addr: GUEST_IOVA + BigInt(x.page) * PAGE, perm: x.perm };
  }),
  // mostly a device attached to a nested HWPT of a vIOMMU (whose events go to the guest), else any device
  IOMMU_EVENT: () => recipe('IOMMU_EVENT', fc.record({ aim: fc.nat({ max: 3 }), dev: fc.constantFrom(...DEVICE_NAMES) }), (x, m) => {
    const viaViommu = m.state.attachments.filter((a) => {
      const ctx = m.state.objects[a.ctx];
      return a.pasid === null && ctx?.kind === 'hwpt_nested' && ctx.viommu !== null;
    });
    const a = x.aim > 0 && viaViommu.length > 0 ? viaViommu[x.aim % viaViommu.length]! : null; // length > 0
    return { env: 'IOMMU_EVENT', dev: a?.dev ?? x.dev };
  }),
  // room for one SMMUv3 event (40 bytes), two, a lost-events header only (8), nothing, or a byte short of one event
  VEVENTQ_READ: (g) => recipe('VEVENTQ_READ', fc.record({ f: refA(g), count: fc.constantFrom(40, 40, 80, 48, 8, 0, 39, 400) }), (x, m) => ({ env: 'VEVENTQ_READ', fd: m.fd('veventq', x.f), count: x.count })),
  // room for one record, several, none (0 bytes), or (in the edge share) a count that is no multiple of 40
  FAULT_READ: (g) => recipe('FAULT_READ', fc.record({ f: refA(g), n: fc.constantFrom(1, 1, 2, 4, 0), odd: resvA(g, 1) }), (x, m) => ({ env: 'FAULT_READ', fd: m.fd('fault', x.f), count: x.n * 40 + (x.odd !== 0 ? 8 : 0) })),
  // answers to cookies a read gave (one, two, or the same twice), SUCCESS or INVALID, in the edge share a bad code or
  // a cookie nothing has
  FAULT_WRITE: (g) => recipe('FAULT_WRITE', fc.record({ f: refA(g), n: fc.constantFrom(1, 1, 2, 0), twice: fc.constantFrom(false, false, true), code: fc.constantFrom(0, 0, 1), bad: resvA(g, 1), k: fc.nat({ max: 3 }) }), (x, m, res) => {
    const fd = m.fd('fault', x.f);
    const cookies = m.readCookies(fd, res);
    const pick = (i: number) => (cookies.length > 0 ? cookies[(x.k + i) % cookies.length]! : 1 + i); // length > 0
    // `twice`: the first cookie answered twice in one write (the second stops it: that cookie is taken by then)
    const responses: { cookie: number; code: number }[] = Array.from({ length: x.twice ? Math.max(x.n, 2) : x.n }, (_, i) => ({ cookie: x.twice ? pick(0) : pick(i), code: x.code }));
    // the bad record first (nothing taken: EINVAL) or after the good ones (the write stops there)
    const bad = x.k % 2 === 0 ? { cookie: pick(0), code: 2 } : { cookie: 0x7fff, code: 0 };
    if (x.bad !== 0) return { env: 'FAULT_WRITE', fd, responses: x.twice ? [bad, ...responses] : [...responses, bad] };
    return { env: 'FAULT_WRITE', fd, responses };
  }),
  // RFC v1's ring: mostly of an FD with requests posted, taking one, several or none
  FAULT_RING_READ: (g) => recipe('FAULT_RING_READ', fc.record({ f: refA(g), n: fc.constantFrom(1, 1, 2, 4, 0) }), (x, m) => {
    const files = new Set([...m.ringRequests().posted].map((k) => m.state.objects[k]!.file)); // posted keys are live
    return { env: 'FAULT_RING_READ', fd: m.fd('ctx', x.f, (n) => files.has(m.state.fds[n]!)), count: x.n }; // preferred fds are open
  }),
  // a memfd of a few pages, or 2 MiB; in the edge share an empty one or one past the model's 64 GiB
  MEMFD_CREATE: (g) => recipe('MEMFD_CREATE', fc.record({ n: fc.constantFrom(0x4000n, 0x10000n, 0x20_0000n), edge: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: Math.max(1, Math.round(g.edgeShare * 10)), arbitrary: fc.constantFrom(0n, (1n << 36n) + 1n) }) }), (x) => ({ env: 'MEMFD_CREATE', length: x.edge ?? x.n })),
  // the selftest's access objects: mostly one that may pin, on an IOAS that has areas
  MOCK_ACCESS_CREATE: (g) => recipe('MOCK_ACCESS_CREATE', fc.record({ f: refA(g), o: refA(g), flags: fc.constantFrom(1, 1, 1, 0), bad: resvA(g, 2) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const ioas_id = m.obj('ioas', m.tableOf(fd, res), x.o, x.o.pick % 4 !== 3 ? (o) => 'areas' in o && o.areas.length > 0 : undefined);
    return { env: 'MOCK_ACCESS_CREATE', fd, ioas_id, flags: x.flags | x.bad };
  }),
  // a range of the access's IOAS drawn as unmaps draw theirs (whole areas, part, across a hole); in the edge share more
  // than the selftest's 16 MiB, or an unknown flag
  MOCK_ACCESS_PIN: (g) => recipe('MOCK_ACCESS_PIN', fc.record({ f: refA(g), a: refA(g), r: rangeA(g), w: fc.boolean(), big: resvA(g, 1), zero: resvA(g, 1), bad: resvA(g, 2), aim: fc.nat({ max: 3 }) }), (x, m, res) => {
    const access_fd = m.fd('access', x.a);
    const areas = m.accessAreas(access_fd, res);
    // a quarter of the pins aim at an area that refuses their direction (a read-only area for a write pin: EPERM), a
    // quarter at one over user memory that is not mmapped (mapped lazily, without a domain: EFAULT)
    const against = x.aim === 0 ? m.protAgainst(areas, x.w ? 'write' : 'read') : x.aim === 1 ? m.unbacked(areas) : -1;
    const { iova, length } = rangeOf(m, areas, against === -1 ? x.r : { shape: 'exact', i: against, pages: 1 });
    const len = x.big !== 0 ? (16n << 20n) + 1n : x.zero !== 0 ? 0n : length;
    return { env: 'MOCK_ACCESS_PIN', fd: m.fd('ctx', x.f), access_fd, iova, length: len, flags: (x.w ? 1 : 0) | x.bad };
  }),
  // a pin the access has, or (with a bad reference) an id it never gave
  MOCK_ACCESS_UNPIN: (g) => recipe('MOCK_ACCESS_UNPIN', fc.record({ f: refA(g), a: refA(g), k: fc.nat({ max: 7 }) }), (x, m, res) => {
    const access_fd = m.fd('access', x.a);
    const pins = m.accessOf(access_fd, res)?.pins ?? [];
    return { env: 'MOCK_ACCESS_UNPIN', fd: m.fd('ctx', x.f), access_fd, pages_id: x.a.bad === null && pins.length > 0 ? pins[x.k % pins.length]!.id : 99 }; // length > 0
  }),
  MOCK_ACCESS_RW: (g) => recipe('MOCK_ACCESS_RW', fc.record({ f: refA(g), a: refA(g), r: rangeA(g), flags: fc.constantFrom(0, 1, 4, 5), bad: resvA(g, 8), aim: fc.nat({ max: 3 }) }), (x, m, res) => {
    const access_fd = m.fd('access', x.a);
    const areas = m.accessAreas(access_fd, res);
    const against = x.aim === 0 ? m.protAgainst(areas, (x.flags & 1) !== 0 ? 'write' : 'read') : x.aim === 1 ? m.unbacked(areas) : -1;
    const { iova, length } = rangeOf(m, areas, against === -1 ? x.r : { shape: 'exact', i: against, pages: 1 });
    return { env: 'MOCK_ACCESS_RW', fd: m.fd('ctx', x.f), access_fd, iova, length, flags: x.flags | x.bad };
  }),
  MOCK_ACCESS_REPLACE: (g) => recipe('MOCK_ACCESS_REPLACE', fc.record({ f: refA(g), a: refA(g), o: refA(g) }), (x, m, res) => {
    const access_fd = m.fd('access', x.a);
    const access = m.accessOf(access_fd, res);
    return { env: 'MOCK_ACCESS_REPLACE', fd: m.fd('ctx', x.f), access_fd, ioas_id: m.obj('ioas', access?.file, x.o) };
  }),
  // in the edge share, a device FD: the test port is /dev/iommu's alone (ENOTTY)
  MOCK_ADD_RESERVED: (g) => recipe('MOCK_ADD_RESERVED', fc.record({ f: refA(g), o: refA(g), a: addrA(g), top: resvA(g, 1), dev: resvA(g, 1), n: fc.oneof({ weight: 9, arbitrary: lenA(g) }, { weight: 1, arbitrary: fc.constant(0n) }) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, x.dev !== 0 ? 'device' : 'ctx', x.f, 'ioas', x.o);
    return { env: 'MOCK_ADD_RESERVED', fd, ioas_id: id, start: x.top !== 0 ? U64_MAX : u64(addrOf(m, x.a)), length: x.n };
  }),

  IOMMU_DESTROY: (g) => recipe('IOMMU_DESTROY', fc.record({ f: refA(g), o: refA(g), k: fc.constantFrom<Kind>('ioas', 'hwpt', 'device', 'fault', 'fault', 'access', 'viommu', 'vdevice', 'veventq') }), (x, m, res) => {
    // a FAULT or vEVENTQ nothing holds any more (its fd closed, no HWPT on it) half the time there is one, whatever
    // kind was drawn: a VMM destroys such an object right after it closes the fd
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const free = (o: Obj) => (o.kind === 'fault' || o.kind === 'veventq') && holders(m.state, o).length === 0;
    const freed = x.o.bad === null && x.o.pick % 2 === 0 ? Object.values(m.state.objects).filter((o) => o.file === file && free(o)) : [];
    const id = freed.length > 0 ? m.obj(freed.some((o) => o.kind === 'fault') ? 'fault' : 'veventq', file, x.o, free) : m.obj(x.k, file, x.o);
    return { ioctl: 'IOMMU_DESTROY', fd, id };
  }),
  IOMMU_IOAS_ALLOC: (g) => recipe('IOMMU_IOAS_ALLOC', fc.record({ f: refA(g), flags: fc.constantFrom(0, 0, 0, 1) }), (x, m) => ({ ioctl: 'IOMMU_IOAS_ALLOC', fd: m.fd('ctx', x.f), flags: x.flags })),
  IOMMU_IOAS_ALLOW_IOVAS: (g) => recipe('IOMMU_IOAS_ALLOW_IOVAS', fc.record({ f: refA(g), o: refA(g), rs: fc.array(fc.record({ start: addrA(g), n: lenA(g) }), { maxLength: 2 }), top: fc.nat({ max: 4 }), k: fc.integer({ min: 1, max: 6 }), resv: resvA(g, 1) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    // a fifth of the calls allow only a small window at the very top of the space: automatic IOVAs must be found
    // (or refused) there, next to where ALIGN() overflows
    const allowed_iovas = x.top === 0
      ? [{ start: U64_MAX - BigInt(x.k) * PAGE + 2n, last: U64_MAX - 1n }]
      : x.rs.map((r) => { const start = addrOf(m, r.start); const last = start + r.n - 1n; return { start, last: last > U64_MAX ? U64_MAX : last }; });
    return { ioctl: 'IOMMU_IOAS_ALLOW_IOVAS', fd, ioas_id: id, __reserved: x.resv, allowed_iovas };
  }),
  IOMMU_IOAS_COPY: (g) => recipe('IOMMU_IOAS_COPY', fc.record({ f: refA(g), d: refA(g), s: refA(g), src: rangeA(g), dst: fc.option(addrA(g), { nil: null, freq: 2 }), top: resvA(g, 1), shift: fc.boolean(), flags: mapFlagsA(g) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const fixed = x.dst === null && x.top === 0 ? 0 : 1;
    // half the copies go from an IOAS without a domain (nothing pinned yet) into one with a domain: the copy then
    // pins, aligns and charges what the first map never had to (QEMU keeps such staging copies across IOASes)
    const staged = x.s.pick % 2 === 0;
    const src_ioas_id = m.obj('ioas', file, x.s, staged ? (o) => !m.hasDomain(o) && 'areas' in o && o.areas.length > 0 : (o) => 'areas' in o && o.areas.length > 0);
    const dst_ioas_id = m.obj('ioas', file, x.d, staged ? (o) => m.hasDomain(o) : undefined);
    const { iova, length } = rangeOf(m, m.areasOf(file, src_ioas_id, res), x.src);
    // in the edge share, the top page of the IOVA space: a destination a multi-page copy cannot fit below 2^64
    const dst_iova = x.top !== 0 ? U64_MAX - (PAGE - 1n) : x.dst === null ? 0n : shifted(m, x.dst, x.shift ? 0x100000n : 0n);
    return { ioctl: 'IOMMU_IOAS_COPY', fd, flags: (x.flags & ~1) | fixed, dst_ioas_id, src_ioas_id, length, dst_iova, src_iova: iova };
  }),
  IOMMU_IOAS_IOVA_RANGES: (g) => recipe('IOMMU_IOAS_IOVA_RANGES', fc.record({ f: refA(g), o: refA(g), n: fc.constantFrom(0, 1, 4, 8), resv: resvA(g, 1) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    return { ioctl: 'IOMMU_IOAS_IOVA_RANGES', fd, ioas_id: id, num_iovas: x.n, __reserved: x.resv };
  }),
  // a third of the maps let the kernel choose the IOVA (iopt_alloc_iova: where the ALIGN() overflows lived)
  IOMMU_IOAS_MAP: (g) => recipe('IOMMU_IOAS_MAP', fc.record({ f: refA(g), o: refA(g), iova: fc.option(addrA(g), { nil: null, freq: 2 }), shift: fc.boolean(), n: lenA(g), u: uvaA(g), st: fc.nat({ max: 5 }), flags: mapFlagsA(g) }), (x, m, res) => {
    // a third of the maps go to an IOAS without a domain yet: what a later attach, HWPT_ALLOC or copy must check
    const fd = m.fd('ctx', x.f);
    const staged = x.o.pick % 3 === 0;
    const id = m.obj('ioas', m.tableOf(fd, res), x.o, staged ? (o) => !m.hasDomain(o) : undefined);
    const iova = x.iova === null ? 0n : shifted(m, x.iova, x.shift ? 0x10000n : 0n);
    // a huge-page sized map comes from huge-page backed memory (its alignment decides the automatic IOVA's)
    let user_va = x.n >= 0x20_0000n && x.n <= HIGH_RAM.length && x.o.pick % 4 !== 0 ? HIGH_RAM.uva : x.u(m);
    let length = x.n;
    // without a domain nothing is pinned yet, so what a domain would refuse is accepted here and must fail later
    // (attach, HWPT_ALLOC, a copy into a domain): user memory not mmapped, not page aligned, a sub-page length
    if (staged && x.st === 2) user_va = 0x7000_0000n;
    if (staged && x.st === 3) user_va = USER_MEM.uva + 0x800n;
    if (staged && x.st >= 4) length = x.st === 4 ? 0x800n : 0x1800n;
    return { ioctl: 'IOMMU_IOAS_MAP', fd, flags: (x.flags & ~1) | (x.iova === null ? 0 : 1), ioas_id: id, __reserved: 0, user_va, length, iova };
  }),
  IOMMU_IOAS_UNMAP: (g) => recipe('IOMMU_IOAS_UNMAP', fc.record({ f: refA(g), o: refA(g), r: rangeA(g), all: fc.nat({ max: 9 }), aim: fc.nat({ max: 3 }) }), (x, m, res) => {
    // mostly an IOAS that has something mapped
    const fd = m.fd('ctx', x.f);
    const id = m.obj('ioas', m.tableOf(fd, res), x.o, x.o.pick % 4 !== 3 ? (o) => 'areas' in o && o.areas.length > 0 : undefined);
    if (x.all === 0) return { ioctl: 'IOMMU_IOAS_UNMAP', fd, ioas_id: id, iova: 0n, length: U64_MAX }; // everything
    // a quarter of the unmaps cut into an area holding dirty pages (a split refused, or one after whole areas went)
    const dirtyAt = x.aim === 0 ? m.dirtyAreaIndex(m.tableOf(fd, res), id, res, x.o.pick) : -1;
    const shape = dirtyAt === -1 ? x.r : { shape: x.o.pick % 2 === 0 ? ('inside' as const) : ('straddle' as const), i: dirtyAt, pages: 1 + (x.all % 4) };
    const { iova, length } = rangeOf(m, m.areasOf(m.tableOf(fd, res), id, res), shape);
    return { ioctl: 'IOMMU_IOAS_UNMAP', fd, ioas_id: id, iova, length };
  }),
  // RLIMIT_MODE on the FD (which a set succeeds on only while the FD holds no object) or HUGE_PAGES on an IOAS
  IOMMU_OPTION: (g) => recipe('IOMMU_OPTION', fc.record({
    f: refA(g), o: refA(g), huge: fc.boolean(), get: fc.boolean(), val: fc.constantFrom(0n, 0n, 1n, 1n, 2n), optBad: resvA(g, 2), opBad: resvA(g, 2), idBad: resvA(g, 1), resv: resvA(g, 1),
  }), (x, m, res) => {
    // half the HUGE_PAGES sets go to an IOAS without a domain that holds areas: where an area off the page grid refuses it
    const fd = m.fd('ctx', x.f);
    const id = m.obj('ioas', m.tableOf(fd, res), x.o, x.o.pick % 2 === 0 ? (o) => !m.hasDomain(o) && 'areas' in o && o.areas.length > 0 : undefined);
    return {
      ioctl: 'IOMMU_OPTION', fd, option_id: x.optBad !== 0 ? x.optBad : x.huge ? 1 : 0, op: x.opBad !== 0 ? x.opBad : x.get ? 1 : 0, __reserved: x.resv,
      object_id: x.huge ? id : x.idBad !== 0 ? id : 0, val64: x.get ? 0n : x.val,
    };
  }),
  // a buffer shorter than every driver's struct, as long as the selftest's, as VT-d's, longer than any
  IOMMU_GET_HW_INFO: (g) => recipe('IOMMU_GET_HW_INFO', fc.record({ f: refA(g), d: refA(g), len: fc.constantFrom(0, 4, 8, 24, 64), flags: resvA(g, 1), resv: resvA(g, 1) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'device', x.d);
    return { ioctl: 'IOMMU_GET_HW_INFO', fd, flags: x.flags, dev_id: id, data_len: x.len, __reserved: x.resv };
  }),
  IOMMU_HWPT_ALLOC: (g) => recipe('IOMMU_HWPT_ALLOC', fc.record({
    f: refA(g), d: refA(g), p: refA(g), onHwpt: fc.boolean(), flags: fc.constantFrom(0, 1, 1, 8, 9, 2, 2, 2, 3, 3, 4, 5),
    // data_type and data are drawn independently in a share of calls (a type without data, data without a type)
    free: fc.nat({ max: 4 }), t: fc.constantFrom(...DATA_TYPES), withData: fc.boolean(), root: tableA, unknown: resvA(g, 0x10), resv: resvA(g, 1),
    // raw layouts in the edge share: a data_len off by one, 0, or a NULL pointer behind the right length
    raw: fc.oneof({ weight: 100 - Math.round(g.edgeShare * 50), arbitrary: fc.constant(null) }, { weight: Math.round(g.edgeShare * 50), arbitrary: fc.constantFrom('short', 'long', 'zero', 'null') }),
  }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const host = m.state.world.hw === 'host-pasid-table';
    // the machine's stage-1 format (an IOMMU that nests nothing still gets the kind of its hardware, to be refused)
    const native = m.state.world.iommu.stage1Format ?? (host ? ('IOMMU_HWPT_DATA_VTD_S1' as const) : ('IOMMU_HWPT_DATA_ARM_SMMUV3' as const));
    // a nested HWPT needs a NEST_PARENT parent: with none yet, most draws make that parent first
    const isParent = (o: Obj) => o.kind === 'hwpt_paging' && o.nestParent;
    const noParent = !Object.values(m.state.objects).some(isParent);
    const onHwpt = x.onHwpt && !(noParent && x.p.bad === null && x.free > 0 && x.p.pick % 2 === 0);
    // the parent made first tracks dirty pages half the time (refused where the IOMMU cannot: SMMUv3's stage 2)
    const flags = x.onHwpt && !onHwpt ? IOMMU_HWPT_ALLOC_NEST_PARENT | (x.p.pick % 2 === 0 ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0) : x.flags;
    const consistent = x.free > 0;
    const data_type = consistent ? (onHwpt ? native : 'IOMMU_HWPT_DATA_NONE') : x.t;
    // the stage-1 root: a page table (VT-d), or the guest's CD / PASID table (SMMUv3, AMD)
    const given = (consistent ? onHwpt : x.withData) ? { pgtbl_addr: host || !consistent ? x.root : PASID_TABLE } : null;
    const size = HWPT_DATA_LEN[data_type] || 8;
    const raw = x.raw === null ? {} : { data_len: x.raw === 'short' ? size - 1 : x.raw === 'long' ? size + 8 : x.raw === 'zero' ? 0 : size };
    const data = x.raw === 'null' ? null : given;
    // a paging HWPT on an IOAS without a domain yet (half the draws): its first domain checks every area
    // a quarter of nested allocations take any paging HWPT as parent: the refusal of a non-NEST_PARENT one
    // where the file has a vIOMMU, half the nested allocations go on it, and on SMMUv3 (which nests only there) three in four
    const viaViommu = nestsThroughViommu(m.state.world) ? x.free % 4 !== 3 : x.free % 2 === 1;
    const onViommu = onHwpt && viaViommu && Object.values(m.state.objects).some((o) => o.kind === 'viommu' && o.file === file);
    const pt_id = onViommu ? m.obj('viommu', file, x.p) : onHwpt ? m.obj('hwpt_paging', file, x.p, x.p.pick % 4 === 3 ? undefined : isParent) : m.obj('ioas', file, x.p, x.free % 2 === 0 ? (o) => !m.hasDomain(o) && 'areas' in o && o.areas.length > 0 : undefined);
    // FAULT_ID_VALID names a FAULT of the file where there is one (else an id nothing has: ENOENT)
    const fault_id = (flags & IOMMU_HWPT_FAULT_ID_VALID) !== 0 ? m.obj('fault', file, x.p) : 0;
    return {
      ioctl: 'IOMMU_HWPT_ALLOC', fd, flags: (onHwpt ? flags & ~IOMMU_HWPT_ALLOC_NEST_PARENT & 12 : flags) | x.unknown, dev_id: m.obj('device', file, x.d), pt_id,
      __reserved: x.resv, data_type, data, fault_id, ...raw,
    };
  }),
  IOMMU_HWPT_INVALIDATE: (g) => recipe('IOMMU_HWPT_INVALIDATE', fc.record({
    f: refA(g), o: refA(g), n: fc.constantFrom(1, 1, 1, 2, 0), all: fc.boolean(), v: fc.nat({ max: 3 }), pages: fc.constantFrom(1n, 1n, 2n, 4n), foreign: resvA(g, 1), resv: resvA(g, 1),
    // raw layouts in the edge share: entry_len 0 or one off, a NULL array, an unknown entry flag, a misaligned address
    raw: fc.oneof({ weight: 100 - Math.min(100, Math.round(g.edgeShare * 100)), arbitrary: fc.constant(null) }, { weight: Math.min(100, Math.round(g.edgeShare * 100)), arbitrary: fc.constantFrom('len0', 'len+', 'null', 'flag', 'leaf', 'misaligned', 'misaligned') }),
  }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const viommu = x.o.pick % 3 === 0 && Object.values(m.state.objects).some((o) => o.kind === 'viommu' && o.file === file);
    const id = m.obj(viommu ? 'viommu' : 'hwpt_nested', file, x.o);
    const native = m.state.world.iommu.stage1Format !== null ? m.state.world.iommu.stage1Format === 'IOMMU_HWPT_DATA_VTD_S1' : m.state.world.hw === 'host-pasid-table';
    // the other hardware's format in the edge share: EINVAL.data_type; no entries: the data_type probe
    const data_type = native === (x.foreign === 0) ? 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' : 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3';
    // the last entry carries the raw word, so a refusal after the first entry keeps what came before (entry_num):
    // a raw word comes with one entry or two, equally
    const n = x.raw === null ? x.n : 1 + (x.v % 2);
    const word = (k: number) => (k !== n - 1 ? {} : x.raw === 'flag' ? { flags: 2 } : x.raw === 'leaf' ? { flags: 1 } : {});
    const off = (k: number) => (k === n - 1 && x.raw === 'misaligned' ? 0x800n : 0n);
    const entry = (k: number) => (x.all ? { scope: 'all' as const, ...word(k) } : { scope: 'range' as const, addr: GUEST_IOVA + BigInt((x.v + k) % 4) * PAGE + off(k), npages: x.pages, ...word(k) });
    const entries = x.raw === 'null' ? [] : Array.from({ length: n }, (_, k) => entry(k));
    const size = INVALIDATE_ENTRY_LEN[data_type];
    const raw = x.raw === 'len0' ? { entry_len: 0 } : x.raw === 'len+' ? { entry_len: size + 8 } : x.raw === 'null' ? { entry_num: n } : {};
    return { ioctl: 'IOMMU_HWPT_INVALIDATE', fd, hwpt_id: id, data_type, entries, __reserved: x.resv, ...raw };
  }),
  // mostly a HWPT with dirty_ops; enable twice as often as disable (an enable also clears); in the edge share a bad flag
  IOMMU_HWPT_SET_DIRTY_TRACKING: (g) => recipe('IOMMU_HWPT_SET_DIRTY_TRACKING', fc.record({ f: refA(g), o: refA(g), on: fc.nat({ max: 2 }), bad: resvA(g, 2), resv: resvA(g, 7) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const hwpt_id = m.obj('hwpt_paging', m.tableOf(fd, res), x.o, x.o.pick % 4 !== 3 ? (o) => o.kind === 'hwpt_paging' && o.dirty !== null : undefined);
    return { ioctl: 'IOMMU_HWPT_SET_DIRTY_TRACKING', fd, flags: (x.on > 0 ? 1 : 0) | x.bad, hwpt_id, __reserved: x.resv };
  }),
  // a range over the areas of the HWPT's IOAS (whole, part, across a hole, past the end), one bit per 4 KiB mostly;
  // also the IOMMU page, a larger bit, one byte, a size that is no power of two, 0; NO_CLEAR a third of the time
  IOMMU_HWPT_GET_DIRTY_BITMAP: (g) => recipe('IOMMU_HWPT_GET_DIRTY_BITMAP', fc.record({
    f: refA(g), o: refA(g), r: rangeA(g), ps: fc.constantFrom(0x1000n, 0x1000n, 0x1000n, 0x800n, 0x2000n), odd: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(1n, 0x1800n, 0n) }),
    keep: fc.nat({ max: 2 }), nullData: resvA(g, 1), bad: resvA(g, 2), resv: resvA(g, 1), aim: fc.boolean(),
  }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const hwpt_id = m.obj('hwpt_paging', file, x.o, x.o.pick % 4 !== 3 ? (o) => o.kind === 'hwpt_paging' && o.dirty !== null : undefined);
    const areas = m.areasOfHwpt(file, hwpt_id, res);
    // half the time the whole area holding a dirty page, as a VMM reads a RAM slot: where a lost or extra bit shows
    const dirtyAt = x.aim ? m.dirtyAreaIndex(file, hwpt_id, res, x.o.pick) : -1;
    const { iova, length } = rangeOf(m, areas, dirtyAt === -1 ? x.r : { shape: 'exact', i: dirtyAt, pages: 1 });
    return {
      ioctl: 'IOMMU_HWPT_GET_DIRTY_BITMAP', fd, hwpt_id, flags: (x.keep === 0 ? 1 : 0) | x.bad, __reserved: x.resv, iova, length,
      page_size: x.odd ?? x.ps, data: x.nullData === 0,
    };
  }),
  // a memfd's pages, from its start or a page in, within it, to its end or past it (EINVAL once pinned); sometimes an
  // fd that is no memfd (the iommufd itself)
  IOMMU_IOAS_MAP_FILE: (g) => recipe('IOMMU_IOAS_MAP_FILE', fc.record({
    f: refA(g), o: refA(g), m: refA(g), iova: fc.option(addrA(g), { nil: null, freq: 2 }), at: fc.constantFrom(0n, 0n, PAGE, 0x800n), span: fc.nat({ max: 5 }), n: lenA(g),
    past: resvA(g, 1), other: resvA(g, 1), flags: mapFlagsA(g),
  }), (x, m, res) => {
    // a third go to an IOAS without a domain, where nothing is pinned yet: a range past the file's end is accepted there
    // and must fail at the attach, HWPT_ALLOC, copy or access pin that pins it
    const fd = m.fd('ctx', x.f);
    const staged = x.o.pick % 3 === 0;
    const id = m.obj('ioas', m.tableOf(fd, res), x.o, staged ? (o) => !m.hasDomain(o) : undefined);
    const file_fd = x.other !== 0 ? fd : m.fd('memfd', x.m);
    const size = m.memfdLength(file_fd, res);
    const iova = x.iova === null ? 0n : addrOf(m, x.iova);
    const flags = (x.flags & ~1) | (x.iova === null ? 0 : 1);
    // past the end: one page more than the file has, or two pages from the top u64 offset (its end wraps)
    if (x.past !== 0 || (staged && x.span === 5)) {
      const top = x.past !== 0 && x.span === 0;
      return { ioctl: 'IOMMU_IOAS_MAP_FILE', fd, flags, ioas_id: id, file_fd, start: top ? U64_MAX - (PAGE - 1n) : x.at, length: top ? 2n * PAGE : size + PAGE, iova };
    }
    // the rest of the file from `at` (0 bytes where it has none), a few pages, or any length a map takes
    const length = x.span === 0 ? (size > x.at ? size - x.at : 0n) : x.span === 1 ? x.n : BigInt(x.span) * PAGE;
    return { ioctl: 'IOMMU_IOAS_MAP_FILE', fd, flags, ioas_id: id, file_fd, start: x.at, length, iova };
  }),
  IOMMU_IOAS_CHANGE_PROCESS: (g) => recipe('IOMMU_IOAS_CHANGE_PROCESS', fc.record({ f: refA(g), resv: resvA(g, 1) }), (x, m) => ({ ioctl: 'IOMMU_IOAS_CHANGE_PROCESS', fd: m.fd('ctx', x.f), __reserved: x.resv })),
  // the driver's type on a NEST_PARENT HWPT mostly; in the edge share the reserved DEFAULT, another driver's, a flag
  IOMMU_VIOMMU_ALLOC: (g) => recipe('IOMMU_VIOMMU_ALLOC', fc.record({ f: refA(g), d: refA(g), p: refA(g), t: fc.nat({ max: 7 }), flags: resvA(g, 1), odd: resvA(g, 1) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const own = viommuTypeOf(m.state.world.iommu) ?? IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
    const type = x.odd === 0 ? own : [IOMMU_VIOMMU_TYPE_DEFAULT, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, IOMMU_VIOMMU_TYPE_ARM_SMMUV3][x.t % 3]!; // t % 3 < 3
    const hwpt_id = m.obj('hwpt_paging', file, x.p, x.p.pick % 4 === 3 ? undefined : (o) => o.kind === 'hwpt_paging' && o.nestParent);
    return { ioctl: 'IOMMU_VIOMMU_ALLOC', fd, flags: x.flags, type, dev_id: m.obj('device', file, x.d), hwpt_id };
  }),
  // a device without a vDEVICE mostly; virtual ids from a small set, so they collide
  IOMMU_VDEVICE_ALLOC: (g) => recipe('IOMMU_VDEVICE_ALLOC', fc.record({ f: refA(g), v: refA(g), d: refA(g), id: fc.constantFrom(0x10n, 0x20n, 0x30n, 0n) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const file = m.tableOf(fd, res);
    const free = (o: Obj) => o.kind === 'device' && !Object.values(m.state.objects).some((v) => v.kind === 'vdevice' && v.dev === o.dev);
    return { ioctl: 'IOMMU_VDEVICE_ALLOC', fd, viommu_id: m.obj('viommu', file, x.v), dev_id: m.obj('device', file, x.d, x.d.pick % 4 === 3 ? undefined : free), virt_id: x.id };
  }),
  // SMMUv3's event type mostly (a second one of a type: EEXIST), a small depth so it overflows; in the edge share
  // DEFAULT, a flag, depth 0
  IOMMU_VEVENTQ_ALLOC: (g) => recipe('IOMMU_VEVENTQ_ALLOC', fc.record({ f: refA(g), v: refA(g), t: fc.constantFrom(1, 1, 1, 2), depth: fc.constantFrom(1, 2, 2, 4), odd: fc.nat({ max: 2 }), bad: resvA(g, 1) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const edge = x.bad !== 0;
    return {
      ioctl: 'IOMMU_VEVENTQ_ALLOC', fd, flags: edge && x.odd === 0 ? 1 : 0, viommu_id: m.obj('viommu', m.tableOf(fd, res), x.v),
      type: edge && x.odd === 1 ? IOMMU_VEVENTQ_TYPE_DEFAULT : x.t, veventq_depth: edge && x.odd === 2 ? 0 : x.depth, __reserved: 0,
    };
  }),
  IOMMU_FAULT_QUEUE_ALLOC: (g) => recipe('IOMMU_FAULT_QUEUE_ALLOC', fc.record({ f: refA(g), flags: resvA(g, 1) }), (x, m) => ({ ioctl: 'IOMMU_FAULT_QUEUE_ALLOC', fd: m.fd('ctx', x.f), flags: x.flags })),
  VFIO_DEVICE_BIND_IOMMUFD: (g) => recipe('VFIO_DEVICE_BIND_IOMMUFD', fc.record({ d: refA(g), f: refA(g), flags: resvA(g, 1) }), (x, m) => ({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: m.unboundDeviceFd(x.d) ?? m.fd('device', x.d), flags: x.flags, iommufd: m.fd('ctx', x.f) })),
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: (g) => recipe('VFIO_DEVICE_ATTACH_IOMMUFD_PT', fc.record({ d: refA(g), p: refA(g), k: fc.constantFrom<Kind>('ioas', 'ioas', 'hwpt'), pasid: pasidA, replace: fc.boolean(), unknown: resvA(g, 2) }), (x, m, res) => {
    // half are replaces (a device that is attached), half first attaches (a bound device that is not, when there is one)
    const unattached = DEVICE_NAMES.filter((d) => !m.state.attachments.some((a) => a.dev === d));
    const fd = (x.replace ? m.deviceFdOf(m.attachedDevs(), x.d) : m.deviceFdOf(unattached, x.d)) ?? m.fd('device', x.d);
    // a target the device is not on already (a replace that changes something), nested HWPTs first
    const on = m.targetsOf(fd, res);
    const file = m.tableOf(fd, res);
    // a nested HWPT nobody is attached to yet draws half the attaches: that is how DMA reaches a guest stage-1
    const idle = (o: Obj) => o.kind === 'hwpt_nested' && !m.state.attachments.some((a) => a.ctx === `${o.file}:${o.id}`);
    const kind: Kind = x.p.bad === null && ((x.pasid !== null && x.p.pick % 4 !== 3) || (x.p.pick % 2 === 0 && Object.values(m.state.objects).some((o) => o.file === file && idle(o)))) ? 'hwpt' : x.k;
    // a PASID attach wants a PASID-capable HWPT (ALLOC_PASID); a RID attach, one the device is not on
    const pasidCompat = (o: Obj) => (o.kind === 'hwpt_paging' || o.kind === 'hwpt_nested') && o.pasid;
    const prefer = x.pasid !== null && x.p.pick % 4 !== 3 ? pasidCompat : (o: Obj) => !on.has(`${o.file}:${o.id}`) && (kind !== 'hwpt' || idle(o) || x.p.pick % 4 === 1);
    return { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd, flags: (x.pasid === null ? 0 : 1) | x.unknown, pt_id: m.obj(kind, file, x.p, prefer), pasid: x.pasid ?? 0 };
  }),
  VFIO_DEVICE_DETACH_IOMMUFD_PT: (g) => recipe('VFIO_DEVICE_DETACH_IOMMUFD_PT', fc.record({ d: refA(g), pasid: pasidA, unknown: resvA(g, 2) }), (x, m) => ({ ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', fd: m.fd('device', x.d), flags: (x.pasid === null ? 0 : 1) | x.unknown, pasid: x.pasid ?? 0 })),

  IOASID_ALLOC: (g) => recipe('IOASID_ALLOC', refA(g), (f, m) => ({ ioctl: 'IOASID_ALLOC', fd: m.fd('ctx', f) })),
  IOASID_FREE: (g) => recipe('IOASID_FREE', fc.record({ f: refA(g), o: refA(g) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    return { ioctl: 'IOASID_FREE', fd, ioasid: id };
  }),
  IOASID_REGISTER_MEMORY: (g) => recipe('IOASID_REGISTER_MEMORY', fc.record({ f: refA(g), u: uvaA(g), n: lenA(g) }), (x, m) => ({ ioctl: 'IOASID_REGISTER_MEMORY', fd: m.fd('ctx', x.f), vaddr: x.u(m), size: x.n })),
  IOASID_UNREGISTER_MEMORY: (g) => recipe('IOASID_UNREGISTER_MEMORY', fc.record({ f: refA(g), u: uvaA(g), n: lenA(g), k: fc.nat({ max: 7 }) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    // half the time exactly a range this FD registered (the only way an unregister succeeds)
    const file = m.tableOf(fd, res);
    const f = file === undefined ? undefined : m.state.files[file];
    const regs = f?.kind === 'ioasid' ? f.registrations : [];
    const r = x.k % 2 === 0 && regs.length > 0 ? regs[(x.k >> 1) % regs.length]! : null; // length > 0
    return { ioctl: 'IOASID_UNREGISTER_MEMORY', fd, vaddr: r ? r.start : x.u(m), size: r ? r.last - r.start + 1n : x.n };
  }),
  IOASID_MAP_DMA: (g) => recipe('IOASID_MAP_DMA', fc.record({ nz: resvA(g, 1), f: refA(g), o: refA(g), child: fc.boolean(), a: addrA(g), shift: fc.boolean(), n: lenA(g), u: uvaA(g), gpa: gpaA, flags: fc.constantFrom(3, 3, 1, 2, 0) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const single = m.state.design.policy.fdModel === 'per-ioasid';
    const id = single ? x.nz : m.obj(x.child ? 'ioasid_child' : 'ioas', m.tableOf(fd, res), x.o);
    return { ioctl: 'IOASID_MAP_DMA', fd, ioasid: id, flags: x.flags, vaddr: x.child ? x.gpa(m) : x.u(m), iova: shifted(m, x.a, x.shift ? 0x10000n : 0n), size: x.n };
  }),
  IOASID_UNMAP_DMA: (g) => recipe('IOASID_UNMAP_DMA', fc.record({ nz: resvA(g, 1), f: refA(g), o: refA(g), child: fc.boolean(), r: rangeA(g) }), (x, m, res) => {
    const fd = m.fd('ctx', x.f);
    const single = m.state.design.policy.fdModel === 'per-ioasid';
    const id = single ? x.nz : m.obj(x.child ? 'ioasid_child' : 'ioas', m.tableOf(fd, res), x.o);
    // fd-per-ioasid: the FD is the ioasid, object 1 of its own table
    const { iova, length } = rangeOf(m, m.areasOf(m.tableOf(fd, res), single ? 1 : id, res), x.r);
    return { ioctl: 'IOASID_UNMAP_DMA', fd, ioasid: id, iova, size: length };
  }),
  IOASID_CREATE_NESTING: (g) => recipe('IOASID_CREATE_NESTING', fc.record({ nz: resvA(g, 1), f: refA(g), o: refA(g) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioas', x.o);
    return { ioctl: 'IOASID_CREATE_NESTING', fd, parent_ioasid: m.state.design.policy.fdModel === 'per-ioasid' ? x.nz : id };
  }),
  IOASID_BIND_PGTABLE: (g) => recipe('IOASID_BIND_PGTABLE', fc.record({ nz: resvA(g, 1), f: refA(g), o: refA(g), t: tableA, native: fc.boolean() }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_BIND_PGTABLE', fd, ioasid: m.state.design.policy.fdModel === 'per-ioasid' ? x.nz : id, format: nativeFormat(m, x.native), pgtbl_addr: x.t };
  }),
  IOASID_UNBIND_PGTABLE: (g) => recipe('IOASID_UNBIND_PGTABLE', fc.record({ nz: resvA(g, 1), f: refA(g), o: refA(g) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_UNBIND_PGTABLE', fd, ioasid: m.state.design.policy.fdModel === 'per-ioasid' ? x.nz : id };
  }),
  IOASID_BIND_PASID_TABLE: (g) => recipe('IOASID_BIND_PASID_TABLE', fc.record({ f: refA(g), o: refA(g), native: fc.boolean() }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_BIND_PASID_TABLE', fd, ioasid: id, format: nativeFormat(m, x.native), pasid_table_addr: 0x4000n };
  }),
  IOASID_UNBIND_PASID_TABLE: (g) => recipe('IOASID_UNBIND_PASID_TABLE', fc.record({ f: refA(g), o: refA(g) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_UNBIND_PASID_TABLE', fd, ioasid: id };
  }),
  IOASID_INVALIDATE_CACHE: (g) => recipe('IOASID_INVALIDATE_CACHE', fc.record({ nz: resvA(g, 1), f: refA(g), o: refA(g), all: fc.boolean(), v: fc.nat({ max: 3 }), size: resvA(g, 0x800) }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, 'ioasid_child', x.o);
    return { ioctl: 'IOASID_INVALIDATE_CACHE', fd, ioasid: m.state.design.policy.fdModel === 'per-ioasid' ? x.nz : id, granularity: x.all ? { kind: 'all' } : { kind: 'range', iova: GUEST_IOVA + BigInt(x.v) * PAGE, size: x.size === 0 ? PAGE : BigInt(x.size) } };
  }),
  // RFC v1's queries: an extension it knows (or, in the edge share, one it does not); the info of a root or a child
  IOASID_CHECK_EXTENSION: (g) => recipe('IOASID_CHECK_EXTENSION', fc.record({ f: refA(g), ext: fc.constantFrom(1, 2, 3), bad: resvA(g, 0x7f) }), (x, m) => ({
    ioctl: 'IOASID_CHECK_EXTENSION', fd: m.fd('ctx', x.f), extension: x.bad !== 0 ? x.bad : x.ext,
  })),
  IOASID_GET_INFO: (g) => recipe('IOASID_GET_INFO', fc.record({ f: refA(g), o: refA(g), child: fc.boolean() }), (x, m, res) => {
    const { fd, id } = fdObj(m, res, 'ctx', x.f, x.child ? 'ioasid_child' : 'ioas', x.o);
    return { ioctl: 'IOASID_GET_INFO', fd, ioasid: id };
  }),
  // RFC v1's completion: mostly for an ioasid with a request taken off the ring, SUCCESS, INVALID or FAILURE; in the edge
  // share a code past FAILURE
  IOASID_PAGE_RESPONSE: (g) => recipe('IOASID_PAGE_RESPONSE', fc.record({ f: refA(g), o: refA(g), aim: fc.nat({ max: 3 }), code: fc.constantFrom(0, 0, 1, 2), bad: resvA(g, 3) }), (x, m, res) => {
    const taken = m.ringRequests().taken;
    const files = new Set([...taken].map((k) => m.state.objects[k]!.file)); // taken keys are live
    const fd = m.fd('ctx', x.f, x.aim > 0 ? (n) => files.has(m.state.fds[n]!) : undefined); // preferred fds are open
    const id = m.obj('ioasid_child', m.tableOf(fd, res), x.o, x.aim > 0 ? (o) => taken.has(objKey(o.file, o.id)) : undefined);
    return { ioctl: 'IOASID_PAGE_RESPONSE', fd, ioasid: id, code: x.bad !== 0 ? x.bad : x.code };
  }),
  VFIO_BIND_IOASID_FD: (g) => recipe('VFIO_BIND_IOASID_FD', fc.record({ d: refA(g), f: refA(g) }), (x, m) => ({ ioctl: 'VFIO_BIND_IOASID_FD', fd: m.unboundDeviceFd(x.d) ?? m.fd('device', x.d), ioasid_fd: m.fd('ctx', x.f) })),
  VFIO_UNBIND_IOASID_FD: (g) => recipe('VFIO_UNBIND_IOASID_FD', refA(g), (d, m) => ({ ioctl: 'VFIO_UNBIND_IOASID_FD', fd: m.fd('device', d) })),
  VFIO_ATTACH_IOASID: (g) => recipe('VFIO_ATTACH_IOASID', fc.record({ unknown: resvA(g, 2), d: refA(g), o: refA(g), child: fc.boolean(), pasid: pasidA }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    const ioasid = m.state.design.policy.fdModel === 'per-ioasid' ? m.fd('ctx', x.o) : m.obj(x.child ? 'ioasid_child' : 'ioas', m.tableOf(fd, res), x.o);
    return { ioctl: 'VFIO_ATTACH_IOASID', fd, ioasid, flags: (x.pasid === null ? 0 : 1) | x.unknown, user_pasid: x.pasid ?? 0 };
  }),
  VFIO_DETACH_IOASID: (g) => recipe('VFIO_DETACH_IOASID', fc.record({ unknown: resvA(g, 2), d: refA(g), o: refA(g), child: fc.boolean(), pasid: pasidA }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    const ioasid = m.state.design.policy.fdModel === 'per-ioasid' ? m.fd('ctx', x.o) : m.obj(x.child ? 'ioasid_child' : 'ioas', m.tableOf(fd, res), x.o);
    return { ioctl: 'VFIO_DETACH_IOASID', fd, ioasid, flags: (x.pasid === null ? 0 : 1) | x.unknown, user_pasid: x.pasid ?? 0 };
  }),
  VFIO_DEVICE_BIND_PGTABLE: (g) => recipe('VFIO_DEVICE_BIND_PGTABLE', fc.record({ unknown: resvA(g, 2), d: refA(g), o: refA(g), pasid: pasidA, t: tableA, native: fc.boolean() }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    return { ioctl: 'VFIO_DEVICE_BIND_PGTABLE', fd, ioasid: m.obj('ioas', m.tableOf(fd, res), x.o), flags: (x.pasid === null ? 0 : 1) | x.unknown, pasid: x.pasid ?? 0, format: nativeFormat(m, x.native), pgtbl_addr: x.t };
  }),
  VFIO_DEVICE_UNBIND_PGTABLE: (g) => recipe('VFIO_DEVICE_UNBIND_PGTABLE', fc.record({ unknown: resvA(g, 2), d: refA(g), pasid: pasidA }), (x, m) => ({ ioctl: 'VFIO_DEVICE_UNBIND_PGTABLE', fd: m.fd('device', x.d), flags: (x.pasid === null ? 0 : 1) | x.unknown, pasid: x.pasid ?? 0 })),
  VFIO_DEVICE_BIND_PASID_TABLE: (g) => recipe('VFIO_DEVICE_BIND_PASID_TABLE', fc.record({ d: refA(g), o: refA(g), native: fc.boolean() }), (x, m, res) => {
    const fd = m.fd('device', x.d);
    return { ioctl: 'VFIO_DEVICE_BIND_PASID_TABLE', fd, ioasid: m.obj('ioas', m.tableOf(fd, res), x.o), format: nativeFormat(m, x.native), pasid_table_addr: 0x4000n };
  }),
  // native SVA: mostly on a device that takes PASIDs, at a PASID it may not use yet; an unbind mostly names a bound one
  VFIO_DEVICE_BIND_SVA: (g) => recipe('VFIO_DEVICE_BIND_SVA', fc.record({ unknown: resvA(g, 1), d: refA(g), pasid: pasidA, k: fc.nat({ max: 3 }) }), (x, m) => ({
    ioctl: 'VFIO_DEVICE_BIND_SVA', fd: (x.k === 0 ? undefined : m.deviceFdOf(m.pasidDevs(), x.d)) ?? m.fd('device', x.d), flags: x.unknown, pasid: x.pasid ?? 3 + x.k,
  })),
  VFIO_DEVICE_UNBIND_SVA: (g) => recipe('VFIO_DEVICE_UNBIND_SVA', fc.record({ unknown: resvA(g, 1), d: refA(g), pasid: pasidA, k: fc.nat({ max: 7 }) }), (x, m) => {
    const bound = m.nativeRoutes();
    const r = x.k % 4 !== 3 && bound.length > 0 ? bound[x.k % bound.length]! : null; // length > 0
    const fd = (r === null ? undefined : m.deviceFdOf([r.dev], x.d)) ?? m.fd('device', x.d);
    return { ioctl: 'VFIO_DEVICE_UNBIND_SVA', fd, flags: x.unknown, pasid: r?.pasid ?? x.pasid ?? 0 };
  }),
  VFIO_DEVICE_INVALIDATE_CACHE: (g) => recipe('VFIO_DEVICE_INVALIDATE_CACHE', fc.record({ unknown: resvA(g, 2), d: refA(g), pasid: pasidA, all: fc.boolean(), v: fc.nat({ max: 3 }) }), (x, m) => ({
    ioctl: 'VFIO_DEVICE_INVALIDATE_CACHE', fd: m.fd('device', x.d), flags: (x.pasid === null ? 0 : 1) | x.unknown, pasid: x.pasid ?? 0,
    granularity: x.all ? { kind: 'all' } : { kind: 'range', iova: 0x200000n + BigInt(x.v) * PAGE, size: PAGE },
  })),
};

function nativeFormat(m: GenModel, native: boolean) {
  const host = m.state.world.hw === 'host-pasid-table';
  return host === native ? ('IOASID_FORMAT_VTD' as const) : ('IOASID_FORMAT_SMMUV3' as const);
}

/** How often each recipe is drawn: the state-building ones more. */
const WEIGHT: Partial<Record<IoctlName | EnvName, number>> = {
  DMA: 8, IOMMU_IOAS_MAP: 5, IOASID_MAP_DMA: 5, VFIO_DEVICE_ATTACH_IOMMUFD_PT: 4, VFIO_ATTACH_IOASID: 4, GUEST_WRITE_PGTABLE: 4,
  IOMMU_IOAS_UNMAP: 3, IOASID_UNMAP_DMA: 3, IOMMU_HWPT_ALLOC: 4, IOASID_CREATE_NESTING: 2, IOASID_BIND_PGTABLE: 2,
  VFIO_DEVICE_BIND_PGTABLE: 2, VFIO_DEVICE_BIND_SVA: 2, IOMMU_HWPT_INVALIDATE: 4, GUEST_WRITE_PASID_TABLE: 2, IOASID_INVALIDATE_CACHE: 3, VFIO_DEVICE_INVALIDATE_CACHE: 3,
  IOMMU_HWPT_SET_DIRTY_TRACKING: 2, IOMMU_HWPT_GET_DIRTY_BITMAP: 3, PAGE_REQUEST: 2, FAULT_READ: 2, FAULT_WRITE: 2, FAULT_RING_READ: 2, IOASID_PAGE_RESPONSE: 2, MOCK_ACCESS_PIN: 2, MOCK_ACCESS_RW: 2, IOMMU_IOAS_MAP_FILE: 2, IOMMU_EVENT: 3, VEVENTQ_READ: 2,
  IOMMU_IOAS_ALLOC: 2, IOASID_ALLOC: 2, IOMMU_IOAS_COPY: 3, IOMMU_DESTROY: 2, VFIO_DEVICE_BIND_IOMMUFD: 2, IOMMU_IOAS_IOVA_RANGES: 2, IOMMU_IOAS_ALLOW_IOVAS: 2,
};

/** The environment actions every design's traces draw from, beside its ioctls. */
export const ENV_RECIPES: readonly EnvName[] = ['OPEN', 'CLOSE', 'MMAP', 'DMA', 'GUEST_WRITE_PGTABLE', 'GUEST_WRITE_PASID_TABLE'];

/**
 * The environment actions of a design on a machine: every one of ENV_RECIPES, but guest writes to its stage-1 tables
 * only where the IOMMU can nest a stage-1 (elsewhere nothing ever walks them), on a kernel built for the selftests its
 * test port, IOMMU events and vEVENTQ reads only where the IOMMU's driver makes SMMUv3 vIOMMUs (the events the model
 * forwards), and MUNMAP only where the design has native SVA (envNamesOf): only a device walking the CPU page table
 * makes a munmap matter to DMA, and the Linux executor that `ioasid-lab kernel` runs iommufd traces on has no munmap
 * step.
 */
export const envRecipesOf = (w: World, design: Design): readonly EnvName[] => [
  ...ENV_RECIPES.filter((e) => w.iommu.stage1Format !== null || (e !== 'GUEST_WRITE_PGTABLE' && e !== 'GUEST_WRITE_PASID_TABLE')),
  ...(hasTestPort(w) ? (['MOCK_ADD_RESERVED', 'MOCK_ACCESS_CREATE', 'MOCK_ACCESS_PIN', 'MOCK_ACCESS_UNPIN', 'MOCK_ACCESS_RW', 'MOCK_ACCESS_REPLACE'] as const) : []),
  // MUNMAP where the design has native SVA; the page-fault actions of the design's fault reporting
  ...envNamesOf(design).filter((e) => e === 'MUNMAP' || isPageFaultEnv(e)),
  ...(design.ioctls.includes('IOMMU_IOAS_MAP_FILE') ? (['MEMFD_CREATE'] as const) : []),
  ...(design.ioctls.includes('IOMMU_VEVENTQ_ALLOC') && uapiOf(w).viommu && viommuTypeOf(w.iommu) === IOMMU_VIOMMU_TYPE_ARM_SMMUV3 ? (['IOMMU_EVENT', 'VEVENTQ_READ'] as const) : []),
];

/** The recipes of one design: its ioctls plus the environment actions, weighted; `only` keeps a subset (swarm). */
export function recipesFor(ioctls: readonly IoctlName[], g: GenConfig = DEFAULT_GEN, only?: ReadonlySet<IoctlName | EnvName>, envs: readonly EnvName[] = ENV_RECIPES): fc.Arbitrary<Recipe>[] {
  const names = [...ioctls, ...envs].filter((n) => only === undefined || only.has(n));
  return names.flatMap((n) => Array.from({ length: WEIGHT[n] ?? 1 }, () => RECIPES[n](g)));
}
