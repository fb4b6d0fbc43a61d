/**
 * Hand-written iommufd examples, one rule each, in the manner of tools/testing/selftests/iommu/iommufd.c.
 * Every expectation comes from the facts (../shared/domain/iommufd-facts.md §2.1-§2.5, §3, §9) and the kernel
 * functions named in the comments, never from what the spec happens to answer. Boundary cases are written out
 * one by one. Examples that once showed the spec differing from the kernel are kept in IOMMUFD_REGRESSIONS
 * with the kernel's reason, and run too.
 *
 * World (defaultWorld): dev1 = vfio0 (group 1, PASID), dev2 = vfio1 (group 2, PASID), dev3 = vfio2 and
 * dev4 = vfio3 (both group 3, no PASID); every device reserves the MSI window 0xfee00000-0xfeefffff; domains
 * have a 48-bit aperture and 4 KiB pages. Fds are lowest-free from 3, object ids lowest-free from 1.
 */
import { st, type Example, type ExampleStep } from '../support/example.js';
import {
  env, fd, iommu, ioasid, memfdAddress, vfio, U64_MAX,
  IOMMU_HWPT_ALLOC_NEST_PARENT as NEST_PARENT, IOMMU_HWPT_ALLOC_PASID as ALLOC_PASID, IOMMU_HWPT_ALLOC_DIRTY_TRACKING as DIRTY, IOMMU_HWPT_FAULT_ID_VALID as FAULT_ID_VALID,
  IOMMU_IOAS_MAP_READABLE as READ, IOMMU_IOAS_MAP_WRITEABLE as WRITE,
} from '../support/vocab.js';

const IOMMUFD = '/dev/iommu';
const VFIO0 = '/dev/vfio/devices/vfio0'; // dev1
const VFIO1 = '/dev/vfio/devices/vfio1'; // dev2
const VFIO2 = '/dev/vfio/devices/vfio2'; // dev3
const VFIO3 = '/dev/vfio/devices/vfio3'; // dev4
const KIB4 = 0x1000n;
const MSI_START = 0xfee0_0000n;
const APERTURE_END = (1n << 48n) - 1n;
const VTD_S1 = 'IOMMU_HWPT_DATA_VTD_S1' as const;
/** The host address of the memfd that is the trace's third file (after /dev/iommu and vfio0): memfdAddress(3, 0). */
const MEMFD3 = memfdAddress(3, 0n);

/** fd 3 = /dev/iommu, fd 4 = vfio0 (dev1), IOAS 1, dev1 bound as DEVICE 2. */
const oneDevice = (): ExampleStep[] => [
  st(env.open(IOMMUFD), { out: { fd: 3 } }),
  st(env.open(VFIO0), { out: { fd: 4 } }),
  st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
  st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
];

/** oneDevice, 64 KiB of user memory at 0x10000, and dev1 attached to IOAS 1 through auto HWPT 3. */
const oneAttached = (): ExampleStep[] => [
  ...oneDevice(),
  st(env.mmap(0x10000n, 0x10000n)),
  st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }, 'ATTACH_PT.ok.auto_domain'),
];

/**
 * VT-d-style dirty tracking: oneDevice, 64 KiB of user memory at 0x10000 mapped at IOVA 0x100000 (`length` of it),
 * dev1 attached to HWPT 3 allocated with DIRTY_TRACKING on IOAS 1, and (with `on`) tracking started.
 */
const dirtySetup = (length: bigint, on = true): ExampleStep[] => [
  ...oneDevice(),
  st(env.mmap(0x10000n, 0x10000n)),
  st(iommu.map(fd(3), 1, 0x10_0000n, length, 0x10000n), 'ok'),
  st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY), { out: { out_hwpt_id: 3 } }, 'HWPT_ALLOC.ok.paging'),
  st(vfio.attach(fd(4), 3), { out: { pt_id: 3 } }),
  ...(on ? [st(iommu.setDirtyTracking(fd(3), 3), 'ok', 'HWPT_SET_DIRTY_TRACKING.ok.enable')] : []),
];

/** oneDevice, a FAULT queue (object 3, fd 5), dev1 attached to paging HWPT 4 whose page requests go there. */
const faultSetup = (): ExampleStep[] => [
  ...oneDevice(),
  st(iommu.faultQueueAlloc(fd(3)), { out: { out_fault_id: 3, out_fault_fd: 5 } }, 'FAULT_QUEUE_ALLOC.ok'),
  st(iommu.hwptAlloc(fd(3), 2, 1, FAULT_ID_VALID, null, 3), { out: { out_hwpt_id: 4 } }, 'HWPT_ALLOC.ok.paging'),
  st(vfio.attach(fd(4), 4), { out: { pt_id: 4 } }),
];

/** fd 3 = /dev/iommu with IOAS 1 and nothing else (no device, so no domain and no pinning). */
const freshIoas = (): ExampleStep[] => [
  st(env.open(IOMMUFD), { out: { fd: 3 } }),
  st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
];

/**
 * A nested HWPT over a NEST_PARENT paging HWPT. GPA 0x100000..0x1fffff is mapped in IOAS 1 to user memory
 * 0x1000000..: GPA g is host address 0x1000000 + (g - 0x100000). Ids: IOAS 1, DEVICE 2, parent 3, nested 4.
 */
const nestedSetup = (root: bigint): ExampleStep[] => [
  ...oneDevice(),
  st(env.mmap(0x100_0000n, 0x10_0000n)),
  st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }, 'HWPT_ALLOC.ok.paging'),
  st(iommu.map(fd(3), 1, 0x10_0000n, 0x10_0000n, 0x100_0000n), { out: { iova: 0x10_0000n } }),
  st(iommu.hwptAlloc(fd(3), 2, 3, 0, { type: VTD_S1, pgtbl_addr: root }), { out: { out_hwpt_id: 4 } }, 'HWPT_ALLOC.ok.nested'),
];

/** SMMUv3 data: the nested HWPT's vSTE (its CD table), vIOMMU and vEVENTQ types, the lost-events flag. */
const SMMUV3_DATA = 'IOMMU_HWPT_DATA_ARM_SMMUV3' as const;
const VIOMMU_SMMUV3 = 1;
const VIOMMU_SELFTEST = 0xdeadbeef;
const VEVENTQ_SMMUV3 = 1;
const LOST_EVENTS = 1;
/** The guest's tables in GPA (inside the stage-2 viommuSetup maps): its CD table, a page table, an IOVA it maps. */
const CD_TABLE = 0x18_0000n;
const GUEST_PT = 0x19_0000n;
const GIOVA = 0x20_0000n;
/** The host address of GPA `g` in viommuSetup's stage-2 (user memory 0x1000000.. at GPA 0x100000..). */
const gpaHost = (g: bigint): bigint => 0x100_0000n + (g - 0x10_0000n);

/**
 * SMMUv3 nesting as QEMU's accelerated vSMMU builds it: oneDevice, GPA 0x100000..0x1fffff of IOAS 1 mapped to user
 * memory 0x1000000.., the stage-2 as NEST_PARENT HWPT 3 and vIOMMU 4 over it.
 */
const viommuSetup = (): ExampleStep[] => [
  ...oneDevice(),
  st(env.mmap(0x100_0000n, 0x10_0000n)),
  st(iommu.map(fd(3), 1, 0x10_0000n, 0x10_0000n, 0x100_0000n), { out: { iova: 0x10_0000n } }),
  st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }, 'HWPT_ALLOC.ok.paging'),
  st(iommu.viommuAlloc(fd(3), 2, 3), { out: { out_viommu_id: 4 } }, 'VIOMMU_ALLOC.ok'),
];

/**
 * viommuSetup, then a vEVENTQ of `depth` (object 5, fd 6: fd 5 is vfio1's), dev1 as vDEVICE 7 (virtual id 0x10) on
 * nested HWPT 8 of the vIOMMU, and dev2 bound (DEVICE 6) but on no vIOMMU.
 */
const viommuEvents = (depth: number): ExampleStep[] => [
  ...viommuSetup(),
  st(env.open(VFIO1), { out: { fd: 5 } }),
  st(iommu.veventqAlloc(fd(3), 4, depth), { out: { out_veventq_id: 5, out_veventq_fd: 6 } }),
  st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 6 } }),
  st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), { out: { out_vdevice_id: 7 } }),
  st(iommu.hwptAlloc(fd(3), 2, 4, 0, { type: SMMUV3_DATA, pgtbl_addr: CD_TABLE }), { out: { out_hwpt_id: 8 } }),
  st(vfio.attach(fd(4), 8), { out: { pt_id: 8 } }),
];

