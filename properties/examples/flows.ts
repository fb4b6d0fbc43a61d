/**
 * The use cases of RFC v1 section 5 ("[RFC] /dev/ioasid uAPI proposal", facts §1.3 flows 5.1-5.7), written step
 * by step as the RFC lists them, and the same use cases on iommufd as merged (facts §7 mapping table). Every
 * expectation comes from the RFC text or the facts, not from what the spec returns; where the RFC names no
 * errno, the errno is the one recorded in the rfc-v1 design's `choices` (src/spec/designs/rfc-v1.ts).
 *
 * Guest layout shared by all flows. Guest RAM is 2 MiB at GPA 0, mmapped by the VMM at HVA (the RFC says 1 GB;
 * 512 pages keep the pin bookkeeping fast and change nothing in the flows). A DMA hit reports the host address,
 * which the model identifies with the user VA, so "reaches GPA x" reads `{ hit: hva(x) }`.
 */
import {
  env, fd, ioasid, iommu, vfio, IOMMU_HWPT_ALLOC_NEST_PARENT as NEST_PARENT, IOMMU_HWPT_ALLOC_PASID as ALLOC_PASID, IOMMU_HWPT_FAULT_ID_VALID,
} from '../support/vocab.js';
import { st, type Example } from '../support/example.js';

// ---- the guest ------------------------------------------------------------------------------------------

const VFIO0 = '/dev/vfio/devices/vfio0'; // dev1, group 1, PASID
const VFIO1 = '/dev/vfio/devices/vfio1'; // dev2, group 2, PASID
const VFIO2 = '/dev/vfio/devices/vfio2'; // dev3, group 3
const VFIO3 = '/dev/vfio/devices/vfio3'; // dev4, group 3 (same group as dev3)

/** Guest RAM: GPA [0, RAM) lives at user VA [HVA, HVA + RAM). */
const HVA = 0x4000_0000n;
const RAM = 0x20_0000n;
export const RAM_PAGES = Number(RAM >> 12n);
const hva = (gpa: bigint): bigint => HVA + gpa;
/** A second RAM slot above 4 GiB (5.1: mapped while more devices join). */
const GPA2 = 0x1_0000_0000n;
const HVA2 = 0x8000_0000n;
const SLOT2 = 0x1_0000n;

/** Two guest data pages, and where the guest keeps its I/O page tables (all inside guest RAM). */
const GPA_X = 0x1_0000n;
const GPA_Y = 0x2_0000n;
const PT1 = 0x10_0000n; // a guest stage-1 page table root
const PT2 = 0x11_0000n; // a second one
const PASID_TBL = 0x12_0000n; // the guest-owned PASID (CD / GCR3) table, guest-pasid-table hardware

/** Guest I/O virtual addresses: a guest IOVA (vIOMMU DMA API) and a process VA (SVA); neither is guest RAM. */
const GIOVA = 0x1000_0000n;
const GVA = 0x5000_0000_0000n;
const OFF = 0x123n;
const SHADOW = 0x4000n; // length of the guest's GIOVA mapping
/** The guest's PASID for its process address space (RFC 5.5 "gpasid1"); another PASID nobody attached. */
const GPASID1 = 1;
const OTHER_PASID = 2;
/** guest-pasid-table hardware: the PASID the guest gives its process in its own table, and one it left empty. */
const GPASID = 5;
const EMPTY_PASID = 7;

// ---- RFC v1 (facts §1.3, "Use cases and flows (section 5)") ---------------------------------------------

