/**
 * The set-up every generated trace starts from: the selftests' fixtures and what a VMM does at VM start, in the
 * variants a machine offers (FIXTURES), so random commands meet live objects and the regions where bugs live are a few
 * calls away.
 */
import {
  defaultWorld, DEVICE_PATHS, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, IOMMU_VEVENTQ_TYPE_SELFTEST, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, viommuTypeOf, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_FAULT_ID_VALID, hasTestPort, uapiOf, IOMMU_HWPT_ALLOC_PASID, type HwKind, type IoctlName, type World,
} from '../uapi/index.js';
import { nestsThroughViommu, type Design } from '../spec/index.js';
import { GUEST_IOVA, PASID_TABLE, S1_ROOT } from './gen-values.js';
import type { SymCmd } from './trace.js';

/** The PASID of dev2 the set-up binds natively where the design has native SVA (out of the way of the PASIDs drawn most). */
export const NATIVE_PASID = 3;

/** Where the set-up maps user memory, and how much. */
export const USER_MEM = { uva: 0x100000n, length: 0x10000n } as const;
/** The VM's high RAM: 4 MiB at a 1 GiB-aligned address, huge-page backed, mmapped by the set-up, mapped by nobody yet. */
export const HIGH_RAM = { uva: 0x4000_0000n, length: 0x40_0000n } as const;

/** The set-up variants a run starts from (as the kernel selftests' FIXTURE_VARIANTs). */
export const FIXTURES = ['plain', 'nested', 'migration', 'iopf', 'access', 'memfd', 'viommu'] as const;
export type Fixture = (typeof FIXTURES)[number];

/**
 * The variants a machine can set up: `nested` needs an IOMMU that is a nest parent and takes a stage-1 format;
 * `migration` an IOMMU that tracks dirty pages and a design with dirty tracking (iommufd); `viommu` an IOMMU whose driver
 * allocates vIOMMUs (SMMUv3, the selftest mock) on a kernel with vIOMMUs.
 */
export function fixturesOf(world: World, ioctls: readonly IoctlName[] = []): readonly Fixture[] {
  const nested = world.iommu.nestParent && world.iommu.stage1Format !== null;
  const migration = world.iommu.dirtyTracking && ioctls.includes('IOMMU_HWPT_SET_DIRTY_TRACKING');
  const iopf = uapiOf(world).pagingFault && ioctls.includes('IOMMU_FAULT_QUEUE_ALLOC');
  const access = hasTestPort(world) && ioctls.includes('IOMMU_IOAS_ALLOC');
  const memfd = uapiOf(world).fileMaps && ioctls.includes('IOMMU_IOAS_MAP_FILE');
  const viommu = uapiOf(world).viommu && ioctls.includes('IOMMU_VIOMMU_ALLOC') && world.iommu.nestParent && viommuTypeOf(world.iommu) !== null;
  return [
    ...(['plain'] as const), ...(nested ? (['nested'] as const) : []), ...(migration ? (['migration'] as const) : []), ...(iopf ? (['iopf'] as const) : []),
    ...(access ? (['access'] as const) : []), ...(memfd ? (['memfd'] as const) : []), ...(viommu ? (['viommu'] as const) : []),
  ];
}

