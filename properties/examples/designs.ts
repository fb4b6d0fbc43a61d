/**
 * How the designs differ, as example scripts (run on the spec by properties/spec-designs.test.ts). Each title is a
 * rule and every step says what must come back. Expectations come from the seed (M1-M4), facts §1.3 and §2.5 and
 * the `choices` each design value writes down — never from what the spec happens to return. Examples that once showed
 * the spec contradicting its sources are kept as DESIGNS_REGRESSIONS, with what was wrong.
 *
 * One memory layout throughout: guest RAM is GPA 0..1 MiB, backed by user memory at UVA 0x4000_0000, so a DMA that
 * ends at GPA g reports hpa UVA + g. The guest keeps a stage-1 table at GPA 0x10000 and a PASID table at 0x20000,
 * both inside its RAM, so a stage-1 walk can read them through the parent. fds are handed out lowest-free from 3.
 */
import {
  env, fd, ioasid, iommu, vfio, IOASID_PATH, IOMMUFD_PATH, IOASID_EXT_NESTING, IOASID_EXT_PAGE_FAULT, IOASID_EXT_REGISTER_MEMORY,
  IOASID_INFO_BIND_PASID_TABLE, IOASID_INFO_BIND_PGTABLE, IOASID_INFO_HW_NESTING, IOASID_INFO_MAP_DMA, IOASID_INFO_NESTING,
} from '../support/vocab.js';
import { st, type Example, type ExampleStep } from '../support/example.js';

const UVA = 0x4000_0000n;
/** 1 MiB of guest RAM: 256 pages. */
const RAM = 0x10_0000n;
/** GPA of a guest stage-1 page table, and of a second one. */
const PGT = 0x1_0000n;
const PGT2 = 0x1_1000n;
/** GPA of the guest-owned PASID table (guest-pasid-table hardware). */
const PASID_TBL = 0x2_0000n;
/** A guest virtual address translated by stage-1, and the GPAs the guest points it at before and after a change. */
const GVA = 0x20_0000n;
const OLD = 0x3000n;
const NEW = 0x5000n;
const hpa = (gpa: bigint) => UVA + gpa;

const DEV1 = '/dev/vfio/devices/vfio0';
const DEV2 = '/dev/vfio/devices/vfio1';
const DEV3 = '/dev/vfio/devices/vfio2';
const DEV4 = '/dev/vfio/devices/vfio3';

/** The fd numbers of the usual per-VM script: /dev/ioasid, then dev1, then dev2. */
const CTX = fd(3);
const D1 = fd(4);
const D2 = fd(5);

/** Per-VM /dev/ioasid (fd 3), dev1 (fd 4) and dev2 (fd 5) bound to it, guest RAM mmapped, ioasid 1 allocated. */
const vm = (): ExampleStep[] => [
  st(env.open(IOASID_PATH), { out: { fd: 3 } }),
  st(env.open(DEV1), { out: { fd: 4 } }),
  st(env.open(DEV2), { out: { fd: 5 } }),
  st(env.mmap(UVA, RAM)),
  st(vfio.bindIoasidFd(D1, CTX)),
  st(vfio.bindIoasidFd(D2, CTX)),
  st(ioasid.alloc(CTX), { out: { ioasid: 1 } }),
];

/** vm(), then both RIDs on ioasid 1 and guest RAM mapped at GPA 0 (RFC v1 §5.1). */
const vmGpa = (): ExampleStep[] => [
  ...vm(),
  st(vfio.attachIoasid(D1, 1)),
  st(vfio.attachIoasid(D2, 1)),
  st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
];

/** fd-per-ioasid: /dev/ioasid (fd 3) is one ioasid; dev1 (fd 4) associated with it by its FD number; RAM mapped. */
const single = (): ExampleStep[] => [
  st(env.open(IOASID_PATH), { out: { fd: 3 } }),
  st(env.open(DEV1), { out: { fd: 4 } }),
  st(env.mmap(UVA, RAM)),
  st(vfio.attachIoasid(D1, 3)),
  st(ioasid.map(CTX, 0, 0n, RAM, UVA)),
];

/** The guest points GVA at `gpa` in its stage-1 table `table`. */
const guestMaps = (gpa: bigint, table = PGT) => st(env.writePte(table, GVA, gpa));
/** A DMA of `dev` on PASID 5 at GVA+0x10, expected to reach `gpa`+0x10, with the stale answers listed. */
const dmaGva = (dev: 'dev1' | 'dev2', gpa: bigint, stale: readonly bigint[] = [], pasid = 5) =>
  st(env.dma(dev, pasid, GVA + 0x10n), stale.length ? { hit: hpa(gpa + 0x10n), stale: stale.map((g) => hpa(g + 0x10n)) } : { hit: hpa(gpa + 0x10n) });

/** vmGpa(), then dev1's guest PASID table bound on its RID, its entry 5 pointing at PGT, which maps GVA to OLD (guest-pasid-table hardware). */
const dev1GuestPasidTable = (): ExampleStep[] => [...vmGpa(), st(env.writePasidEntry(PASID_TBL, 5, PGT)), guestMaps(OLD), st(vfio.bindPasidTable(D1, 1, PASID_TBL))];

// ---- per-device-sva: the seed's objection (M1, M3 concern 3) ---------------------------------------------------

const perDeviceSva: Example[] = [
  {
    // The key counterexample to per-device SVA ops (seed M2: "It is not *per-device* it is *per-ioasid*").
    name: 'per-device-sva: after the guest changes a page table two devices share, VFIO_DEVICE_INVALIDATE_CACHE on dev1 leaves dev2 with the old translation',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      guestMaps(OLD),
      st(vfio.bindPgtable(D1, 1, PGT, 5)),
      st(vfio.bindPgtable(D2, 1, PGT, 5)),
      guestMaps(NEW),
      st(vfio.invalidate(D1, 5)),
      dmaGva('dev1', NEW),
      dmaGva('dev2', NEW, [OLD]),
      // only a second invalidation, through dev2's own FD, reaches dev2
      st(vfio.invalidate(D2, 5)),
      dmaGva('dev2', NEW),
    ],
  },
  {
    name: 'per-device-sva: unbinding dev1\'s page table leaves dev2\'s bind of the same table working',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      guestMaps(OLD),
      st(vfio.bindPgtable(D1, 1, PGT, 5)),
      st(vfio.bindPgtable(D2, 1, PGT, 5)),
      st(vfio.unbindPgtable(D1, 5)),
      st(env.dma('dev1', 5, GVA + 0x10n), { fault: 'no-pasid-entry' }),
      dmaGva('dev2', OLD),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
  {
    name: 'per-device-sva: the per-ioasid page-table ioctls do not exist (IOASID_CREATE_NESTING, IOASID_BIND_PGTABLE, IOASID_INVALIDATE_CACHE are ENOTTY)',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      st(ioasid.nest(CTX, 1), 'ENOTTY'),
      st(ioasid.bindPgtable(CTX, 1, PGT), 'ENOTTY'),
      st(ioasid.invalidate(CTX, 1), 'ENOTTY'),
      st(ioasid.bindPasidTable(CTX, 1, PASID_TBL), 'ENOTTY'),
      st(ioasid.unbindPgtable(CTX, 1), 'ENOTTY'),
    ],
  },
  {
    name: 'per-device-sva: VFIO_DEVICE_BIND_PGTABLE needs the device\'s RID attached to the ioasid its output goes through (EINVAL)',
    design: 'per-device-sva',
    steps: [
      ...vm(),
      st(vfio.attachIoasid(D2, 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      guestMaps(OLD),
      // dev1 is bound to the FD but its RID is on no ioasid
      st(vfio.bindPgtable(D1, 1, PGT, 5), 'EINVAL', 'VFIO_DEVICE_BIND_PGTABLE.EINVAL.rid_not_attached'),
      st(env.dma('dev1', 5, GVA + 0x10n), { fault: 'no-pasid-entry' }),
      st(vfio.attachIoasid(D1, 1)),
      st(vfio.bindPgtable(D1, 1, PGT, 5)),
      dmaGva('dev1', OLD),
    ],
  },
  {
    name: 'per-device-sva: a second VFIO_DEVICE_BIND_PGTABLE on the same (device, PASID) is EBUSY; another PASID binds',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      guestMaps(OLD),
      guestMaps(NEW, PGT2),
      st(vfio.bindPgtable(D1, 1, PGT, 5)),
      st(vfio.bindPgtable(D1, 1, PGT2, 5), 'EBUSY'),
      dmaGva('dev1', OLD),
      st(vfio.bindPgtable(D1, 1, PGT2, 6)),
      dmaGva('dev1', NEW, [], 6),
    ],
  },
  {
    name: 'per-device-sva: VFIO_DEVICE_UNBIND_PGTABLE of a route with nothing bound is ENOENT',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      st(vfio.unbindPgtable(D1, 5), 'ENOENT'),
      st(vfio.bindPgtable(D1, 1, PGT, 5)),
      st(vfio.unbindPgtable(D1, 5)),
      st(vfio.unbindPgtable(D1, 5), 'ENOENT'),
    ],
  },
  {
    name: 'per-device-sva on guest-pasid-table hardware: VFIO_DEVICE_BIND_PASID_TABLE binds dev1\'s guest PASID table, and PASID DMA walks it',
    design: 'per-device-sva',
    hw: 'guest-pasid-table',
    steps: [
      ...dev1GuestPasidTable(),
      dmaGva('dev1', OLD),
      // PASID 6 has no entry in the guest's table
      st(env.dma('dev1', 6, GVA + 0x10n), { fault: 'no-pasid-entry' }),
      // dev2 bound nothing: its PASID traffic has no context
      st(env.dma('dev2', 5, GVA + 0x10n), { fault: 'no-pasid-entry' }),
    ],
  },
  {
    name: 'per-device-sva on guest-pasid-table hardware: two devices bound to one guest PASID table need one invalidation each — after the guest re-points a PASID, invalidating dev1 leaves dev2 on the old table',
    design: 'per-device-sva',
    hw: 'guest-pasid-table',
    steps: [
      ...vmGpa(),
      guestMaps(OLD),
      guestMaps(NEW, PGT2),
      st(env.writePasidEntry(PASID_TBL, 5, PGT)),
      st(vfio.bindPasidTable(D1, 1, PASID_TBL)),
      st(vfio.bindPasidTable(D2, 1, PASID_TBL)),
      // the guest gives PASID 5 another address space
      st(env.writePasidEntry(PASID_TBL, 5, PGT2)),
      // a PASID table is bound on the RID, so its invalidation names no PASID
      st(vfio.invalidate(D1)),
      dmaGva('dev1', NEW),
      dmaGva('dev2', NEW, [OLD]),
      st(vfio.invalidate(D2)),
      dmaGva('dev2', NEW),
    ],
  },
  {
    name: 'per-device-sva on guest-pasid-table hardware: VFIO_DEVICE_BIND_PGTABLE is EOPNOTSUPP (the walker finds stage-1 tables through the guest PASID table)',
    design: 'per-device-sva',
    hw: 'guest-pasid-table',
    steps: [
      ...vmGpa(),
      guestMaps(OLD),
      st(vfio.bindPgtable(D1, 1, PGT, 5, 'IOASID_FORMAT_SMMUV3'), 'EOPNOTSUPP'),
      st(env.dma('dev1', 5, GVA + 0x10n), { fault: 'no-pasid-entry' }),
    ],
  },
  {
    name: 'per-device-sva on host-pasid-table hardware: VFIO_DEVICE_BIND_PASID_TABLE is EOPNOTSUPP (the host owns the PASID table)',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      st(vfio.bindPasidTable(D1, 1, PASID_TBL, 'IOASID_FORMAT_VTD'), 'EOPNOTSUPP'),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
];