/** 5.1 simple: one gpa ioasid, DMA at GPA reaches the HVA; more devices attach to the same ioasid. */
const rfc51: Example = {
  name: 'RFC v1 flow 5.1 (simple passthrough): a device attached to the gpa ioasid reaches the HVA at its GPA, and so does every device attached later',
  design: 'rfc-v1',
  steps: [
    // open dev1 fd; open ioasid fd
    st(env.open(VFIO0), { out: { fd: 3 } }),
    st(env.open('/dev/ioasid'), { out: { fd: 4 } }),
    st(env.mmap(HVA, RAM)),
    // VFIO_BIND_IOASID_FD(dev1, fd)
    st(vfio.bindIoasidFd(fd(3), fd(4))),
    // gpa = IOASID_ALLOC
    st(ioasid.alloc(fd(4)), { out: { ioasid: 1 } }),
    // bound but attached nowhere: the device has no address space yet
    st(env.dma('dev1', null, GPA_X + OFF), { fault: 'blocked' }),
    // VFIO_ATTACH_IOASID(dev1, gpa)
    st(vfio.attachIoasid(fd(3), 1)),
    // MAP_DMA(gpa, iova=0 (GPA), vaddr=HVA, size)
    st(ioasid.map(fd(4), 1, 0n, RAM, HVA)),
    st(env.dma('dev1', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, RAM + OFF), { fault: 'no-translation' }),
    // more devices attach to the same gpa ioasid: dev2 ...
    st(env.open(VFIO1), { out: { fd: 5 } }),
    st(vfio.bindIoasidFd(fd(5), fd(4))),
    st(vfio.attachIoasid(fd(5), 1)),
    st(env.dma('dev2', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    // ... and dev3 + dev4, one iommu group: until both sit on gpa it accepts no command (RFC §3 partial_devices;
    // errno EBUSY per rfc-v1 choices)
    st(env.open(VFIO2), { out: { fd: 6 } }),
    st(env.open(VFIO3), { out: { fd: 7 } }),
    st(vfio.bindIoasidFd(fd(6), fd(4))),
    st(vfio.bindIoasidFd(fd(7), fd(4))),
    st(env.mmap(HVA2, SLOT2)),
    st(vfio.attachIoasid(fd(6), 1)),
    st(ioasid.map(fd(4), 1, GPA2, SLOT2, HVA2), 'EBUSY'),
    st(vfio.attachIoasid(fd(7), 1)),
    st(ioasid.map(fd(4), 1, GPA2, SLOT2, HVA2)),
    st(env.dma('dev4', null, GPA2 + OFF), { hit: HVA2 + OFF }),
    st(env.dma('dev3', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GPA2 + OFF), { hit: HVA2 + OFF }),
  ],
};

/**
 * 5.2 multiple IOASIDs, no nesting. RLIMIT_MEMLOCK is exactly guest RAM: REGISTER_MEMORY charges it once and the
 * maps inside it in both ioasids are "not double-accounted" (RFC §2); WITHOUT_REGISTER below shows the limit bites.
 */
const rfc52Steps = (register: boolean) => [
  st(env.open(VFIO0), { out: { fd: 3 } }),
  st(env.open(VFIO1), { out: { fd: 4 } }),
  st(env.open('/dev/ioasid'), { out: { fd: 5 } }),
  st(env.mmap(HVA, RAM)),
  // bind dev1, dev2
  st(vfio.bindIoasidFd(fd(3), fd(5))),
  st(vfio.bindIoasidFd(fd(4), fd(5))),
  // REGISTER_MEMORY(vaddr, size) to avoid double accounting
  ...(register ? [st(ioasid.register(fd(5), HVA, RAM))] : []),
  // attach both to gpa; map GPA
  st(ioasid.alloc(fd(5)), { out: { ioasid: 1 } }),
  st(vfio.attachIoasid(fd(3), 1)),
  st(vfio.attachIoasid(fd(4), 1)),
  st(ioasid.map(fd(5), 1, 0n, RAM, HVA)),
  st(env.dma('dev2', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
  // after guest boot: giova = ALLOC
  st(ioasid.alloc(fd(5)), { out: { ioasid: 2 } }),
  // DETACH(dev2, gpa)
  st(vfio.detachIoasid(fd(4), 1)),
  st(env.dma('dev2', null, GPA_X + OFF), { fault: 'blocked' }),
  // ATTACH(dev2, giova)
  st(vfio.attachIoasid(fd(4), 2)),
];

const rfc52: Example = {
  name: 'RFC v1 flow 5.2 (multiple IOASIDs, no nesting): after DETACH/ATTACH dev2 sees the giova shadow map and not the gpa map; REGISTER_MEMORY charges the guest pages once',
  design: 'rfc-v1',
  memlockPages: RAM_PAGES,
  steps: [
    ...rfc52Steps(true),
    // user-computed shadow map MAP_DMA(giova, GIOVA -> HVA): inside the registered range, charged nothing more
    st(ioasid.map(fd(5), 2, GIOVA, SHADOW, hva(GPA_X))),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev2', null, GPA_X + OFF), { fault: 'no-translation' }),
    st(env.dma('dev1', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GIOVA + OFF), { fault: 'no-translation' }),
  ],
};

/** 5.3 software nesting: the child maps GIOVA -> GPA, the kernel merges it with the parent's GPA -> HVA. */
const rfc53: Example = {
  name: 'RFC v1 flow 5.3 (software nesting): a child MAP_DMA of GIOVA to GPA reaches the HVA through the parent, charged on the parent only',
  design: 'rfc-v1',
  // the guest RAM exactly: the child's map pins nothing of its own ("accounting on parent only")
  memlockPages: RAM_PAGES,
  steps: [
    // as 5.2 before boot, without pre-registration
    st(env.open(VFIO0), { out: { fd: 3 } }),
    st(env.open(VFIO1), { out: { fd: 4 } }),
    st(env.open('/dev/ioasid'), { out: { fd: 5 } }),
    st(env.mmap(HVA, RAM)),
    st(vfio.bindIoasidFd(fd(3), fd(5))),
    st(vfio.bindIoasidFd(fd(4), fd(5))),
    st(ioasid.alloc(fd(5)), { out: { ioasid: 1 } }),
    st(vfio.attachIoasid(fd(3), 1)),
    st(vfio.attachIoasid(fd(4), 1)),
    st(ioasid.map(fd(5), 1, 0n, RAM, HVA)),
    // giova = CREATE_NESTING(gpa)
    st(ioasid.nest(fd(5), 1), { out: { ioasid: 2 } }),
    // ATTACH(dev2, giova) while dev2 is still attached to gpa
    st(vfio.attachIoasid(fd(4), 2)),
    // MAP_DMA(giova, iova=GIOVA, vaddr=GPA)
    st(ioasid.map(fd(5), 2, GIOVA, SHADOW, GPA_X)),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev2', null, GIOVA + 0x1000n + OFF), { hit: hva(GPA_X) + 0x1000n + OFF }),
    // dev2 now translates through giova: a bare GPA is not in it
    st(env.dma('dev2', null, GPA_X + OFF), { fault: 'no-translation' }),
    st(env.dma('dev1', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
  ],
};

/** Guest-visible set-up shared by 5.4-5.7 on RFC v1: dev1 (and dev2) on the gpa ioasid, guest RAM mapped. */
const rfcGpa = (devs: 1 | 2) => [
  st(env.open(VFIO0), { out: { fd: 3 } }),
  ...(devs === 2 ? [st(env.open(VFIO1), { out: { fd: 4 } })] : []),
  st(env.open('/dev/ioasid'), { out: { fd: devs === 2 ? 5 : 4 } }),
  st(env.mmap(HVA, RAM)),
  st(vfio.bindIoasidFd(fd(3), fd(devs === 2 ? 5 : 4))),
  ...(devs === 2 ? [st(vfio.bindIoasidFd(fd(4), fd(5)))] : []),
  st(ioasid.alloc(fd(devs === 2 ? 5 : 4)), { out: { ioasid: 1 } }),
  st(vfio.attachIoasid(fd(3), 1)),
  ...(devs === 2 ? [st(vfio.attachIoasid(fd(4), 1))] : []),
  st(ioasid.map(fd(devs === 2 ? 5 : 4), 1, 0n, RAM, HVA)),
];

/** 5.4 hardware nesting: the guest's stage-1 is walked by the IOMMU, then the gpa ioasid. */
const rfc54: Example = {
  name: 'RFC v1 flow 5.4 (hardware nesting): DMA walks the bound guest stage-1 then the gpa ioasid; a guest change may be stale until INVALIDATE_CACHE',
  design: 'rfc-v1',
  hw: 'host-pasid-table',
  steps: [
    ...rfcGpa(2),
    // giova = CREATE_NESTING(gpa)
    st(ioasid.nest(fd(5), 1), { out: { ioasid: 2 } }),
    // ATTACH(dev2, giova)
    st(vfio.attachIoasid(fd(4), 2)),
    // the guest builds its stage-1 in guest memory: GIOVA -> GPA_X
    st(env.writePte(PT1, GIOVA, GPA_X)),
    // BIND_PGTABLE(giova, addr, format)
    st(ioasid.bindPgtable(fd(5), 2, PT1, 'IOASID_FORMAT_VTD')),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GIOVA + OFF), { fault: 'no-translation' }),
    // the guest remaps GIOVA -> GPA_Y and has not invalidated: the IOTLB may still give the old page
    st(env.writePte(PT1, GIOVA, GPA_Y)),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_Y) + OFF, stale: [hva(GPA_X) + OFF] }),
    // INVALIDATE_CACHE(giova, granularity)
    st(ioasid.invalidate(fd(5), 2, { kind: 'all' })),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_Y) + OFF }),
  ],
};

