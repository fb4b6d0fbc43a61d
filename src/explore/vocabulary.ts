/**
 * The explorer's vocabulary: the calls a search may make for a design on a hardware kind, built from the design's
 * own ioctl table and policy points in the explorer's world (world.ts). Every ioctl has one row in CALLS: the calls
 * it contributes (with symbolic ids), or why the explorer leaves it out; a design that offers an ioctl with no row
 * fails to compile, and a policy value with no meaning here (a design file's variant) is an ExploreError, never a
 * silent "none". The fixture (the set-up every search starts from) opens the FDs, maps the CPU's memory and sets up
 * VM B; after it, creating calls (those that bind a symbol) create at most once each, in any order, and every other
 * call may run at any point, any number of times.
 */
import type { Design, Policy } from '../spec/index.js';
import { IOMMU_VIOMMU_TYPE_ARM_SMMUV3, type HwKind, type IoctlName } from '../uapi/index.js';
import type { Sym, SymCmd, TraceStep } from '../check/trace.js';
import { WORLD } from './world.js';

/** A design the explorer cannot build calls for: one line, said as the CLI's usage errors are (exit 2). */
export class ExploreError extends Error {
  override readonly name = 'ExploreError';
}

/** A step with the symbols it binds. */
function stepOf(cmd: SymCmd, bind?: Record<string, Sym>): TraceStep {
  return bind ? { cmd, bind } : { cmd };
}

const [VM_A, VM_B] = WORLD.vms;
const [PASID1, PASID2] = WORLD.pasids;
const { pgtable: PGT, pasidTable: PASID_TBL, gva: GVA } = WORLD.guest;
/** VM A's guest RAM slots (GPA = IOVA of the VM's stage-2) and the unmap ranges (world.ts) */
const SLOT1 = { iova: 0n, length: 0x2000n };
const SLOT2 = { iova: 0x2000n, length: 0x4000n };
const SLOT1_PLUS = { iova: 0n, length: 0x4000n };

/** The FDs of the world: VM A's address-space FD, dev1's, dev2's, VM B's, dev3's; fd-per-ioasid's second ioasid FD. */
const FD = { a: '$fd1', dev1: '$fd2', dev2: '$fd3', b: '$fd4', dev3: '$fd5', a2: '$fd6', child: '$fd7' } as const satisfies Record<string, Sym>;

/** What a row builds calls from. */
interface Ctx {
  readonly hw: HwKind;
  readonly host: boolean;
  readonly design: Design;
  /** the design has nesting (a child ioasid / nested HWPT for the guest's stage-1) */
  readonly has: (i: IoctlName) => boolean;
}

type Row = { readonly calls: (c: Ctx) => TraceStep[] } | { readonly leftOut: string };

const nativeFormat = (c: Ctx) => (c.host ? 'IOASID_FORMAT_VTD' : 'IOASID_FORMAT_SMMUV3');
/** The route a guest stage-1 is reached by: PASID 1 where the host owns the PASID table, the RID where the guest does. */
const s1Route = (c: Ctx, pasid = PASID1) => (c.host ? { flags: 1, pasid } : { flags: 0, pasid: 0 });

/** Per-VM /dev/ioasid designs: an ioasid is a number in the FD's table; fd-per-ioasid: the ioasid is the FD. */
const perVm = (c: Ctx) => c.design.policy.fdModel === 'per-vm';
const gpaSpace = (c: Ctx): { fd: Sym; ioasid: Sym | 0 } => (perVm(c) ? { fd: FD.a, ioasid: '$ioasid1' } : { fd: FD.a, ioasid: 0 });
const gpaSpace2 = (c: Ctx): { fd: Sym; ioasid: Sym | 0 } => (perVm(c) ? { fd: FD.a, ioasid: '$ioasid2' } : { fd: FD.a2, ioasid: 0 });
/** the child ioasid of the guest's stage-1, as VFIO_ATTACH_IOASID names it */
const childRef = (c: Ctx): Sym => (perVm(c) ? '$ioasid5' : FD.child);
const attachIoasid = (fd: Sym, ioasid: Sym, route = { flags: 0, pasid: 0 }): TraceStep =>
  stepOf({ ioctl: 'VFIO_ATTACH_IOASID', fd, ioasid, flags: route.flags, user_pasid: route.pasid });