// ---- per-device-sva: native SVA, the process's own address space on a device PASID (M3 concern 3) -------------------

/** The last PASID of the default world's 20-bit width, and one past it. */
const PASID_LAST = (1 << 20) - 1;

/** Bind the process's memory to dev1's PASID 7, DMA at it, munmap one page, DMA again: on one hardware kind. */
const nativeDmaAndMunmap = (hw: 'host-pasid-table' | 'guest-pasid-table'): Example => ({
  name: `per-device-sva on ${hw} hardware: VFIO_DEVICE_BIND_SVA puts the process's memory on a device PASID — a DMA at a mmapped user VA reaches hpa = uva; after MUNMAP the same DMA faults, with no stale answer`,
  design: 'per-device-sva',
  hw,
  steps: [
    ...vm(),
    st(vfio.bindSva(D1, 7), 'ok', 'VFIO_DEVICE_BIND_SVA.ok'),
    // the first DMA of each page walks the CPU page table (and fills the IOTLB)
    st(env.dma('dev1', 7, UVA + 0x2010n), { hit: UVA + 0x2010n }),
    st(env.dma('dev1', 7, UVA + 0x3000n, 'write'), { hit: UVA + 0x3000n }),
    // the CPU loses one page: the mmu notifier flushes the IOTLB within the munmap, so nothing stale is allowed
    st(env.munmap(UVA + 0x2000n, 0x1000n), 'ok', 'MUNMAP.ok'),
    st(env.dma('dev1', 7, UVA + 0x2010n), { fault: 'no-translation' }),
    st(env.dma('dev1', 7, UVA + 0x3000n), { hit: UVA + 0x3000n }),
    // memory never mmapped is not reached; memory mmapped again is
    st(env.dma('dev1', 7, 0x10n), { fault: 'no-translation' }),
    st(env.mmap(UVA + 0x2000n, 0x1000n)),
    st(env.dma('dev1', 7, UVA + 0x2010n), { hit: UVA + 0x2010n }),
    // another PASID, and another device, reach nothing
    st(env.dma('dev1', 8, UVA), { fault: 'no-pasid-entry' }),
    st(env.dma('dev2', 7, UVA), { fault: 'no-pasid-entry' }),
    st(vfio.unbindSva(D1, 7), 'ok', 'VFIO_DEVICE_UNBIND_SVA.ok'),
    st(env.dma('dev1', 7, UVA + 0x3000n), { fault: 'no-pasid-entry' }),
  ],
});

const nativeSva: Example[] = [
  nativeDmaAndMunmap('host-pasid-table'),
  nativeDmaAndMunmap('guest-pasid-table'),
  {
    name: 'per-device-sva: VFIO_DEVICE_BIND_SVA refuses, in order, an unbound device FD (EINVAL), unknown flags (EINVAL), a device without PASID (EOPNOTSUPP), a PASID past its width (EINVAL), a PASID in use (EBUSY)',
    design: 'per-device-sva',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.open(DEV1), { out: { fd: 4 } }),
      st(env.open(DEV3), { out: { fd: 5 } }),
      st(env.mmap(UVA, RAM)),
      // a device FD owns no DMA before it is bound to the /dev/ioasid FD
      st(vfio.bindSva(D1, 7), 'EINVAL', 'VFIO_DEVICE_BIND_SVA.EINVAL.device_not_bound'),
      st(vfio.bindIoasidFd(D1, CTX)),
      st(vfio.bindIoasidFd(fd(5), CTX)),
      st(vfio.bindSva(D1, 7, 1), 'EINVAL', 'VFIO_DEVICE_BIND_SVA.EINVAL.flags'),
      // flags come first, before what the device can do: dev3 has no PASID
      st(vfio.bindSva(fd(5), 7, 1), 'EINVAL', 'VFIO_DEVICE_BIND_SVA.EINVAL.flags'),
      st(vfio.bindSva(fd(5), 7), 'EOPNOTSUPP', 'VFIO_DEVICE_BIND_SVA.EOPNOTSUPP.no_pasid'),
      st(vfio.bindSva(D1, PASID_LAST + 1), 'EINVAL', 'VFIO_DEVICE_BIND_SVA.EINVAL.pasid_range'),
      st(vfio.bindSva(D1, PASID_LAST)),
      st(vfio.bindSva(D1, PASID_LAST), 'EBUSY', 'VFIO_DEVICE_BIND_SVA.EBUSY.route_in_use'),
      st(env.dma('dev1', PASID_LAST, UVA + 0x10n), { hit: UVA + 0x10n }),
      // a PASID attached to an ioasid is in use too
      st(ioasid.alloc(CTX), { out: { ioasid: 1 } }),
      st(vfio.attachIoasid(D1, 1)),
      st(vfio.attachIoasid(D1, 1, 7)),
      st(vfio.bindSva(D1, 7), 'EBUSY', 'VFIO_DEVICE_BIND_SVA.EBUSY.route_in_use'),
    ],
  },
  {
    name: 'per-device-sva: VFIO_DEVICE_UNBIND_SVA undoes only a native binding — unknown flags (EINVAL), a device without PASID (EOPNOTSUPP), a PASID past its width (EINVAL), a PASID not bound natively (ENOENT), a guest table\'s included',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      st(env.open(DEV3), { out: { fd: 6 } }),
      st(vfio.bindIoasidFd(fd(6), CTX)),
      guestMaps(OLD),
      st(vfio.bindPgtable(D1, 1, PGT, 5)),
      st(vfio.bindSva(D1, 6)),
      st(vfio.unbindSva(D1, 6, 1), 'EINVAL', 'VFIO_DEVICE_UNBIND_SVA.EINVAL.flags'),
      st(vfio.unbindSva(fd(6), 6), 'EOPNOTSUPP', 'VFIO_DEVICE_UNBIND_SVA.EOPNOTSUPP.no_pasid'),
      st(vfio.unbindSva(D1, PASID_LAST + 1), 'EINVAL', 'VFIO_DEVICE_UNBIND_SVA.EINVAL.pasid_range'),
      st(vfio.unbindSva(D1, 5), 'ENOENT', 'VFIO_DEVICE_UNBIND_SVA.ENOENT.not_bound'),
      st(vfio.unbindSva(D2, 6), 'ENOENT', 'VFIO_DEVICE_UNBIND_SVA.ENOENT.not_bound'),
      // and the guest-table unbind does not undo a native binding
      st(vfio.unbindPgtable(D1, 6), 'ENOENT', 'VFIO_DEVICE_UNBIND_PGTABLE.ENOENT.not_bound'),
      dmaGva('dev1', OLD),
      st(vfio.unbindSva(D1, 6)),
      st(vfio.unbindSva(D1, 6), 'ENOENT', 'VFIO_DEVICE_UNBIND_SVA.ENOENT.not_bound'),
    ],
  },
  {
    name: 'per-device-sva: a natively bound PASID takes no guest table and no attachment (EBUSY), and keeps the device FD bound to /dev/ioasid (VFIO_UNBIND_IOASID_FD is EBUSY)',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      guestMaps(OLD),
      st(vfio.bindSva(D1, 5)),
      st(vfio.bindPgtable(D1, 1, PGT, 5), 'EBUSY', 'VFIO_DEVICE_BIND_PGTABLE.EBUSY.bound'),
      st(vfio.attachIoasid(D1, 1, 5), 'EBUSY', 'VFIO_ATTACH_IOASID.EBUSY.route_in_use'),
      st(env.dma('dev1', 5, UVA + 0x10n), { hit: UVA + 0x10n }),
      st(vfio.detachIoasid(D1, 1)),
      st(vfio.unbindIoasidFd(D1), 'EBUSY', 'VFIO_UNBIND_IOASID_FD.EBUSY.attached'),
      st(vfio.unbindSva(D1, 5)),
      st(vfio.unbindIoasidFd(D1)),
    ],
  },
  {
    name: 'per-device-sva on guest-pasid-table hardware: while dev1\'s RID walks a guest PASID table the guest owns its PASIDs, so VFIO_DEVICE_BIND_SVA is EBUSY; dev2 binds, and dev1 once the table is unbound',
    design: 'per-device-sva',
    hw: 'guest-pasid-table',
    steps: [
      ...dev1GuestPasidTable(),
      st(vfio.bindSva(D1, 7), 'EBUSY', 'VFIO_DEVICE_BIND_SVA.EBUSY.guest_pasid_table'),
      st(vfio.bindSva(D2, 7)),
      st(env.dma('dev2', 7, UVA + 0x10n), { hit: UVA + 0x10n }),
      dmaGva('dev1', OLD),
      // a PASID table is bound on the RID: its unbind names no PASID
      st(vfio.unbindPgtable(D1)),
      st(vfio.bindSva(D1, 7)),
      st(env.dma('dev1', 7, UVA + 0x10n), { hit: UVA + 0x10n }),
    ],
  },
  {
    name: 'per-device-sva: closing the device FD releases its native binding (the PASID finds no entry); a new FD of the device binds again',
    design: 'per-device-sva',
    steps: [
      ...vm(),
      st(vfio.bindSva(D1, 7)),
      st(env.dma('dev1', 7, UVA), { hit: UVA }),
      st(env.close(D1)),
      st(env.dma('dev1', 7, UVA), { fault: 'no-pasid-entry' }),
      st(env.open(DEV1), { out: { fd: 4 } }),
      st(vfio.bindIoasidFd(D1, CTX)),
      st(vfio.bindSva(D1, 7)),
      st(env.dma('dev1', 7, UVA), { hit: UVA }),
    ],
  },
  {
    name: 'per-device-sva: MUNMAP leaves pinned pages pinned, still backing their maps; a later map of the munmapped memory fails EFAULT, as for memory never mapped; munmap of nothing is ok, of a misaligned or empty range EINVAL',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      st(env.munmap(UVA, RAM), 'ok', 'MUNMAP.ok'),
      // a pin holds the page: dev1's map of guest RAM still reaches it
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(ioasid.map(CTX, 1, RAM, 0x1000n, UVA), 'EFAULT', 'IOASID_MAP_DMA.EFAULT.pin'),
      st(env.munmap(UVA, RAM), 'ok', 'MUNMAP.ok'),
      st(env.munmap(UVA + 0x800n, 0x1000n), 'EINVAL', 'MUNMAP.EINVAL.range'),
      st(env.munmap(UVA, 0n), 'EINVAL', 'MUNMAP.EINVAL.range'),
      // the unmap lets the pages go (the leak check after the last close finds nothing pinned)
      st(ioasid.unmap(CTX, 1, 0n, RAM), { out: { size: RAM } }),
      st(env.dma('dev1', null, 0x1234n), { fault: 'no-translation' }),
    ],
  },
];