/** 5.5 guest SVA, plus the part of 5.6 the model has. */
const rfc55Steps = [
  ...rfcGpa(1),
  // gva = CREATE_NESTING(gpa)
  st(ioasid.nest(fd(4), 1), { out: { ioasid: 2 } }),
  // ATTACH(dev1, gva, flag=IOASID_ATTACH_USER_PASID, user_pasid=gpasid1)
  st(vfio.attachIoasid(fd(3), 2, GPASID1)),
  // (KVM_MAP_PASID is for ENQCMD mdevs only; dev1 is a physical device)
  st(env.writePte(PT1, GVA, GPA_X)),
  // BIND_PGTABLE(gva, gva_pgtable1)
  st(ioasid.bindPgtable(fd(4), 2, PT1, 'IOASID_FORMAT_VTD')),
];

const rfc55: Example = {
  name: 'RFC v1 flow 5.5 (guest SVA): DMA with the user PASID walks the gva child\'s stage-1 while RID DMA still goes through gpa',
  design: 'rfc-v1',
  hw: 'host-pasid-table',
  steps: [
    ...rfc55Steps,
    st(env.dma('dev1', GPASID1, GVA + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GVA + OFF), { fault: 'no-translation' }),
    st(env.dma('dev1', OTHER_PASID, GVA + OFF), { fault: 'no-pasid-entry' }),
  ],
};