export const IOMMUFD_ERRNO_EXAMPLES: Example[] = [
  // ---- IOMMU_IOAS_MAP: argument checks (iommufd_ioas_map, in the kernel's order) --------------------------
  {
    name: 'IOMMU_IOAS_MAP with an unknown flag fails with EOPNOTSUPP',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n, READ | WRITE | 8), 'EOPNOTSUPP', 'IOAS_MAP.EOPNOTSUPP.flags')],
  },
  {
    name: 'IOMMU_IOAS_MAP with a non-zero __reserved fails with EOPNOTSUPP',
    design: 'iommufd',
    steps: [...freshIoas(), st({ ...iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), __reserved: 1 }, 'EOPNOTSUPP', 'IOAS_MAP.EOPNOTSUPP.flags')],
  },
  {
    name: 'IOMMU_IOAS_MAP without READABLE or WRITEABLE fails with EINVAL',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n, 0), 'EINVAL', 'IOAS_MAP.EINVAL.prot')],
  },
  {
    name: 'IOMMU_IOAS_MAP of length 0 fails with EINVAL',
    design: 'iommufd',
    // iopt_alloc_pages: length == 0 is EINVAL
    steps: [...freshIoas(), st(iommu.map(fd(3), 1, 0x10_0000n, 0n, 0x10000n), 'EINVAL', 'IOAS_MAP.EINVAL.length')],
  },
  {
    name: 'IOMMU_IOAS_MAP with iova >= ULONG_MAX fails with EOVERFLOW',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.map(fd(3), 1, U64_MAX, KIB4, 0x10000n), 'EOVERFLOW', 'IOAS_MAP.EOVERFLOW.args')],
  },
  {
    name: 'IOMMU_IOAS_MAP with length >= ULONG_MAX fails with EOVERFLOW',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.map(fd(3), 1, 0x10_0000n, U64_MAX, 0x10000n), 'EOVERFLOW', 'IOAS_MAP.EOVERFLOW.args')],
  },
  {
    name: 'IOMMU_IOAS_MAP whose user_va + length wraps fails with EOVERFLOW',
    design: 'iommufd',
    // iopt_alloc_user_pages: check_add_overflow(uptr, length)
    steps: [...freshIoas(), st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0xffff_ffff_ffff_f000n), 'EOVERFLOW', 'IOAS_MAP.EOVERFLOW.user_va')],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA whose iova + length wraps fails with EOVERFLOW',
    design: 'iommufd',
    // iopt_check_iova: check_add_overflow(iova, length - 1)
    steps: [...freshIoas(), st(iommu.map(fd(3), 1, 0xffff_ffff_ffff_f000n, 0x2000n, 0x10000n), 'EOVERFLOW', 'IOAS_MAP.EOVERFLOW.iova_wrap')],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA ending exactly at U64_MAX on a fresh IOAS succeeds',
    design: 'iommufd',
    // iova + length - 1 == U64_MAX does not wrap; a fresh IOAS has no reserved range and no domain aperture
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0xffff_ffff_ffff_f000n, KIB4, 0x10000n), { out: { iova: 0xffff_ffff_ffff_f000n } }, 'IOAS_MAP.ok.fixed'),
      st(iommu.unmap(fd(3), 1, 0xffff_ffff_ffff_f000n, KIB4), { out: { length: KIB4 } }, 'IOAS_UNMAP.ok.range'),
    ],
  },

  // ---- IOMMU_IOAS_MAP: fixed IOVA placement (iopt_check_iova) --------------------------------------------
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA overlapping an existing area fails with EEXIST',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), { out: { iova: 0x10_0000n } }),
      st(iommu.map(fd(3), 1, 0x10_1000n, 0x2000n, 0x20000n), 'EEXIST', 'IOAS_MAP.EEXIST.overlap'),
      // nothing was added: the first area is still whole
      st(iommu.unmap(fd(3), 1, 0x10_0000n, 0x2000n), { out: { length: 0x2000n } }),
    ],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA overlapping only the last byte of an area fails with EEXIST',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), { out: { iova: 0x10_0000n } }),
      st(iommu.map(fd(3), 1, 0x10_1fffn, KIB4, 0x20000n), 'EEXIST', 'IOAS_MAP.EEXIST.overlap'),
    ],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA right after an existing area succeeds',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), { out: { iova: 0x10_0000n } }),
      st(iommu.map(fd(3), 1, 0x10_2000n, KIB4, 0x20000n), { out: { iova: 0x10_2000n } }, 'IOAS_MAP.ok.fixed'),
    ],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA into the MSI window of an attached device fails with EINVAL',
    design: 'iommufd',
    steps: [...oneAttached(), st(iommu.map(fd(3), 1, MSI_START, KIB4, 0x10000n), 'EINVAL', 'IOAS_MAP.EINVAL.reserved')],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA touching only the last page of the MSI window fails with EINVAL',
    design: 'iommufd',
    steps: [...oneAttached(), st(iommu.map(fd(3), 1, 0xfeef_f000n, 0x2000n, 0x10000n), 'EINVAL', 'IOAS_MAP.EINVAL.reserved')],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA ending right below the MSI window succeeds',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      st(iommu.map(fd(3), 1, 0xfedf_f000n, KIB4, 0x10000n), { out: { iova: 0xfedf_f000n } }, 'IOAS_MAP.ok.fixed'),
      st(env.dma('dev1', null, 0xfedf_f010n), { hit: 0x10010n }),
    ],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA above the 48-bit aperture of an attached domain fails with EINVAL',
    design: 'iommufd',
    steps: [...oneAttached(), st(iommu.map(fd(3), 1, APERTURE_END + 1n, KIB4, 0x10000n), 'EINVAL', 'IOAS_MAP.EINVAL.reserved')],
  },
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA ending at the last byte of the 48-bit aperture succeeds',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      st(iommu.map(fd(3), 1, APERTURE_END - 0xfffn, KIB4, 0x10000n), { out: { iova: APERTURE_END - 0xfffn } }, 'IOAS_MAP.ok.fixed'),
      st(env.dma('dev1', null, APERTURE_END), { hit: 0x10fffn }),
    ],
  },

  // ---- IOMMU_IOAS_MAP: alignment (iopt->iova_alignment: 1 fresh, PAGE_SIZE with a 4 KiB domain) ----------
  {
    name: 'IOMMU_IOAS_MAP FIXED_IOVA at a misaligned iova fails with EINVAL once a domain exists',
    design: 'iommufd',
    steps: [...oneAttached(), st(iommu.map(fd(3), 1, 0x10_0800n, KIB4, 0x10000n), 'EINVAL', 'IOAS_MAP.EINVAL.iova_alignment')],
  },
  {
    name: 'IOMMU_IOAS_MAP with a misaligned length fails with EINVAL once a domain exists',
    design: 'iommufd',
    // iopt_alloc_area_pages: length & (iova_alignment - 1)
    steps: [...oneAttached(), st(iommu.map(fd(3), 1, 0x10_0000n, 0x800n, 0x10000n), 'EINVAL', 'IOAS_MAP.EINVAL.length_alignment')],
  },
  {
    name: 'IOMMU_IOAS_MAP of a user_va with a sub-page offset fails with EINVAL once a domain exists',
    design: 'iommufd',
    // iopt_insert_area: area->page_offset & (iova_alignment - 1)
    steps: [...oneAttached(), st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10800n), 'EINVAL', 'IOAS_MAP.EINVAL.page_offset')],
  },
  {
    name: 'IOMMU_IOAS_MAP of misaligned iova, length and user_va succeeds on a fresh IOAS (alignment 1)',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.iovaRanges(fd(3), 1), { out: { out_iova_alignment: 1n } }),
      st(iommu.map(fd(3), 1, 0x10_0800n, 0x800n, 0x10800n), { out: { iova: 0x10_0800n } }, 'IOAS_MAP.ok.fixed'),
    ],
  },

  // ---- IOMMU_IOAS_MAP: automatic IOVA (iopt_alloc_iova) ---------------------------------------------------
  {
    name: 'IOMMU_IOAS_MAP without FIXED_IOVA never picks 0: first fit at PAGE_SIZE, then after the first area',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, null, KIB4, 0x10000n), { out: { iova: 0x1000n } }, 'IOAS_MAP.ok.auto_iova'),
      st(iommu.map(fd(3), 1, null, KIB4, 0x11000n), { out: { iova: 0x2000n } }, 'IOAS_MAP.ok.auto_iova'),
      // IOVA 0 is valid when asked for explicitly, it is only never chosen
      st(iommu.map(fd(3), 1, 0n, KIB4, 0x12000n), { out: { iova: 0n } }, 'IOAS_MAP.ok.fixed'),
      st(iommu.map(fd(3), 1, null, KIB4, 0x13000n), { out: { iova: 0x3000n } }, 'IOAS_MAP.ok.auto_iova'),
    ],
  },
  {
    name: 'IOMMU_IOAS_MAP without FIXED_IOVA allocates inside the allowed ranges',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.allowIovas(fd(3), 1, [{ start: 0x10_0000n, last: 0x1f_ffffn }]), 'ok', 'IOAS_ALLOW_IOVAS.ok'),
      st(iommu.map(fd(3), 1, null, KIB4, 0x10000n), { out: { iova: 0x10_0000n } }, 'IOAS_MAP.ok.auto_iova'),
      st(iommu.map(fd(3), 1, null, KIB4, 0x11000n), { out: { iova: 0x10_1000n } }, 'IOAS_MAP.ok.auto_iova'),
    ],
  },
  {
    name: 'IOMMU_IOAS_MAP without FIXED_IOVA fails with ENOSPC when the allowed ranges are too small',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.allowIovas(fd(3), 1, [{ start: 0x10_0000n, last: 0x10_0fffn }]), 'ok'),
      st(iommu.map(fd(3), 1, null, 0x2000n, 0x10000n), 'ENOSPC', 'IOAS_MAP.ENOSPC.auto_iova'),
      // exactly the allowed size still fits
      st(iommu.map(fd(3), 1, null, KIB4, 0x10000n), { out: { iova: 0x10_0000n } }, 'IOAS_MAP.ok.auto_iova'),
    ],
  },

  // ---- IOMMU_IOAS_UNMAP (iommufd_ioas_unmap, iopt_unmap_iova_range) ---------------------------------------
  {
    name: 'IOMMU_IOAS_UNMAP that would split an area fails with ENOENT and removes nothing',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), { out: { iova: 0x10_0000n } }),
      st(iommu.unmap(fd(3), 1, 0x10_0000n, KIB4), 'ENOENT', 'IOAS_UNMAP.ENOENT.split'),
      st(iommu.unmap(fd(3), 1, 0x10_1000n, KIB4), 'ENOENT', 'IOAS_UNMAP.ENOENT.split'),
      st(iommu.unmap(fd(3), 1, 0x10_0000n, 0x2000n), { out: { length: 0x2000n } }, 'IOAS_UNMAP.ok.range'),
    ],
  },
  {
    name: 'IOMMU_IOAS_UNMAP of a range where nothing is mapped fails with ENOENT',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.unmap(fd(3), 1, 0x10_0000n, KIB4), 'ENOENT', 'IOAS_UNMAP.ENOENT.nothing_mapped')],
  },
  {
    name: 'IOMMU_IOAS_UNMAP of the gap between two areas fails with ENOENT',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.map(fd(3), 1, 0x10_2000n, KIB4, 0x12000n), 'ok'),
      st(iommu.unmap(fd(3), 1, 0x10_1000n, KIB4), 'ENOENT', 'IOAS_UNMAP.ENOENT.nothing_mapped'),
    ],
  },
  {
    name: 'IOMMU_IOAS_UNMAP of a superset covering two areas and a gap returns the bytes of both',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.map(fd(3), 1, 0x10_3000n, KIB4, 0x13000n), 'ok'),
      st(iommu.unmap(fd(3), 1, 0x10_0000n, 0x4000n), { out: { length: 0x2000n } }, 'IOAS_UNMAP.ok.range'),
    ],
  },
  {
    name: 'IOMMU_IOAS_UNMAP that meets a sticking-out area fails with ENOENT after removing the lower areas',
    design: 'iommufd',
    // facts §3: areas are unmapped lowest IOVA first; the partial one stops the walk, earlier ones stay gone
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, 0x10000n)),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.map(fd(3), 1, 0x10_2000n, 0x2000n, 0x12000n), 'ok'),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }),
      st(env.dma('dev1', null, 0x10_0010n), { hit: 0x10010n }),
      st(iommu.unmap(fd(3), 1, 0x10_0000n, 0x3000n), { partial: 'ENOENT' }, 'IOAS_UNMAP.ENOENT.split_after_removing'),
      st(env.dma('dev1', null, 0x10_0010n), { fault: 'no-translation' }),
      st(env.dma('dev1', null, 0x10_2010n), { hit: 0x12010n }),
      st(iommu.unmap(fd(3), 1, 0x10_0000n, KIB4), 'ENOENT', 'IOAS_UNMAP.ENOENT.nothing_mapped'),
      st(iommu.unmap(fd(3), 1, 0x10_2000n, 0x2000n), { out: { length: 0x2000n } }),
    ],
  },
  {
    name: 'IOMMU_IOAS_UNMAP of everything on an empty IOAS succeeds with length 0',
    design: 'iommufd',
    // iopt_unmap_all turns ENOENT into success
    steps: [...freshIoas(), st(iommu.unmap(fd(3), 1, 0n, U64_MAX), { out: { length: 0n } }, 'IOAS_UNMAP.ok.all')],
  },
  {
    name: 'IOMMU_IOAS_UNMAP of everything returns the total bytes unmapped',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.map(fd(3), 1, 0x20_0000n, 0x2000n, 0x20000n), 'ok'),
      st(iommu.unmap(fd(3), 1, 0n, U64_MAX), { out: { length: 0x3000n } }, 'IOAS_UNMAP.ok.all'),
      st(iommu.unmap(fd(3), 1, 0x20_0000n, 0x2000n), 'ENOENT'),
    ],
  },
  {
    name: 'IOMMU_IOAS_UNMAP of length 0 fails with EINVAL',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.unmap(fd(3), 1, 0x10_0000n, 0n), 'EINVAL', 'IOAS_UNMAP.EINVAL.length')],
  },
  {
    name: 'IOMMU_IOAS_UNMAP whose iova + length wraps fails with EOVERFLOW',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.unmap(fd(3), 1, 0xffff_ffff_ffff_f000n, 0x1001n), 'EOVERFLOW', 'IOAS_UNMAP.EOVERFLOW.wrap')],
  },
  {
    name: 'IOMMU_IOAS_UNMAP ending exactly at U64_MAX does not overflow and fails with ENOENT when empty',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.unmap(fd(3), 1, 0xffff_ffff_ffff_f000n, KIB4), 'ENOENT', 'IOAS_UNMAP.ENOENT.nothing_mapped')],
  },
  {
    name: 'IOMMU_IOAS_UNMAP with iova >= ULONG_MAX fails with EOVERFLOW',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.unmap(fd(3), 1, U64_MAX, 1n), 'EOVERFLOW', 'IOAS_UNMAP.EOVERFLOW.args')],
  },

  // ---- IOMMU_IOAS_ALLOW_IOVAS (iommufd_ioas_load_iovas, iopt_set_allow_iova) -----------------------------
  {
    name: 'IOMMU_IOAS_ALLOW_IOVAS with start > last fails with EINVAL',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.allowIovas(fd(3), 1, [{ start: 0x2000n, last: 0x1000n }]), 'EINVAL', 'IOAS_ALLOW_IOVAS.EINVAL.empty_range')],
  },
  {
    name: 'IOMMU_IOAS_ALLOW_IOVAS with start == last fails with EINVAL',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.allowIovas(fd(3), 1, [{ start: 0x2000n, last: 0x2000n }]), 'EINVAL', 'IOAS_ALLOW_IOVAS.EINVAL.empty_range')],
  },
  {
    name: 'IOMMU_IOAS_ALLOW_IOVAS with overlapping ranges fails with EINVAL',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.allowIovas(fd(3), 1, [{ start: 0x1000n, last: 0x2fffn }, { start: 0x2fffn, last: 0x3fffn }]), 'EINVAL', 'IOAS_ALLOW_IOVAS.EINVAL.overlap'),
    ],
  },
  {
    name: 'IOMMU_IOAS_ALLOW_IOVAS with adjacent ranges succeeds',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.allowIovas(fd(3), 1, [{ start: 0x1000n, last: 0x1fffn }, { start: 0x2000n, last: 0x2fffn }]), 'ok', 'IOAS_ALLOW_IOVAS.ok'),
    ],
  },
  {
    name: 'IOMMU_IOAS_ALLOW_IOVAS intersecting the MSI window of an attached device fails with EADDRINUSE',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      st(iommu.allowIovas(fd(3), 1, [{ start: 0xfe00_0000n, last: 0xfeff_ffffn }]), 'EADDRINUSE', 'IOAS_ALLOW_IOVAS.EADDRINUSE.reserved'),
      // ending right below the window is fine
      st(iommu.allowIovas(fd(3), 1, [{ start: 0x1000n, last: 0xfedf_ffffn }]), 'ok', 'IOAS_ALLOW_IOVAS.ok'),
    ],
  },

  // ---- attach and the IOVA space (iopt_table_enforce_dev_resv_regions, iopt_table_add_domain) -------------
  {
    name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT fails with EADDRINUSE when an area already sits in the MSI window',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, 0x10000n)),
      st(iommu.map(fd(3), 1, MSI_START, KIB4, 0x10000n), { out: { iova: MSI_START } }),
      st(vfio.attach(fd(4), 1), 'EADDRINUSE', 'ATTACH_PT.EADDRINUSE.reserved_region'),
      st(env.dma('dev1', null, MSI_START), { fault: 'blocked' }),
      st(iommu.unmap(fd(3), 1, MSI_START, KIB4), { out: { length: KIB4 } }),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }, 'ATTACH_PT.ok.auto_domain'),
    ],
  },
  {
    name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT fails with EADDRINUSE when an allowed range covers the MSI window',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(iommu.allowIovas(fd(3), 1, [{ start: 0x1000n, last: 0xffff_ffffn }]), 'ok'),
      st(vfio.attach(fd(4), 1), 'EADDRINUSE', 'ATTACH_PT.EADDRINUSE.reserved_region'),
    ],
  },
  {
    name: 'IOMMU_IOAS_IOVA_RANGES on a fresh IOAS reports 0..U64_MAX with alignment 1',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.iovaRanges(fd(3), 1), { out: { num_iovas: 1, allowed_iovas: [{ start: 0n, last: U64_MAX }], out_iova_alignment: 1n } }, 'IOAS_IOVA_RANGES.ok'),
    ],
  },
  {
    name: 'IOMMU_IOAS_IOVA_RANGES after attach has holes at the MSI window and above 2^48, alignment PAGE_SIZE',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      st(iommu.iovaRanges(fd(3), 1), {
        out: {
          num_iovas: 2,
          allowed_iovas: [{ start: 0n, last: MSI_START - 1n }, { start: 0xfef0_0000n, last: APERTURE_END }],
          out_iova_alignment: KIB4,
        },
      }, 'IOAS_IOVA_RANGES.ok'),
      // detach frees the auto domain and removes the reserved regions: the space widens again
      st(vfio.detach(fd(4)), 'ok'),
      st(iommu.iovaRanges(fd(3), 1), { out: { num_iovas: 1, allowed_iovas: [{ start: 0n, last: U64_MAX }], out_iova_alignment: 1n } }),
    ],
  },
  {
    name: 'IOMMU_IOAS_IOVA_RANGES with num_iovas too small fails with EMSGSIZE',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      // ioas.c iommufd_ioas_iova_ranges: the needed count is written back before EMSGSIZE (selftest
      // iova_ranges: "EXPECT_EQ(2, ranges_cmd.num_iovas)" after the EMSGSIZE call)
      st(iommu.iovaRanges(fd(3), 1, 1), { errno: 'EMSGSIZE', out: { num_iovas: 2 } }, 'IOAS_IOVA_RANGES.EMSGSIZE.too_small'),
      st(iommu.iovaRanges(fd(3), 1, 0), { errno: 'EMSGSIZE', out: { num_iovas: 2 } }, 'IOAS_IOVA_RANGES.EMSGSIZE.too_small'),
      st(iommu.iovaRanges(fd(3), 1, 2), { out: { num_iovas: 2 } }, 'IOAS_IOVA_RANGES.ok'),
    ],
  },

  // ---- IOMMU_OPTION (main.c iommufd_option; ioas.c iommufd_option_rlimit_mode, iommufd_ioas_option) ---------------
  {
    name: 'IOMMU_OPTION RLIMIT_MODE: GET reads 0 (the user) on a new FD; SET 1 then GET reads 1; SET 2 is EINVAL and changes nothing (selftest global_options)',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0), { out: { val64: 0n } }, 'OPTION.ok.rlimit_get'),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0, 1n), { out: { val64: 1n } }, 'OPTION.ok.rlimit_set'),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0, 2n), 'EINVAL', 'OPTION.EINVAL.value'),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0), { out: { val64: 1n } }, 'OPTION.ok.rlimit_get'),
      // HUGE_PAGES with object 0: iommufd_get_ioas finds nothing
      st(iommu.option(fd(3), 'HUGE_PAGES', 0), 'ENOENT', 'OPTION.ENOENT.ioas'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 0, 0n), 'ENOENT', 'OPTION.ENOENT.ioas'),
    ],
  },
  {
    name: 'IOMMU_OPTION RLIMIT_MODE SET is EBUSY once the FD holds any object (an IOAS, a bound device), checked before the value; GET still answers',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      // "xa_lock(&ictx->objects); if (!xa_empty(&ictx->objects)) rc = -EBUSY"
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0, 1n), 'EBUSY', 'OPTION.EBUSY.objects'),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0, 2n), 'EBUSY', 'OPTION.EBUSY.objects'),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0), { out: { val64: 0n } }, 'OPTION.ok.rlimit_get'),
      // a second, empty /dev/iommu of the same process takes it
      st(env.open(IOMMUFD), { out: { fd: 5 } }),
      st(iommu.option(fd(5), 'RLIMIT_MODE', 0, 1n), { out: { val64: 1n } }, 'OPTION.ok.rlimit_set'),
    ],
  },
  {
    name: 'IOMMU_OPTION refuses, in order: reserved bits, an unknown option, RLIMIT_MODE with an object id, an unknown op (EOPNOTSUPP each)',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0, null, null, 1), 'EOPNOTSUPP', 'OPTION.EOPNOTSUPP.reserved'),
      st(iommu.option(fd(3), 2, 0), 'EOPNOTSUPP', 'OPTION.EOPNOTSUPP.option'),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 1), 'EOPNOTSUPP', 'OPTION.EOPNOTSUPP.object_id'),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0, 0n, 2), 'EOPNOTSUPP', 'OPTION.EOPNOTSUPP.op'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1, 0n, 2), 'EOPNOTSUPP', 'OPTION.EOPNOTSUPP.op'),
    ],
  },
  {
    name: 'IOMMU_OPTION HUGE_PAGES: on by default; SET 0 turns it off (the IOAS alignment becomes PAGE_SIZE), SET 2 is EINVAL, SET 1 back on (selftest ioas_option_huge_pages)',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1), { out: { val64: 1n } }, 'OPTION.ok.huge_pages_get'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1, 0n), { out: { val64: 0n } }, 'OPTION.ok.huge_pages_set'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1), { out: { val64: 0n } }, 'OPTION.ok.huge_pages_get'),
      // iopt_calculate_iova_alignment: disable_large_pages gives PAGE_SIZE even without a domain
      st(iommu.iovaRanges(fd(3), 1), { out: { num_iovas: 1, out_iova_alignment: KIB4 } }, 'IOAS_IOVA_RANGES.ok'),
      st(iommu.map(fd(3), 1, 0x800n, KIB4, 0x10000n), 'EINVAL', 'IOAS_MAP.EINVAL.iova_alignment'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1, 0n), { out: { val64: 0n } }, 'OPTION.ok.huge_pages_set'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1, 2n), 'EINVAL', 'OPTION.EINVAL.value'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1, 1n), { out: { val64: 1n } }, 'OPTION.ok.huge_pages_set'),
      st(iommu.iovaRanges(fd(3), 1), { out: { num_iovas: 1, out_iova_alignment: 1n } }, 'IOAS_IOVA_RANGES.ok'),
    ],
  },
  {
    name: 'IOMMU_OPTION HUGE_PAGES SET 0 is EADDRINUSE while an area is off the page grid (an IOAS without a domain takes byte-aligned maps), EINVAL once a domain has pages mapped',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(env.mmap(0x10000n, 0x10000n)),
      st(iommu.map(fd(3), 1, 0x800n, KIB4, 0x10000n), { out: { iova: 0x800n } }),
      // iopt_check_iova_alignment: the area's IOVA is not PAGE_SIZE aligned
      st(iommu.option(fd(3), 'HUGE_PAGES', 1, 0n), 'EADDRINUSE', 'OPTION.EADDRINUSE.alignment'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1), { out: { val64: 1n } }, 'OPTION.ok.huge_pages_get'),
      st(iommu.unmap(fd(3), 1, 0x800n, KIB4), 'ok'),
      st(iommu.map(fd(3), 1, 0x1000n, KIB4, 0x10000n), 'ok'),
      // a device makes a domain: "Won't do it if domains already have pages mapped in them"
      st(env.open(VFIO0), { out: { fd: 4 } }),
      st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1, 0n), 'EINVAL', 'OPTION.EINVAL.mapped'),
      st(iommu.unmap(fd(3), 1, 0x1000n, KIB4), 'ok'),
      st(iommu.option(fd(3), 'HUGE_PAGES', 1, 0n), { out: { val64: 0n } }, 'OPTION.ok.huge_pages_set'),
    ],
  },
  {
    name: 'IOMMU_OPTION RLIMIT_MODE 1 charges an FD\'s pins to the mm, a counter of its own: two FDs pin up to RLIMIT_MEMLOCK each, and each refuses one page more (ENOMEM)',
    design: 'iommufd',
    memlockPages: 4,
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(iommu.option(fd(3), 'RLIMIT_MODE', 0, 1n), { out: { val64: 1n } }, 'OPTION.ok.rlimit_set'),
      st(env.open(IOMMUFD), { out: { fd: 4 } }),
      st(env.mmap(0x10000n, 0x10000n)),
      st(env.open(VFIO0), { out: { fd: 5 } }),
      st(env.open(VFIO1), { out: { fd: 6 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 2 } }),
      st(vfio.attach(fd(5), 1), 'ok'),
      st(iommu.ioasAlloc(fd(4)), { out: { out_ioas_id: 1 } }),
      st(vfio.bindIommufd(fd(6), fd(4)), { out: { out_devid: 2 } }),
      st(vfio.attach(fd(6), 1), 'ok'),
      // four pages on the mm (fd 3), four on the user (fd 4): each within the limit of 4
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x4000n, 0x10000n), 'ok'),
      st(iommu.map(fd(4), 1, 0x10_0000n, 0x4000n, 0x14000n), 'ok'),
      st(iommu.map(fd(4), 1, 0x20_0000n, KIB4, 0x18000n), 'ENOMEM', 'IOAS_MAP.ENOMEM.memlock'),
      st(iommu.map(fd(3), 1, 0x20_0000n, KIB4, 0x18000n), 'ENOMEM', 'IOAS_MAP.ENOMEM.memlock'),
    ],
  },

  // ---- IOMMU_GET_HW_INFO (device.c iommufd_get_hw_info; selftest iommufd.c TEST_F(iommufd_ioas, get_hw_info)) -------
  {
    name: 'IOMMU_GET_HW_INFO on VT-d reports INTEL_VTD and its 24-byte struct, the device\'s PASID width, no dirty tracking on the default machine',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      // intel_iommu_hw_info: struct iommu_hw_info_vtd (flags, __reserved, cap_reg, ecap_reg); max_pasids 1 << 20
      st(iommu.getHwInfo(fd(3), 2, 64), { out: { data_len: 24, out_data_type: 'IOMMU_HW_INFO_TYPE_INTEL_VTD', out_max_pasid_log2: 20, out_capabilities: 0 } }, 'GET_HW_INFO.ok'),
      // "Input @data_len == zero is allowed": the kernel still writes back the length it has
      st(iommu.getHwInfo(fd(3), 2, 0), { out: { data_len: 24 } }, 'GET_HW_INFO.ok'),
      // a buffer shorter than the struct: filled as far as it goes, the kernel's length written back all the same
      st(iommu.getHwInfo(fd(3), 2, 4), { out: { data_len: 24 } }, 'GET_HW_INFO.ok'),
    ],
  },
  {
    name: 'IOMMU_GET_HW_INFO for a device without PASID reports out_max_pasid_log2 0',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(env.open(VFIO2), { out: { fd: 4 } }),
      st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 1 } }),
      // dev->iommu->max_pasids == 0: "The iommufd only reports PASID capability to userspace if it's enabled"
      st(iommu.getHwInfo(fd(3), 1), { out: { out_max_pasid_log2: 0, out_data_type: 'IOMMU_HW_INFO_TYPE_INTEL_VTD' } }, 'GET_HW_INFO.ok'),
    ],
  },
  {
    name: 'IOMMU_GET_HW_INFO on guest-pasid-table hardware (SMMUv3 nesting) reports ARM_SMMUV3 and its 40-byte struct',
    design: 'iommufd',
    hw: 'guest-pasid-table',
    steps: [
      ...oneDevice(),
      // arm_smmu_hw_info: struct iommu_hw_info_arm_smmuv3 (flags, __reserved, idr[6], iidr, aidr)
      st(iommu.getHwInfo(fd(3), 2), { out: { data_len: 40, out_data_type: 'IOMMU_HW_INFO_TYPE_ARM_SMMUV3', out_max_pasid_log2: 20 } }, 'GET_HW_INFO.ok'),
    ],
  },
  {
    name: 'IOMMU_GET_HW_INFO on AMD (6.12: no hw_info op) reports NONE with no data, and DIRTY_TRACKING on HD-capable parts',
    design: 'iommufd',
    profile: 'amd-v1',
    hw: 'guest-pasid-table',
    steps: [
      ...oneDevice(),
      // no ops->hw_info: out_data_type NONE, data_len 0; device_iommu_capable(IOMMU_CAP_DIRTY_TRACKING) sets bit 0
      st(iommu.getHwInfo(fd(3), 2), { out: { data_len: 0, out_data_type: 'IOMMU_HW_INFO_TYPE_NONE', out_max_pasid_log2: 16, out_capabilities: 1 } }, 'GET_HW_INFO.ok'),
    ],
  },
  {
    name: 'IOMMU_GET_HW_INFO on the selftest mock reports SELFTEST, 8 bytes, no PASID, DIRTY_TRACKING',
    design: 'iommufd',
    profile: 'selftest-mock',
    steps: [
      ...oneDevice(),
      // mock_domain_hw_info: struct iommu_test_hw_info (flags, test_reg); selftest get_hw_info checks the type and, on
      // a buffer larger than the struct, that the kernel zeroed the rest
      st(iommu.getHwInfo(fd(3), 2, 64), { out: { data_len: 8, out_data_type: 'IOMMU_HW_INFO_TYPE_SELFTEST', out_max_pasid_log2: 0, out_capabilities: 1 } }, 'GET_HW_INFO.ok'),
    ],
  },
  {
    name: 'IOMMU_GET_HW_INFO refuses flags and reserved bytes (EOPNOTSUPP) before it looks the device up, and an id that is no device (ENOENT)',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      // "if (cmd->flags || cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2]) return -EOPNOTSUPP;"
      st(iommu.getHwInfo(fd(3), 2, 64, 1), 'EOPNOTSUPP', 'GET_HW_INFO.EOPNOTSUPP.flags'),
      st(iommu.getHwInfo(fd(3), 2, 64, 0, 1), 'EOPNOTSUPP', 'GET_HW_INFO.EOPNOTSUPP.flags'),
      st(iommu.getHwInfo(fd(3), 2, 64, 0, 0x10000), 'EOPNOTSUPP', 'GET_HW_INFO.EOPNOTSUPP.flags'),
      st(iommu.getHwInfo(fd(3), 99, 64, 1), 'EOPNOTSUPP', 'GET_HW_INFO.EOPNOTSUPP.flags'),
      // iommufd_get_device: an IOAS id is an object of another type, 99 none at all (selftest: get_hw_info with
      // self->ioas_id, "test_err_get_hw_info(ENOENT, self->ioas_id, ...)")
      st(iommu.getHwInfo(fd(3), 1), 'ENOENT', 'GET_HW_INFO.ENOENT.dev'),
      st(iommu.getHwInfo(fd(3), 99), 'ENOENT', 'GET_HW_INFO.ENOENT.dev'),
    ],
  },
  {
    name: 'IOMMU_GET_HW_INFO answers only on the FD the device is bound to: another /dev/iommu has no such id (ENOENT); a device FD is ENOTTY',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(env.open(IOMMUFD), { out: { fd: 5 } }),
      st(iommu.getHwInfo(fd(5), 2), 'ENOENT', 'GET_HW_INFO.ENOENT.dev'),
      st(iommu.getHwInfo(fd(4), 2), 'ENOTTY'),
      // after the device FD's release its DEVICE object is gone
      st(env.close(fd(4)), 'ok'),
      st(iommu.getHwInfo(fd(3), 2), 'ENOENT', 'GET_HW_INFO.ENOENT.dev'),
    ],
  },

  // ---- dirty tracking (hw_pagetable.c iommufd_hwpt_set_dirty_tracking / iommufd_hwpt_get_dirty_bitmap, io_pagetable.c
  // iopt_set_dirty_tracking / iopt_read_and_clear_dirty_data / iommufd_check_iova_range; selftest iommufd.c
  // FIXTURE(iommufd_dirty_tracking)) -------------------------------------------------------------------------------
  {
    name: 'HWPT_ALLOC with DIRTY_TRACKING is refused where the IOMMU cannot track dirty pages (EOPNOTSUPP)',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      // "if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))"
      st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.dirty_tracking'),
    ],
  },
  {
    name: 'On SMMUv3 a NEST_PARENT cannot track dirty pages (a stage-2 domain); a plain paging HWPT can',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...oneDevice(),
      // arm_smmu_domain_alloc_paging_flags: NEST_PARENT makes an S2 domain, and only S1 has HTTU dirty tracking
      // (io-pgtable-arm.c arm_lpae_read_and_clear_dirty: "if (data->iop.fmt != ARM_64_LPAE_S1) return -EINVAL")
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT | DIRTY), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.dirty_nest_parent'),
      st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY), { out: { out_hwpt_id: 3 } }, 'HWPT_ALLOC.ok.paging'),
    ],
  },
  {
    name: 'SET_DIRTY_TRACKING: an unknown flag is EOPNOTSUPP, a HWPT that is not paging ENOENT, one without dirty_ops EOPNOTSUPP even to disable',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...oneAttached(),
      st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY), { out: { out_hwpt_id: 4 } }, 'HWPT_ALLOC.ok.paging'),
      // "if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) return -EOPNOTSUPP;"
      st(iommu.setDirtyTracking(fd(3), 4, true, 3), 'EOPNOTSUPP', 'HWPT_SET_DIRTY_TRACKING.EOPNOTSUPP.flags'),
      // iommufd_get_hwpt_paging: an IOAS, a device, no object at all
      st(iommu.setDirtyTracking(fd(3), 1), 'ENOENT', 'HWPT_SET_DIRTY_TRACKING.ENOENT.hwpt'),
      st(iommu.setDirtyTracking(fd(3), 2), 'ENOENT', 'HWPT_SET_DIRTY_TRACKING.ENOENT.hwpt'),
      st(iommu.setDirtyTracking(fd(3), 99), 'ENOENT', 'HWPT_SET_DIRTY_TRACKING.ENOENT.hwpt'),
      // the automatic HWPT 3 has no dirty_ops: iopt_set_dirty_tracking "if (!ops) return -EOPNOTSUPP;", before enable is read
      st(iommu.setDirtyTracking(fd(3), 3, true), 'EOPNOTSUPP', 'HWPT_SET_DIRTY_TRACKING.EOPNOTSUPP.no_dirty_ops'),
      st(iommu.setDirtyTracking(fd(3), 3, false), 'EOPNOTSUPP', 'HWPT_SET_DIRTY_TRACKING.EOPNOTSUPP.no_dirty_ops'),
      // __reserved is never read (iommufd_hwpt_set_dirty_tracking checks flags only); no device need be attached
      st(iommu.setDirtyTracking(fd(3), 4, true, null, 7), 'ok', 'HWPT_SET_DIRTY_TRACKING.ok.enable'),
      st(iommu.setDirtyTracking(fd(3), 4, false), 'ok', 'HWPT_SET_DIRTY_TRACKING.ok.disable'),
    ],
  },
  {
    name: 'GET_DIRTY_BITMAP checks in the kernel\'s order: flags and __reserved, the HWPT, length, overflow, IOVA alignment, page_size, then dirty_ops',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...oneAttached(),
      // "if (cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR || cmd->__reserved) return -EOPNOTSUPP;"
      st(iommu.getDirtyBitmap(fd(3), 3, 0n, KIB4, KIB4, false, true, 2), 'EOPNOTSUPP', 'HWPT_GET_DIRTY_BITMAP.EOPNOTSUPP.flags'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0n, KIB4, KIB4, false, true, null, 1), 'EOPNOTSUPP', 'HWPT_GET_DIRTY_BITMAP.EOPNOTSUPP.flags'),
      st(iommu.getDirtyBitmap(fd(3), 1, 0n, KIB4), 'ENOENT', 'HWPT_GET_DIRTY_BITMAP.ENOENT.hwpt'),
      // iommufd_check_iova_range: "if (!bitmap->length) return -EINVAL;", check_add_overflow -> EOVERFLOW
      st(iommu.getDirtyBitmap(fd(3), 3, 0n, 0n), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.length'),
      st(iommu.getDirtyBitmap(fd(3), 3, U64_MAX - 0xfffn, 0x2000n), 'EOVERFLOW', 'HWPT_GET_DIRTY_BITMAP.EOVERFLOW.range'),
      // iova and iova + length aligned to iopt->iova_alignment (4 KiB once a VT-d domain is there)
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10800n, KIB4), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.iova_alignment'),
      // "if (!bitmap->page_size) return -EINVAL;", then iova and the end aligned to page_size
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10000n, KIB4, 0n), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.page_size'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x11000n, KIB4, 0x2000n), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.page_size_alignment'),
      // all arguments fine, but the automatic HWPT has no dirty_ops: iommu_read_and_clear_dirty "return -EOPNOTSUPP"
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10000n, KIB4), 'EOPNOTSUPP', 'HWPT_GET_DIRTY_BITMAP.EOPNOTSUPP.no_dirty_ops'),
    ],
  },
  {
    name: 'GET_DIRTY_BITMAP needs the range mapped without holes (EINVAL), and tracking on (EINVAL: intel_iommu_read_and_clear_dirty)',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, 0x10000n)),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), 'ok'),
      st(iommu.map(fd(3), 1, 0x10_3000n, KIB4, 0x13000n), 'ok'),
      st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY), { out: { out_hwpt_id: 3 } }, 'HWPT_ALLOC.ok.paging'),
      // the range starts in a hole: iopt_for_each_contig_area finds no area, !iopt_area_contig_done
      st(iommu.getDirtyBitmap(fd(3), 3, 0xf_f000n, 0x2000n), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.hole'),
      // mapped, but tracking is off: "if (!dmar_domain->dirty_tracking && dirty->bitmap) return -EINVAL;"
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.not_tracking'),
      st(iommu.setDirtyTracking(fd(3), 3), 'ok', 'HWPT_SET_DIRTY_TRACKING.ok.enable'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n), { out: { dirty: [] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
      // across the hole at 0x102000: the areas before it were read, then EINVAL ("the dirty state becomes unknown")
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n), { partial: 'EINVAL' }, 'HWPT_GET_DIRTY_BITMAP.EINVAL.hole_after_some'),
    ],
  },
  {
    name: 'A device write through a tracking HWPT is reported dirty once; NO_CLEAR keeps it, a read clears it; a read does not dirty',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...dirtySetup(0x4000n),
      st(env.dma('dev1', null, 0x10_1010n, 'write'), { hit: 0x11010n }, 'DMA.ok.dirty'),
      st(env.dma('dev1', null, 0x10_3000n, 'read'), { hit: 0x13000n }, 'DMA'),
      // selftest test_mock_dirty_bitmaps: NO_CLEAR reports and keeps, the next read reports and clears, then nothing
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n, KIB4, true), { out: { dirty: [{ start: 0x10_1000n, last: 0x10_1fffn }] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n), { out: { dirty: [{ start: 0x10_1000n, last: 0x10_1fffn }] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n), { out: { dirty: [] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
      // the IOTLB entry of the first write went with the clear (iommu_iotlb_sync of the gather): a new write sets it again
      st(env.dma('dev1', null, 0x10_1020n, 'write'), { hit: 0x11020n }, 'DMA.ok.dirty'),
      // one bit per 8 KiB: the page at 0x101000 lies in the first bit
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n, 0x2000n), { out: { dirty: [{ start: 0x10_0000n, last: 0x10_1fffn }] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
    ],
  },
  {
    name: 'Every ENABLE clears the dirty bits (iopt_clear_dirty_data), DISABLE keeps them unreadable; a write while off dirties nothing',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...dirtySetup(0x4000n, false),
      // tracking off: the write goes through but sets no bit (VT-d SSADE clear)
      st(env.dma('dev1', null, 0x10_0000n, 'write'), { hit: 0x10000n }, 'DMA'),
      st(iommu.setDirtyTracking(fd(3), 3), 'ok'),
      st(env.dma('dev1', null, 0x10_2000n, 'write'), { hit: 0x12000n }, 'DMA.ok.dirty'),
      // enabling again while on: "ret = iopt_clear_dirty_data(iopt, domain)" first, so the bit is gone
      st(iommu.setDirtyTracking(fd(3), 3), 'ok', 'HWPT_SET_DIRTY_TRACKING.ok.enable'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n), { out: { dirty: [] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
      st(env.dma('dev1', null, 0x10_2000n, 'write'), { hit: 0x12000n }, 'DMA.ok.dirty'),
      st(iommu.setDirtyTracking(fd(3), 3, false), 'ok', 'HWPT_SET_DIRTY_TRACKING.ok.disable'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.not_tracking'),
    ],
  },
  {
    name: 'Unmapping drops dirty bits unreported (no unmap-and-read in 6.12): the page mapped again is clean',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...dirtySetup(0x2000n),
      st(env.dma('dev1', null, 0x10_1000n, 'write'), { hit: 0x11000n }, 'DMA.ok.dirty'),
      // iopt_area_unfill_domains -> iommu_unmap: the PTE and its dirty bit are gone
      st(iommu.unmap(fd(3), 1, 0x10_0000n, 0x2000n), { out: { length: 0x2000n } }),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), 'ok'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n), { out: { dirty: [] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
    ],
  },
  {
    name: 'A bitmap pointer the kernel cannot write is never checked: the call succeeds, reports nothing, and the bits are cleared all the same',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...dirtySetup(0x2000n),
      st(env.dma('dev1', null, 0x10_0000n, 'write'), { hit: 0x10000n }, 'DMA.ok.dirty'),
      // iova_bitmap pins the user pages only to record a bit, and iova_bitmap_set returns quietly when it cannot
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n, KIB4, false, false), { out: { dirty: [] } }, 'HWPT_GET_DIRTY_BITMAP.ok.bad_data'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n), { out: { dirty: [] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
    ],
  },
  {
    name: 'Dirty bits belong to one HWPT: a write through one of two HWPTs on the same IOAS dirties only it; a nested HWPT\'s write dirties its parent',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...oneDevice(),
      st(env.open(VFIO1), { out: { fd: 5 } }),
      st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 3 } }),
      st(env.mmap(0x100_0000n, 0x10_0000n)),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x10_0000n, 0x100_0000n), 'ok'),
      st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY | NEST_PARENT), { out: { out_hwpt_id: 4 } }),
      st(iommu.hwptAlloc(fd(3), 3, 1, DIRTY), { out: { out_hwpt_id: 5 } }),
      st(iommu.hwptAlloc(fd(3), 2, 4, 0, { type: VTD_S1, pgtbl_addr: 0x10_0000n }), { out: { out_hwpt_id: 6 } }, 'HWPT_ALLOC.ok.nested'),
      // the guest's stage-1 maps IOVA 0x5000 to GPA 0x108000
      st(env.writePte(0x10_0000n, 0x5000n, 0x10_8000n)),
      st(vfio.attach(fd(4), 6), { out: { pt_id: 6 } }),
      st(vfio.attach(fd(5), 5), { out: { pt_id: 5 } }),
      st(iommu.setDirtyTracking(fd(3), 4), 'ok'),
      st(iommu.setDirtyTracking(fd(3), 5), 'ok'),
      st(env.dma('dev1', null, 0x5010n, 'write'), { hit: 0x100_8010n }, 'DMA.ok.dirty'),
      st(env.dma('dev2', null, 0x10_4000n, 'write'), { hit: 0x100_4000n }, 'DMA.ok.dirty'),
      st(iommu.getDirtyBitmap(fd(3), 4, 0x10_0000n, 0x10_0000n), { out: { dirty: [{ start: 0x10_8000n, last: 0x10_8fffn }] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
      st(iommu.getDirtyBitmap(fd(3), 5, 0x10_0000n, 0x10_0000n), { out: { dirty: [{ start: 0x10_4000n, last: 0x10_4fffn }] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
      // a nested HWPT has no dirty_ops and is no paging HWPT: iommufd_get_hwpt_paging fails
      st(iommu.getDirtyBitmap(fd(3), 6, 0x10_0000n, 0x10_0000n), 'ENOENT', 'HWPT_GET_DIRTY_BITMAP.ENOENT.hwpt'),
    ],
  },
  {
    name: 'On SMMUv3 the hardware records dirty pages whatever SET_DIRTY_TRACKING says (its set_dirty_tracking does nothing), and a read always works',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, 0x10000n)),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), 'ok'),
      st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY), { out: { out_hwpt_id: 3 } }),
      st(vfio.attach(fd(4), 3), { out: { pt_id: 3 } }),
      // arm_smmu_set_dirty_tracking: "Always enabled and the dirty bitmap is cleared prior to set_dirty_tracking()"
      st(env.dma('dev1', null, 0x10_1000n, 'write'), { hit: 0x11000n }, 'DMA.ok.dirty'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n), { out: { dirty: [{ start: 0x10_1000n, last: 0x10_1fffn }] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
    ],
  },

  // ---- FAULT queues (fault.c iommufd_fault_alloc / _fops_read / _fops_write / iommufd_auto_response_faults,
  // hw_pagetable.c FAULT_ID_VALID; selftest iommufd.c alloc_hwpt_nested, iommufd_utils.h _test_cmd_trigger_iopf) -----
  {
    name: 'IOMMU_FAULT_QUEUE_ALLOC refuses flags (EOPNOTSUPP), else returns the object and an fd; the fd holds the object (DESTROY EBUSY until closed)',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      // "if (cmd->flags) return -EOPNOTSUPP;"
      st(iommu.faultQueueAlloc(fd(3), 1), 'EOPNOTSUPP', 'FAULT_QUEUE_ALLOC.EOPNOTSUPP.flags'),
      st(iommu.faultQueueAlloc(fd(3)), { out: { out_fault_id: 2, out_fault_fd: 4 } }, 'FAULT_QUEUE_ALLOC.ok'),
      // the file holds a user of the object: refcount_dec_if_one fails
      st(iommu.destroy(fd(3), 2), 'EBUSY', 'DESTROY.EBUSY.fault_in_use'),
      st(env.close(fd(4)), 'ok'),
      st(iommu.destroy(fd(3), 2), 'ok', 'DESTROY.ok.fault'),
    ],
  },
  {
    name: 'HWPT_ALLOC with FAULT_ID_VALID needs a FAULT: another object or none is ENOENT (the HWPT is aborted); the HWPT holds the FAULT',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(iommu.faultQueueAlloc(fd(3)), { out: { out_fault_id: 3, out_fault_fd: 5 } }),
      // iommufd_get_fault (an IOAS, a number nothing has): ENOENT, and the new HWPT goes again (id 4 stays free)
      st(iommu.hwptAlloc(fd(3), 2, 1, FAULT_ID_VALID, null, 1), 'ENOENT', 'HWPT_ALLOC.ENOENT.fault_id'),
      st(iommu.hwptAlloc(fd(3), 2, 1, FAULT_ID_VALID, null, 99), 'ENOENT', 'HWPT_ALLOC.ENOENT.fault_id'),
      st(iommu.hwptAlloc(fd(3), 2, 1, FAULT_ID_VALID, null, 3), { out: { out_hwpt_id: 4 } }, 'HWPT_ALLOC.ok.paging'),
      // "refcount_inc(&fault->obj.users)": closing the fd is not enough now
      st(env.close(fd(5)), 'ok'),
      st(iommu.destroy(fd(3), 3), 'EBUSY', 'DESTROY.EBUSY.fault_in_use'),
      st(iommu.destroy(fd(3), 4), 'ok'),
      st(iommu.destroy(fd(3), 3), 'ok', 'DESTROY.ok.fault'),
    ],
  },
  {
    name: 'A nested HWPT takes a FAULT too (selftest alloc_hwpt_nested: UINT32_MAX is ENOENT, a FAULT works)',
    design: 'iommufd',
    steps: [
      ...nestedSetup(0x10_0000n),
      st(iommu.faultQueueAlloc(fd(3)), { out: { out_fault_id: 5, out_fault_fd: 5 } }),
      st(iommu.hwptAlloc(fd(3), 2, 3, FAULT_ID_VALID, { type: VTD_S1, pgtbl_addr: 0x10_0000n }, 0xffff_ffff), 'ENOENT', 'HWPT_ALLOC.ENOENT.fault_id'),
      st(iommu.hwptAlloc(fd(3), 2, 3, FAULT_ID_VALID, { type: VTD_S1, pgtbl_addr: 0x10_0000n }, 5), { out: { out_hwpt_id: 6 } }, 'HWPT_ALLOC.ok.nested'),
      // "refcount_dec_if_one" of the nested HWPT's parent and of the FAULT both fail while it exists
      st(iommu.destroy(fd(3), 5), 'EBUSY', 'DESTROY.EBUSY.fault_in_use'),
    ],
  },
  {
    name: 'A page request through a HWPT with a FAULT is queued; read gives it with a cookie, whole records only; the response completes it',
    design: 'iommufd',
    steps: [
      ...faultSetup(),
      // an empty queue reads 0 bytes: "if (list_empty(&fault->deliver)) ... return done" (it does not block)
      st(env.faultRead(fd(5)), { out: { faults: [] } }, 'FAULT_READ.ok.empty'),
      // iommufd_fault_iopf_handler: the group goes on fault->deliver
      st(env.pageRequest('dev1', null, 0x1000n, 2), 'ok', 'PAGE_REQUEST.ok.queued'),
      // "if (*ppos || count % fault_size) return -ESPIPE;"; a first group that does not fit is EINVAL
      st(env.faultRead(fd(5), 0), 'EINVAL', 'FAULT_READ.EINVAL.no_room'),
      st({ env: 'FAULT_READ', fd: fd(5), count: 48 }, 'ESPIPE', 'FAULT_READ.ESPIPE.count'),
      // iommufd_compose_fault_message: LAST_PAGE, the DEVICE id, no PASID; cookie from xa_alloc (lowest free from 1)
      st(env.faultRead(fd(5)), { out: { faults: [{ flags: 2, dev_id: 2, pasid: 0, grpid: 1, perm: 2, addr: 0x1000n, cookie: 1 }] } }, 'FAULT_READ.ok'),
      // iommufd_fault_fops_write: IOMMUFD_PAGE_RESP_SUCCESS for cookie 1, 8 bytes taken
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 0 }]), { out: { written: 8 } }, 'FAULT_WRITE.ok'),
      // answered: the cookie is gone ("xa_erase ... if (!group) rc = -EINVAL")
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 0 }]), 'EINVAL', 'FAULT_WRITE.EINVAL.cookie'),
    ],
  },
  {
    name: 'FAULT_WRITE stops at the first bad record: EINVAL if it is the first, else the bytes before it; a code other than 0 or 1 is bad',
    design: 'iommufd',
    steps: [
      ...faultSetup(),
      st(env.pageRequest('dev1', null, 0x1000n, 1), 'ok'),
      st(env.pageRequest('dev1', null, 0x2000n, 1), 'ok'),
      st(env.faultRead(fd(5)), { out: { faults: [{ flags: 2, dev_id: 2, pasid: 0, grpid: 1, perm: 1, addr: 0x1000n, cookie: 1 }, { flags: 2, dev_id: 2, pasid: 0, grpid: 2, perm: 1, addr: 0x2000n, cookie: 2 }] } }),
      // "if (response.code != IOMMUFD_PAGE_RESP_SUCCESS && response.code != IOMMUFD_PAGE_RESP_INVALID) rc = -EINVAL"
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 2 }]), 'EINVAL', 'FAULT_WRITE.EINVAL.code'),
      // "return done == 0 ? rc : done": the first record is taken, the second (cookie 1 again) stops the write
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 1 }, { cookie: 1, code: 0 }]), { out: { written: 8 } }, 'FAULT_WRITE.ok.stopped'),
      st(env.faultWrite(fd(5), []), { out: { written: 0 } }, 'FAULT_WRITE.ok.empty'),
      st(env.faultWrite(fd(5), [{ cookie: 2, code: 0 }]), { out: { written: 8 } }, 'FAULT_WRITE.ok'),
    ],
  },
  {
    name: 'A page request no FAULT takes (no attachment, or a HWPT without one) is answered by the IOMMU core at once; read and write need a FAULT fd',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      // find_fault_handler finds no iopf_handler: iopf_error_response (IOMMU_PAGE_RESP_INVALID)
      st(env.pageRequest('dev1', null, 0x1000n, 1), 'ok', 'PAGE_REQUEST.ok.no_handler'),
      st(env.pageRequest('dev2', null, 0x1000n, 1), 'ok', 'PAGE_REQUEST.ok.no_handler'),
      // /dev/iommu has no read or write in its file_operations; a closed fd is EBADF
      st(env.faultRead(fd(3)), 'EINVAL', 'FAULT_READ.EINVAL.not_fault_fd'),
      st(env.faultWrite(fd(3), [{ cookie: 1, code: 0 }]), 'EINVAL', 'FAULT_WRITE.EINVAL.not_fault_fd'),
      st(env.faultRead(fd(9)), 'EBADF', 'FAULT_READ.EBADF.fd'),
      st(env.faultWrite(fd(9), []), 'EBADF', 'FAULT_WRITE.EBADF.fd'),
    ],
  },
  {
    name: 'Detach answers every request of the attachment INVALID, read or not; closing the FAULT fd answers nothing',
    design: 'iommufd',
    steps: [
      ...faultSetup(),
      st(env.pageRequest('dev1', null, 0x1000n, 1), 'ok'),
      st(env.faultRead(fd(5)), { out: { faults: [{ flags: 2, dev_id: 2, pasid: 0, grpid: 1, perm: 1, addr: 0x1000n, cookie: 1 }] } }),
      st(env.pageRequest('dev1', null, 0x2000n, 1), 'ok'),
      // iommufd_fault_fops_release drops references only: both requests still wait for their attachment
      st(env.close(fd(5)), 'ok'),
      st(iommu.destroy(fd(3), 3), 'EBUSY', 'DESTROY.EBUSY.fault_in_use'),
      // iommufd_hwpt_detach_device -> iommufd_auto_response_faults: deliver list and response xarray alike
      st(vfio.detach(fd(4)), 'ok', 'DETACH_PT.ok'),
      st(iommu.destroy(fd(3), 4), 'ok'),
      st(iommu.destroy(fd(3), 3), 'ok', 'DESTROY.ok.fault'),
    ],
  },
  {
    name: 'Replace away from a FAULT HWPT answers the old attachment\'s requests; a replace onto the same HWPT answers nothing',
    design: 'iommufd',
    steps: [
      ...faultSetup(),
      st(env.pageRequest('dev1', null, 0x1000n, 1), 'ok'),
      // iommufd_device_do_replace: old == new is a no-op, nothing answered
      st(vfio.attach(fd(4), 4), { out: { pt_id: 4 } }),
      st(env.faultRead(fd(5)), { out: { faults: [{ flags: 2, dev_id: 2, pasid: 0, grpid: 1, perm: 1, addr: 0x1000n, cookie: 1 }] } }),
      // onto the IOAS's automatic HWPT: iommufd_dev_replace_handle answers the old handle's groups
      st(vfio.attach(fd(4), 1), { out: { pt_id: 5 } }),
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 0 }]), 'EINVAL', 'FAULT_WRITE.EINVAL.cookie'),
      st(env.faultRead(fd(5)), { out: { faults: [] } }, 'FAULT_READ.ok.empty'),
    ],
  },

  {
    name: 'Dirty tracking on AMD: a read with tracking off is EINVAL (amd_iommu_read_and_clear_dirty), a write once on is reported',
    design: 'iommufd',
    profile: 'amd-v1',
    hw: 'guest-pasid-table',
    steps: [
      ...dirtySetup(0x2000n, false),
      // "if (!pdomain->dirty_tracking && dirty->bitmap) return -EINVAL;"
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.not_tracking'),
      st(iommu.setDirtyTracking(fd(3), 3), 'ok', 'HWPT_SET_DIRTY_TRACKING.ok.enable'),
      st(env.dma('dev1', null, 0x10_1800n, 'write'), { hit: 0x11800n }, 'DMA.ok.dirty'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n), { out: { dirty: [{ start: 0x10_1000n, last: 0x10_1fffn }] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
    ],
  },
  {
    name: 'On the selftest mock a dirty bit is one 2 KiB page: a 4 KiB bit covers two, a bit of page_size 0x1800 is its lowest set bit, 2 KiB',
    design: 'iommufd',
    profile: 'selftest-mock',
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, 0x10000n)),
      st(iommu.map(fd(3), 1, 0x100_0000n, 0x2000n, 0x10000n), 'ok'),
      st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY), { out: { out_hwpt_id: 3 } }),
      st(vfio.attach(fd(4), 3), { out: { pt_id: 3 } }),
      st(iommu.setDirtyTracking(fd(3), 3), 'ok'),
      // MOCK_IO_PAGE_SIZE = PAGE_SIZE / 2: the write at 0x1000900 dirties 0x1000800..0x1000fff only
      st(env.dma('dev1', null, 0x100_0900n, 'write'), { hit: 0x10900n }, 'DMA.ok.dirty'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x100_0000n, 0x2000n, 0x800n, true), { out: { dirty: [{ start: 0x100_0800n, last: 0x100_0fffn }] } }),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x100_0000n, 0x2000n, 0x1000n, true), { out: { dirty: [{ start: 0x100_0000n, last: 0x100_0fffn }] } }),
      // iova_bitmap_alloc: 1 << __ffs(0x1800) = 2 KiB per bit; the masks use page_size - 1 (0x17ff) as the kernel's do,
      // so an end at 0x1002000 passes and one at 0x1001000 (bit 12 is in 0x17ff) does not
      st(iommu.getDirtyBitmap(fd(3), 3, 0x100_0000n, 0x2000n, 0x1800n), { out: { dirty: [{ start: 0x100_0800n, last: 0x100_0fffn }] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x100_0000n, 0x1000n, 0x1800n), 'EINVAL', 'HWPT_GET_DIRTY_BITMAP.EINVAL.page_size_alignment'),
    ],
  },
  {
    name: 'A write that faults (a read-only mapping) or a read dirties nothing',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, 0x10000n)),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n, READ), 'ok'),
      st(iommu.hwptAlloc(fd(3), 2, 1, DIRTY), { out: { out_hwpt_id: 3 } }),
      st(vfio.attach(fd(4), 3), { out: { pt_id: 3 } }),
      st(iommu.setDirtyTracking(fd(3), 3), 'ok'),
      st(env.dma('dev1', null, 0x10_0000n, 'write'), { fault: 'permission' }, 'DMA'),
      st(env.dma('dev1', null, 0x10_1000n, 'read'), { hit: 0x11000n }, 'DMA'),
      st(iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x2000n), { out: { dirty: [] } }, 'HWPT_GET_DIRTY_BITMAP.ok'),
    ],
  },
  {
    name: 'Page requests are read oldest first, whole records as far as the count goes; the rest stay queued',
    design: 'iommufd',
    steps: [
      ...faultSetup(),
      st(env.pageRequest('dev1', null, 0x1000n, 1), 'ok'),
      st(env.pageRequest('dev1', null, 0x2000n, 2), 'ok'),
      st(env.pageRequest('dev1', null, 0x3000n, 3), 'ok'),
      // room for two: "if (fault_count * fault_size > count - done) break" once two are copied
      st(env.faultRead(fd(5), 2), { out: { faults: [{ flags: 2, dev_id: 2, pasid: 0, grpid: 1, perm: 1, addr: 0x1000n, cookie: 1 }, { flags: 2, dev_id: 2, pasid: 0, grpid: 2, perm: 2, addr: 0x2000n, cookie: 2 }] } }),
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 0 }]), { out: { written: 8 } }),
      // cookie 1 is free again: the lowest free index (xa_alloc with XA_FLAGS_ALLOC1)
      st(env.faultRead(fd(5), 2), { out: { faults: [{ flags: 2, dev_id: 2, pasid: 0, grpid: 3, perm: 3, addr: 0x3000n, cookie: 1 }] } }),
    ],
  },
  {
    name: 'Closing the device FD (unbind) answers the requests still waiting on its attachment',
    design: 'iommufd',
    steps: [
      ...faultSetup(),
      st(env.pageRequest('dev1', null, 0x1000n, 1), 'ok'),
      st(env.faultRead(fd(5)), { out: { faults: [{ flags: 2, dev_id: 2, pasid: 0, grpid: 1, perm: 1, addr: 0x1000n, cookie: 1 }] } }),
      st(env.pageRequest('dev1', null, 0x2000n, 1), 'ok'),
      // vfio_device release -> iommufd_device_unbind -> detach: iommufd_auto_response_faults for both
      st(env.close(fd(4)), 'ok'),
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 0 }]), 'EINVAL', 'FAULT_WRITE.EINVAL.cookie'),
      st(env.faultRead(fd(5)), { out: { faults: [] } }, 'FAULT_READ.ok.empty'),
    ],
  },
  {
    name: 'A PASID page request reaches the FAULT of that PASID\'s attachment (PASID_VALID in the record); detaching the PASID answers it',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(iommu.faultQueueAlloc(fd(3)), { out: { out_fault_id: 3, out_fault_fd: 5 } }),
      st(iommu.hwptAlloc(fd(3), 2, 1, ALLOC_PASID | FAULT_ID_VALID, null, 3), { out: { out_hwpt_id: 4 } }),
      st(vfio.attach(fd(4), 4, 1), { out: { pt_id: 4 } }),
      // the RID has no attachment: its request is the core's to answer
      st(env.pageRequest('dev1', null, 0x1000n, 1), 'ok', 'PAGE_REQUEST.ok.no_handler'),
      st(env.pageRequest('dev1', 1, 0x1000n, 1), 'ok', 'PAGE_REQUEST.ok.queued'),
      st(env.faultRead(fd(5)), { out: { faults: [{ flags: 3, dev_id: 2, pasid: 1, grpid: 2, perm: 1, addr: 0x1000n, cookie: 1 }] } }),
      st(vfio.detach(fd(4), 1), 'ok'),
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 0 }]), 'EINVAL', 'FAULT_WRITE.EINVAL.cookie'),
    ],
  },
  {
    name: 'On guest-owned PASID tables a PASID page request goes through the RID\'s nested HWPT and its FAULT (the core\'s user_pasid_table fallback)',
    design: 'iommufd',
    hw: 'guest-pasid-table',
    steps: [
      ...oneDevice(),
      st(env.mmap(0x100_0000n, 0x10_0000n)),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x10_0000n, 0x100_0000n), 'ok'),
      // SMMUv3 nests through its vIOMMU, the device as a vDEVICE of it
      st(iommu.viommuAlloc(fd(3), 2, 3), { out: { out_viommu_id: 4 } }),
      st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), { out: { out_vdevice_id: 5 } }),
      st(iommu.faultQueueAlloc(fd(3)), { out: { out_fault_id: 6, out_fault_fd: 5 } }),
      st(iommu.hwptAlloc(fd(3), 2, 4, FAULT_ID_VALID, { type: 'IOMMU_HWPT_DATA_ARM_SMMUV3', pgtbl_addr: 0x10_0000n }, 6), { out: { out_hwpt_id: 7 } }, 'HWPT_ALLOC.ok.viommu_nested'),
      st(vfio.attach(fd(4), 7), { out: { pt_id: 7 } }),
      // io-pgfault.c find_fault_handler: no handle at PASID 7, the RID's domain is nested and the IOMMU has user_pasid_table
      st(env.pageRequest('dev1', 7, 0x4000n, 2), 'ok', 'PAGE_REQUEST.ok.queued'),
      st(env.faultRead(fd(5)), { out: { faults: [{ flags: 3, dev_id: 2, pasid: 7, grpid: 1, perm: 2, addr: 0x4000n, cookie: 1 }] } }),
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 1 }]), { out: { written: 8 } }, 'FAULT_WRITE.ok'),
    ],
  },
  {
    name: 'A FAULT fd is no /dev/iommu: its ioctls are ENOTTY, and closing /dev/iommu first leaves the queue working (the fd holds the context)',
    design: 'iommufd',
    steps: [
      ...faultSetup(),
      st(iommu.ioasAlloc(fd(5)), 'ENOTTY'),
      st(env.close(fd(3)), 'ok'),
      st(env.pageRequest('dev1', null, 0x1000n, 1), 'ok', 'PAGE_REQUEST.ok.queued'),
      st(env.faultRead(fd(5)), { out: { faults: [{ flags: 2, dev_id: 2, pasid: 0, grpid: 1, perm: 1, addr: 0x1000n, cookie: 1 }] } }),
      st(env.faultWrite(fd(5), [{ cookie: 1, code: 0 }]), { out: { written: 8 } }),
    ],
  },

  // ---- IOMMU_DESTROY (iommufd_object_remove: ENOENT unknown, EBUSY unless the table is the last user) -------
  {
    name: 'IOMMU_DESTROY of an IOAS with an attached device fails with EBUSY',
    design: 'iommufd',
    steps: [...oneAttached(), st(iommu.destroy(fd(3), 1), 'EBUSY', 'DESTROY.EBUSY.ioas_in_use')],
  },
  {
    name: 'IOMMU_DESTROY of an IOAS that only has mappings succeeds',
    design: 'iommufd',
    // facts §2.5: mappings alone never block destroy; destroy unmaps everything
    steps: [
      ...freshIoas(),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.destroy(fd(3), 1), 'ok', 'DESTROY.ok.ioas'),
    ],
  },
  {
    name: 'IOMMU_DESTROY of an already destroyed id fails with ENOENT',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.destroy(fd(3), 1), 'ok', 'DESTROY.ok.ioas'),
      st(iommu.destroy(fd(3), 1), 'ENOENT', 'DESTROY.ENOENT.id'),
      // the id is free again: lowest-free allocation hands it out next
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
    ],
  },
  {
    name: 'IOMMU_DESTROY of id 0 fails with ENOENT',
    design: 'iommufd',
    steps: [...freshIoas(), st(iommu.destroy(fd(3), 0), 'ENOENT', 'DESTROY.ENOENT.id')],
  },
  {
    name: 'IOMMU_DESTROY of a DEVICE id fails with EBUSY while the driver holds it',
    design: 'iommufd',
    // iommufd_device_bind: "The calling driver is a user until iommufd_device_unbind()"
    steps: [
      ...oneDevice(),
      st(iommu.destroy(fd(3), 2), 'EBUSY', 'DESTROY.EBUSY.device_in_use'),
      st(env.close(fd(4)), 'ok'),
      st(iommu.destroy(fd(3), 2), 'ENOENT', 'DESTROY.ENOENT.id'),
    ],
  },
  {
    name: 'IOMMU_DESTROY of an auto HWPT fails with EBUSY while attached and with ENOENT after detach',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      st(iommu.destroy(fd(3), 3), 'EBUSY', 'DESTROY.EBUSY.hwpt_paging_in_use'),
      st(vfio.detach(fd(4)), 'ok', 'DETACH_PT.ok'),
      st(iommu.destroy(fd(3), 3), 'ENOENT', 'DESTROY.ENOENT.id'),
      st(iommu.destroy(fd(3), 1), 'ok', 'DESTROY.ok.ioas'),
    ],
  },
  {
    name: 'IOMMU_DESTROY of a NEST_PARENT HWPT with a nested child fails with EBUSY',
    design: 'iommufd',
    steps: [
      ...nestedSetup(0x10_0000n),
      st(iommu.destroy(fd(3), 3), 'EBUSY', 'DESTROY.EBUSY.hwpt_paging_in_use'),
      st(iommu.destroy(fd(3), 4), 'ok', 'DESTROY.ok.hwpt_nested'),
      st(iommu.destroy(fd(3), 3), 'ok', 'DESTROY.ok.hwpt_paging'),
    ],
  },

  // ---- automatic domains (iommufd_device_auto_get_domain, iommufd_hw_pagetable_put) ----------------------
  {
    name: 'two devices attaching to one IOAS share one auto HWPT',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(env.open(VFIO0), { out: { fd: 4 } }),
      st(env.open(VFIO1), { out: { fd: 5 } }),
      st(env.mmap(0x10000n, 0x1000n)),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
      st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 3 } }),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 4 } }, 'ATTACH_PT.ok.auto_domain'),
      st(vfio.attach(fd(5), 1), { out: { pt_id: 4 } }, 'ATTACH_PT.ok.attach'),
      st(env.dma('dev2', null, 0x10_0020n), { hit: 0x10020n }),
      // the shared HWPT lives until its last device leaves
      st(vfio.detach(fd(4)), 'ok'),
      st(iommu.destroy(fd(3), 4), 'EBUSY', 'DESTROY.EBUSY.hwpt_paging_in_use'),
      st(vfio.detach(fd(5)), 'ok'),
      st(iommu.destroy(fd(3), 4), 'ENOENT', 'DESTROY.ENOENT.id'),
    ],
  },
  {
    name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT replacing an auto HWPT with another IOAS frees the old auto HWPT',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(env.open(VFIO0), { out: { fd: 4 } }),
      st(env.mmap(0x10000n, 0x1000n)),
      st(env.mmap(0x20000n, 0x1000n)),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 2 } }),
      st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 3 } }),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.map(fd(3), 2, 0x10_0000n, KIB4, 0x20000n), 'ok'),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 4 } }, 'ATTACH_PT.ok.auto_domain'),
      st(env.dma('dev1', null, 0x10_0004n), { hit: 0x10004n }),
      // the new auto HWPT is allocated while the old one still exists, so it gets id 5
      st(vfio.attach(fd(4), 2), { out: { pt_id: 5 } }, 'ATTACH_PT.ok.replace_auto_domain'),
      st(env.dma('dev1', null, 0x10_0004n), { hit: 0x20004n }),
      st(iommu.destroy(fd(3), 4), 'ENOENT', 'DESTROY.ENOENT.id'),
      st(iommu.destroy(fd(3), 1), 'ok', 'DESTROY.ok.ioas'),
    ],
  },
  {
    name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT of a group sibling to another IOAS fails with EINVAL',
    design: 'iommufd',
    // facts §2.5 group rule: one HWPT per iommu group; dev3 and dev4 are both in group 3
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(env.open(VFIO2), { out: { fd: 4 } }),
      st(env.open(VFIO3), { out: { fd: 5 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 2 } }),
      st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 3 } }),
      st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 4 } }),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 5 } }, 'ATTACH_PT.ok.auto_domain'),
      st(vfio.attach(fd(5), 2), 'EINVAL', 'ATTACH_PT.EINVAL.group'),
      st(vfio.attach(fd(5), 1), { out: { pt_id: 5 } }, 'ATTACH_PT.ok.attach'),
    ],
  },

  // ---- IOMMU_HWPT_ALLOC (iommufd_hwpt_alloc, iommufd_hwpt_nested_alloc) -----------------------------------
  {
    name: 'IOMMU_HWPT_ALLOC nested on a paging HWPT without NEST_PARENT fails with EINVAL',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, 0), { out: { out_hwpt_id: 3 } }, 'HWPT_ALLOC.ok.paging'),
      st(iommu.hwptAlloc(fd(3), 2, 3, 0, { type: VTD_S1, pgtbl_addr: 0x10_0000n }), 'EINVAL', 'HWPT_ALLOC.EINVAL.not_nest_parent'),
    ],
  },
  {
    name: 'IOMMU_HWPT_ALLOC nested on an auto domain fails with EINVAL',
    design: 'iommufd',
    steps: [...oneAttached(), st(iommu.hwptAlloc(fd(3), 2, 3, 0, { type: VTD_S1, pgtbl_addr: 0x10_0000n }), 'EINVAL', 'HWPT_ALLOC.EINVAL.not_nest_parent')],
  },
  {
    name: 'IOMMU_HWPT_ALLOC nested with a data type the hardware does not take fails with EOPNOTSUPP',
    design: 'iommufd',
    // host-pasid-table (VT-d) hardware: the driver's domain_alloc_nested accepts only IOMMU_HWPT_DATA_VTD_S1
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
      st(iommu.hwptAlloc(fd(3), 2, 3, 0, { type: 'IOMMU_HWPT_DATA_ARM_SMMUV3', pgtbl_addr: 0x10_0000n }), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.data_type'),
    ],
  },
  {
    name: 'IOMMU_HWPT_ALLOC with data_type NONE but data fails with EINVAL',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
      st(iommu.hwptAlloc(fd(3), 2, 3, 0, { type: 'IOMMU_HWPT_DATA_NONE', pgtbl_addr: 0x10_0000n }), 'EINVAL', 'HWPT_ALLOC.EINVAL.data_len'),
    ],
  },
  {
    name: 'IOMMU_HWPT_ALLOC of a nest parent with FAULT_ID_VALID fails with EOPNOTSUPP before the fault id is looked up',
    design: 'iommufd',
    // upstream 1062d8108615 "iommufd: Disallow allocating nested parent domain with fault ID" (v6.15, stable 6.12.32):
    // iommufd_hwpt_paging_alloc refuses the pair, whatever fault_id names; selftest alloc_hwpt_nested asserts
    // test_err_hwpt_alloc(EOPNOTSUPP, ..., IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID). Without
    // NEST_PARENT, the same bad fault id is looked up and fails ENOENT.
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT | FAULT_ID_VALID, null, 99), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nest_parent_fault'),
      st(iommu.hwptAlloc(fd(3), 2, 1, FAULT_ID_VALID, null, 99), 'ENOENT', 'HWPT_ALLOC.ENOENT.fault_id'),
    ],
  },
  {
    name: 'IOMMU_HWPT_ALLOC with a dev_id that is not a device fails with ENOENT',
    design: 'iommufd',
    steps: [...oneDevice(), st(iommu.hwptAlloc(fd(3), 1, 1), 'ENOENT', 'HWPT_ALLOC.ENOENT.dev')],
  },
  {
    name: 'IOMMU_HWPT_ALLOC with the pt_id of a device fails with EINVAL',
    design: 'iommufd',
    steps: [...oneDevice(), st(iommu.hwptAlloc(fd(3), 2, 2), 'EINVAL', 'HWPT_ALLOC.EINVAL.pt_kind')],
  },
  {
    name: 'IOMMU_HWPT_ALLOC with a pt_id that does not exist fails with EINVAL',
    design: 'iommufd',
    steps: [...oneDevice(), st(iommu.hwptAlloc(fd(3), 2, 9), 'EINVAL', 'HWPT_ALLOC.EINVAL.pt_id')],
  },

  // ---- IOMMU_HWPT_INVALIDATE and nested translation ------------------------------------------------------
  {
    name: 'IOMMU_HWPT_INVALIDATE on a paging HWPT fails with EINVAL',
    design: 'iommufd',
    // T1 alloc_hwpt_nested: "hwpt_invalidate does not support a parent hwpt" (EINVAL after the vIOMMU rework, §6)
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
      // hw_pagetable.c iommufd_hwpt_invalidate: every failure still writes back entry_num (the entries done: none)
      st(iommu.invalidate(fd(3), 3), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.not_nested'),
      st(iommu.invalidate(fd(3), 9), { errno: 'ENOENT', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.ENOENT.id'),
    ],
  },
  {
    name: 'IOMMU_HWPT_INVALIDATE of the right range clears a stale stage-1 translation after a guest write',
    design: 'iommufd',
    steps: [
      ...nestedSetup(0x10_0000n),
      // the guest maps iova 0x5000 -> GPA 0x180000 before the device is attached (nothing cached yet)
      st(env.writePte(0x10_0000n, 0x5000n, 0x18_0000n)),
      st(vfio.attach(fd(4), 4), { out: { pt_id: 4 } }, 'ATTACH_PT.ok.attach'),
      st(env.dma('dev1', null, 0x5234n), { hit: 0x108_0234n }),
      // the guest remaps it to GPA 0x190000: the IOTLB may still answer with the old page
      st(env.writePte(0x10_0000n, 0x5000n, 0x19_0000n)),
      st(env.dma('dev1', null, 0x5234n), { hit: 0x109_0234n, stale: [0x108_0234n] }),
      // invalidating another page does not help
      st(iommu.invalidate(fd(3), 4, [{ scope: 'range', addr: 0x6000n, npages: 1n }]), { out: { entry_num: 1 } }, 'HWPT_INVALIDATE.ok'),
      st(env.dma('dev1', null, 0x5234n), { hit: 0x109_0234n, stale: [0x108_0234n] }),
      st(iommu.invalidate(fd(3), 4, [{ scope: 'range', addr: 0x5000n, npages: 1n }]), { out: { entry_num: 1 } }, 'HWPT_INVALIDATE.ok'),
      st(env.dma('dev1', null, 0x5234n), { hit: 0x109_0234n }),
    ],
  },
  {
    name: 'nested translation faults while the guest stage-1 table root is not mapped in the parent IOAS',
    design: 'iommufd',
    steps: [
      ...nestedSetup(0x90_0000n),
      st(env.mmap(0x110_0000n, KIB4)),
      st(env.writePte(0x90_0000n, 0x5000n, 0x18_0000n)),
      st(env.writePte(0x90_0000n, 0x7000n, 0x50_0000n)),
      st(vfio.attach(fd(4), 4), { out: { pt_id: 4 } }),
      st(env.dma('dev1', null, 0x5234n), { fault: 'stage1-table-unreachable' }, 'DMA'),
      // the table page becomes guest memory the parent maps: the walk now reaches it
      st(iommu.map(fd(3), 1, 0x90_0000n, KIB4, 0x110_0000n), 'ok'),
      st(env.dma('dev1', null, 0x5234n), { hit: 0x108_0234n }),
      st(env.dma('dev1', null, 0x6000n), { fault: 'stage1-not-present' }),
      // stage-1 output GPA 0x500000 is not mapped in the parent
      st(env.dma('dev1', null, 0x7000n), { fault: 'no-translation' }),
    ],
  },

  // ---- PASID attach (iommufd_hwpt_pasid_compat; vfio_iommufd_physical_pasid_[at|de]tach_ioas) ---------------
  {
    name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT of an IOAS to a PASID fails with EINVAL',
    design: 'iommufd',
    // an auto domain is never PASID-compatible (facts §2.5, T1 pasid_attach)
    steps: [
      ...oneDevice(),
      st(vfio.attach(fd(4), 1, 1), 'EINVAL', 'ATTACH_PT.EINVAL.pasid_incompatible_hwpt'),
      st(env.dma('dev1', 1, 0x1000n), { fault: 'no-pasid-entry' }),
    ],
  },
  {
    name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT of a PASID to a HWPT without ALLOC_PASID fails with EINVAL',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, KIB4)),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.hwptAlloc(fd(3), 2, 1, 0), { out: { out_hwpt_id: 3 } }),
      st(vfio.attach(fd(4), 3, 1), 'EINVAL', 'ATTACH_PT.EINVAL.pasid_incompatible_hwpt'),
      st(iommu.hwptAlloc(fd(3), 2, 1, ALLOC_PASID), { out: { out_hwpt_id: 4 } }),
      st(vfio.attach(fd(4), 4, 1), { out: { pt_id: 4 } }, 'ATTACH_PT.ok.attach'),
      st(env.dma('dev1', 1, 0x10_0008n), { hit: 0x10008n }),
      st(env.dma('dev1', null, 0x10_0008n), { fault: 'blocked' }),
    ],
  },
  {
    name: 'a second VFIO_DEVICE_ATTACH_IOMMUFD_PT of the same PASID is a replace',
    design: 'iommufd',
    // vfio_iommufd_physical_pasid_attach_ioas: a PASID already in the IDA goes to iommufd_device_replace
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, ALLOC_PASID), { out: { out_hwpt_id: 3 } }),
      st(iommu.hwptAlloc(fd(3), 2, 1, ALLOC_PASID), { out: { out_hwpt_id: 4 } }),
      st(vfio.attach(fd(4), 3, 1), { out: { pt_id: 3 } }, 'ATTACH_PT.ok.attach'),
      st(vfio.attach(fd(4), 4, 1), { out: { pt_id: 4 } }, 'ATTACH_PT.ok.replace'),
      st(iommu.destroy(fd(3), 3), 'ok', 'DESTROY.ok.hwpt_paging'),
      st(iommu.destroy(fd(3), 4), 'EBUSY', 'DESTROY.EBUSY.hwpt_paging_in_use'),
    ],
  },
  {
    name: 'VFIO_DEVICE_DETACH_IOMMUFD_PT of a PASID that is not attached succeeds',
    design: 'iommufd',
    steps: [...oneDevice(), st(vfio.detach(fd(4), 5), 'ok', 'DETACH_PT.ok.not_attached')],
  },

  // ---- IOMMU_IOAS_COPY (iommufd_ioas_copy, iopt_get_pages) -------------------------------------------------
  {
    name: 'IOMMU_IOAS_COPY shares the pinned pages: charged once against RLIMIT_MEMLOCK',
    design: 'iommufd',
    memlockPages: 4,
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(env.open(VFIO0), { out: { fd: 4 } }),
      st(env.open(VFIO1), { out: { fd: 5 } }),
      st(env.mmap(0x10000n, 0x4000n)),
      st(env.mmap(0x20000n, KIB4)),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 2 } }),
      st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 3 } }),
      st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 4 } }),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 5 } }),
      st(vfio.attach(fd(5), 2), { out: { pt_id: 6 } }),
      // 4 pages pinned and charged: exactly at the limit
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x4000n, 0x10000n), 'ok'),
      // a second MAP of the same memory is a second iopt_pages, charged again
      st(iommu.map(fd(3), 2, 0x20_0000n, 0x4000n, 0x10000n), 'ENOMEM', 'IOAS_MAP.ENOMEM.memlock'),
      // COPY reuses the source's iopt_pages: nothing more is charged
      st(iommu.copy(fd(3), 2, 0x20_0000n, 1, 0x10_0000n, 0x4000n), { out: { dst_iova: 0x20_0000n } }, 'IOAS_COPY.ok.fixed'),
      st(env.dma('dev2', null, 0x20_1234n), { hit: 0x11234n }),
      st(env.dma('dev1', null, 0x10_1234n), { hit: 0x11234n }),
      // the limit is still reached
      st(iommu.map(fd(3), 1, 0x30_0000n, KIB4, 0x20000n), 'ENOMEM', 'IOAS_MAP.ENOMEM.memlock'),
    ],
  },
  {
    name: 'IOMMU_IOAS_COPY of a source range not covered by areas fails with ENOENT',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 2 } }),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.map(fd(3), 1, 0x10_2000n, KIB4, 0x12000n), 'ok'),
      st(iommu.copy(fd(3), 2, 0x10_0000n, 1, 0x10_0000n, 0x3000n), 'ENOENT', 'IOAS_COPY.ENOENT.src_not_covered'),
      st(iommu.copy(fd(3), 2, 0x10_0000n, 1, 0x10_4000n, KIB4), 'ENOENT', 'IOAS_COPY.ENOENT.src_not_covered'),
      // the covered part alone copies
      st(iommu.copy(fd(3), 2, 0x10_0000n, 1, 0x10_0000n, KIB4), { out: { dst_iova: 0x10_0000n } }, 'IOAS_COPY.ok.fixed'),
    ],
  },
  {
    name: 'IOMMU_IOAS_COPY WRITEABLE from a read-only map fails with EPERM',
    design: 'iommufd',
    // iopt_insert_area: IOMMU_WRITE on pages pinned without write
    steps: [
      ...freshIoas(),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 2 } }),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n, READ), 'ok'),
      st(iommu.copy(fd(3), 2, 0x10_0000n, 1, 0x10_0000n, KIB4), 'EPERM', 'IOAS_COPY.EPERM.readonly_pages'),
      st(iommu.copy(fd(3), 2, 0x10_0000n, 1, 0x10_0000n, KIB4, READ), { out: { dst_iova: 0x10_0000n } }, 'IOAS_COPY.ok.fixed'),
    ],
  },

  // ---- pinning and RLIMIT_MEMLOCK (pages.c incr_user_locked_vm, pin_user_pages) ---------------------------
  {
    name: 'IOMMU_IOAS_MAP past RLIMIT_MEMLOCK with a domain attached fails with ENOMEM',
    design: 'iommufd',
    memlockPages: 2,
    steps: [
      ...oneAttached(),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), 'ok'),
      st(iommu.map(fd(3), 1, 0x20_0000n, KIB4, 0x12000n), 'ENOMEM', 'IOAS_MAP.ENOMEM.memlock'),
      st(env.dma('dev1', null, 0x20_0000n), { fault: 'no-translation' }),
    ],
  },
  {
    name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT that must pin past RLIMIT_MEMLOCK fails with ENOMEM',
    design: 'iommufd',
    memlockPages: 2,
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, 0x10000n)),
      // no domain yet: MAP only records the range, nothing is pinned or charged
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x3000n, 0x10000n), 'ok'),
      st(vfio.attach(fd(4), 1), 'ENOMEM', 'ATTACH_PT.ENOMEM.memlock'),
      st(env.dma('dev1', null, 0x10_0000n), { fault: 'blocked' }),
      st(iommu.unmap(fd(3), 1, 0n, U64_MAX), { out: { length: 0x3000n } }),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }, 'ATTACH_PT.ok.auto_domain'),
    ],
  },
  {
    name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT fails with EFAULT when a mapping covers memory that is not mmapped',
    design: 'iommufd',
    // facts §2.5: without a domain MAP is lazy (succeeds); pinning at attach faults (T1 fork_gone)
    steps: [
      ...oneDevice(),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x40000n), { out: { iova: 0x10_0000n } }, 'IOAS_MAP.ok.fixed'),
      st(vfio.attach(fd(4), 1), 'EFAULT', 'ATTACH_PT.EFAULT.pin'),
      st(env.dma('dev1', null, 0x10_0000n), { fault: 'blocked' }),
      st(env.mmap(0x40000n, KIB4)),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }),
      st(env.dma('dev1', null, 0x10_0010n), { hit: 0x40010n }),
    ],
  },

  // ---- VFIO_DEVICE_BIND_IOMMUFD (vfio_df_ioctl_bind_iommufd, iommufd_ctx_from_fd) -------------------------
  {
    name: 'VFIO_DEVICE_BIND_IOMMUFD of a device fd that is already bound fails with EINVAL',
    design: 'iommufd',
    steps: [...oneDevice(), st(vfio.bindIommufd(fd(4), fd(3)), 'EINVAL', 'BIND_IOMMUFD.EINVAL.already_bound')],
  },
  {
    name: 'VFIO_DEVICE_BIND_IOMMUFD to an fd that is not an iommufd fails with EBADFD',
    design: 'iommufd',
    steps: [
      st(env.open(VFIO0), { out: { fd: 3 } }),
      st(env.open(VFIO1), { out: { fd: 4 } }),
      st(vfio.bindIommufd(fd(3), fd(4)), 'EBADFD', 'BIND_IOMMUFD.EBADFD.not_iommufd'),
      st(vfio.bindIommufd(fd(3), fd(3)), 'EBADFD', 'BIND_IOMMUFD.EBADFD.not_iommufd'),
    ],
  },
  {
    name: 'VFIO_DEVICE_BIND_IOMMUFD to a closed fd fails with EBADF',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(env.open(VFIO0), { out: { fd: 4 } }),
      st(env.close(fd(3)), 'ok'),
      st(vfio.bindIommufd(fd(4), fd(3)), 'EBADF', 'BIND_IOMMUFD.EBADF.iommufd'),
    ],
  },

  // ---- the dispatcher: fds and ioctl numbers ---------------------------------------------------------------
  {
    name: 'an iommufd ioctl on a closed fd fails with EBADF',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(env.close(fd(3)), 'ok'),
      st(iommu.ioasAlloc(fd(3)), 'EBADF', 'IOMMU_IOAS_ALLOC.EBADF.fd'),
    ],
  },
  {
    name: 'an IOMMU ioctl on a bound VFIO device fd fails with ENOTTY',
    design: 'iommufd',
    // vfio_device_fops_unl_ioctl passes unknown commands to vfio-pci, whose default is ENOTTY
    steps: [...oneDevice(), st(iommu.ioasAlloc(fd(4)), 'ENOTTY', 'IOMMU_IOAS_ALLOC.ENOTTY.wrong_file')],
  },
  {
    name: 'a VFIO device ioctl on the iommufd fails with ENOTTY',
    design: 'iommufd',
    // iommufd_fops_ioctl: numbers below IOMMUFD_CMD_BASE go to the VFIO compat handler, which does not know it
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(vfio.bindIommufd(fd(3), fd(3)), 'ENOTTY', 'VFIO_DEVICE_BIND_IOMMUFD.ENOTTY.wrong_file'),
    ],
  },
  {
    name: 'an ioctl of another design on the iommufd fails with ENOTTY',
    design: 'iommufd',
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(ioasid.alloc(fd(3)), 'ENOTTY', 'IOASID_ALLOC.ENOTTY.not_in_design'),
    ],
  },
  {
    name: 'ids of another iommufd are not found: ENOENT',
    design: 'iommufd',
    // facts §2.1: object ids are local to one fd's table
    steps: [
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(env.open(IOMMUFD), { out: { fd: 4 } }),
      st(env.open(VFIO0), { out: { fd: 5 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 2 } }),
      st(vfio.bindIommufd(fd(5), fd(4)), { out: { out_devid: 1 } }),
      st(vfio.attach(fd(5), 2), 'ENOENT', 'ATTACH_PT.ENOENT.pt_id'),
      st(iommu.map(fd(4), 2, 0x10_0000n, KIB4, 0x10000n), 'ENOENT', 'IOAS_MAP.ENOENT.ioas'),
      st(iommu.destroy(fd(4), 2), 'ENOENT', 'DESTROY.ENOENT.id'),
      st(iommu.destroy(fd(3), 2), 'ok', 'DESTROY.ok.ioas'),
    ],
  },

  // ---- close (iommufd_fops_release, deferred while devices hold the file) ---------------------------------
  {
    name: 'closing the iommufd while a device is bound is deferred: DMA keeps working until the device fd closes',
    design: 'iommufd',
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, KIB4)),
      st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }),
      st(env.close(fd(3)), 'ok', 'CLOSE.ok'),
      st(env.dma('dev1', null, 0x10_0010n), { hit: 0x10010n }),
      // the fd number is gone at once, even though the file lives on
      st(iommu.ioasAlloc(fd(3)), 'EBADF'),
      st(env.close(fd(4)), 'ok', 'CLOSE.ok'),
      st(env.dma('dev1', null, 0x10_0010n), { fault: 'blocked' }),
    ],
  },
  // ---- IOMMU_IOAS_MAP_FILE / IOMMU_IOAS_CHANGE_PROCESS (upstream ioas.c; 6.12 has neither) -------------------
  {
    name: 'IOMMU_IOAS_MAP_FILE maps a memfd\'s pages: a DMA reaches the file\'s bytes, and closing the memfd fd unmaps nothing',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      st(env.memfdCreate(0x10000n), { out: { fd: 5 } }, 'MEMFD_CREATE.ok'),
      // iopt_alloc_file_pages: pages->file = get_file(file), pages->start = start; iommufd_ioas_map_file writes iova back
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, 0x4000n, fd(5), 0x2000n), { out: { iova: 0x10_0000n } }, 'IOAS_MAP_FILE.ok.fixed'),
      st(env.dma('dev1', null, 0x10_1010n, 'write'), { hit: MEMFD3 + 0x3010n }, 'DMA'),
      st(env.close(fd(5)), 'ok', 'CLOSE.ok'),
      st(env.dma('dev1', null, 0x10_3ff8n), { hit: MEMFD3 + 0x5ff8n }, 'DMA'),
      // without FIXED_IOVA the kernel chooses as for IOAS_MAP, the file offset standing for the user address: offset 0
      // gives no hint, so the IOVA is aligned to roundup_pow_of_two(length) (iopt_alloc_iova "if (!uptr)")
      st(env.memfdCreate(0x4000n), { out: { fd: 5 } }),
      st(iommu.mapFile(fd(3), 1, null, 0x2000n, fd(5)), { out: { iova: 0x2000n } }, 'IOAS_MAP_FILE.ok.auto_iova'),
      // the runner's leak check: the unmap drops the last users of both files' pages
      st(iommu.unmap(fd(3), 1, 0n, U64_MAX), { out: { length: 0x6000n } }),
    ],
  },
  {
    name: 'IOMMU_IOAS_MAP_FILE checks as IOAS_MAP does, then the range (length 0 EINVAL, start + length wrapping EOVERFLOW), then the fd (EBADF)',
    design: 'iommufd',
    steps: [
      ...freshIoas(),
      st(env.memfdCreate(0x4000n), { out: { fd: 4 } }),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, KIB4, fd(4), 0n, READ | WRITE | 8), 'EOPNOTSUPP', 'IOAS_MAP_FILE.EOPNOTSUPP.flags'),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, KIB4, fd(4), 0n, 0), 'EINVAL', 'IOAS_MAP_FILE.EINVAL.prot'),
      st(iommu.mapFile(fd(3), 2, 0x10_0000n, KIB4, fd(4)), 'ENOENT', 'IOAS_MAP_FILE.ENOENT.ioas'),
      // iopt_map_file_pages: "if (!length) return -EINVAL; if (check_add_overflow(start, length - 1, &last)) return
      // -EOVERFLOW;" before fget(fd)
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, 0n, fd(9)), 'EINVAL', 'IOAS_MAP_FILE.EINVAL.length'),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, 0x2000n, fd(9), U64_MAX - 0xfffn), 'EOVERFLOW', 'IOAS_MAP_FILE.EOVERFLOW.start'),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, KIB4, fd(9)), 'EBADF', 'IOAS_MAP_FILE.EBADF.file_fd'),
      // the top page of the offsets ends at U64_MAX exactly: no wrap; nothing is pinned without a domain
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, KIB4, fd(4), U64_MAX - 0xfffn), { out: { iova: 0x10_0000n } }, 'IOAS_MAP_FILE.ok.fixed'),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, KIB4, fd(4)), 'EEXIST', 'IOAS_MAP_FILE.EEXIST.overlap'),
    ],
  },
  {
    name: 'A file map past the end of its memfd is EINVAL where its pages are pinned: at the map with a domain, at the attach without',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      st(env.memfdCreate(0x4000n), { out: { fd: 5 } }),
      // memfd_pin_folios -> shmem_get_folio: an index at or past i_size is -EINVAL (the whole map unwinds)
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, 0x5000n, fd(5)), 'EINVAL', 'IOAS_MAP_FILE.EINVAL.file_range'),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, 0x2000n, fd(5), 0x3000n), 'EINVAL', 'IOAS_MAP_FILE.EINVAL.file_range'),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, 0x1000n, fd(5), 0x3000n), { out: { iova: 0x10_0000n } }, 'IOAS_MAP_FILE.ok.fixed'),
      // a size that is no page multiple: its last page holds bytes below i_size, so it pins; the page after does not
      st(env.memfdCreate(0x1800n), { out: { fd: 6 } }),
      st(iommu.mapFile(fd(3), 1, 0x20_0000n, 0x2000n, fd(6)), { out: { iova: 0x20_0000n } }, 'IOAS_MAP_FILE.ok.fixed'),
      st(iommu.mapFile(fd(3), 1, 0x30_0000n, 0x3000n, fd(6)), 'EINVAL', 'IOAS_MAP_FILE.EINVAL.file_range'),
      // a second IOAS without a domain takes the map lazily; dev1's attach to it then pins, and fails
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 4 } }),
      st(iommu.mapFile(fd(3), 4, 0x10_0000n, 0x8000n, fd(5)), { out: { iova: 0x10_0000n } }, 'IOAS_MAP_FILE.ok.fixed'),
      st(vfio.attach(fd(4), 4), 'EINVAL', 'ATTACH_PT.EINVAL.file_range'),
      st(env.dma('dev1', null, 0x10_0000n), { hit: MEMFD3 + 0x3000n }, 'DMA'),
    ],
  },
  {
    name: 'An access reads, writes and pins a file map\'s pages through the file: a page past the memfd\'s end is EINVAL, not EFAULT',
    design: 'iommufd',
    profile: 'selftest-mock',
    steps: [
      ...freshIoas(),
      st(env.memfdCreate(0x4000n), { out: { fd: 4 } }),
      // no domain: the map is taken lazily, 8 pages of a 4-page file
      st(iommu.mapFile(fd(3), 1, 0x100_0000n, 0x8000n, fd(4)), { out: { iova: 0x100_0000n } }),
      st(env.accessCreate(fd(3), 1, 1), { out: { access_fd: 5 } }),
      // iopt_pages_rw_access: a file's pages go through iopt_pages_rw_slow, whose pfn reader pins them for the copy
      st(env.accessRw(fd(3), fd(5), 0x100_0100n, 0x100n), 'ok', 'MOCK_ACCESS_RW.ok'),
      st(env.accessRw(fd(3), fd(5), 0x100_3f00n, 0x200n, 1), 'EINVAL', 'MOCK_ACCESS_RW.EINVAL.file_range'),
      // iopt_area_add_access -> memfd_pin_folios: the same line at the file's end
      st(env.accessPin(fd(3), fd(5), 0x100_0000n, 0x4000n), { out: { access_pages_id: 0 } }, 'MOCK_ACCESS_PIN.ok'),
      st(env.accessPin(fd(3), fd(5), 0x100_4000n, 0x1000n), 'EINVAL', 'MOCK_ACCESS_PIN.EINVAL.file_range'),
    ],
  },
  {
    name: 'IOMMU_IOAS_MAP_FILE of a file that is no memfd (here the iommufd itself) is EINVAL; a memfd past 64 GiB is never made',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      // memfd_pin_folios: "if (!shmem_file(memfd) && !is_file_hugepages(memfd)) return -EINVAL"
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, KIB4, fd(3)), 'EINVAL', 'IOAS_MAP_FILE.EINVAL.file_kind'),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, KIB4, fd(4)), 'EINVAL', 'IOAS_MAP_FILE.EINVAL.file_kind'),
      st(env.memfdCreate((1n << 36n) + 1n), 'EINVAL', 'MEMFD_CREATE.EINVAL.length'),
    ],
  },
  {
    name: 'IOMMU_IOAS_CHANGE_PROCESS: __reserved is EOPNOTSUPP; any map of user memory in any IOAS is EINVAL; file maps only: ok',
    design: 'iommufd',
    steps: [
      ...oneAttached(),
      st(iommu.changeProcess(fd(3), 1), 'EOPNOTSUPP', 'IOAS_CHANGE_PROCESS.EOPNOTSUPP.reserved'),
      // no area at all: the first loop finds no non-file area
      st(iommu.changeProcess(fd(3)), 'ok', 'IOAS_CHANGE_PROCESS.ok'),
      st(env.memfdCreate(0x4000n), { out: { fd: 5 } }),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, 0x4000n, fd(5)), 'ok'),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 4 } }),
      st(iommu.map(fd(3), 4, 0x10_0000n, KIB4, 0x10000n), 'ok'),
      st(iommu.changeProcess(fd(3)), 'EINVAL', 'IOAS_CHANGE_PROCESS.EINVAL.not_file_map'),
      // a copy of a file map is a file map too (the same iopt_pages)
      st(iommu.unmap(fd(3), 4, 0x10_0000n, KIB4), { out: { length: KIB4 } }),
      st(iommu.copy(fd(3), 4, 0x20_0000n, 1, 0x10_0000n, 0x4000n), { out: { dst_iova: 0x20_0000n } }),
      st(iommu.changeProcess(fd(3)), 'ok', 'IOAS_CHANGE_PROCESS.ok'),
    ],
  },
  {
    name: 'A 6.12 kernel has neither IOMMU_IOAS_MAP_FILE nor IOMMU_IOAS_CHANGE_PROCESS: their numbers are ENOTTY',
    design: 'iommufd',
    kernelVersion: '6.12',
    steps: [
      ...freshIoas(),
      st(env.memfdCreate(0x4000n), { out: { fd: 4 } }),
      st(iommu.mapFile(fd(3), 1, 0x10_0000n, KIB4, fd(4)), 'ENOTTY', 'IOAS_MAP_FILE.ENOTTY.kernel_version'),
      st(iommu.changeProcess(fd(3)), 'ENOTTY', 'IOAS_CHANGE_PROCESS.ENOTTY.kernel_version'),
    ],
  },
  // ---- vIOMMU, vDEVICE, vEVENTQ (viommu.c iommufd_viommu_alloc_ioctl / iommufd_vdevice_alloc_ioctl, eventq.c
  // iommufd_veventq_alloc / iommufd_veventq_fops_read, driver.c iommufd_viommu_report_event, hw_pagetable.c
  // iommufd_viommu_alloc_hwpt_nested; selftest iommufd.c FIXTURE(iommufd_viommu); 6.12 has none) --------------------
  {
    name: 'IOMMU_VIOMMU_ALLOC checks flags and the DEFAULT type, the device, the driver\'s type (before the HWPT), then a paging HWPT made with NEST_PARENT',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1), { out: { out_hwpt_id: 3 } }),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 4 } }),
      // "if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT) return -EOPNOTSUPP;"
      st(iommu.viommuAlloc(fd(3), 2, 4, VIOMMU_SMMUV3, 1), 'EOPNOTSUPP', 'VIOMMU_ALLOC.EOPNOTSUPP.flags'),
      st(iommu.viommuAlloc(fd(3), 2, 4, 0), 'EOPNOTSUPP', 'VIOMMU_ALLOC.EOPNOTSUPP.default_type'),
      st(iommu.viommuAlloc(fd(3), 99, 4), 'ENOENT', 'VIOMMU_ALLOC.ENOENT.dev'),
      // ops->get_viommu_size(dev, type) is 0 for a type the driver lacks (CMDQV here), before the HWPT is looked up
      // (selftest viommu_negative_tests: type 0xdead EOPNOTSUPP)
      st(iommu.viommuAlloc(fd(3), 2, 99, 2), 'EOPNOTSUPP', 'VIOMMU_ALLOC.EOPNOTSUPP.type'),
      // iommufd_get_hwpt_paging: an IOAS, a device, nothing (selftest: hwpt_id 0 ENOENT)
      st(iommu.viommuAlloc(fd(3), 2, 1), 'ENOENT', 'VIOMMU_ALLOC.ENOENT.hwpt'),
      st(iommu.viommuAlloc(fd(3), 2, 99), 'ENOENT', 'VIOMMU_ALLOC.ENOENT.hwpt'),
      // "if (!hwpt_paging->nest_parent) rc = -EINVAL" (selftest: a plain paging HWPT EINVAL)
      st(iommu.viommuAlloc(fd(3), 2, 3), 'EINVAL', 'VIOMMU_ALLOC.EINVAL.not_nest_parent'),
      st(iommu.viommuAlloc(fd(3), 2, 4), { out: { out_viommu_id: 5 } }, 'VIOMMU_ALLOC.ok'),
      // refcount_inc(&viommu->hwpt->common.obj.users): the parent is busy until the vIOMMU goes
      st(iommu.destroy(fd(3), 4), 'EBUSY', 'DESTROY.EBUSY.hwpt_paging_in_use'),
      st(iommu.destroy(fd(3), 5), 'ok', 'DESTROY.ok.viommu'),
      st(iommu.destroy(fd(3), 4), 'ok', 'DESTROY.ok.hwpt_paging'),
    ],
  },
  {
    name: 'IOMMU_VIOMMU_ALLOC is the driver\'s to offer: VT-d\'s makes no vIOMMU (EOPNOTSUPP)',
    design: 'iommufd',
    profile: 'vtd',
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
      // intel_iommu_ops has no get_viommu_size / viommu_init
      st(iommu.viommuAlloc(fd(3), 2, 3), 'EOPNOTSUPP', 'VIOMMU_ALLOC.EOPNOTSUPP.type'),
    ],
  },
  {
    name: 'The selftest mock makes a vIOMMU of IOMMU_VIOMMU_TYPE_SELFTEST only, and a nested HWPT on it only from its own data type',
    design: 'iommufd',
    profile: 'selftest-mock',
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
      // mock_get_viommu_size: 0 unless type == IOMMU_VIOMMU_TYPE_SELFTEST
      st(iommu.viommuAlloc(fd(3), 2, 3, VIOMMU_SMMUV3), 'EOPNOTSUPP', 'VIOMMU_ALLOC.EOPNOTSUPP.type'),
      st(iommu.viommuAlloc(fd(3), 2, 3, VIOMMU_SELFTEST), { out: { out_viommu_id: 4 } }, 'VIOMMU_ALLOC.ok'),
      // mock_viommu_alloc_domain_nested: "if (user_data->type != IOMMU_HWPT_DATA_SELFTEST) return ERR_PTR(-EOPNOTSUPP)"
      st(iommu.hwptAlloc(fd(3), 2, 4, 0, { type: 'IOMMU_HWPT_DATA_ARM_SMMUV3', pgtbl_addr: 0x10_0000n }), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.viommu_data_type'),
      // its cache_invalidate takes IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST only (selftest vdevice_cache: a bad type EINVAL)
      st(iommu.invalidate(fd(3), 4, [], 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3'), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.data_type'),
    ],
  },
  {
    name: 'IOMMU_VDEVICE_ALLOC: the vIOMMU and the device must exist (ENOENT); one vDEVICE per device and one device per virtual id (EEXIST); destroying it frees both',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...viommuSetup(),
      st(env.open(VFIO1), { out: { fd: 5 } }),
      st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 5 } }),
      st(iommu.vdeviceAlloc(fd(3), 99, 2, 0x10n), 'ENOENT', 'VDEVICE_ALLOC.ENOENT.viommu'),
      st(iommu.vdeviceAlloc(fd(3), 3, 2, 0x10n), 'ENOENT', 'VDEVICE_ALLOC.ENOENT.viommu'),
      st(iommu.vdeviceAlloc(fd(3), 4, 99, 0x10n), 'ENOENT', 'VDEVICE_ALLOC.ENOENT.dev'),
      st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), { out: { out_vdevice_id: 6 } }, 'VDEVICE_ALLOC.ok'),
      // "if (idev->vdev) rc = -EEXIST" (selftest vdevice_alloc: the same device again EEXIST), whatever the id
      st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x20n), 'EEXIST', 'VDEVICE_ALLOC.EEXIST.dev'),
      // xa_cmpxchg(&viommu->vdevs, virt_id, NULL, vdev) found one: "rc = xa_err(curr) ?: -EEXIST"
      st(iommu.vdeviceAlloc(fd(3), 4, 5, 0x10n), 'EEXIST', 'VDEVICE_ALLOC.EEXIST.virt_id'),
      st(iommu.vdeviceAlloc(fd(3), 4, 5, 0x20n), { out: { out_vdevice_id: 7 } }, 'VDEVICE_ALLOC.ok'),
      // the vDEVICEs hold the vIOMMU; nothing holds a vDEVICE
      st(iommu.destroy(fd(3), 4), 'EBUSY', 'DESTROY.EBUSY.viommu_in_use'),
      st(iommu.destroy(fd(3), 6), 'ok', 'DESTROY.ok.vdevice'),
      // the device and the id are free again (selftest: re-allocated with 0x88 after its destroy)
      st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), { out: { out_vdevice_id: 6 } }, 'VDEVICE_ALLOC.ok'),
    ],
  },
  {
    name: 'A nested HWPT on a vIOMMU: FAULT_ID_VALID is its only flag and data is required (EOPNOTSUPP), the SMMUv3 vSTE copied as such (EINVAL, EFAULT); a RID joins it only with its vDEVICE there',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...viommuSetup(),
      // iommufd_viommu_alloc_hwpt_nested: "if (flags & ~IOMMU_HWPT_FAULT_ID_VALID) return ERR_PTR(-EOPNOTSUPP)", then
      // "if (!user_data->len) return ERR_PTR(-EOPNOTSUPP)"
      st(iommu.hwptAlloc(fd(3), 2, 4, NEST_PARENT, { type: SMMUV3_DATA, pgtbl_addr: CD_TABLE }), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.viommu_flags'),
      st(iommu.hwptAlloc(fd(3), 2, 4), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.viommu_flags'),
      // arm_vsmmu_alloc_domain_nested -> iommu_copy_struct_from_user: another type EINVAL, a NULL pointer EFAULT
      st(iommu.hwptAlloc(fd(3), 2, 4, 0, { type: VTD_S1, pgtbl_addr: CD_TABLE }), 'EINVAL', 'HWPT_ALLOC.EINVAL.viommu_data'),
      st({ ...iommu.hwptAlloc(fd(3), 2, 4, 0, { type: SMMUV3_DATA, pgtbl_addr: CD_TABLE }), data: null, data_len: 16 }, 'EFAULT', 'HWPT_ALLOC.EFAULT.data_uptr'),
      st(iommu.hwptAlloc(fd(3), 2, 4, 0, { type: SMMUV3_DATA, pgtbl_addr: CD_TABLE }), { out: { out_hwpt_id: 5 } }, 'HWPT_ALLOC.ok.viommu_nested'),
      // iommufd_hwpt_nested_alloc on the bare parent: SMMUv3's ops have no domain_alloc_nested ("... ||
      // !ops->domain_alloc_nested) return ERR_PTR(-EOPNOTSUPP)"): its nested domains are its vIOMMU's
      st(iommu.hwptAlloc(fd(3), 2, 3, 0, { type: SMMUV3_DATA, pgtbl_addr: CD_TABLE }), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nested_needs_viommu'),
      // arm_smmu_attach_prepare_vmaster -> iommufd_viommu_get_vdev_id: no vDEVICE of dev1 on the vIOMMU (selftest
      // viommu_alloc_nested_iopf: the replace without one ENOENT)
      st(vfio.attach(fd(4), 5), 'ENOENT', 'ATTACH_PT.ENOENT.no_vdevice'),
      st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), { out: { out_vdevice_id: 6 } }),
      st(vfio.attach(fd(4), 5), { out: { pt_id: 5 } }, 'ATTACH_PT.ok.attach'),
      // the nested HWPT holds the vIOMMU (not the parent); the vIOMMU holds the parent
      st(iommu.destroy(fd(3), 4), 'EBUSY', 'DESTROY.EBUSY.viommu_in_use'),
      st(iommu.destroy(fd(3), 3), 'EBUSY', 'DESTROY.EBUSY.hwpt_paging_in_use'),
    ],
  },
  {
    name: 'SMMUv3 invalidates through the vIOMMU: its nested HWPT has no cache_invalidate_user (EOPNOTSUPP), the vIOMMU takes ARM_SMMUV3 commands and reaches every nested HWPT on it',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...viommuSetup(),
      st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), { out: { out_vdevice_id: 5 } }),
      st(iommu.hwptAlloc(fd(3), 2, 4, 0, { type: SMMUV3_DATA, pgtbl_addr: CD_TABLE }), { out: { out_hwpt_id: 6 } }),
      // the guest's CD table: entry 0 (the RID's) points at its page table, which maps GIOVA to GPA 0x11_0000
      st(env.writePasidEntry(CD_TABLE, 0, GUEST_PT)),
      st(env.writePte(GUEST_PT, GIOVA, 0x11_0000n)),
      st(vfio.attach(fd(4), 6), { out: { pt_id: 6 } }),
      st(env.dma('dev1', null, GIOVA + 0x10n), { hit: gpaHost(0x11_0010n) }, 'DMA'),
      // the guest remaps without invalidating: the IOTLB may still give the old page
      st(env.writePte(GUEST_PT, GIOVA, 0x12_0000n)),
      st(env.dma('dev1', null, GIOVA + 0x10n), { hit: gpaHost(0x12_0010n), stale: [gpaHost(0x11_0010n)] }, 'DMA'),
      // iommufd_hwpt_invalidate: a HWPT_NESTED whose domain has no cache_invalidate_user
      st(iommu.invalidate(fd(3), 6, [{ scope: 'all' }], 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3'), { errno: 'EOPNOTSUPP', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EOPNOTSUPP.viommu_nested'),
      // arm_vsmmu_cache_invalidate: iommu_copy_struct_from_full_user_array refuses another type, even to probe
      st(iommu.invalidate(fd(3), 4, [], 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1'), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.data_type'),
      st(iommu.invalidate(fd(3), 4, [], 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3'), { out: { entry_num: 0 } }, 'HWPT_INVALIDATE.ok.probe'),
      st(iommu.invalidate(fd(3), 4, [{ scope: 'range', addr: GIOVA, npages: 1n }], 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3'), { out: { entry_num: 1 } }, 'HWPT_INVALIDATE.ok.viommu'),
      st(env.dma('dev1', null, GIOVA + 0x10n), { hit: gpaHost(0x12_0010n) }, 'DMA'),
    ],
  },
  {
    name: 'IOMMU_VEVENTQ_ALLOC checks flags, __reserved and the DEFAULT type (EOPNOTSUPP), the depth (0 or past 2^19 EINVAL), the vIOMMU, then one queue per type (EEXIST); its fd holds it',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...viommuSetup(),
      st(iommu.veventqAlloc(fd(3), 4, 2, VEVENTQ_SMMUV3, 1), 'EOPNOTSUPP', 'VEVENTQ_ALLOC.EOPNOTSUPP.flags'),
      st(iommu.veventqAlloc(fd(3), 4, 2, VEVENTQ_SMMUV3, 0, 1), 'EOPNOTSUPP', 'VEVENTQ_ALLOC.EOPNOTSUPP.flags'),
      st(iommu.veventqAlloc(fd(3), 4, 2, 0), 'EOPNOTSUPP', 'VEVENTQ_ALLOC.EOPNOTSUPP.default_type'),
      // selftest vdevice_alloc: depth 0 and VEVENTQ_MAX_DEPTH + 1 EINVAL, VEVENTQ_MAX_DEPTH itself taken
      st(iommu.veventqAlloc(fd(3), 4, 0), 'EINVAL', 'VEVENTQ_ALLOC.EINVAL.depth'),
      st(iommu.veventqAlloc(fd(3), 4, (1 << 19) + 1), 'EINVAL', 'VEVENTQ_ALLOC.EINVAL.depth'),
      st(iommu.veventqAlloc(fd(3), 3, 2), 'ENOENT', 'VEVENTQ_ALLOC.ENOENT.viommu'),
      st(iommu.veventqAlloc(fd(3), 4, 1 << 19), { out: { out_veventq_id: 5, out_veventq_fd: 5 } }, 'VEVENTQ_ALLOC.ok'),
      // iommufd_viommu_find_veventq: one per type; the type is not checked against the driver's (CMDQV's is taken)
      st(iommu.veventqAlloc(fd(3), 4, 2), 'EEXIST', 'VEVENTQ_ALLOC.EEXIST.type'),
      st(iommu.veventqAlloc(fd(3), 4, 2, 2), { out: { out_veventq_id: 6, out_veventq_fd: 6 } }, 'VEVENTQ_ALLOC.ok'),
      // the fd holds its object, and the vEVENTQs hold the vIOMMU
      st(iommu.destroy(fd(3), 5), 'EBUSY', 'DESTROY.EBUSY.veventq_in_use'),
      st(iommu.destroy(fd(3), 4), 'EBUSY', 'DESTROY.EBUSY.viommu_in_use'),
      st(env.close(fd(5)), 'ok'),
      st(iommu.destroy(fd(3), 5), 'ok', 'DESTROY.ok.veventq'),
      // read(2) on an fd that is no vEVENTQ's: iommufd's fops have no read
      st(env.veventqRead(fd(3)), 'EINVAL', 'VEVENTQ_READ.EINVAL.not_veventq_fd'),
      st(env.veventqRead(fd(9)), 'EBADF', 'VEVENTQ_READ.EBADF.fd'),
    ],
  },
  {
    name: 'An SMMUv3 event of a device on a vIOMMU\'s nested HWPT goes to its vEVENTQ under the vDEVICE\'s virtual id; a read takes whole events, EINVAL when not even one fits',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...viommuEvents(2),
      // no vEVENTQ read yet: an empty queue reads 0 bytes; a count under one header is EINVAL even so (2026 fix:
      // "if (count < sizeof(struct iommufd_vevent_header)) return -EINVAL"; selftest: read(fd, buf, 0) EINVAL)
      st(env.veventqRead(fd(6), 40), { out: { events: [] } }, 'VEVENTQ_READ.ok.empty'),
      st(env.veventqRead(fd(6), 7), 'EINVAL', 'VEVENTQ_READ.EINVAL.count'),
      // arm_vmaster_report_event: the event of dev1 (vSID 0x10) to the vEVENTQ of type ARM_SMMUV3
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }, 'IOMMU_EVENT.ok.veventq'),
      // dev2 is bound but on no vIOMMU: its events stay with the host
      st(env.iommuEvent('dev2'), { out: { veventq: null } }, 'IOMMU_EVENT.ok.host_log'),
      // a header and an SMMUv3 event are 8 + 32 bytes: 39 holds neither whole (selftest: the payload does not fit)
      st(env.veventqRead(fd(6), 39), 'EINVAL', 'VEVENTQ_READ.EINVAL.no_room'),
      st(env.veventqRead(fd(6), 40), { out: { events: [{ flags: 0, sequence: 0, virt_id: 0x10n }] } }, 'VEVENTQ_READ.ok'),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      // two whole events fit in 80 bytes; the second waits for the next read when 79 are given
      st(env.veventqRead(fd(6), 79), { out: { events: [{ flags: 0, sequence: 1, virt_id: 0x10n }] } }, 'VEVENTQ_READ.ok'),
      st(env.veventqRead(fd(6), 80), { out: { events: [{ flags: 0, sequence: 2, virt_id: 0x10n }] } }, 'VEVENTQ_READ.ok'),
      // once the vDEVICE is gone the event has no virtual id to go under: the host logs it
      st(iommu.destroy(fd(3), 7), 'ok', 'DESTROY.ok.vdevice'),
      st(env.iommuEvent('dev1'), { out: { veventq: null } }, 'IOMMU_EVENT.ok.host_log'),
    ],
  },
  {
    name: 'A full vEVENTQ queues its lost-events header instead, last and once, each lost event taking a sequence number; an event that fits again replaces it, the gap telling the loss',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...viommuEvents(2),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      // iommufd_viommu_report_event: "if (veventq->num_events == veventq->depth) vevent = &veventq->lost_events_header"
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      // iommufd_vevent_handler: the header at the tail is taken off and queued again with the next sequence number
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.veventqRead(fd(6), 400), { out: { events: [
        { flags: 0, sequence: 0, virt_id: 0x10n }, { flags: 0, sequence: 1, virt_id: 0x10n }, { flags: LOST_EVENTS, sequence: 3, virt_id: null },
      ] } }, 'VEVENTQ_READ.ok'),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.veventqRead(fd(6), 400), { out: { events: [{ flags: 0, sequence: 4, virt_id: 0x10n }] } }),
      // full again (5, 6) and the header queued (7); a read of one event makes room, and the next event (8) takes the
      // header's place: only the gap from 6 to 8 tells that one was lost
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.veventqRead(fd(6), 40), { out: { events: [{ flags: 0, sequence: 5, virt_id: 0x10n }] } }),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.veventqRead(fd(6), 400), { out: { events: [{ flags: 0, sequence: 6, virt_id: 0x10n }, { flags: 0, sequence: 8, virt_id: 0x10n }] } }),
    ],
  },
  {
    name: 'Unbinding a device destroys its vDEVICE and keeps the id: IOMMU_DESTROY of it is ENOENT, no new object gets it, and the vIOMMU is free to go',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    steps: [
      ...viommuSetup(),
      st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), { out: { out_vdevice_id: 5 } }),
      // the vDEVICE keeps its lookup's users reference on the device; the driver's unbind revokes it
      // (iommufd_device_pre_destroy -> iommufd_device_remove_vdev -> iommufd_object_tombstone_user)
      st(env.close(fd(4)), 'ok'),
      // selftest vdevice_tombstone: "EXPECT_ERRNO(ENOENT, _test_ioctl_destroy(self->fd, vdev_id))"
      st(iommu.destroy(fd(3), 5), 'ENOENT', 'DESTROY.ENOENT.id'),
      st(iommu.invalidate(fd(3), 5, [], 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3'), { errno: 'ENOENT', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.ENOENT.id'),
      // the DEVICE's id 2 went with the unbind and is free again; 5 is not
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 2 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 6 } }),
      st(iommu.destroy(fd(3), 4), 'ok', 'DESTROY.ok.viommu'),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 4 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 7 } }),
    ],
  },
  {
    name: 'A 6.12 kernel has no vIOMMU, vDEVICE or vEVENTQ: their numbers are ENOTTY',
    design: 'iommufd',
    kernelVersion: '6.12',
    steps: [
      ...oneDevice(),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
      st(iommu.viommuAlloc(fd(3), 2, 3), 'ENOTTY', 'VIOMMU_ALLOC.ENOTTY.kernel_version'),
      st(iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n), 'ENOTTY', 'VDEVICE_ALLOC.ENOTTY.kernel_version'),
      st(iommu.veventqAlloc(fd(3), 4, 2), 'ENOTTY', 'VEVENTQ_ALLOC.ENOTTY.kernel_version'),
    ],
  },
  {
    name: 'Closing the iommufd with a vIOMMU and its objects releases them all once the vEVENTQ fd, which holds the iommufd, is closed too',
    design: 'iommufd',
    profile: 'smmuv3',
    hw: 'guest-pasid-table',
    // the runner then checks that no file, object, pin or cached entry is left
    steps: [
      ...viommuEvents(4),
      st(env.iommuEvent('dev1'), { out: { veventq: 5 } }),
      st(env.close(fd(3)), 'ok'),
      // iommufd_ctx_get by the vEVENTQ's file: the iommufd's table is still there, and so is the event
      st(env.veventqRead(fd(6), 40), { out: { events: [{ flags: 0, sequence: 0, virt_id: 0x10n }] } }),
      st(env.close(fd(6)), 'ok'),
      st(env.close(fd(4)), 'ok'),
    ],
  },
  {
    name: 'closing the iommufd with live objects releases everything',
    design: 'iommufd',
    // the runner then checks that no file, object, pin or cached entry is left
    steps: [
      ...oneDevice(),
      st(env.mmap(0x10000n, 0x4000n)),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 3 } }),
      st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 4 } }),
      st(iommu.map(fd(3), 1, 0x10_0000n, 0x4000n, 0x10000n), 'ok'),
      st(iommu.copy(fd(3), 3, 0x10_0000n, 1, 0x10_0000n, 0x4000n), { out: { dst_iova: 0x10_0000n } }, 'IOAS_COPY.ok.fixed'),
      st(iommu.hwptAlloc(fd(3), 2, 4, 0, { type: VTD_S1, pgtbl_addr: 0x10_0000n }), { out: { out_hwpt_id: 5 } }),
      st(vfio.attach(fd(4), 5), { out: { pt_id: 5 } }),
      st(env.close(fd(4)), 'ok'),
      st(env.close(fd(3)), 'ok'),
      // a new iommufd starts from an empty table
      st(env.open(IOMMUFD), { out: { fd: 3 } }),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
    ],
  },
];