// ---- rfc-v1: per-VM FD, per-ioasid ops (M5) ----------------------------------------------------------------------

/** vmGpa(), then a child of the GPA ioasid (ioasid 2) with dev1's RID on it (RFC v1 §5.7's PASID-table child). */
const vmRidChild = (): ExampleStep[] => [...vmGpa(), st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }), st(vfio.attachIoasid(D1, 2))];

/** vmGpa(), then a child of the GPA ioasid (ioasid 2) with dev1 and dev2 on it by PASID 5 (RFC v1 §5.5). */
const vmChild = (): ExampleStep[] => [
  ...vmGpa(),
  st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
  st(vfio.attachIoasid(D1, 2, 5)),
  st(vfio.attachIoasid(D2, 2, 5)),
];

const rfcV1: Example[] = [
  {
    // The contrast to the per-device-sva counterexample: same devices, same guest table, one call.
    name: 'rfc-v1: one IOASID_INVALIDATE_CACHE on a bound child clears the old translation for every device attached to it',
    design: 'rfc-v1',
    steps: [
      ...vmChild(),
      guestMaps(OLD),
      st(ioasid.bindPgtable(CTX, 2, PGT)),
      guestMaps(NEW),
      dmaGva('dev2', NEW, [OLD]),
      st(ioasid.invalidate(CTX, 2)),
      dmaGva('dev1', NEW),
      dmaGva('dev2', NEW),
    ],
  },
  {
    name: 'rfc-v1: an ioasid no device was ever attached to is "just a number": MAP_DMA, UNMAP_DMA and CREATE_NESTING are ENODEV',
    design: 'rfc-v1',
    steps: [
      ...vm(),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA), 'ENODEV'),
      st(ioasid.unmap(CTX, 1, 0n, RAM), 'ENODEV'),
      st(ioasid.nest(CTX, 1), 'ENODEV'),
      st(vfio.attachIoasid(D1, 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
  {
    // RFC v1 §3 partial_devices: dev3 and dev4 share iommu group 3.
    name: 'rfc-v1: while only part of an iommu group is attached to an ioasid, MAP_DMA is EBUSY; attaching the rest of the group makes it work',
    design: 'rfc-v1',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.open(DEV3), { out: { fd: 4 } }),
      st(env.open(DEV4), { out: { fd: 5 } }),
      st(env.mmap(UVA, RAM)),
      st(vfio.bindIoasidFd(fd(4), CTX)),
      st(vfio.bindIoasidFd(fd(5), CTX)),
      st(ioasid.alloc(CTX), { out: { ioasid: 1 } }),
      st(vfio.attachIoasid(fd(4), 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA), 'EBUSY', 'IOASID_MAP_DMA.EBUSY.partial_group'),
      st(env.dma('dev3', null, 0x1234n), { fault: 'no-translation' }),
      st(vfio.attachIoasid(fd(5), 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(env.dma('dev3', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(env.dma('dev4', null, 0x1234n), { hit: hpa(0x1234n) }),
      // detaching dev4 makes the group partial again
      st(vfio.detachIoasid(fd(5), 1)),
      st(ioasid.unmap(CTX, 1, 0n, RAM), 'EBUSY'),
    ],
  },
  {
    name: 'rfc-v1: a type1 UNMAP_DMA that would split a mapping is EINVAL and unmaps nothing, not even the mappings it covers whole',
    design: 'rfc-v1',
    steps: [
      ...vmGpa(),
      st(ioasid.map(CTX, 1, 0x100000n, 0x1000n, UVA)),
      st(ioasid.map(CTX, 1, 0x101000n, 0x2000n, UVA + 0x1000n)),
      // covers the first mapping whole and half of the second
      st(ioasid.unmap(CTX, 1, 0x100000n, 0x2000n), 'EINVAL'),
      st(env.dma('dev1', null, 0x100010n), { hit: UVA + 0x10n }),
      st(env.dma('dev1', null, 0x102010n), { hit: UVA + 0x2010n }),
      st(ioasid.unmap(CTX, 1, 0x101000n, 0x1000n), 'EINVAL'),
      st(ioasid.unmap(CTX, 1, 0x100000n, 0x3000n), { out: { size: 0x3000n } }),
      st(env.dma('dev1', null, 0x100010n), { fault: 'no-translation' }),
    ],
  },
  {
    name: 'rfc-v1: a type1 UNMAP_DMA of a range with nothing mapped succeeds with size 0',
    design: 'rfc-v1',
    steps: [
      ...vmGpa(),
      st(ioasid.unmap(CTX, 1, 0x200000n, 0x1000n), { out: { size: 0n } }),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
  {
    name: 'rfc-v1: IOASID_FREE of an ioasid with an attached device or a child is EBUSY',
    design: 'rfc-v1',
    steps: [
      ...vm(),
      st(vfio.attachIoasid(D1, 1)),
      st(ioasid.free(CTX, 1), 'EBUSY'),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
      st(vfio.detachIoasid(D1, 1)),
      st(ioasid.free(CTX, 1), 'EBUSY'),
      st(ioasid.free(CTX, 2)),
      st(ioasid.free(CTX, 1)),
      st(vfio.attachIoasid(D1, 1), 'ENOENT'),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA), 'ENOENT'),
    ],
  },
  {
    name: 'rfc-v1 on host-pasid-table hardware: IOASID_BIND_PASID_TABLE is EOPNOTSUPP',
    design: 'rfc-v1',
    steps: [
      ...vmRidChild(),
      st(ioasid.bindPasidTable(CTX, 2, PASID_TBL, 'IOASID_FORMAT_VTD'), 'EOPNOTSUPP'),
      st(env.dma('dev1', null, 0x1234n), { fault: 'no-translation' }),
    ],
  },
  {
    name: 'rfc-v1: IOASID_BIND_PGTABLE on a root (kernel-managed) ioasid is EINVAL: user page tables only bind on a nested child',
    design: 'rfc-v1',
    steps: [
      ...vmGpa(),
      st(ioasid.bindPgtable(CTX, 1, PGT), 'EINVAL', 'IOASID_BIND_PGTABLE.EINVAL.not_child'),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
  {
    name: 'rfc-v1: attaching a device to a child ioasid is EINVAL unless its RID is already attached to the parent',
    design: 'rfc-v1',
    steps: [
      ...vm(),
      st(vfio.attachIoasid(D2, 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D1, 2, 5), 'EINVAL', 'VFIO_ATTACH_IOASID.EINVAL.not_on_parent'),
      st(vfio.attachIoasid(D1, 1)),
      st(vfio.attachIoasid(D1, 2, 5)),
    ],
  },
  {
    name: 'rfc-v1: a software-nested child (MAP_DMA of GPAs) cannot also bind a page table (EBUSY)',
    design: 'rfc-v1',
    steps: [
      ...vmRidChild(),
      // RFC v1 §5.3: the child maps GIOVA -> GPA, the kernel merges it with the parent's GPA -> HVA
      st(ioasid.map(CTX, 2, GVA, 0x1000n, OLD)),
      st(env.dma('dev1', null, GVA + 0x10n), { hit: hpa(OLD + 0x10n) }),
      st(ioasid.bindPgtable(CTX, 2, PGT), 'EBUSY'),
    ],
  },
  {
    name: 'rfc-v1: a device is bound to one /dev/ioasid FD; binding it to a second is EINVAL',
    design: 'rfc-v1',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.open(IOASID_PATH), { out: { fd: 4 } }),
      st(env.open(DEV1), { out: { fd: 5 } }),
      st(vfio.bindIoasidFd(fd(5), fd(3))),
      st(vfio.bindIoasidFd(fd(5), fd(4)), 'EINVAL'),
    ],
  },
  {
    // The contrast to fd-per-ioasid's double charge (RFC v1 §2: registered pages are not double-accounted).
    name: 'rfc-v1: memory registered once with IOASID_REGISTER_MEMORY is charged once however many ioasids map it',
    design: 'rfc-v1',
    memlockPages: 300,
    steps: [
      ...vm(),
      st(ioasid.register(CTX, UVA, RAM)),
      st(ioasid.alloc(CTX), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D1, 1)),
      st(vfio.attachIoasid(D2, 2)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(ioasid.map(CTX, 2, 0n, RAM, UVA)),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(env.dma('dev2', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
  {
    name: 'rfc-v1: without IOASID_REGISTER_MEMORY the same memory mapped in two ioasids is charged twice (ENOMEM past RLIMIT_MEMLOCK)',
    design: 'rfc-v1',
    memlockPages: 300,
    steps: [
      ...vm(),
      st(ioasid.alloc(CTX), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D1, 1)),
      st(vfio.attachIoasid(D2, 2)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(ioasid.map(CTX, 2, 0n, RAM, UVA), 'ENOMEM'),
      st(env.dma('dev2', null, 0x1234n), { fault: 'no-translation' }),
    ],
  },
  {
    // The contrast to setup-only-association (seed M3 concern 1, M4: run-time association is required).
    name: 'rfc-v1: devices can be attached at run time, after the first MAP_DMA',
    design: 'rfc-v1',
    steps: [
      ...vm(),
      st(vfio.attachIoasid(D1, 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(vfio.attachIoasid(D2, 1)),
      st(env.dma('dev2', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
  {
    name: 'rfc-v1: a guest PASID is authorized at run time (VFIO_ATTACH_IOASID with user_pasid after the first MAP_DMA) and its table then binds',
    design: 'rfc-v1',
    steps: [
      ...vm(),
      st(vfio.attachIoasid(D1, 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      guestMaps(OLD),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D1, 2, 5)),
      st(ioasid.bindPgtable(CTX, 2, PGT)),
      dmaGva('dev1', OLD),
    ],
  },
  {
    name: 'rfc-v1: a route holds one ioasid (plus a child of it): attaching dev1\'s RID to a second root ioasid is EBUSY, to the same one EEXIST',
    design: 'rfc-v1',
    steps: [
      ...vmGpa(),
      st(ioasid.alloc(CTX), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D1, 2), 'EBUSY'),
      st(vfio.attachIoasid(D1, 1), 'EEXIST'),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 3 } }),
      st(vfio.attachIoasid(D1, 3)),
      st(env.dma('dev1', null, 0x1234n), { fault: 'no-translation' }),
    ],
  },
  {
    name: 'rfc-v1: nesting has one level: IOASID_CREATE_NESTING on a child is EINVAL',
    design: 'rfc-v1',
    steps: [
      ...vmChild(),
      st(ioasid.nest(CTX, 2), 'EINVAL'),
    ],
  },
  {
    name: 'rfc-v1: VFIO_UNBIND_IOASID_FD while the device is attached is EBUSY; after VFIO_DETACH_IOASID it unbinds',
    design: 'rfc-v1',
    steps: [
      ...vmGpa(),
      st(vfio.unbindIoasidFd(D1), 'EBUSY'),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(vfio.detachIoasid(D1, 1)),
      st(vfio.unbindIoasidFd(D1)),
      st(vfio.attachIoasid(D1, 1), 'EINVAL'),
    ],
  },
  {
    // RFC v1 §5.7: each guest table is still bound, but the kernel "only tracks" it — the guest's PASID table decides.
    name: 'rfc-v1 on guest-pasid-table hardware: IOASID_BIND_PGTABLE is accepted only under a bound guest PASID table (EOPNOTSUPP before), and is only tracked',
    design: 'rfc-v1',
    hw: 'guest-pasid-table',
    steps: [
      ...vmGpa(),
      guestMaps(OLD),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D1, 2)),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 3 } }),
      st(vfio.attachIoasid(D1, 3, 5)),
      st(ioasid.bindPgtable(CTX, 3, PGT, 'IOASID_FORMAT_SMMUV3'), 'EOPNOTSUPP'),
      st(ioasid.bindPasidTable(CTX, 2, PASID_TBL)),
      st(ioasid.bindPgtable(CTX, 3, PGT, 'IOASID_FORMAT_SMMUV3')),
      // the tracked bind writes no PASID entry: until the guest does, PASID 5 has no context
      st(env.dma('dev1', 5, GVA + 0x10n), { fault: 'no-pasid-entry' }),
      st(env.writePasidEntry(PASID_TBL, 5, PGT)),
      st(ioasid.invalidate(CTX, 2)),
      dmaGva('dev1', OLD),
    ],
  },
  {
    // Jason (M4): "everything needs the device association step or it is not secure" — the hardware cannot enforce it here.
    name: 'rfc-v1 on guest-pasid-table hardware: once a guest PASID table is bound on dev1\'s RID, DMA on a PASID never attached through VFIO translates through the guest\'s table',
    design: 'rfc-v1',
    hw: 'guest-pasid-table',
    steps: [
      ...vmRidChild(),
      st(ioasid.bindPasidTable(CTX, 2, PASID_TBL)),
      // the guest alone gives PASID 7 an address space; no VFIO_ATTACH_IOASID names PASID 7
      st(env.writePasidEntry(PASID_TBL, 7, PGT)),
      guestMaps(OLD),
      st(ioasid.invalidate(CTX, 2)),
      dmaGva('dev1', OLD, [], 7),
    ],
  },
];

// ---- setup-only-association: the seed's concern 1 taken as a design -------------------------------------------

const setupOnly: Example[] = [
  {
    name: 'setup-only-association: devices attached before the first MAP_DMA work as under rfc-v1',
    design: 'setup-only-association',
    steps: [
      ...vmGpa(),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(env.dma('dev2', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
  {
    name: 'setup-only-association: after the FD\'s first MAP_DMA, VFIO_ATTACH_IOASID is EBUSY on every ioasid of the FD; detach still works',
    design: 'setup-only-association',
    steps: [
      ...vm(),
      st(vfio.attachIoasid(D1, 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(vfio.attachIoasid(D2, 1), 'EBUSY', 'VFIO_ATTACH_IOASID.EBUSY.setup_over'),
      st(env.dma('dev2', null, 0x1234n), { fault: 'blocked' }),
      st(ioasid.alloc(CTX), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D2, 2), 'EBUSY'),
      st(vfio.detachIoasid(D1, 1)),
      st(env.dma('dev1', null, 0x1234n), { fault: 'blocked' }),
      // and a detached device cannot come back
      st(vfio.attachIoasid(D1, 1), 'EBUSY'),
    ],
  },
  {
    name: 'setup-only-association: after the FD\'s first IOASID_BIND_PGTABLE, VFIO_ATTACH_IOASID is EBUSY',
    design: 'setup-only-association',
    steps: [
      ...vm(),
      st(vfio.attachIoasid(D1, 1)),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D1, 2, 5)),
      st(ioasid.bindPgtable(CTX, 2, PGT)),
      st(vfio.attachIoasid(D2, 1), 'EBUSY'),
    ],
  },
  {
    // Jason (M4): a vIOMMU must associate the device when the guest asks, or a guest cannot isolate a PASID.
    name: 'setup-only-association: a guest PASID cannot be authorized at run time: VFIO_ATTACH_IOASID with user_pasid after the first MAP_DMA is EBUSY',
    design: 'setup-only-association',
    steps: [
      ...vm(),
      st(vfio.attachIoasid(D1, 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      guestMaps(OLD),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D1, 2, 5), 'EBUSY'),
      st(ioasid.bindPgtable(CTX, 2, PGT), 'ENODEV'),
      st(env.dma('dev1', 5, GVA + 0x10n), { fault: 'no-pasid-entry' }),
    ],
  },
  {
    name: 'setup-only-association: a MAP_DMA that fails does not end the set-up phase',
    design: 'setup-only-association',
    steps: [
      ...vm(),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA), 'ENODEV'),
      st(vfio.attachIoasid(D1, 1)),
      // user memory at 0x8000_0000 was never mmapped: pinning it fails
      st(ioasid.map(CTX, 1, 0n, RAM, 0x8000_0000n), 'EFAULT'),
      st(vfio.attachIoasid(D2, 1)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(env.dma('dev2', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
];

// ---- fd-per-ioasid: the seed's skeleton (M3 steps 1-5) ----------------------------------------------------------

const fdPerIoasid: Example[] = [
  {
    name: 'fd-per-ioasid: opening /dev/ioasid gives an FD that is one ioasid; its ioasid argument must be 0 (EINVAL otherwise)',
    design: 'fd-per-ioasid',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.open(DEV1), { out: { fd: 4 } }),
      st(env.mmap(UVA, RAM)),
      st(vfio.attachIoasid(D1, 3)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA), 'EINVAL', 'IOASID_MAP_DMA.EINVAL.ioasid_not_zero'),
      st(ioasid.map(CTX, 0, 0n, RAM, UVA)),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(ioasid.unmap(CTX, 3, 0n, RAM), 'EINVAL'),
      st(ioasid.unmap(CTX, 0, 0n, RAM), { out: { size: RAM } }),
      st(env.dma('dev1', null, 0x1234n), { fault: 'no-translation' }),
    ],
  },
  {
    name: 'fd-per-ioasid: an ioasid FD with no device associated refuses MAP_DMA (ENODEV)',
    design: 'fd-per-ioasid',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.mmap(UVA, RAM)),
      st(ioasid.map(CTX, 0, 0n, RAM, UVA), 'ENODEV'),
    ],
  },
  {
    name: 'fd-per-ioasid: VFIO_ATTACH_IOASID names the ioasid by its FD number (EBADF for a number that is not open, EBADFD for a device FD); there is no VFIO_BIND_IOASID_FD',
    design: 'fd-per-ioasid',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.open(DEV1), { out: { fd: 4 } }),
      st(vfio.bindIoasidFd(D1, CTX), 'ENOTTY'),
      st(vfio.attachIoasid(D1, 9), 'EBADF'),
      st(vfio.attachIoasid(D1, 4), 'EBADFD'),
      st(vfio.attachIoasid(D1, 3)),
      st(vfio.attachIoasid(D1, 3), 'EEXIST'),
      st(vfio.detachIoasid(D1, 3)),
      st(env.dma('dev1', null, 0x1234n), { fault: 'blocked' }),
    ],
  },
  {
    name: 'fd-per-ioasid: two devices associated with one ioasid FD share its map',
    design: 'fd-per-ioasid',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.open(DEV1), { out: { fd: 4 } }),
      st(env.open(DEV2), { out: { fd: 5 } }),
      st(env.mmap(UVA, RAM)),
      st(vfio.attachIoasid(D1, 3)),
      st(vfio.attachIoasid(D2, 3)),
      st(ioasid.map(CTX, 0, 0n, RAM, UVA)),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(env.dma('dev2', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(ioasid.unmap(CTX, 0, 0n, RAM), { out: { size: RAM } }),
      st(env.dma('dev2', null, 0x1234n), { fault: 'no-translation' }),
    ],
  },
  {
    name: 'fd-per-ioasid: IOASID_CREATE_NESTING returns a new FD for the child; BIND_PGTABLE and INVALIDATE_CACHE are issued on the child FD',
    design: 'fd-per-ioasid',
    steps: [
      ...single(),
      st(ioasid.nest(CTX, 0), { out: { ioasid: 0, fd: 5 } }),
      st(vfio.attachIoasid(D1, 5, 5)),
      guestMaps(OLD),
      // the parent FD is a root: no user page table binds there
      st(ioasid.bindPgtable(CTX, 0, PGT), 'EINVAL'),
      st(ioasid.bindPgtable(fd(5), 1, PGT), 'EINVAL'),
      st(ioasid.bindPgtable(fd(5), 0, PGT)),
      dmaGva('dev1', OLD),
      guestMaps(NEW),
      dmaGva('dev1', NEW, [OLD]),
      st(ioasid.invalidate(CTX, 0), 'EINVAL'),
      st(ioasid.invalidate(fd(5), 0)),
      dmaGva('dev1', NEW),
    ],
  },
  {
    // Seed M3 steps 3-5, each confirmed "Seems so" in M4.
    name: 'fd-per-ioasid: the seed\'s steps 3-5 — bind a page table on the child FD, unbind it there, then de-associate (the parent only after the child)',
    design: 'fd-per-ioasid',
    steps: [
      ...single(),
      st(ioasid.nest(CTX, 0), { out: { ioasid: 0, fd: 5 } }),
      st(vfio.attachIoasid(D1, 5, 5)),
      guestMaps(OLD),
      st(ioasid.bindPgtable(fd(5), 0, PGT)),
      dmaGva('dev1', OLD),
      st(ioasid.unbindPgtable(fd(5), 0)),
      st(env.dma('dev1', 5, GVA + 0x10n), { fault: 'no-translation' }),
      st(vfio.detachIoasid(D1, 3), 'EBUSY'),
      st(vfio.detachIoasid(D1, 5, 5)),
      st(env.dma('dev1', 5, GVA + 0x10n), { fault: 'no-pasid-entry' }),
      st(vfio.detachIoasid(D1, 3)),
      st(env.dma('dev1', null, 0x1234n), { fault: 'blocked' }),
    ],
  },
  {
    name: 'fd-per-ioasid: IOASID_ALLOC, IOASID_FREE, IOASID_REGISTER_MEMORY and IOASID_BIND_PASID_TABLE are not in the design (ENOTTY)',
    design: 'fd-per-ioasid',
    steps: [
      ...single(),
      st(ioasid.alloc(CTX), 'ENOTTY'),
      st(ioasid.free(CTX, 0), 'ENOTTY'),
      st(ioasid.register(CTX, UVA, RAM), 'ENOTTY'),
      st(ioasid.nest(CTX, 0), { out: { ioasid: 0, fd: 5 } }),
      st(ioasid.bindPasidTable(fd(5), 0, PASID_TBL), 'ENOTTY'),
    ],
  },
  {
    // Seed concern 2: AMD/ARM "only need to bind the guest PASID table to host. Above model seems unable to fit them."
    name: 'fd-per-ioasid on guest-pasid-table hardware: a guest stage-1 cannot be nested (BIND_PGTABLE is EOPNOTSUPP, BIND_PASID_TABLE is ENOTTY)',
    design: 'fd-per-ioasid',
    hw: 'guest-pasid-table',
    steps: [
      ...single(),
      st(ioasid.nest(CTX, 0), { out: { ioasid: 0, fd: 5 } }),
      st(vfio.attachIoasid(D1, 5, 5)),
      guestMaps(OLD),
      st(ioasid.bindPgtable(fd(5), 0, PGT, 'IOASID_FORMAT_SMMUV3'), 'EOPNOTSUPP'),
      st(ioasid.bindPasidTable(fd(5), 0, PASID_TBL), 'ENOTTY'),
      // the GPA space itself works
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
  {
    name: 'fd-per-ioasid: closing the ioasid FD while a device is associated keeps its translation until the device FD closes',
    design: 'fd-per-ioasid',
    steps: [
      ...single(),
      st(env.close(CTX)),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(ioasid.map(CTX, 0, 0x200000n, 0x1000n, UVA), 'EBADF'),
      // fd 3 is reused for a new ioasid: the number no longer names the one dev1 is on
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(vfio.detachIoasid(D1, 3), 'ENOENT'),
      st(env.dma('dev1', null, 0x1234n), { hit: hpa(0x1234n) }),
      st(env.close(D1)),
      st(env.dma('dev1', null, 0x1234n), { fault: 'blocked' }),
    ],
  },
  {
    // There is no per-VM place to register memory once (the design's rationale), so each ioasid FD pins its own.
    name: 'fd-per-ioasid: two ioasid FDs mapping the same user memory are charged twice against RLIMIT_MEMLOCK',
    design: 'fd-per-ioasid',
    memlockPages: 384,
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.open(DEV1), { out: { fd: 4 } }),
      st(env.open(IOASID_PATH), { out: { fd: 5 } }),
      st(env.open(DEV2), { out: { fd: 6 } }),
      st(env.mmap(UVA, RAM)),
      st(vfio.attachIoasid(D1, 3)),
      st(vfio.attachIoasid(fd(6), 5)),
      st(ioasid.map(CTX, 0, 0n, RAM, UVA)),
      // 256 pages charged; the same 256 again would be 512 > 384
      st(ioasid.map(fd(5), 0, 0n, RAM, UVA), 'ENOMEM'),
      // half of them: 256 + 128 = 384, exactly the limit
      st(ioasid.map(fd(5), 0, 0n, RAM / 2n, UVA)),
      st(ioasid.map(fd(5), 0, RAM / 2n, 0x1000n, UVA + RAM / 2n), 'ENOMEM'),
      st(env.dma('dev2', null, 0x1234n), { hit: hpa(0x1234n) }),
    ],
  },
];

// ---- cross-FD isolation in every per-VM design (P-OWNER) -------------------------------------------------------

/**
 * Two /dev/ioasid FDs: A (fd 3) with dev1 (fd 5) bound, B (fd 4) with dev2 (fd 6) bound. A has ioasid 1, B has 1
 * and 2; B maps its own memory (UVA_B) at IOVA 0 of ioasid 2. dev1 naming ioasid 2 finds nothing in A (ENOENT).
 */
const UVA_B = 0x5000_0000n;
const crossFd = (design: Example['design']): Example => ({
  name: `${design}: a device bound to FD A cannot attach to an ioasid of FD B (ENOENT), and its DMA never reaches B's pages`,
  design,
  steps: [
    st(env.open(IOASID_PATH), { out: { fd: 3 } }),
    st(env.open(IOASID_PATH), { out: { fd: 4 } }),
    st(env.open(DEV1), { out: { fd: 5 } }),
    st(env.open(DEV2), { out: { fd: 6 } }),
    st(env.mmap(UVA, RAM)),
    st(env.mmap(UVA_B, RAM)),
    st(vfio.bindIoasidFd(fd(5), fd(3))),
    st(vfio.bindIoasidFd(fd(6), fd(4))),
    st(ioasid.alloc(fd(3)), { out: { ioasid: 1 } }),
    st(ioasid.alloc(fd(4)), { out: { ioasid: 1 } }),
    st(ioasid.alloc(fd(4)), { out: { ioasid: 2 } }),
    st(vfio.attachIoasid(fd(6), 2)),
    st(ioasid.map(fd(4), 2, 0n, RAM, UVA_B)),
    st(vfio.attachIoasid(fd(5), 2), 'ENOENT'),
    st(env.dma('dev1', null, 0x1234n), { fault: 'blocked' }),
    st(vfio.attachIoasid(fd(5), 1)),
    st(ioasid.map(fd(3), 1, 0x100000n, 0x1000n, UVA)),
    st(env.dma('dev1', null, 0x1234n), { fault: 'no-translation' }),
    st(env.dma('dev1', null, 0x100234n), { hit: UVA + 0x234n }),
    st(env.dma('dev2', null, 0x1234n), { hit: UVA_B + 0x1234n }),
  ],
});

const crossFdExamples: Example[] = [
  crossFd('rfc-v1'),
  crossFd('setup-only-association'),
  {
    ...crossFd('per-device-sva'),
    name: 'per-device-sva: a device bound to FD A can neither attach to nor bind a page table over an ioasid of FD B (ENOENT), and its DMA never reaches B\'s pages',
    steps: [
      ...crossFd('per-device-sva').steps,
      st(env.writePte(PGT, GVA, OLD)),
      st(vfio.bindPgtable(fd(5), 2, PGT, 5), 'ENOENT'),
      st(env.dma('dev1', 5, GVA + 0x10n), { fault: 'no-pasid-entry' }),
    ],
  },
  {
    // A: fd 3 (IOAS 1, DEVICE 2), B: fd 4 (IOAS 1, 2, 3). pt_id 3 names nothing in A.
    name: 'iommufd: a device bound to iommufd A cannot attach to an IOAS id of iommufd B (ENOENT), and its DMA never reaches B\'s pages',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD_PATH), { out: { fd: 3 } }),
      st(env.open(IOMMUFD_PATH), { out: { fd: 4 } }),
      st(env.open(DEV1), { out: { fd: 5 } }),
      st(env.mmap(UVA, RAM)),
      st(env.mmap(UVA_B, RAM)),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 2 } }),
      st(iommu.ioasAlloc(fd(4)), { out: { out_ioas_id: 1 } }),
      st(iommu.ioasAlloc(fd(4)), { out: { out_ioas_id: 2 } }),
      st(iommu.ioasAlloc(fd(4)), { out: { out_ioas_id: 3 } }),
      st(iommu.map(fd(4), 3, 0x100000n, 0x1000n, UVA_B), { out: { iova: 0x100000n } }),
      st(vfio.attach(fd(5), 3), 'ENOENT'),
      st(env.dma('dev1', null, 0x100234n), { fault: 'blocked' }),
      st(vfio.attach(fd(5), 1), { out: { pt_id: 3 } }),
      st(iommu.map(fd(3), 1, 0x200000n, 0x1000n, UVA), { out: { iova: 0x200000n } }),
      st(env.dma('dev1', null, 0x100234n), { fault: 'no-translation' }),
      st(env.dma('dev1', null, 0x200234n), { hit: UVA + 0x234n }),
    ],
  },
];