const rfc56: Example = {
  name: 'RFC v1 flow 5.6 (I/O page fault): the device\'s page request reaches the FD\'s ring as {ioasid, addr}; the guest maps the page and invalidates, the completion ioctl answers the request, and the retried DMA hits',
  design: 'rfc-v1',
  hw: 'host-pasid-table',
  steps: [
    ...rfc55Steps,
    st(env.dma('dev1', GPASID1, GVA + 0x1000n + OFF), { fault: 'stage1-not-present' }),
    // host gets {rid, pasid, addr}: the IOASID fault handler stores it and posts {ioasid=gva, addr} to the ring
    st(env.pageRequest('dev1', GPASID1, GVA + 0x1000n), 'ok', 'PAGE_REQUEST.ok.ring'),
    st(env.faultRingRead(fd(4)), { out: { faults: [{ ioasid: 2, addr: GVA + 0x1000n }] } }),
    // the guest handles the injected fault: maps the page and invalidates that range
    st(env.writePte(PT1, GVA + 0x1000n, GPA_Y)),
    st(ioasid.invalidate(fd(4), 2, { kind: 'range', iova: GVA + 0x1000n, size: 0x1000n })),
    // QEMU converts the guest's response to (ioasid, code); the kernel completes with the stored {rid, pasid}
    st(ioasid.pageResponse(fd(4), 2, 0), 'ok', 'IOASID_PAGE_RESPONSE.ok'),
    st(env.dma('dev1', GPASID1, GVA + 0x1000n + OFF), { hit: hva(GPA_Y) + OFF }),
    st(env.dma('dev1', GPASID1, GVA + OFF), { hit: hva(GPA_X) + OFF }),
  ],
};

/** 5.7 BIND_PASID_TABLE (guest-pasid-table hardware, AMD/ARM). */
const rfc57Steps = [
  ...rfcGpa(1),
  // pasidtbl = CREATE_NESTING(gpa); ATTACH(dev1, pasidtbl)
  st(ioasid.nest(fd(4), 1), { out: { ioasid: 2 } }),
  st(vfio.attachIoasid(fd(3), 2)),
  // the guest owns its PASID table: GPASID -> PT1, and PT1 maps GVA -> GPA_X
  st(env.writePasidEntry(PASID_TBL, GPASID, PT1)),
  st(env.writePte(PT1, GVA, GPA_X)),
  // BIND_PASID_TABLE(pasidtbl, gpa_pasid_table)
  st(ioasid.bindPasidTable(fd(4), 2, PASID_TBL, 'IOASID_FORMAT_SMMUV3')),
  st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_X) + OFF }),
  st(env.dma('dev1', EMPTY_PASID, GVA + OFF), { fault: 'no-pasid-entry' }),
  // per guest address space: gva = CREATE_NESTING(gpa), ATTACH(dev1, gva, user_pasid), BIND_PGTABLE(gva, ...)
  st(ioasid.nest(fd(4), 1), { out: { ioasid: 3 } }),
  st(vfio.attachIoasid(fd(3), 3, GPASID)),
  // the kernel only tracks it: it does not write the PASID table
  st(ioasid.bindPgtable(fd(4), 3, PT1, 'IOASID_FORMAT_SMMUV3')),
  st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_X) + OFF }),
];

const rfc57: Example = {
  name: 'RFC v1 flow 5.7 (BIND_PASID_TABLE): PASID DMA is resolved through the guest-owned PASID table, whose changes reach the device after INVALIDATE_CACHE of the pasidtbl ioasid',
  design: 'rfc-v1',
  hw: 'guest-pasid-table',
  steps: [
    ...rfc57Steps,
    // the guest points GPASID at another table of its own; the hardware follows the guest's PASID table
    st(env.writePte(PT2, GVA, GPA_Y)),
    st(env.writePasidEntry(PASID_TBL, GPASID, PT2)),
    st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_Y) + OFF, stale: [hva(GPA_X) + OFF] }),
    // for a vPASID-space ioasid INVALIDATE_CACHE applies to the PASID cache (RFC §2)
    st(ioasid.invalidate(fd(4), 2, { kind: 'all' })),
    st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_Y) + OFF }),
  ],
};