/**
 * Examples whose kernel answer the spec does not give. Not run by spec-iommufd.test.ts: each `why` says what the
 * kernel does and where from, so the spec (or the facts) can be corrected.
 */
/** Cases that once showed the spec contradicting the kernel; `why` says what the kernel does. Run as regressions. */
export const IOMMUFD_REGRESSIONS: { example: Example; why: string }[] = [
  {
    example: {
      name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT of a PASID on dev3, a device without PASID, fails with EINVAL',
      design: 'iommufd',
      steps: [
        st(env.open(IOMMUFD), { out: { fd: 3 } }),
        st(env.open(VFIO0), { out: { fd: 4 } }),
        st(env.open(VFIO2), { out: { fd: 5 } }),
        st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
        st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
        st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 3 } }),
        st(iommu.hwptAlloc(fd(3), 2, 1, ALLOC_PASID), { out: { out_hwpt_id: 4 } }),
        st(vfio.attach(fd(5), 4, 1), 'EINVAL'),
      ],
    },
    why:
      'Spec: EOPNOTSUPP (ATTACH_PT.EOPNOTSUPP.no_pasid), decided from the device. Kernel: vfio_df_ioctl_attach_pt returns ' +
      'EOPNOTSUPP only when the VFIO *driver* lacks ops->pasid_attach_ioas; vfio-pci always sets it (vfio_pci.c, "vfio-iommufd: ' +
      'Support pasid [at|de]tach for physical VFIO devices"), so the call reaches iommufd, which refuses a PASID attach on a ' +
      'non-PASID-capable device with EINVAL (facts §2.5 "non-PASID-capable device → EINVAL"; T1 iommufd_device_pasid.pasid_attach: ' +
      '"Attach hwpt to pasid 100 of non-PASID-capable device, should fail, no matter domain is pasid-compat or not" → EINVAL; ' +
      'iommu.c iommu_attach_device_pasid: pasid >= max_pasids → EINVAL).',
  },
  {
    example: {
      name: 'a bound group sibling that was never attached DMAs through the HWPT its group is attached to',
      design: 'iommufd',
      steps: [
        st(env.open(IOMMUFD), { out: { fd: 3 } }),
        st(env.open(VFIO2), { out: { fd: 4 } }),
        st(env.open(VFIO3), { out: { fd: 5 } }),
        st(env.mmap(0x10000n, KIB4)),
        st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
        st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
        st(vfio.bindIommufd(fd(5), fd(3)), { out: { out_devid: 3 } }),
        st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0x10000n), 'ok'),
        st(vfio.attach(fd(4), 1), { out: { pt_id: 4 } }),
        st(env.dma('dev4', null, 0x10_0010n), { hit: 0x10010n }),
      ],
    },
    why:
      'Spec: fault "blocked" (translate.ts routes DMA by per-device attachment; dev4 has none). Kernel: device.c attaches the ' +
      'whole iommu group when its first device attaches (iommu_attach_group / iommu_attach_group_handle on igroup->group), and ' +
      'iommu.c __iommu_group_set_domain points every device of the group at that domain; the other devices are attached ' +
      'individually only for their reserved regions (facts §2.5 "The group is physically attached only for its first device"). ' +
      'So dev4, sharing group 3 with dev3, already translates through IOAS 1. This is not an errno, but it is an isolation-relevant ' +
      'observable of the group rule.',
  },
  {
    example: {
      name: 'VFIO_DEVICE_DETACH_IOMMUFD_PT of a PASID on dev3, a device without PASID, succeeds as a no-op',
      design: 'iommufd',
      steps: [
        st(env.open(IOMMUFD), { out: { fd: 3 } }),
        st(env.open(VFIO2), { out: { fd: 4 } }),
        st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 1 } }),
        st(vfio.detach(fd(4), 1), 'ok'),
      ],
    },
    why:
      'Spec: EOPNOTSUPP (DETACH_PT.EOPNOTSUPP.no_pasid). Kernel: vfio_df_ioctl_detach_pt returns EOPNOTSUPP only when the driver ' +
      'lacks ops->pasid_detach_ioas; vfio-pci has it, and vfio_iommufd_physical_pasid_detach_ioas returns silently for a PASID ' +
      'not in its IDA (facts §2.4 "detaching a PASID that is not attached is a silent no-op"; VFIO detach "cannot fail"). Same root ' +
      'cause as the attach case: the spec conflates "device has no PASID" with "driver has no PASID ops".',
  },
  {
    example: {
      name: 'an IOMMU ioctl on a VFIO device fd that is not bound yet fails with EINVAL',
      design: 'iommufd',
      steps: [
        st(env.open(IOMMUFD), { out: { fd: 3 } }),
        st(env.open(VFIO0), { out: { fd: 4 } }),
        st(iommu.ioasAlloc(fd(4)), 'EINVAL'),
      ],
    },
    why:
      'Spec: ENOTTY (IOMMU_IOAS_ALLOC.ENOTTY.wrong_file) for any device fd. Kernel: vfio_main.c vfio_device_fops_unl_ioctl handles ' +
      'VFIO_DEVICE_BIND_IOMMUFD first, then "if (!smp_load_acquire(&df->access_granted)) return -EINVAL" before dispatching, so on a ' +
      'cdev fd that is not bound every other ioctl is EINVAL; only a bound fd reaches the driver default (ENOTTY). The spec already ' +
      'gives EINVAL for ATTACH/DETACH on an unbound fd (ATTACH_PT.EINVAL.unbound), but its dispatcher answers ENOTTY first for ' +
      'ioctls of another file kind.',
  },
  {
    example: {
      name: 'an ioctl of another design on a closed fd fails with EBADF',
      design: 'iommufd',
      steps: [
        st(env.open(IOMMUFD), { out: { fd: 3 } }),
        st(env.close(fd(3)), 'ok'),
        st(ioasid.alloc(fd(3)), 'EBADF'),
      ],
    },
    why:
      'Spec: ENOTTY (IOASID_ALLOC.ENOTTY.not_in_design): step.ts checks "ioctl offered by the design" before "fd is open". Kernel: ' +
      'sys_ioctl resolves the fd first (fdget → EBADF) and never looks at the command number of a closed fd; ENOTTY can only come ' +
      'from the file\'s own handler (iommufd_fops_ioctl → -ENOIOCTLCMD).',
  },
  {
    example: {
      name: 'IOMMU_IOAS_MAP whose user_va + length is exactly 2^64 fails with EOVERFLOW',
      design: 'iommufd',
      steps: [
        st(env.open(IOMMUFD), { out: { fd: 3 } }),
        st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
        st(iommu.map(fd(3), 1, 0x10_0000n, KIB4, 0xffff_ffff_ffff_f000n), 'EOVERFLOW'),
      ],
    },
    why:
      'Spec: ok (its guard is user_va + length > U64_MAX + 1). Kernel: pages.c iopt_alloc_user_pages does ' +
      'check_add_overflow((unsigned long)uptr, length, &end), which overflows when the sum does not fit in unsigned long, i.e. ' +
      'already at exactly 2^64 (the end pointer would be 0) → EOVERFLOW (facts §3 IOAS_MAP "user_va+length overflows → EOVERFLOW"). ' +
      'Off by one at the boundary.',
  },
  {
    example: {
      name: 'IOMMU_IOAS_MAP without FIXED_IOVA fails with ENOSPC when the only allowed range lies above ULONG_MAX - PAGE_SIZE',
      design: 'iommufd',
      steps: [
        st(env.open(IOMMUFD), { out: { fd: 3 } }),
        st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
        st(iommu.allowIovas(fd(3), 1, [{ start: 0xffff_ffff_ffff_f000n, last: 0xffff_ffff_ffff_fffen }]), 'ok'),
        st(iommu.map(fd(3), 1, null, 0x800n, 0x10000n), 'ENOSPC'),
      ],
    },
    why:
      'Spec: ok, iova 0xfffffffffffff000 (iova.ts allocIova clips an allowed window only at PAGE_SIZE from below). Kernel: ' +
      'io_pagetable.c iopt_alloc_iova walks the allowed tree with interval_tree_for_each_span(..., PAGE_SIZE, ULONG_MAX - PAGE_SIZE), ' +
      'so an allowed range entirely above ULONG_MAX - PAGE_SIZE is seen only as a hole span, __alloc_iova_check_used skips it, ' +
      'and the result is ENOSPC (facts §2.5 "search the allowed ranges (or [PAGE_SIZE, ULONG_MAX-PAGE_SIZE] ...)": the kernel ' +
      'applies that window to allowed ranges too).',
  },
  {
    example: {
      name: 'IOMMU_IOAS_MAP without FIXED_IOVA keeps the alignment of user_va above PAGE_SIZE (THP kernel)',
      design: 'iommufd',
      steps: [
        st(env.open(IOMMUFD), { out: { fd: 3 } }),
        st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
        st(iommu.map(fd(3), 1, null, KIB4, 0x10000n), { out: { iova: 0x1000n } }),
        st(iommu.map(fd(3), 1, null, 0x4000n, 0x40000n), { out: { iova: 0x4000n } }),
      ],
    },
    why:
      'Spec: iova 0x2000 (allocIova caps the alignment at PAGE_SIZE, "no THP in the model"; said in iova.ts/ioas.ts headers but not ' +
      'in the design\'s `choices`). Kernel: iopt_alloc_iova uses min(roundup_pow_of_two(0x4000), 1 << __ffs64(0x40000)) = 0x4000 and ' +
      'caps it at max_alignment, which is HPAGE_SIZE (2 MiB) under CONFIG_TRANSPARENT_HUGEPAGE (the x86 distro default), PAGE_SIZE ' +
      'only without THP; so the first 0x4000-aligned hole, 0x4000 (facts §2.5 gives the min() formula with no PAGE_SIZE cap). ' +
      'Config-dependent: on a THP=n kernel the spec\'s 0x2000 is right.',
  },
];