// ---- iommufd by contrast: the merged kernel's non-atomic range unmap ------------------------------------------

const iommufdContrast: Example[] = [
  {
    // facts §3 / properties.md P-ATOMIC exception: the contrast to rfc-v1's type1-atomic split refusal.
    name: 'iommufd: an IOMMU_IOAS_UNMAP that would split an area fails with ENOENT after removing the whole areas before it (rfc-v1 refuses first)',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD_PATH), { out: { fd: 3 } }),
      st(env.open(DEV1), { out: { fd: 4 } }),
      st(env.mmap(UVA, RAM)),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }),
      st(iommu.map(fd(3), 1, 0x100000n, 0x1000n, UVA), { out: { iova: 0x100000n } }),
      st(iommu.map(fd(3), 1, 0x101000n, 0x2000n, UVA + 0x1000n), { out: { iova: 0x101000n } }),
      st(iommu.unmap(fd(3), 1, 0x100000n, 0x2000n), { partial: 'ENOENT' }),
      st(env.dma('dev1', null, 0x100010n), { fault: 'no-translation' }),
      st(env.dma('dev1', null, 0x102010n), { hit: UVA + 0x2010n }),
    ],
  },
];

/** Cases that once showed the spec contradicting its sources; `why` says what was wrong. Run as regressions. */
// ---- page faults: RFC v1's ring (flow 5.6), and the designs that wrote down none ---------------------------------