export const RFC_V1_FLOWS: Example[] = [rfc51, rfc52, rfc53, rfc54, rfc55, rfc56, rfc57];

// ---- iommufd as merged (facts §7) ------------------------------------------------------------------------

/** 5.1: IOAS_ALLOC + bind + attach (automatic HWPT) + MAP; more devices join the same automatic HWPT. */
const fd51: Example = {
  name: 'iommufd flow 5.1 (simple passthrough): IOAS_ALLOC, bind, attach (automatic HWPT) and IOAS_MAP let a device reach the HVA at its GPA; more devices join the same HWPT',
  design: 'iommufd',
  steps: [
    st(env.open('/dev/iommu'), { out: { fd: 3 } }),
    st(env.open(VFIO0), { out: { fd: 4 } }),
    st(env.mmap(HVA, RAM)),
    st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
    st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
    st(env.dma('dev1', null, GPA_X + OFF), { fault: 'blocked' }),
    // attaching to an IOAS creates an automatic HWPT_PAGING and returns its id
    st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }, 'ATTACH_PT.ok.auto_domain'),
    st(iommu.map(fd(3), 1, 0n, RAM, HVA), { out: { iova: 0n } }),
    st(env.dma('dev1', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, RAM + OFF), { fault: 'no-translation' }),
    // more devices: each joins the existing automatic HWPT of the IOAS
    st(env.open(VFIO1), { out: { fd: 5 } }),
    st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 4 } }),
    st(vfio.attach(fd(5), 1), { out: { pt_id: 3 } }),
    st(env.dma('dev2', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.open(VFIO2), { out: { fd: 6 } }),
    st(env.open(VFIO3), { out: { fd: 7 } }),
    st(vfio.bindIommufd(fd(6), fd(3)), { out: { out_devid: 5 } }),
    st(vfio.bindIommufd(fd(7), fd(3)), { out: { out_devid: 6 } }),
    st(env.mmap(HVA2, SLOT2)),
    st(vfio.attach(fd(6), 1), { out: { pt_id: 3 } }),
    // no command blocking while dev4 of the same group is not attached yet (facts §7)
    st(iommu.map(fd(3), 1, GPA2, SLOT2, HVA2), { out: { iova: GPA2 } }),
    st(vfio.attach(fd(7), 1), { out: { pt_id: 3 } }),
    st(env.dma('dev4', null, GPA2 + OFF), { hit: HVA2 + OFF }),
    st(env.dma('dev3', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GPA2 + OFF), { hit: HVA2 + OFF }),
  ],
};

/**
 * 5.2: two IOASes, dev2 replaced onto the giova IOAS, IOAS_COPY instead of REGISTER_MEMORY: the copy shares the
 * pinned pages, so RLIMIT_MEMLOCK = guest RAM suffices (facts §2.5, §7); WITHOUT_REGISTER has the IOAS_MAP version.
 */
const fd52Steps = [
  st(env.open('/dev/iommu'), { out: { fd: 3 } }),
  st(env.open(VFIO0), { out: { fd: 4 } }),
  st(env.open(VFIO1), { out: { fd: 5 } }),
  st(env.mmap(HVA, RAM)),
  st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
  st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
  st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 3 } }),
  st(vfio.attach(fd(4), 1), { out: { pt_id: 4 } }),
  st(vfio.attach(fd(5), 1), { out: { pt_id: 4 } }),
  st(iommu.map(fd(3), 1, 0n, RAM, HVA), { out: { iova: 0n } }),
  st(env.dma('dev2', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
  // after guest boot: the giova IOAS
  st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 5 } }),
  // a second attach is a replace: dev2 moves to a new automatic HWPT of the giova IOAS
  st(vfio.attach(fd(5), 5), { out: { pt_id: 6 } }, 'ATTACH_PT.ok.replace_auto_domain'),
  st(env.dma('dev2', null, GPA_X + OFF), { fault: 'no-translation' }),
];

const fd52: Example = {
  name: 'iommufd flow 5.2 (multiple IOASes, no nesting): after replacing dev2 onto the giova IOAS it sees the IOAS_COPY shadow and not the gpa map; the copy shares the pages, charged once',
  design: 'iommufd',
  memlockPages: RAM_PAGES,
  steps: [
    ...fd52Steps,
    // the shadow GIOVA -> (GPA_X ->) HVA, copied from the gpa IOAS: same pages, no new pin or charge
    st(iommu.copy(fd(3), 5, GIOVA, 1, GPA_X, SHADOW), { out: { dst_iova: GIOVA } }),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev2', null, GPA_X + OFF), { fault: 'no-translation' }),
    st(env.dma('dev1', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GIOVA + OFF), { fault: 'no-translation' }),
  ],
};