const iommufdMap = (ioas: Sym, r: { iova: bigint; length: bigint }): TraceStep =>
  stepOf({ ioctl: 'IOMMU_IOAS_MAP', fd: FD.a, flags: 7, ioas_id: ioas, __reserved: 0, user_va: VM_A.ram.uva + r.iova, length: r.length, iova: r.iova });
const attachPt = (fd: Sym, pt: Sym, route = { flags: 0, pasid: 0 }): TraceStep =>
  stepOf({ ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd, flags: route.flags, pt_id: pt, pasid: route.pasid });

/**
 * One row per ioctl of every design. Rows left out say why; the requirements (requirements.ts) need none of them.
 * Cross-VM calls name the other VM's ids through a VM's own FDs: ids are per FD, so they name (at most) an object of
 * the caller's own FD — the point of per-VM FDs. fd-per-ioasid names an address space by FD number, and one process
 * holds both VMs' FDs here, so it gets no cross-VM call (two VMMs could not name each other's FDs at all).
 */
export const CALLS = {
  IOMMU_IOAS_ALLOC: { calls: () => ['$ioas1', '$ioas2'].map((s) => stepOf({ ioctl: 'IOMMU_IOAS_ALLOC', fd: FD.a, flags: 0 }, { out_ioas_id: s as Sym })) },
  IOMMU_DESTROY: { calls: () => ['$ioas1', '$hwpt1'].map((id) => stepOf({ ioctl: 'IOMMU_DESTROY', fd: FD.a, id: id as Sym })) },
  IOMMU_IOAS_ALLOW_IOVAS: { leftOut: 'narrows an IOAS\'s IOVA window; no requirement depends on the window, and the world\'s addresses are inside every window' },
  IOMMU_IOAS_COPY: { leftOut: 'shares pinned pages between IOASes; the second address space is mapped directly, which reaches the same translations' },
  IOMMU_IOAS_IOVA_RANGES: { leftOut: 'a query: it changes nothing' },
  IOMMU_GET_HW_INFO: { leftOut: 'a query: it changes nothing' },
  IOMMU_HWPT_SET_DIRTY_TRACKING: { leftOut: 'dirty tracking serves live migration: no requirement of the ownership debate depends on it (the check\'s P-DIRTY covers it)' },
  IOMMU_IOAS_MAP_FILE: { leftOut: 'a map of a file\'s pages is a map as IOMMU_IOAS_MAP is: no requirement tells the two apart' },
  IOMMU_IOAS_CHANGE_PROCESS: { leftOut: 'one process: no requirement moves the pin accounting between processes' },
  // guest-pasid-table hardware (SMMUv3) nests only through a vIOMMU, each device attached to it by its vDEVICE
  IOMMU_VIOMMU_ALLOC: {
    calls: (c) => (c.host ? [] : [stepOf({ ioctl: 'IOMMU_VIOMMU_ALLOC', fd: FD.a, flags: 0, type: IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev_id: '$dev1', hwpt_id: '$hwpt1' }, { out_viommu_id: '$viommu1' })]),
  },
  IOMMU_VDEVICE_ALLOC: {
    calls: (c) => (c.host ? [] : (['$dev1', '$dev2'] as const).map((dev, i) => stepOf({ ioctl: 'IOMMU_VDEVICE_ALLOC', fd: FD.a, viommu_id: '$viommu1', dev_id: dev, virt_id: BigInt(0x10 * (i + 1)) }))),
  },
  IOMMU_VEVENTQ_ALLOC: { leftOut: 'events forwarded to the guest: no requirement of the ownership debate depends on them' },
  IOMMU_FAULT_QUEUE_ALLOC: { leftOut: 'page faults are the check\'s (P-FAULT): no requirement of the ownership debate depends on who answers a page request' },
  IOMMU_HWPT_GET_DIRTY_BITMAP: { leftOut: 'dirty tracking serves live migration: no requirement of the ownership debate depends on it (the check\'s P-DIRTY covers it)' },
  IOMMU_OPTION: { leftOut: 'pin accounting and huge pages: no requirement depends on either' },
  IOMMU_IOAS_MAP: { calls: () => [iommufdMap('$ioas1', SLOT1), iommufdMap('$ioas1', SLOT2), iommufdMap('$ioas2', SLOT2)] },
  IOMMU_IOAS_UNMAP: {
    calls: () => [SLOT1_PLUS, SLOT2].map((r) => stepOf({ ioctl: 'IOMMU_IOAS_UNMAP', fd: FD.a, ioas_id: '$ioas1', iova: r.iova, length: r.length })),
  },
  IOMMU_HWPT_ALLOC: {
    calls: (c) => [
      stepOf({ ioctl: 'IOMMU_HWPT_ALLOC', fd: FD.a, flags: 9, dev_id: '$dev1', pt_id: '$ioas1', __reserved: 0, data_type: 'IOMMU_HWPT_DATA_NONE', data: null, fault_id: 0 }, { out_hwpt_id: '$hwpt1' }),
      // VT-d nests on the parent (a PASID-capable stage-1), SMMUv3 on its vIOMMU (the vSTE: the guest's CD table)
      stepOf({
        ioctl: 'IOMMU_HWPT_ALLOC', fd: FD.a, flags: c.host ? 8 : 0, dev_id: '$dev1', pt_id: c.host ? '$hwpt1' : '$viommu1', __reserved: 0,
        data_type: c.host ? 'IOMMU_HWPT_DATA_VTD_S1' : 'IOMMU_HWPT_DATA_ARM_SMMUV3', data: { pgtbl_addr: c.host ? PGT : PASID_TBL }, fault_id: 0,
      }, { out_hwpt_id: '$hwpt2' }),
    ],
  },
  IOMMU_HWPT_INVALIDATE: {
    calls: (c) => [stepOf({
      ioctl: 'IOMMU_HWPT_INVALIDATE', fd: FD.a, hwpt_id: c.host ? '$hwpt2' : '$viommu1', __reserved: 0, entries: [{ scope: 'all' }],
      data_type: c.host ? 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' : 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3',
    })],
  },
  VFIO_DEVICE_BIND_IOMMUFD: {
    calls: () => [stepOf({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: FD.dev1, flags: 0, iommufd: FD.a }, { out_devid: '$dev1' }),
      stepOf({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: FD.dev2, flags: 0, iommufd: FD.a }, { out_devid: '$dev2' })],
  },
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
    calls: (c) => [
      attachPt(FD.dev1, '$ioas1'), attachPt(FD.dev2, '$ioas1'), attachPt(FD.dev2, '$ioas2'),
      attachPt(FD.dev1, '$hwpt1'), attachPt(FD.dev2, '$hwpt1'),
      attachPt(FD.dev1, '$hwpt2', s1Route(c)), attachPt(FD.dev2, '$hwpt2', s1Route(c)),
      ...(c.host ? [attachPt(FD.dev2, '$hwpt2', s1Route(c, PASID2))] : []),
      // cross-VM: VM B's device names VM A's IOAS id, VM A's device names VM B's
      attachPt(FD.dev3, '$ioas1'), attachPt(FD.dev1, '$ioas3'),
    ],
  },
  VFIO_DEVICE_DETACH_IOMMUFD_PT: { calls: () => [stepOf({ ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', fd: FD.dev2, flags: 0, pasid: 0 })] },

  IOASID_ALLOC: { calls: () => ['$ioasid1', '$ioasid2'].map((s) => stepOf({ ioctl: 'IOASID_ALLOC', fd: FD.a }, { ioasid: s as Sym })) },
  IOASID_FREE: { calls: () => [stepOf({ ioctl: 'IOASID_FREE', fd: FD.a, ioasid: '$ioasid1' })] },
  IOASID_REGISTER_MEMORY: { leftOut: 'pre-registration only changes how pages are accounted; no requirement reads the accounting' },
  IOASID_UNREGISTER_MEMORY: { leftOut: 'pre-registration only changes how pages are accounted; no requirement reads the accounting' },
  IOASID_MAP_DMA: {
    calls: (c) => [[gpaSpace(c), SLOT1], [gpaSpace(c), SLOT2], [gpaSpace2(c), SLOT2]].map(([s, r]) => {
      const { fd, ioasid } = s as ReturnType<typeof gpaSpace>;
      const { iova, length } = r as typeof SLOT1;
      return stepOf({ ioctl: 'IOASID_MAP_DMA', fd, ioasid, flags: 3, vaddr: VM_A.ram.uva + iova, iova, size: length });
    }),
  },
  IOASID_UNMAP_DMA: {
    calls: (c) => [SLOT1_PLUS, SLOT2].map((r) => stepOf({ ioctl: 'IOASID_UNMAP_DMA', ...gpaSpace(c), iova: r.iova, size: r.length })),
  },
  IOASID_CREATE_NESTING: {
    calls: (c) => [perVm(c)
      ? stepOf({ ioctl: 'IOASID_CREATE_NESTING', fd: FD.a, parent_ioasid: '$ioasid1' }, { ioasid: '$ioasid5' })
      : stepOf({ ioctl: 'IOASID_CREATE_NESTING', fd: FD.a, parent_ioasid: 0 }, { fd: FD.child })],
  },
  IOASID_BIND_PGTABLE: {
    // a guest-pasid-table machine binds the guest's PASID table instead (where the design has the call)
    calls: (c) => (c.host || !c.has('IOASID_BIND_PASID_TABLE')
      ? [stepOf({ ioctl: 'IOASID_BIND_PGTABLE', ...childSpace(c), format: nativeFormat(c), pgtbl_addr: PGT })] : []),
  },
  IOASID_UNBIND_PGTABLE: { leftOut: 'undoes a bind; no requirement needs a bind undone' },
  IOASID_BIND_PASID_TABLE: {
    calls: (c) => (c.host ? [] : [stepOf({ ioctl: 'IOASID_BIND_PASID_TABLE', ...childSpace(c), format: nativeFormat(c), pasid_table_addr: PASID_TBL })]),
  },
  IOASID_UNBIND_PASID_TABLE: { leftOut: 'undoes a bind; no requirement needs a bind undone' },
  IOASID_INVALIDATE_CACHE: { calls: (c) => [stepOf({ ioctl: 'IOASID_INVALIDATE_CACHE', ...childSpace(c), granularity: { kind: 'all' } })] },
  IOASID_CHECK_EXTENSION: { leftOut: 'a query: it changes nothing' },
  IOASID_GET_INFO: { leftOut: 'a query: it changes nothing' },
  IOASID_PAGE_RESPONSE: { leftOut: 'page faults are the check\'s (P-FAULT): no requirement of the ownership debate depends on who answers a page request' },
  VFIO_BIND_IOASID_FD: { calls: () => [FD.dev1, FD.dev2].map((fd) => stepOf({ ioctl: 'VFIO_BIND_IOASID_FD', fd, ioasid_fd: FD.a })) },
  VFIO_UNBIND_IOASID_FD: { leftOut: 'unbinding a device returns it to no VM; detach already takes a device off an address space' },
  VFIO_ATTACH_IOASID: {
    calls: (c) => {
      const gpa = perVm(c) ? '$ioasid1' : FD.a;
      const gpa2 = perVm(c) ? '$ioasid2' : FD.a2;
      const child = c.has('IOASID_CREATE_NESTING') ? [
        attachIoasid(FD.dev1, childRef(c), s1Route(c)), attachIoasid(FD.dev2, childRef(c), s1Route(c)),
        ...(c.host ? [attachIoasid(FD.dev2, childRef(c), s1Route(c, PASID2))] : []),
      ] : [];
      const crossVm = perVm(c) ? [attachIoasid(FD.dev3, '$ioasid1'), attachIoasid(FD.dev1, '$ioasid3')] : [];
      return [attachIoasid(FD.dev1, gpa), attachIoasid(FD.dev2, gpa), attachIoasid(FD.dev2, gpa2), ...child, ...crossVm];
    },
  },
  VFIO_DETACH_IOASID: {
    calls: (c) => [stepOf({ ioctl: 'VFIO_DETACH_IOASID', fd: FD.dev2, ioasid: perVm(c) ? '$ioasid1' : FD.a, flags: 0, user_pasid: 0 })],
  },
  VFIO_DEVICE_BIND_PGTABLE: {
    calls: (c) => (c.host ? [FD.dev1, FD.dev2].map((fd) => stepOf({ ioctl: 'VFIO_DEVICE_BIND_PGTABLE', fd, ioasid: '$ioasid1', flags: 1, pasid: PASID1, format: nativeFormat(c), pgtbl_addr: PGT })) : []),
  },
  VFIO_DEVICE_UNBIND_PGTABLE: { leftOut: 'undoes a bind; no requirement needs a bind undone' },
  VFIO_DEVICE_BIND_PASID_TABLE: {
    calls: (c) => (c.host ? [] : [FD.dev1, FD.dev2].map((fd) => stepOf({ ioctl: 'VFIO_DEVICE_BIND_PASID_TABLE', fd, ioasid: '$ioasid1', format: nativeFormat(c), pasid_table_addr: PASID_TBL }))),
  },
  VFIO_DEVICE_INVALIDATE_CACHE: {
    calls: (c) => [FD.dev1, FD.dev2].map((fd) => stepOf({ ioctl: 'VFIO_DEVICE_INVALIDATE_CACHE', fd, flags: c.host ? 1 : 0, pasid: c.host ? PASID1 : 0, granularity: { kind: 'all' } })),
  },
  VFIO_DEVICE_BIND_SVA: { calls: () => [stepOf({ ioctl: 'VFIO_DEVICE_BIND_SVA', fd: FD.dev1, flags: 0, pasid: PASID2 })] },
  VFIO_DEVICE_UNBIND_SVA: { leftOut: 'undoes a bind; no requirement needs a bind undone' },
} as const satisfies Record<IoctlName, Row>;

/** The child ioasid holding the guest's stage-1, as the bind and invalidate calls name it. */
function childSpace(c: Ctx): { fd: Sym; ioasid: Sym | 0 } {
  return perVm(c) ? { fd: FD.a, ioasid: '$ioasid5' } : { fd: FD.child, ioasid: 0 };
}

/**
 * The guest's own writes and one DMA of dev1 (design-neutral: every design gets them); where a device can walk the
 * CPU's page table (native SVA), the CPU unmapping the process buffer.
 */
function guestCalls(c: Ctx): TraceStep[] {
  return [
    ...(c.design.policy.nativeSva === 'none' ? [] : [stepOf({ env: 'MUNMAP', uva: WORLD.proc.uva, length: WORLD.proc.length })]),
    stepOf({ env: 'GUEST_WRITE_PGTABLE', table: PGT, iova: GVA, gpa: WORLD.probe.gpa }),
    stepOf({ env: 'GUEST_WRITE_PGTABLE', table: PGT, iova: GVA, gpa: WORLD.probe.gpa - 0x1000n }),
    ...(c.host ? [] : [stepOf({ env: 'GUEST_WRITE_PASID_TABLE', table: PASID_TBL, pasid: PASID1, pgtable: PGT })]),
    stepOf({ env: 'DMA', dev: 'dev1', pasid: null, iova: WORLD.probe.gpa, access: 'read' }),
  ];
}

/** The policy values the explorer builds calls for; anything else (a design file's variant) is an ExploreError. */
export const KNOWN_POLICY = {
  ownership: ['per-ioasid', 'per-device'],
  fdModel: ['per-vm', 'per-ioasid'],
  association: ['runtime', 'setup-only'],
  guestPasidTable: ['bindable', 'refused'],
  unmap: ['iommufd-partial', 'type1-atomic'],
  nativeSva: ['per-device', 'none'],
  faultReport: ['fault-queue', 'ioasid-ring', 'none'],
} as const satisfies { readonly [K in keyof Policy]: readonly Policy[K][] };

/** Why the explorer cannot build calls for `d`, or null. */
export function unsupported(d: Design): string | null {
  const policy = d.policy as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(policy)) {
    const known = (KNOWN_POLICY as Record<string, readonly string[]>)[k];
    if (known === undefined) return `design ${d.name}: the explorer knows no policy point '${k}' (it knows ${Object.keys(KNOWN_POLICY).join(', ')})`;
    if (!known.includes(v as string)) return `design ${d.name}: policy ${k} = ${JSON.stringify(v)} is not one the explorer can build calls for (it knows ${known.join(', ')})`;
  }
  for (const k of Object.keys(KNOWN_POLICY)) if (!(k in policy)) return `design ${d.name}: policy point '${k}' is missing`;
  const unknown = d.ioctls.filter((i) => !(i in CALLS));
  if (unknown.length > 0) return `design ${d.name}: no explorer row for ioctl ${unknown.join(', ')}`;
  const merged = d.ioctls.includes('IOMMU_IOAS_ALLOC');
  if (merged && d.policy.fdModel !== 'per-vm') return `design ${d.name}: fdModel ${d.policy.fdModel} with the merged uAPI's ioctls (IOMMU_IOAS_ALLOC names IOASes in one per-VM FD)`;
  const perDeviceCalls = d.ioctls.some((i) => i.startsWith('VFIO_DEVICE_BIND_P') || i === 'VFIO_DEVICE_INVALIDATE_CACHE');
  const perIoasidCalls = d.ioctls.some((i) => i.startsWith('IOASID_BIND_P') || i === 'IOASID_INVALIDATE_CACHE' || i === 'IOMMU_HWPT_INVALIDATE');
  if (d.policy.ownership === 'per-device' && !perDeviceCalls) return `design ${d.name}: ownership per-device, but it offers no device-FD bind or invalidate ioctl (VFIO_DEVICE_BIND_PGTABLE, VFIO_DEVICE_INVALIDATE_CACHE, ...)`;
  if (d.policy.ownership === 'per-ioasid' && perDeviceCalls) return `design ${d.name}: ownership per-ioasid, but it offers device-FD bind or invalidate ioctls`;
  if (d.policy.ownership === 'per-ioasid' && !perIoasidCalls && d.ioctls.some((i) => i.includes('NESTING') || i === 'IOMMU_HWPT_ALLOC')) return `design ${d.name}: ownership per-ioasid, but it offers no address-space bind or invalidate ioctl`;
  if (!merged && d.policy.fdModel === 'per-vm' && !d.ioctls.includes('IOASID_ALLOC')) return `design ${d.name}: fdModel per-vm, but it offers no IOASID_ALLOC to make an address space in the FD`;
  if (!merged && d.policy.fdModel === 'per-ioasid' && d.ioctls.includes('IOASID_ALLOC')) return `design ${d.name}: fdModel per-ioasid (the FD is the ioasid), but it offers IOASID_ALLOC`;
  return null;
}

/** The set-up: every FD opened, the CPU's memory mapped, VM B given dev3 and its guest RAM. */
export function fixture(d: Design): TraceStep[] {
  const node = d.node;
  const open = (path: string, fd: Sym) => stepOf({ env: 'OPEN', path }, { fd });
  const common = [
    open(node, FD.a), open('/dev/vfio/devices/vfio0', FD.dev1), open('/dev/vfio/devices/vfio1', FD.dev2),
    open(node, FD.b), open('/dev/vfio/devices/vfio2', FD.dev3),
    ...[VM_A.ram, VM_B.ram, WORLD.proc].map((m) => stepOf({ env: 'MMAP', uva: m.uva, length: m.length })),
  ];
  const ramB = { uva: VM_B.ram.uva, length: VM_B.ram.length };
  if (d.ioctls.includes('IOMMU_IOAS_ALLOC')) {
    return [...common,
      stepOf({ ioctl: 'IOMMU_IOAS_ALLOC', fd: FD.b, flags: 0 }, { out_ioas_id: '$ioas3' }),
      stepOf({ ioctl: 'IOMMU_IOAS_ALLOC', fd: FD.b, flags: 0 }, { out_ioas_id: '$ioas4' }),
      stepOf({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: FD.dev3, flags: 0, iommufd: FD.b }, { out_devid: '$dev3' }),
      stepOf({ ioctl: 'IOMMU_IOAS_MAP', fd: FD.b, flags: 7, ioas_id: '$ioas3', __reserved: 0, user_va: ramB.uva, length: ramB.length, iova: 0n }),
      attachPt(FD.dev3, '$ioas3'),
    ];
  }
  if (d.policy.fdModel === 'per-ioasid') {
    return [...common, open(node, FD.a2),
      attachIoasid(FD.dev3, FD.b),
      stepOf({ ioctl: 'IOASID_MAP_DMA', fd: FD.b, ioasid: 0, flags: 3, vaddr: ramB.uva, iova: 0n, size: ramB.length }),
    ];
  }
  return [...common,
    stepOf({ ioctl: 'VFIO_BIND_IOASID_FD', fd: FD.dev3, ioasid_fd: FD.b }),
    stepOf({ ioctl: 'IOASID_ALLOC', fd: FD.b }, { ioasid: '$ioasid3' }),
    stepOf({ ioctl: 'IOASID_ALLOC', fd: FD.b }, { ioasid: '$ioasid4' }),
    attachIoasid(FD.dev3, '$ioasid3'),
    stepOf({ ioctl: 'IOASID_MAP_DMA', fd: FD.b, ioasid: '$ioasid3', flags: 3, vaddr: ramB.uva, iova: 0n, size: ramB.length }),
  ];
}

/**
 * The calls the explorer may make for a design on a hardware kind (after the fixture), in ioctl-table order, then
 * the guest's and the CPU's. Throws ExploreError for a design it cannot build calls for (unsupported()).
 */
export function vocabulary(d: Design, hw: HwKind): TraceStep[] {
  const why = unsupported(d);
  if (why !== null) throw new ExploreError(why);
  const c: Ctx = { hw, host: hw === 'host-pasid-table', design: d, has: (i) => d.ioctls.includes(i) };
  const rows = CALLS as Record<IoctlName, Row>;
  return [...d.ioctls.flatMap((i) => {
    const row = rows[i];
    return 'calls' in row ? row.calls(c) : [];
  }), ...guestCalls(c)];
}

/** Each ioctl the design offers that the explorer leaves out, with why (the report lists them). */
export function leftOut(d: Design): { readonly ioctl: IoctlName; readonly why: string }[] {
  const rows = CALLS as Record<IoctlName, Row>;
  return d.ioctls.flatMap((i) => {
    const row = rows[i];
    return row && 'leftOut' in row ? [{ ioctl: i, why: row.leftOut }] : [];
  });
}