/** vmChild(), then the guest's stage-1 table bound on the child (ioasid 2): a user-managed ioasid, which reports faults. */
const vmBoundChild = (): ExampleStep[] => [...vmChild(), st(ioasid.bindPgtable(CTX, 2, PGT))];
/** Two guest virtual addresses the devices fault on. */
const FA = GVA + 0x1000n;
const FB = GVA + 0x2000n;

/** A request of `dev` on PASID 5 for `addr`, posted to the ring by the bound child. */
const toRing = (dev: 'dev1' | 'dev2', addr: bigint) => st(env.pageRequest(dev, 5, addr), 'ok', 'PAGE_REQUEST.ok.ring');
/** FAULT_RING_READ of the VM's FD, room for `count` entries, taking these requests of ioasid 2, oldest first. */
const ringHas = (addrs: readonly bigint[], count = 4) => st(env.faultRingRead(CTX, count), { out: { faults: addrs.map((addr) => ({ ioasid: 2, addr })) } });
/** IOASID_PAGE_RESPONSE for ioasid 2, with `code`; and one that finds nothing taken off the ring to answer. */
const answer = (code = 0) => st(ioasid.pageResponse(CTX, 2, code));
const nothingToAnswer = () => st(ioasid.pageResponse(CTX, 2, 0), 'EINVAL', 'IOASID_PAGE_RESPONSE.EINVAL.no_request');