/** 5.3: no software nesting in iommufd; the VMM keeps the merged GIOVA -> HVA shadow itself in a second IOAS. */
const fd53: Example = {
  name: 'iommufd flow 5.3 (no software nesting): the VMM maps its own GIOVA-to-HVA shadow in a second IOAS and rewrites it when the guest remaps',
  design: 'iommufd',
  steps: [
    ...fd52Steps,
    // a GPA given as user_va is not translated through the gpa IOAS: it is a user address, and nothing is mmapped there
    st(iommu.map(fd(3), 5, GIOVA, SHADOW, GPA_X), 'EFAULT'),
    // the VMM computes GIOVA -> GPA_X -> HVA itself
    st(iommu.map(fd(3), 5, GIOVA, SHADOW, hva(GPA_X)), { out: { iova: GIOVA } }),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_X) + OFF }),
    // the guest remaps GIOVA -> GPA_Y: the VMM rewrites the shadow
    st(iommu.unmap(fd(3), 5, GIOVA, SHADOW), { out: { length: SHADOW } }),
    st(env.dma('dev2', null, GIOVA + OFF), { fault: 'no-translation' }),
    st(iommu.map(fd(3), 5, GIOVA, SHADOW, hva(GPA_Y)), { out: { iova: GIOVA } }),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_Y) + OFF }),
    st(env.dma('dev1', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
  ],
};

/** 5.4 on iommufd: NEST_PARENT paging HWPT + nested HWPT with VTD_S1 data, invalidated with HWPT_INVALIDATE. */
const fd54Steps = [
  st(env.open('/dev/iommu'), { out: { fd: 3 } }),
  st(env.open(VFIO0), { out: { fd: 4 } }),
  st(env.open(VFIO1), { out: { fd: 5 } }),
  st(env.mmap(HVA, RAM)),
  st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
  st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
  st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 3 } }),
  st(vfio.attach(fd(4), 1), { out: { pt_id: 4 } }),
  st(iommu.map(fd(3), 1, 0n, RAM, HVA), { out: { iova: 0n } }),
  // the stage-2 (GPA) domain, made by hand so it can be a nesting parent
  st(iommu.hwptAlloc(fd(3), 3, 1, NEST_PARENT), { out: { out_hwpt_id: 5 } }, 'HWPT_ALLOC.ok.paging'),
  st(env.writePte(PT1, GIOVA, GPA_X)),
  // the guest's stage-1 on top of it
  st(iommu.hwptAlloc(fd(3), 3, 5, 0, { type: 'IOMMU_HWPT_DATA_VTD_S1', pgtbl_addr: PT1 }), { out: { out_hwpt_id: 6 } }, 'HWPT_ALLOC.ok.nested'),
  st(vfio.attach(fd(5), 6), { out: { pt_id: 6 } }),
  st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_X) + OFF }),
  st(env.dma('dev1', null, GIOVA + OFF), { fault: 'no-translation' }),
];

const fd54: Example = {
  name: 'iommufd flow 5.4 (hardware nesting): a nested HWPT with VTD_S1 data on a NEST_PARENT HWPT walks both stages; a guest change may be stale until IOMMU_HWPT_INVALIDATE',
  design: 'iommufd',
  hw: 'host-pasid-table',
  steps: [
    ...fd54Steps,
    st(env.writePte(PT1, GIOVA, GPA_Y)),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_Y) + OFF, stale: [hva(GPA_X) + OFF] }),
    st(iommu.invalidate(fd(3), 6, [{ scope: 'all' }], 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1'), { out: { entry_num: 1 } }),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_Y) + OFF }),
  ],
};

/**
 * 5.5 on iommufd: PASID attach of a nested HWPT allocated with ALLOC_PASID. The RID's domain must be
 * PASID-compatible too (facts §2.3 ALLOC_PASID, §2.5 PASID attach): the automatic domain is not, so the PASID
 * attach is refused until the RID is moved onto the NEST_PARENT allocated with ALLOC_PASID.
 */