/**
 * The set-up every generated trace starts from (a selftest fixture, and what a VMM does at VM start), so random
 * commands meet live objects: the design's node ($fd1) and the four device FDs ($fd2..$fd5; dev4 is dev3's group
 * sibling), user memory, one address space ($ioas1 / $ioasid1, or the ioasid FD itself) with dev1 attached and
 * guest RAM mapped at IOVA 0 (the VM's stage-2: guest tables and the pages they point at are reachable through it
 * once a guest stage-1 is nested on it), and on iommufd a second, empty IOAS ($ioas2: no domain yet).
 * Variants (the selftests' FIXTURE_VARIANTs):
 * - `plain`: dev1..dev3 bound, dev4 left unbound for the random phase (its group sibling dev3 is attached), and a
 *   second VM's node open ($fd6), so binding the group sibling elsewhere, and every cross-FD reference, has a target;
 * - `nested`: every device bound, and a guest stage-1 on the stage-2 with devices translated through it, in
 *   whatever way the design offers (what a vIOMMU does when the guest enables its IOMMU);
 * - `migration` (iommufd on an IOMMU that tracks dirty pages): as `plain`, but dev1 and dev2 on a stage-2 HWPT allocated
 *   with DIRTY_TRACKING, tracking on (what a VMM sets up for live migration: QEMU's iommufd backend allocates its
 *   HWPTs with the flag and starts tracking when migration begins), so DMA writes set dirty bits from the first step;
 * - `iopf` (iommufd on a kernel whose paging HWPTs take a FAULT): as `plain`, plus a FAULT queue ($fault1, its fd) and
 *   dev2 on a paging HWPT of the stage-2 allocated with FAULT_ID_VALID ($hwpt1), so dev2's page requests queue there
 *   (what a VMM sets up for a device with PRI behind an emulated IOMMU that reports page faults);
 * - `access` (iommufd on a kernel with the selftests' test port): the stage-2 IOAS with no device on it yet, and an
 *   access that may pin it, its fd open (a VM whose only device so far is emulated, an mdev or vDPA one: its pins are
 *   made without any domain, and maps are still taken lazily), with a ROM mapped read-only beside the guest RAM;
 * - `memfd` (iommufd on a kernel with file maps): as `plain`, but guest RAM is mapped with IOAS_MAP_FILE from memfds,
 *   one per memory slot (QEMU's memory-backend-memfd: maps by file are what a live update hands to the new process
 *   with IOAS_CHANGE_PROCESS): slot 0's memfd with its fd already closed (the map alone holds it, so an unmap releases
 *   it), slot 1's ($fd8) open for more maps; random calls meet file maps, their pins and the memfd's lifetime;
 * - `viommu` (iommufd with vIOMMUs): as `plain`, but the stage-2 is a NEST_PARENT HWPT ($hwpt1) under a vIOMMU
 *   ($viommu1) on which dev1 and dev2 have vDEVICEs (virtual ids 0x10, 0x20), with a vEVENTQ of depth 1 (its fd $fd7: a
 *   second event unread overflows it); on SMMUv3 both devices are attached to a nested HWPT of the vIOMMU ($hwpt2, the
 *   guest's CD table): what QEMU's arm-smmuv3 accel mode builds when the guest enables its SMMU (the selftest mock's
 *   nested data is not modelled: there the vIOMMU has no nested HWPT, as the selftests' FIXTURE(iommufd_viommu) before
 *   it allocates one); random calls meet the vIOMMU's lifetime, its invalidations and its event queue's overflow.
 * Where the design has native SVA, both variants also bind the process's own memory to PASID 3 of dev2 (a PASID-capable
 * device), so DMA walks the CPU page table from the start and a MUNMAP has something to invalidate.
 * Symbols follow the order the run binds them. On another machine (a profile) guest RAM sits at the bottom of the
 * aperture, the nested variant takes the IOMMU's stage-1 format, and only a PASID-capable dev1 gets the PASID domain.
 */