const faultRing: Example[] = [
  {
    name: 'rfc-v1 (flow 5.6): a page request through a child with a bound page table reaches the FD\'s ring as {ioasid, addr}; IOASID_PAGE_RESPONSE answers it, once',
    design: 'rfc-v1',
    steps: [
      ...vmBoundChild(),
      toRing('dev1', FA),
      st(env.faultRingRead(CTX), { out: { faults: [{ ioasid: 2, addr: FA }] } }, 'FAULT_RING_READ.ok'),
      st(env.faultRingRead(CTX), { out: { faults: [] } }, 'FAULT_RING_READ.ok.empty'),
      st(ioasid.pageResponse(CTX, 2, 0), 'ok', 'IOASID_PAGE_RESPONSE.ok'),
      nothingToAnswer(),
    ],
  },
  {
    // RFC v1 §1: "the /dev/ioasid uAPI itself carries no device identity" — QEMU "randomly picks" an attached device
    name: 'rfc-v1 (flow 5.6): the ring names no device: requests of dev1 and dev2 through the same child read back alike',
    design: 'rfc-v1',
    steps: [
      ...vmBoundChild(),
      toRing('dev1', FA),
      toRing('dev2', FA),
      ringHas([FA, FA]),
      answer(),
      answer(1),
      nothingToAnswer(),
    ],
  },
  {
    name: 'rfc-v1 (flow 5.6): a completion answers only a request taken off the ring, the oldest first; one still on the ring waits for its read',
    design: 'rfc-v1',
    steps: [
      ...vmBoundChild(),
      st(env.pageRequest('dev1', 5, FA)),
      st(env.pageRequest('dev1', 5, FB)),
      ringHas([FA], 1),
      answer(),
      nothingToAnswer(),
      st(env.faultRingRead(CTX, 0), { out: { faults: [] } }, 'FAULT_RING_READ.ok.empty'),
      ringHas([FB], 1),
      answer(2),
    ],
  },
  {
    // RFC v1 §1: fault handling belongs to the pgtable binding protocol; a kernel-managed page table has no user handler
    name: 'rfc-v1: a page request through a kernel-managed ioasid (the root, or a child before its bind) is answered by the core at once: nothing reaches the ring',
    design: 'rfc-v1',
    steps: [
      ...vmChild(),
      st(env.pageRequest('dev1', null, 0x3000n), 'ok', 'PAGE_REQUEST.ok.no_handler'),
      st(env.pageRequest('dev1', 5, FA), 'ok', 'PAGE_REQUEST.ok.no_handler'),
      st(env.faultRingRead(CTX), { out: { faults: [] } }, 'FAULT_RING_READ.ok.empty'),
      nothingToAnswer(),
      st(ioasid.pageResponse(CTX, 1, 0), 'EINVAL', 'IOASID_PAGE_RESPONSE.EINVAL.no_request'),
    ],
  },
  {
    name: 'rfc-v1: detaching a route answers its requests (INVALID, by the kernel) and takes them off the ring; another device\'s request stays',
    design: 'rfc-v1',
    steps: [
      ...vmBoundChild(),
      st(env.pageRequest('dev2', 5, FA)),
      st(env.pageRequest('dev1', 5, FB)),
      st(vfio.detachIoasid(D2, 2, 5)),
      ringHas([FB]),
      answer(),
      nothingToAnswer(),
    ],
  },
  {
    name: 'rfc-v1: closing the device FD answers the requests it had taken off the ring; the completion then has nothing to answer',
    design: 'rfc-v1',
    steps: [
      ...vmBoundChild(),
      st(env.pageRequest('dev1', 5, FA)),
      ringHas([FA]),
      st(env.close(D1)),
      nothingToAnswer(),
    ],
  },
  {
    name: 'rfc-v1: unbinding the page table leaves a taken request waiting, and the completion still answers it',
    design: 'rfc-v1',
    steps: [
      ...vmBoundChild(),
      st(env.pageRequest('dev1', 5, FA)),
      ringHas([FA]),
      st(ioasid.unbindPgtable(CTX, 2)),
      st(env.pageRequest('dev1', 5, FB), 'ok', 'PAGE_REQUEST.ok.no_handler'),
      st(ioasid.pageResponse(CTX, 2, 0), 'ok', 'IOASID_PAGE_RESPONSE.ok'),
    ],
  },
  {
    name: 'rfc-v1: IOASID_PAGE_RESPONSE takes SUCCESS, INVALID or FAILURE (another code is EINVAL, before the ioasid is looked up), an ioasid of this FD (ENOENT), and is an ioctl of the /dev/ioasid FD (ENOTTY on a device FD)',
    design: 'rfc-v1',
    steps: [
      ...vmBoundChild(),
      st(env.pageRequest('dev1', 5, FA)),
      st(env.faultRingRead(CTX)),
      st(ioasid.pageResponse(CTX, 2, 3), 'EINVAL', 'IOASID_PAGE_RESPONSE.EINVAL.code'),
      st(ioasid.pageResponse(CTX, 9, 3), 'EINVAL', 'IOASID_PAGE_RESPONSE.EINVAL.code'),
      st(ioasid.pageResponse(CTX, 9, 0), 'ENOENT', 'IOASID_PAGE_RESPONSE.ENOENT.ioasid'),
      st(ioasid.pageResponse(D1, 2, 0), 'ENOTTY', 'IOASID_PAGE_RESPONSE.ENOTTY.wrong_file'),
      st(ioasid.pageResponse(fd(9), 2, 0), 'EBADF', 'IOASID_PAGE_RESPONSE.EBADF.fd'),
      st(ioasid.pageResponse(CTX, 2, 2), 'ok'),
    ],
  },
  {
    name: 'rfc-v1: FAULT_RING_READ of an fd with no ring (a device FD) is EINVAL, of a closed fd EBADF',
    design: 'rfc-v1',
    steps: [
      ...vm(),
      st(env.faultRingRead(D1), 'EINVAL', 'FAULT_RING_READ.EINVAL.no_ring'),
      st(env.faultRingRead(fd(9)), 'EBADF', 'FAULT_RING_READ.EBADF.fd'),
      st(env.faultRingRead(CTX), { out: { faults: [] } }, 'FAULT_RING_READ.ok.empty'),
    ],
  },
  {
    // the gap of the RFC's {ioasid, addr} on AMD/ARM: the ioasid is the guest's whole PASID table
    name: 'rfc-v1 on guest-pasid-table hardware (§5.7): requests of two PASIDs through the RID\'s bound PASID table reach the ring as the same {ioasid, addr}',
    design: 'rfc-v1',
    hw: 'guest-pasid-table',
    steps: [
      ...vmRidChild(),
      st(ioasid.bindPasidTable(CTX, 2, PASID_TBL)),
      toRing('dev1', FA),
      st(env.pageRequest('dev1', 6, FA), 'ok', 'PAGE_REQUEST.ok.ring'),
      ringHas([FA, FA]),
      answer(),
      answer(),
    ],
  },
  {
    name: 'setup-only-association keeps RFC v1\'s ring: a request through a bound child reaches it',
    design: 'setup-only-association',
    steps: [
      // every association first: the first map or bind ends the set-up phase
      ...vm(),
      st(vfio.attachIoasid(D1, 1)),
      st(vfio.attachIoasid(D2, 1)),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
      st(vfio.attachIoasid(D2, 2, 5)),
      st(ioasid.map(CTX, 1, 0n, RAM, UVA)),
      st(ioasid.bindPgtable(CTX, 2, PGT)),
      toRing('dev2', FA),
      ringHas([FA]),
      st(ioasid.pageResponse(CTX, 2, 0), 'ok'),
    ],
  },
  {
    name: 'per-device-sva wrote down no fault reporting: IOASID_PAGE_RESPONSE is ENOTTY, the FD has no ring (EINVAL), and the core answers a request through a device-FD bind at once',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      st(env.writePte(PGT, GVA, OLD)),
      st(vfio.bindPgtable(D1, 1, PGT, 5)),
      st(env.pageRequest('dev1', 5, FA), 'ok', 'PAGE_REQUEST.ok.no_handler'),
      st(env.faultRingRead(CTX), 'EINVAL', 'FAULT_RING_READ.EINVAL.no_ring'),
      st(ioasid.pageResponse(CTX, 1, 0), 'ENOTTY', 'IOASID_PAGE_RESPONSE.ENOTTY.not_in_design'),
    ],
  },
  {
    name: 'fd-per-ioasid wrote down no fault reporting: IOASID_PAGE_RESPONSE is ENOTTY, and the ioasid FD has no ring (EINVAL)',
    design: 'fd-per-ioasid',
    steps: [
      ...single(),
      st(env.pageRequest('dev1', null, 0x3000n), 'ok', 'PAGE_REQUEST.ok.no_handler'),
      st(env.faultRingRead(CTX), 'EINVAL', 'FAULT_RING_READ.EINVAL.no_ring'),
      st(ioasid.pageResponse(CTX, 0, 0), 'ENOTTY', 'IOASID_PAGE_RESPONSE.ENOTTY.not_in_design'),
    ],
  },
];