const fd55: Example = {
  name: 'iommufd flow 5.5 (guest SVA): a nested HWPT allocated with ALLOC_PASID, attached to the user PASID, translates PASID DMA while RID DMA stays on the PASID-compatible GPA parent',
  design: 'iommufd',
  hw: 'host-pasid-table',
  steps: [
    st(env.open('/dev/iommu'), { out: { fd: 3 } }),
    st(env.open(VFIO0), { out: { fd: 4 } }),
    st(env.mmap(HVA, RAM)),
    st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
    st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
    st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }),
    st(iommu.map(fd(3), 1, 0n, RAM, HVA), { out: { iova: 0n } }),
    st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT | ALLOC_PASID), { out: { out_hwpt_id: 4 } }),
    st(env.writePte(PT1, GVA, GPA_X)),
    st(iommu.hwptAlloc(fd(3), 2, 4, ALLOC_PASID, { type: 'IOMMU_HWPT_DATA_VTD_S1', pgtbl_addr: PT1 }), { out: { out_hwpt_id: 5 } }),
    // the RID sits on the automatic domain, which is not flagged ALLOC_PASID: PASID attach is blocked
    st(vfio.attach(fd(4), 5, GPASID1), 'EINVAL'),
    // move the RID onto the PASID-compatible parent; the automatic domain goes with its last device
    st(vfio.attach(fd(4), 4), { out: { pt_id: 4 } }),
    st(iommu.destroy(fd(3), 3), 'ENOENT'),
    st(vfio.attach(fd(4), 5, GPASID1), { out: { pt_id: 5 } }),
    st(env.dma('dev1', GPASID1, GVA + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GPA_X + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', null, GVA + OFF), { fault: 'no-translation' }),
    st(env.dma('dev1', OTHER_PASID, GVA + OFF), { fault: 'no-pasid-entry' }),
    // while a PASID is attached the RID cannot go back to a non-PASID-compatible (automatic) domain
    st(vfio.attach(fd(4), 1), 'EINVAL'),
    st(env.dma('dev1', GPASID1, GVA + OFF), { hit: hva(GPA_X) + OFF }),
  ],
};

const fd56: Example = {
  name: 'iommufd flow 5.6 (I/O page fault): a nested HWPT allocated with a FAULT queue takes the device\'s page request; read(2) of the FAULT fd gives it with the device id and a cookie, the guest maps and invalidates, write(2) of the response answers it, and the retried DMA hits',
  design: 'iommufd',
  hw: 'host-pasid-table',
  steps: [
    ...fd54Steps,
    st(iommu.faultQueueAlloc(fd(3)), { out: { out_fault_id: 7, out_fault_fd: 6 } }),
    st(iommu.hwptAlloc(fd(3), 3, 5, IOMMU_HWPT_FAULT_ID_VALID, { type: 'IOMMU_HWPT_DATA_VTD_S1', pgtbl_addr: PT1 }, 7), { out: { out_hwpt_id: 8 } }, 'HWPT_ALLOC.ok.nested'),
    st(vfio.attach(fd(5), 8), { out: { pt_id: 8 } }),
    st(env.dma('dev2', null, GIOVA + 0x1000n + OFF), { fault: 'stage1-not-present' }),
    st(env.pageRequest('dev2', null, GIOVA + 0x1000n), 'ok', 'PAGE_REQUEST.ok.queued'),
    st(env.faultRead(fd(6)), { out: { faults: [{ flags: 2, dev_id: 3, pasid: 0, grpid: 1, perm: 1, addr: GIOVA + 0x1000n, cookie: 1 }] } }),
    st(env.writePte(PT1, GIOVA + 0x1000n, GPA_Y)),
    st(iommu.invalidate(fd(3), 8, [{ scope: 'range', addr: GIOVA + 0x1000n, npages: 1n }], 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1'), { out: { entry_num: 1 } }),
    st(env.faultWrite(fd(6), [{ cookie: 1, code: 0 }]), { out: { written: 8 } }),
    st(env.dma('dev2', null, GIOVA + 0x1000n + OFF), { hit: hva(GPA_Y) + OFF }),
    st(env.dma('dev2', null, GIOVA + OFF), { hit: hva(GPA_X) + OFF }),
  ],
};

/**
 * 5.7 on iommufd, guest-pasid-table hardware (SMMUv3): a vIOMMU over the nest parent, the device as its vDEVICE, and
 * a nested HWPT of the vIOMMU whose ARM_SMMUV3 data (the vSTE) points at the guest CD (PASID) table; invalidation is
 * the vIOMMU's (IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 on the vIOMMU's id), as QEMU's accelerated vSMMU issues it.
 */
const fd57: Example = {
  name: 'iommufd flow 5.7 (guest PASID table): a nested HWPT of a vIOMMU with ARM_SMMUV3 data resolves PASID DMA through the guest CD table; its changes reach the device after IOMMU_HWPT_INVALIDATE of the vIOMMU',
  design: 'iommufd',
  hw: 'guest-pasid-table',
  steps: [
    st(env.open('/dev/iommu'), { out: { fd: 3 } }),
    st(env.open(VFIO0), { out: { fd: 4 } }),
    st(env.mmap(HVA, RAM)),
    st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
    st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
    st(iommu.map(fd(3), 1, 0n, RAM, HVA), { out: { iova: 0n } }),
    st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
    st(env.writePasidEntry(PASID_TBL, GPASID, PT1)),
    st(env.writePte(PT1, GVA, GPA_X)),
    st(iommu.viommuAlloc(fd(3), 2, 3), { out: { out_viommu_id: 4 } }),
    st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), { out: { out_vdevice_id: 5 } }),
    st(iommu.hwptAlloc(fd(3), 2, 4, 0, { type: 'IOMMU_HWPT_DATA_ARM_SMMUV3', pgtbl_addr: PASID_TBL }), { out: { out_hwpt_id: 6 } }),
    st(vfio.attach(fd(4), 6), { out: { pt_id: 6 } }),
    st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_X) + OFF }),
    st(env.dma('dev1', EMPTY_PASID, GVA + OFF), { fault: 'no-pasid-entry' }),
    st(env.writePte(PT2, GVA, GPA_Y)),
    st(env.writePasidEntry(PASID_TBL, GPASID, PT2)),
    st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_Y) + OFF, stale: [hva(GPA_X) + OFF] }),
    st(iommu.invalidate(fd(3), 4, [{ scope: 'all' }], 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3'), { out: { entry_num: 1 } }),
    st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_Y) + OFF }),
  ],
};