export function prologue(design: Pick<Design, 'node' | 'ioctls' | 'policy'>, hw: HwKind = 'host-pasid-table', fixture: Fixture = 'plain', world: World = defaultWorld(hw)): SymCmd[] {
  const { node, policy } = design;
  const base = world.iommu.aperture.start;
  const dev1Pasid = (world.devices[0]?.pasidBits ?? 0) > 0;
  const has = (i: IoctlName) => design.ioctls.includes(i);
  const nested = fixture === 'nested';
  const open: SymCmd[] = [
    { env: 'OPEN', path: node },
    ...DEVICE_PATHS.map((path) => ({ env: 'OPEN', path })),
    { env: 'MMAP', uva: USER_MEM.uva, length: USER_MEM.length },
    { env: 'MMAP', ...HIGH_RAM },
    ...(nested ? [] : [{ env: 'OPEN', path: node }]),
  ];
  const devs = DEVICE_PATHS.map((_, i) => `$fd${i + 2}`).slice(0, nested ? 4 : 3);
  // guest RAM as two memory slots (as a VMM maps each region separately): IOVA 0..32K and 32K..64K
  const half = USER_MEM.length / 2n;
  const ram = [{ vaddr: USER_MEM.uva, iova: base, size: half }, { vaddr: USER_MEM.uva + half, iova: base + half, size: half }];
  const host = hw === 'host-pasid-table';
  // the guest's tables: on guest-PASID-table hardware its PASID (CD) table's entry 0 points at the page table
  // and its stage-1 already maps GUEST_IOVA to a page of guest RAM, as a guest kernel's would
  const guestTables: SymCmd[] = [
    ...(host ? [] : [{ env: 'GUEST_WRITE_PASID_TABLE', table: PASID_TABLE, pasid: 0, pgtable: S1_ROOT }]),
    { env: 'GUEST_WRITE_PGTABLE', table: S1_ROOT, iova: GUEST_IOVA, gpa: 0x5000n },
  ];
  if (has('IOMMU_IOAS_ALLOC')) { // iommufd: IOASes and HWPTs in one FD
    const hwpt = (flags: number, dev: string, pt: string, data: SymCmd['data'], fault: string | 0 = 0) => ({
      ioctl: 'IOMMU_HWPT_ALLOC', fd: '$fd1', flags, dev_id: dev, pt_id: pt, __reserved: 0, data_type: data === null ? 'IOMMU_HWPT_DATA_NONE' : world.iommu.stage1Format ?? 'IOMMU_HWPT_DATA_NONE', data, fault_id: fault,
    });
    const attach = (fd: string, pt: string, pasid: number | null) => ({ ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd, flags: pasid === null ? 0 : 1, pt_id: pt, pasid: pasid ?? 0 });
    const common: SymCmd[] = [...open, { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 },
      ...devs.map((d) => ({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: d, flags: 0, iommufd: '$fd1' })),
      ...ram.map((r) => ({ ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 7, ioas_id: '$ioas1', __reserved: 0, user_va: r.vaddr, length: r.size, iova: r.iova })),
      { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }];
    // memfd: guest RAM from a memfd, mapped by file; dev1 and dev3 on the stage-2's automatic domain
    if (fixture === 'memfd') {
      return [...open, { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 },
        ...devs.map((d) => ({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: d, flags: 0, iommufd: '$fd1' })),
        // slot 0 from a memfd whose fd the VMM has closed (the map holds the file), slot 1 from one it keeps open
        { env: 'MEMFD_CREATE', length: half }, { ioctl: 'IOMMU_IOAS_MAP_FILE', fd: '$fd1', flags: 7, ioas_id: '$ioas1', file_fd: '$fd7', start: 0n, length: half, iova: ram[0]!.iova },
        { env: 'CLOSE', fd: '$fd7' },
        { env: 'MEMFD_CREATE', length: USER_MEM.length }, { ioctl: 'IOMMU_IOAS_MAP_FILE', fd: '$fd1', flags: 7, ioas_id: '$ioas1', file_fd: '$fd8', start: half, length: half, iova: ram[1]!.iova },
        { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, attach('$fd2', '$ioas1', null), attach('$fd4', '$ioas1', null)];
    }
    // the stage-2 as a nest parent ($hwpt1) under a vIOMMU ($viommu1) with dev1 and dev2 as its vDEVICEs (virtual ids
    // 0x10, 0x20), and on SMMUv3 both attached to a nested HWPT of it ($hwpt2, the guest's CD table)
    const smmuv3 = viommuTypeOf(world.iommu) === IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
    const viommuNesting = (): SymCmd[] => [hwpt(IOMMU_HWPT_ALLOC_NEST_PARENT, '$dev1', '$ioas1', null),
      { ioctl: 'IOMMU_VIOMMU_ALLOC', fd: '$fd1', flags: 0, type: viommuTypeOf(world.iommu), dev_id: '$dev1', hwpt_id: '$hwpt1' },
      { ioctl: 'IOMMU_VDEVICE_ALLOC', fd: '$fd1', viommu_id: '$viommu1', dev_id: '$dev1', virt_id: 0x10n },
      { ioctl: 'IOMMU_VDEVICE_ALLOC', fd: '$fd1', viommu_id: '$viommu1', dev_id: '$dev2', virt_id: 0x20n },
      ...(smmuv3 ? [hwpt(0, '$dev1', '$viommu1', { pgtbl_addr: PASID_TABLE }), attach('$fd2', '$hwpt2', null), attach('$fd3', '$hwpt2', null)] : [])];
    // viommu: that, and a vEVENTQ of depth 1
    if (fixture === 'viommu') {
      return [...common, ...viommuNesting(),
        { ioctl: 'IOMMU_VEVENTQ_ALLOC', fd: '$fd1', flags: 0, viommu_id: '$viommu1', type: smmuv3 ? IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 : IOMMU_VEVENTQ_TYPE_SELFTEST, veventq_depth: 1, __reserved: 0 },
        ...(smmuv3 ? guestTables : [])];
    }
    // iopf: a FAULT queue and dev2 on a paging HWPT whose page requests go there; dev1 on the automatic domain
    if (fixture === 'iopf') {
      return [...common, { ioctl: 'IOMMU_FAULT_QUEUE_ALLOC', fd: '$fd1', flags: 0 }, hwpt(IOMMU_HWPT_FAULT_ID_VALID, '$dev2', '$ioas1', null, '$fault1'),
        attach('$fd3', '$hwpt1', null), attach('$fd2', '$ioas1', null)];
    }
    // access: an in-kernel user of the stage-2, as an emulated device's driver is
    if (fixture === 'access') {
      // and a ROM the VM reads only (a read-only map of high RAM after the guest RAM), as QEMU maps ROM regions
      const rom = { ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 5, ioas_id: '$ioas1', __reserved: 0, user_va: HIGH_RAM.uva, length: 0x2000n, iova: base + 2n * USER_MEM.length };
      return [...common, rom, { env: 'MOCK_ACCESS_CREATE', fd: '$fd1', ioas_id: '$ioas1', flags: 1 }];
    }
    // migration: the stage-2 as a dirty-tracking HWPT ($hwpt1) that dev1 and dev2 attach to, tracking started
    if (fixture === 'migration') {
      return [...common, hwpt(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, '$dev1', '$ioas1', null), attach('$fd2', '$hwpt1', null), attach('$fd3', '$hwpt1', null),
        { ioctl: 'IOMMU_HWPT_SET_DIRTY_TRACKING', fd: '$fd1', flags: 1, hwpt_id: '$hwpt1', __reserved: 0 }];
    }
    // plain: dev1 and dev3 (dev4's group sibling) on the stage-2's automatic domain ($hwpt1), and a PASID-capable
    // domain ($hwpt3), as a VMM that hands out PASIDs allocates one
    if (!nested) return [...common, attach('$fd2', '$ioas1', null), attach('$fd4', '$ioas1', null), ...(dev1Pasid ? [hwpt(IOMMU_HWPT_ALLOC_PASID, '$dev1', '$ioas1', null)] : [])];
    // nested: the VM's stage-2 only as a NEST_PARENT ($hwpt1), a PASID-capable guest stage-1 on it ($hwpt2) that
    // dev1 and dev2 translate through (as when the guest turns its vIOMMU on); on VT-d also a PASID of dev2 (guest SVA);
    // on SMMUv3 the stage-1 (the guest's CD table) is a nested HWPT of a vIOMMU ($viommu1) on which both devices have
    // their vDEVICE, the only way it nests
    if (nestsThroughViommu(world)) return [...common, ...viommuNesting(), ...guestTables];
    return [...common, hwpt(IOMMU_HWPT_ALLOC_NEST_PARENT, '$dev1', '$ioas1', null),
      hwpt(IOMMU_HWPT_ALLOC_PASID, '$dev2', '$hwpt1', { pgtbl_addr: host ? S1_ROOT : PASID_TABLE }),
      attach('$fd2', '$hwpt2', null), attach('$fd3', '$hwpt2', null), ...(host ? [attach('$fd3', '$hwpt2', 1)] : []), ...guestTables];
  }
  // design point: association — where the first map ends set-up, the random phase still gets to associate
  const mapRam = policy.association === 'runtime';
  const format = host ? 'IOASID_FORMAT_VTD' : 'IOASID_FORMAT_SMMUV3';
  if (policy.fdModel === 'per-ioasid') { // design point: fdModel
    // one FD per ioasid: nesting opens the child's FD ($fd6), which the device joins through its parent's
    return [...open, { ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd2', ioasid: '$fd1', flags: 0, user_pasid: 0 },
      ...(mapRam ? ram.map((r) => ({ ioctl: 'IOASID_MAP_DMA', fd: '$fd1', ioasid: 0, flags: 3, ...r })) : []),
      ...(nested ? [
        { ioctl: 'IOASID_CREATE_NESTING', fd: '$fd1', parent_ioasid: 0 },
        { ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd3', ioasid: '$fd1', flags: 0, user_pasid: 0 },
        { ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd3', ioasid: '$fd6', flags: 0, user_pasid: 0 },
        { ioctl: 'IOASID_BIND_PGTABLE', fd: '$fd6', ioasid: 0, format, pgtbl_addr: S1_ROOT },
      ] : [])];
  }
  // a stage-1 bound through the device FD where the design has that call (per-device SVA), else a child ioasid
  const stage1: SymCmd[] = !nested ? [] : has('VFIO_DEVICE_BIND_PGTABLE')
    ? [host
      ? { ioctl: 'VFIO_DEVICE_BIND_PGTABLE', fd: '$fd2', ioasid: '$ioasid1', flags: 0, pasid: 0, format, pgtbl_addr: S1_ROOT }
      : { ioctl: 'VFIO_DEVICE_BIND_PASID_TABLE', fd: '$fd2', ioasid: '$ioasid1', format, pasid_table_addr: PASID_TABLE }, ...guestTables]
    : [{ ioctl: 'IOASID_CREATE_NESTING', fd: '$fd1', parent_ioasid: '$ioasid1' },
      // RFC v1: a device joins a child ioasid through its parent
      { ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd3', ioasid: '$ioasid1', flags: 0, user_pasid: 0 },
      { ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd3', ioasid: '$ioasid2', flags: 0, user_pasid: 0 },
      host
        ? { ioctl: 'IOASID_BIND_PGTABLE', fd: '$fd1', ioasid: '$ioasid2', format, pgtbl_addr: S1_ROOT }
        : { ioctl: 'IOASID_BIND_PASID_TABLE', fd: '$fd1', ioasid: '$ioasid2', format, pasid_table_addr: PASID_TABLE },
      ...guestTables];
  // design point: nativeSva — a process that uses SVA itself: its own memory on dev2's PASID 3 (dev2 walks the CPU page table)
  const dev2Pasid = (world.devices[1]?.pasidBits ?? 0) > 0;
  const sva: SymCmd[] = policy.nativeSva !== 'none' && dev2Pasid ? [{ ioctl: 'VFIO_DEVICE_BIND_SVA', fd: '$fd3', flags: 0, pasid: NATIVE_PASID }] : [];
  return [...open, ...devs.map((d) => ({ ioctl: 'VFIO_BIND_IOASID_FD', fd: d, ioasid_fd: '$fd1' })), { ioctl: 'IOASID_ALLOC', fd: '$fd1' },
    { ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd2', ioasid: '$ioasid1', flags: 0, user_pasid: 0 },
    ...(mapRam ? ram.map((r) => ({ ioctl: 'IOASID_MAP_DMA', fd: '$fd1', ioasid: '$ioasid1', flags: 3, ...r })) : []),
    ...stage1, ...sva];
}