// ---- RFC v1's queries (§2): IOASID_CHECK_EXTENSION and IOASID_GET_INFO --------------------------------------------

/** The default world's IOVA a map may use with dev1 or dev2 attached: the 48-bit aperture less the MSI window. */
const USABLE = [{ start: 0n, last: 0xfedf_ffffn }, { start: 0xfef0_0000n, last: (1n << 48n) - 1n }];
/** GET_INFO of `id` on the VM's FD, expecting these flags, children and (by default) the default world's attributes. */
const info = (id: number, flags: number, children = 0, formats: readonly string[] = ['IOASID_FORMAT_VTD']) =>
  st(ioasid.getInfo(CTX, id), { out: { flags, children, formats, iova_ranges: USABLE, pgsize_bitmap: 0x1000n } }, 'IOASID_GET_INFO.ok');

const queries: Example[] = [
  {
    // RFC v1 §2: IOASID_GET_INFO is "only available after ≥1 device attached"; before that the ioasid "is just a number"
    name: 'rfc-v1: IOASID_GET_INFO of an ioasid no device was attached to is ENODEV; once one is, a root takes MAP_DMA and CREATE_NESTING, and the IOMMU nests in hardware',
    design: 'rfc-v1',
    steps: [
      ...vm(),
      st(ioasid.getInfo(CTX, 1), 'ENODEV', 'IOASID_GET_INFO.ENODEV.no_device_attached'),
      st(ioasid.getInfo(CTX, 7), 'ENOENT', 'IOASID_GET_INFO.ENOENT.ioasid'),
      st(vfio.attachIoasid(D1, 1)),
      info(1, IOASID_INFO_MAP_DMA | IOASID_INFO_NESTING | IOASID_INFO_HW_NESTING),
      st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
      info(1, IOASID_INFO_MAP_DMA | IOASID_INFO_NESTING | IOASID_INFO_HW_NESTING, 1),
    ],
  },
  {
    // RFC v1 §2 GET_INFO caps: "type1 map/unmap, pgtable/pasid-table bind, hw vs sw nesting"; a child is one or the other
    name: 'rfc-v1: IOASID_GET_INFO of a child says what it takes now: a map or a bind while empty, neither once its table is bound, only maps once software-nested',
    design: 'rfc-v1',
    steps: [
      ...vmChild(),
      info(2, IOASID_INFO_MAP_DMA | IOASID_INFO_BIND_PGTABLE | IOASID_INFO_HW_NESTING),
      st(ioasid.bindPgtable(CTX, 2, PGT)),
      info(2, IOASID_INFO_HW_NESTING),
      st(ioasid.unbindPgtable(CTX, 2)),
      st(ioasid.map(CTX, 2, GVA, 0x1000n, OLD)),
      info(2, IOASID_INFO_MAP_DMA | IOASID_INFO_HW_NESTING),
      st(ioasid.bindPgtable(CTX, 2, PGT), 'EBUSY'),
    ],
  },
  {
    // RFC v1 §5.7: on AMD/ARM a child bound by its RID takes the guest PASID table; a single page table only under one
    name: 'rfc-v1 on guest-pasid-table hardware: IOASID_GET_INFO of a child with a RID attached offers the PASID-table bind (SMMUv3 format), not a page-table bind',
    design: 'rfc-v1',
    hw: 'guest-pasid-table',
    steps: [
      ...vmRidChild(),
      info(2, IOASID_INFO_MAP_DMA | IOASID_INFO_BIND_PASID_TABLE | IOASID_INFO_HW_NESTING, 0, ['IOASID_FORMAT_SMMUV3']),
      st(ioasid.bindPgtable(CTX, 2, PGT, 'IOASID_FORMAT_SMMUV3'), 'EOPNOTSUPP'),
      st(ioasid.bindPasidTable(CTX, 2, PASID_TBL)),
      info(2, IOASID_INFO_HW_NESTING, 0, ['IOASID_FORMAT_SMMUV3']),
    ],
  },
  {
    // RFC v1 §3 partial_devices: dev3 and dev4 share iommu group 3
    name: 'rfc-v1: IOASID_GET_INFO of an ioasid a partly attached iommu group sits on is EBUSY, as every command on it',
    design: 'rfc-v1',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(env.open(DEV3), { out: { fd: 4 } }),
      st(vfio.bindIoasidFd(fd(4), CTX)),
      st(ioasid.alloc(CTX), { out: { ioasid: 1 } }),
      st(vfio.attachIoasid(fd(4), 1)),
      st(ioasid.getInfo(CTX, 1), 'EBUSY', 'IOASID_GET_INFO.EBUSY.partial_group'),
    ],
  },
  {
    // RFC v1 §2: CHECK_EXTENSION gives FD-level capabilities, "e.g. pre-registration"
    name: 'rfc-v1: IOASID_CHECK_EXTENSION answers 1 for pre-registration, nesting and page faults, and 0 for an extension it does not know',
    design: 'rfc-v1',
    steps: [
      st(env.open(IOASID_PATH), { out: { fd: 3 } }),
      st(ioasid.checkExtension(CTX, IOASID_EXT_REGISTER_MEMORY), { out: { supported: 1 } }, 'IOASID_CHECK_EXTENSION.ok'),
      st(ioasid.checkExtension(CTX, IOASID_EXT_NESTING), { out: { supported: 1 } }),
      st(ioasid.checkExtension(CTX, IOASID_EXT_PAGE_FAULT), { out: { supported: 1 } }),
      st(ioasid.checkExtension(CTX, 0x7f), { out: { supported: 0 } }, 'IOASID_CHECK_EXTENSION.ok.unsupported'),
    ],
  },
  {
    name: 'per-device-sva: IOASID_CHECK_EXTENSION has pre-registration but neither nesting nor page faults on the FD; GET_INFO of its root offers maps only',
    design: 'per-device-sva',
    steps: [
      ...vmGpa(),
      st(ioasid.checkExtension(CTX, IOASID_EXT_REGISTER_MEMORY), { out: { supported: 1 } }),
      st(ioasid.checkExtension(CTX, IOASID_EXT_NESTING), { out: { supported: 0 } }),
      st(ioasid.checkExtension(CTX, IOASID_EXT_PAGE_FAULT), { out: { supported: 0 } }),
      info(1, IOASID_INFO_MAP_DMA | IOASID_INFO_HW_NESTING),
    ],
  },
  {
    name: 'fd-per-ioasid: the skeleton has no queries (IOASID_CHECK_EXTENSION and IOASID_GET_INFO are ENOTTY)',
    design: 'fd-per-ioasid',
    steps: [
      ...single(),
      st(ioasid.checkExtension(CTX, IOASID_EXT_REGISTER_MEMORY), 'ENOTTY', 'IOASID_CHECK_EXTENSION.ENOTTY.not_in_design'),
      st(ioasid.getInfo(CTX, 0), 'ENOTTY', 'IOASID_GET_INFO.ENOTTY.not_in_design'),
    ],
  },
];