export const IOMMUFD_FLOWS: Example[] = [fd51, fd52, fd53, fd54, fd55, fd56, fd57];

// ---- counterfactuals: the limit that makes 5.2's single accounting observable ----------------------------

/**
 * The 5.2 flows with the single-accounting step replaced by a plain map of the same user pages: the limit of
 * guest RAM is then exceeded (RFC §2 "not double-accounted" only holds with REGISTER_MEMORY; iommufd charges
 * each IOAS_MAP's pages, IOAS_COPY shares them). Run inside the 5.2 tests, keyed by flow name.
 */
export const WITHOUT_SINGLE_ACCOUNTING: readonly { readonly flow: string; readonly example: Example }[] = [
  {
    flow: rfc52.name,
    example: {
      name: 'RFC v1 flow 5.2 without REGISTER_MEMORY: the giova shadow map is charged again and exceeds RLIMIT_MEMLOCK',
      design: 'rfc-v1',
      memlockPages: RAM_PAGES,
      steps: [...rfc52Steps(false), st(ioasid.map(fd(5), 2, GIOVA, SHADOW, hva(GPA_X)), 'ENOMEM')],
    },
  },
  {
    flow: fd52.name,
    example: {
      name: 'iommufd flow 5.2 with IOAS_MAP instead of IOAS_COPY: the shadow pins the pages again and exceeds RLIMIT_MEMLOCK',
      design: 'iommufd',
      memlockPages: RAM_PAGES,
      steps: [...fd52Steps, st(iommu.map(fd(3), 5, GIOVA, SHADOW, hva(GPA_X)), 'ENOMEM')],
    },
  },
];

/** Cases that once showed the spec contradicting its sources; `why` says what was wrong. Run as regressions. */
export const FLOWS_REGRESSIONS: { example: Example; why: string }[] = [
  {
    example: {
      name: 'RFC v1 flow 5.7 (BIND_PASID_TABLE), IOTLB side: after the guest changes a PTE of a PASID\'s stage-1, INVALIDATE_CACHE of that address space\'s gva ioasid removes the old translation',
      design: 'rfc-v1',
      hw: 'guest-pasid-table',
      steps: [
        ...rfc57Steps,
        // the guest remaps GVA in the stage-1 of GPASID (PT1), then invalidates its IOTLB for that address space
        st(env.writePte(PT1, GVA, GPA_Y)),
        st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_Y) + OFF, stale: [hva(GPA_X) + OFF] }),
        st(ioasid.invalidate(fd(4), 3, { kind: 'range', iova: GVA, size: 0x1000n })),
        st(env.dma('dev1', GPASID, GVA + OFF), { hit: hva(GPA_Y) + OFF }),
      ],
    },
    why:
      'RFC v1 §2 (facts §1.3): IOASID_INVALIDATE_CACHE is issued on the ioasid of the address space ("all" or "range" ' +
      'in it) and applies to the IOTLB (+devTLB); only for a vPASID-space ioasid (here pasidtbl) does it apply to the ' +
      'PASID cache. Flow 5.7 gives each guest address space its own ioasid (gva = CREATE_NESTING, ATTACH with ' +
      'user_pasid, BIND_PGTABLE), so an IOTLB invalidation of GVA for that PASID is INVALIDATE_CACHE(gva, range). The ' +
      'spec accepts that call (IOASID_INVALIDATE_CACHE.ok) but it reaches nothing: the cached entry is kept under the ' +
      'pasidtbl context that the hardware walk actually uses, so the last DMA still lists the old page ' +
      '(stale [0x40010123]). Only INVALIDATE_CACHE(pasidtbl) clears it, i.e. the spec treats the PASID-cache ' +
      'ioasid as the IOTLB target and the tracked gva ioasid as a no-op: a silent P-INVAL miss.',
  },
];