export const DESIGNS_REGRESSIONS: { example: Example; why: string }[] = [
  {
    example: {
      name: 'rfc-v1: a read-only software-nested child map over a GPA its parent does not map faults with no-translation, for writes too',
      design: 'rfc-v1',
      steps: [
        ...vm(),
        st(vfio.attachIoasid(D1, 1)),
        st(ioasid.map(CTX, 1, 0n, 0x4000n, UVA)),
        st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
        st(vfio.attachIoasid(D1, 2)),
        // child iova 0x20_0000 -> GPA 0x8000 (the parent maps only GPA 0..0x3fff), read-only
        st(ioasid.map(CTX, 2, 0x20_0000n, 0x1000n, 0x8000n, 1)),
        st(env.dma('dev1', null, 0x20_0010n, 'write'), { fault: 'no-translation' }),
        st(env.dma('dev1', null, 0x20_0010n), { fault: 'no-translation' }),
        // once the parent maps that GPA, the child's own permission decides
        st(ioasid.map(CTX, 1, 0x8000n, 0x1000n, UVA + 0x8000n)),
        st(env.dma('dev1', null, 0x20_0010n), { hit: UVA + 0x8010n }),
        st(env.dma('dev1', null, 0x20_0010n, 'write'), { fault: 'permission' }),
      ],
    },
    why:
      'Software nesting merges child and parent into one shadow page table (RFC v1 §1, "kernel merges both levels"): ' +
      'where the parent has no entry there is no shadow entry at all, so every access faults as not translated; the ' +
      'spec once answered `permission` for the access the child forbids.',
  },
  {
    example: {
      name: 'rfc-v1: IOASID_REGISTER_MEMORY of memory that is not mmapped fails with EFAULT and charges nothing',
      design: 'rfc-v1',
      memlockPages: 512,
      steps: [
        ...vm(),
        st(ioasid.register(CTX, 0x7000_0000n, 0x1000n), 'EFAULT'),
        st(ioasid.register(CTX, UVA, RAM)),
        st(ioasid.register(CTX, UVA + RAM, 0x1000n), 'EFAULT'),
      ],
    },
    why: 'Registering pins the range and does the locked-memory accounting (RFC v1 §2): pin_user_pages of unmapped memory is EFAULT. The spec once charged the range without pinning it.',
  },
  {
    example: {
      name: 'fd-per-ioasid: the first association claims the device for its FD; another FD of the device is refused, and closing it keeps the association',
      design: 'fd-per-ioasid',
      steps: [
        ...single(),
        st(env.open(DEV1), { out: { fd: 5 } }),
        st(vfio.attachIoasid(fd(5), 3, 7), 'EBUSY'),
        st(env.close(fd(5))),
        st(env.dma('dev1', null, 0x1010n), { hit: UVA + 0x1010n }),
        st(env.close(D1)),
        st(env.dma('dev1', null, 0x1010n), { fault: 'blocked' }),
      ],
    },
    why:
      'With no bind step, the FD that associates a device first opens it for DMA (as vfio_df_open does for a bind); a ' +
      'second FD of the same device must not add or drop associations behind the first one\'s back. The spec once ' +
      'let any FD of the device detach everything when it closed.',
  },
  {
    example: {
      name: 'rfc-v1 on guest-pasid-table hardware: IOASID_INVALIDATE_CACHE on the gva ioasid bound for a PASID (RFC v1 §5.7) clears that PASID\'s old translation',
      design: 'rfc-v1',
      hw: 'guest-pasid-table',
      steps: [
        ...vmGpa(),
        // pasidtbl = CREATE_NESTING(gpa); ATTACH(dev1, pasidtbl); BIND_PASID_TABLE(pasidtbl, ...)
        st(ioasid.nest(CTX, 1), { out: { ioasid: 2 } }),
        st(vfio.attachIoasid(D1, 2)),
        st(ioasid.bindPasidTable(CTX, 2, PASID_TBL)),
        st(env.writePasidEntry(PASID_TBL, 5, PGT)),
        guestMaps(OLD),
        st(ioasid.invalidate(CTX, 2)),
        // gva = CREATE_NESTING(gpa); ATTACH(dev1, gva, user_pasid); BIND_PGTABLE(gva, ...) — tracked only
        st(ioasid.nest(CTX, 1), { out: { ioasid: 3 } }),
        st(vfio.attachIoasid(D1, 3, 5)),
        st(ioasid.bindPgtable(CTX, 3, PGT, 'IOASID_FORMAT_SMMUV3')),
        dmaGva('dev1', OLD),
        guestMaps(NEW),
        // the guest's IOTLB invalidation for its address space goes to that address space's ioasid
        st(ioasid.invalidate(CTX, 3)),
        dmaGva('dev1', NEW),
      ],
    },
    why:
      'IOASID_INVALIDATE_CACHE on the gva child (ioasid 3, dev1 attached by user_pasid 5, its table bound and tracked) ' +
      'succeeds but DMA of dev1/PASID 5 still lists the old hpa 0x40003010 as stale (step 23). RFC v1 §2 says ' +
      'INVALIDATE_CACHE on an ioasid invalidates the IOTLB for that address space, the driver mapping it to ' +
      'domain/PASID/range, and ioasid.ts documents it as "reaches the IOTLB entries of every device attached to it". ' +
      'The spec keeps the cached entries under the PASID-table child (ioasid 2) that the walk uses, and the ones it ' +
      'records under the tracked gva child are never read by a walk. So an invalidation of an address space never ' +
      'reaches the IOTLB, and only invalidating the whole PASID-table ioasid clears it.',
  },
  {
    example: {
      name: 'per-device-sva: a page table bound through a device FD is that FD\'s context and takes no ioasid number: IOASID_ALLOC afterwards returns ioasid 2',
      design: 'per-device-sva',
      steps: [
        ...vmGpa(),
        st(vfio.bindPgtable(D1, 1, PGT, 5)),
        st(ioasid.alloc(CTX), { out: { ioasid: 2 } }),
        st(ioasid.free(CTX, 2)),
      ],
    },
    why:
      'The design\'s choice (per-device-sva.ts, sva.ts header) says "each device-FD bind is its own context owned by ' +
      'the device FD", addressed by (device, PASID), with no ioasid returned to the user. But the spec allocates the ' +
      'sva_bind object in the /dev/ioasid FD\'s id table (sva.ts bind: allocId(s, parent.file)), so the bind takes ' +
      'ioasid number 2 and the next IOASID_ALLOC returns {ioasid: 3} (step 12). observe() also lists the bind as an ' +
      'object of the /dev/ioasid file, not the device FD. An implementation that keeps binds with the device FD, as ' +
      'the choice says, would return 2 and be judged wrong.',
  },
];

export const DESIGN_EXAMPLES: Example[] = [
  ...DESIGNS_REGRESSIONS.map((r) => r.example),
  ...perDeviceSva,
  ...nativeSva,
  ...rfcV1,
  ...setupOnly,
  ...fdPerIoasid,
  ...faultRing,
  ...queries,
  ...crossFdExamples,
  ...iommufdContrast,
];
