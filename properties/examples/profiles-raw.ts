/**
 * Examples on machine profiles (src/uapi/profiles.ts) and raw argument layouts, one rule each, in the manner of
 * tools/testing/selftests/iommu/iommufd.c. Each expectation comes from the kernel function named beside it (Linux
 * 6.12 unless said), never from what the spec happens to answer.
 * Machines: `selftest-mock` (aperture 0x1000000..0x7fffffff, 2 KiB pages, no PASID), `amd-v1` (no nest parent,
 * 16-bit PASIDs, the HyperTransport range reserved), `smmuv3` (software MSI window at 0x8000000). Fds are
 * lowest-free from 3, object ids lowest-free from 1.
 */
import { st, type Example, type ExampleStep } from '../support/example.js';
import {
  env, fd, iommu, vfio, IOMMU_HWPT_ALLOC_NEST_PARENT as NEST_PARENT, IOMMU_HWPT_ALLOC_PASID as ALLOC_PASID,
  type IommuHwptAlloc, type IommuHwptInvalidate,
} from '../support/vocab.js';

const IOMMUFD = '/dev/iommu';
const VFIO0 = '/dev/vfio/devices/vfio0';
const VTD_S1 = 'IOMMU_HWPT_DATA_VTD_S1' as const;

/** fd 3 = /dev/iommu, fd 4 = vfio0 (dev1), IOAS 1, dev1 bound as DEVICE 2, 64 KiB of user memory at 0x10000000. */
const bound = (): ExampleStep[] => [
  st(env.open(IOMMUFD), { out: { fd: 3 } }),
  st(env.open(VFIO0), { out: { fd: 4 } }),
  st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
  st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
  st(env.mmap(0x1000_0000n, 0x10000n)),
];

/** bound(), a NEST_PARENT HWPT 3 on IOAS 1 with guest RAM mapped, and a nested VT-d stage-1 HWPT 4 on it. */
const nested = (): ExampleStep[] => [
  ...bound(),
  st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), { out: { out_hwpt_id: 3 } }),
  st(iommu.map(fd(3), 1, 0n, 0x10000n, 0x1000_0000n), { out: { iova: 0n } }),
  st(iommu.hwptAlloc(fd(3), 2, 3, 0, { type: VTD_S1, pgtbl_addr: 0x2000n }), { out: { out_hwpt_id: 4 } }),
];
const alloc = (over: Partial<IommuHwptAlloc>): IommuHwptAlloc => ({ ...iommu.hwptAlloc(fd(3), 2, 3, 0, { type: VTD_S1, pgtbl_addr: 0x2000n }), ...over });
const inval = (over: Partial<IommuHwptInvalidate>): IommuHwptInvalidate => ({ ...iommu.invalidate(fd(3), 4), ...over });

export const PROFILE_EXAMPLES: Example[] = [
  // ---- the selftest mock's geometry (selftest.c mock_domain_alloc_paging: aperture, MOCK_IO_PAGE_SIZE) ----
  {
    name: 'selftest-mock: an IOAS with a mock domain reports iova_alignment 2 KiB and the aperture as its only range',
    design: 'iommufd', profile: 'selftest-mock',
    steps: [...bound(), st(iommu.iovaRanges(fd(3), 1), { out: { num_iovas: 1, out_iova_alignment: 1n } }),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }),
      st(iommu.iovaRanges(fd(3), 1), { out: { num_iovas: 1, allowed_iovas: [{ start: 0x100_0000n, last: 0x7fff_ffffn }], out_iova_alignment: 0x800n } })],
  },
  {
    name: 'selftest-mock: a 2 KiB map at a 2 KiB boundary is accepted under a mock domain; below the aperture it is EINVAL (reserved)',
    design: 'iommufd', profile: 'selftest-mock',
    steps: [...bound(), st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }),
      st(iommu.map(fd(3), 1, 0x100_0800n, 0x800n, 0x1000_0800n), { out: { iova: 0x100_0800n } }, 'IOAS_MAP.ok.fixed'),
      st(iommu.map(fd(3), 1, 0x80_0000n, 0x1000n, 0x1000_0000n), 'EINVAL', 'IOAS_MAP.EINVAL.reserved'),
      st(iommu.map(fd(3), 1, 0x100_2400n, 0x800n, 0x1000_0400n), 'EINVAL')],
  },
  {
    name: 'selftest-mock: attaching to an IOAS with an area below the aperture fails with EADDRINUSE (iopt_table_add_domain)',
    design: 'iommufd', profile: 'selftest-mock',
    steps: [...bound(), st(iommu.map(fd(3), 1, 0x1000n, 0x1000n, 0x1000_0000n), { out: { iova: 0x1000n } }),
      st(vfio.attach(fd(4), 1), 'EADDRINUSE', 'ATTACH_PT.EADDRINUSE.aperture')],
  },
  {
    name: 'selftest-mock: MOCK_ADD_RESERVED reserves a range for good (EADDRINUSE over an area, EINVAL when empty); a map there is EINVAL',
    design: 'iommufd', profile: 'selftest-mock',
    steps: [...bound(), st(iommu.map(fd(3), 1, 0x200_0000n, 0x1000n, 0x1000_0000n), { out: { iova: 0x200_0000n } }),
      st(env.mockAddReserved(fd(3), 1, 0x200_0000n, 0x1000n), 'EADDRINUSE', 'MOCK_ADD_RESERVED.EADDRINUSE.in_use'),
      st(env.mockAddReserved(fd(3), 1, 0x300_0000n, 0n), 'EINVAL', 'MOCK_ADD_RESERVED.EINVAL.length'),
      st(env.mockAddReserved(fd(3), 1, 0x300_0000n, 0x1000n), 'ok', 'MOCK_ADD_RESERVED.ok'),
      st(iommu.map(fd(3), 1, 0x300_0000n, 0x1000n, 0x1000_1000n), 'EINVAL', 'IOAS_MAP.EINVAL.reserved'),
      st(iommu.allowIovas(fd(3), 1, [{ start: 0x300_0000n, last: 0x300_0fffn }]), 'EADDRINUSE')],
  },
  {
    name: 'MOCK_ADD_RESERVED on a kernel without the selftest port (any other profile) is ENOTTY',
    design: 'iommufd',
    steps: [...bound(), st(env.mockAddReserved(fd(3), 1, 0x300_0000n, 0x1000n), 'ENOTTY', 'MOCK_ADD_RESERVED.ENOTTY.no_test_port')],
  },
  // ---- amd-v1 (amd/iommu.c amd_iommu_domain_alloc_user: no nest parent in 6.12; max_pasids from PASmax) --------
  {
    name: 'amd-v1: IOMMU_HWPT_ALLOC with NEST_PARENT fails with EOPNOTSUPP (the driver cannot be a nest parent)',
    design: 'iommufd', hw: 'guest-pasid-table', profile: 'amd-v1',
    steps: [...bound(), st(iommu.hwptAlloc(fd(3), 2, 1, NEST_PARENT), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.nest_parent'), st(iommu.hwptAlloc(fd(3), 2, 1), { out: { out_hwpt_id: 3 } })],
  },
  {
    name: 'amd-v1: a PASID at 2^16 is past the device\'s width (EINVAL, iommu_attach_device_pasid); 0xfffe attaches',
    design: 'iommufd', hw: 'guest-pasid-table', profile: 'amd-v1',
    steps: [...bound(), st(iommu.hwptAlloc(fd(3), 2, 1, ALLOC_PASID), { out: { out_hwpt_id: 3 } }), st(vfio.attach(fd(4), 3, 0x1_0000), 'EINVAL', 'ATTACH_PT.EINVAL.no_pasid'),
      st(vfio.attach(fd(4), 3, 0xfffe), 'ok')],
  },
  {
    name: 'amd-v1: the HyperTransport range 0xfd00000000.. is reserved by every device (amd_iommu_get_resv_regions)',
    design: 'iommufd', hw: 'guest-pasid-table', profile: 'amd-v1',
    steps: [...bound(), st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }), st(iommu.map(fd(3), 1, 0xfd_0000_0000n, 0x1000n, 0x1000_0000n), 'EINVAL', 'IOAS_MAP.EINVAL.reserved'),
      st(iommu.map(fd(3), 1, 0x1_0000_0000_0000n, 0x1000n, 0x1000_0000n), { out: { iova: 0x1_0000_0000_0000n } })],
  },
  {
    name: 'smmuv3: the software MSI window at 0x8000000 is reserved once a device is attached (iommu_dma_get_resv_regions)',
    design: 'iommufd', hw: 'guest-pasid-table', profile: 'smmuv3',
    steps: [...bound(), st(iommu.map(fd(3), 1, 0x800_0000n, 0x1000n, 0x1000_0000n), { out: { iova: 0x800_0000n } }),
      st(vfio.attach(fd(4), 1), 'EADDRINUSE', 'ATTACH_PT.EADDRINUSE.reserved_region')],
  },
  // ---- raw layouts of IOMMU_HWPT_ALLOC (iommufd_hwpt_alloc; intel/nested.c intel_nested_domain_alloc) -----------
  {
    name: 'IOMMU_HWPT_ALLOC: a data_len with DATA_NONE, or none with a data type, fails with EINVAL before any lookup',
    design: 'iommufd',
    steps: [...nested(), st(alloc({ data_type: 'IOMMU_HWPT_DATA_NONE', data: null, data_len: 24, dev_id: 99 as never }), 'EINVAL', 'HWPT_ALLOC.EINVAL.data_len'),
      st(alloc({ data_len: 0, dev_id: 99 as never }), 'EINVAL', 'HWPT_ALLOC.EINVAL.data_len')],
  },
  {
    name: 'IOMMU_HWPT_ALLOC of a nested HWPT: a data_len other than sizeof(struct iommu_hwpt_vtd_s1) is EINVAL, a NULL data_uptr EFAULT',
    design: 'iommufd',
    steps: [...nested(), st(alloc({ data_len: 23 }), 'EINVAL', 'HWPT_ALLOC.EINVAL.data_len_size'), st(alloc({ data_len: 32 }), 'EINVAL', 'HWPT_ALLOC.EINVAL.data_len_size'),
      st(alloc({ data: null, data_len: 24 }), 'EFAULT', 'HWPT_ALLOC.EFAULT.data_uptr'), st(alloc({ data_len: 24 }), { out: { out_hwpt_id: 5 } })],
  },
  {
    name: 'IOMMU_HWPT_ALLOC of a paging HWPT with a data_len (and a type) fails with EOPNOTSUPP, a NULL pointer included',
    design: 'iommufd',
    steps: [...bound(), st(alloc({ pt_id: 1 as never, data: null, data_len: 24 }), 'EOPNOTSUPP', 'HWPT_ALLOC.EOPNOTSUPP.paging_data')],
  },
  // ---- raw layouts of IOMMU_HWPT_INVALIDATE (iommufd_hwpt_invalidate; intel_nested_cache_invalidate_user) -------
  {
    name: 'IOMMU_HWPT_INVALIDATE: entry_num with a NULL array, entry_len 0 or past PAGE_SIZE fails with EINVAL before the lookup, entry_num 0',
    design: 'iommufd',
    steps: [...nested(), st(inval({ entries: [], entry_num: 1, hwpt_id: 99 as never }), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.array'),
      st(inval({ entry_len: 0, hwpt_id: 99 as never }), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.array'),
      st(inval({ entry_len: 4097 }), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.array')],
  },
  {
    name: 'IOMMU_HWPT_INVALIDATE: an entry_len other than sizeof(struct iommu_hwpt_vtd_s1_invalidate) is EINVAL with no entry handled',
    design: 'iommufd',
    steps: [...nested(), st(inval({ entry_len: 16 }), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.entry_len'),
      st(inval({ entry_len: 32 }), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.entry_len'),
      st(inval({ entry_len: 24 }), { out: { entry_num: 1 } }, 'HWPT_INVALIDATE.ok')],
  },
  {
    name: 'IOMMU_HWPT_INVALIDATE: an unknown entry flag is EOPNOTSUPP, a misaligned address EINVAL; entry_num says how many were handled before',
    design: 'iommufd',
    steps: [...nested(),
      st(inval({ entries: [{ scope: 'all', flags: 2 }] }), { errno: 'EOPNOTSUPP', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EOPNOTSUPP.entry_flags'),
      st(inval({ entries: [{ scope: 'all', __reserved: 1 }] }), { errno: 'EOPNOTSUPP', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EOPNOTSUPP.entry_flags'),
      st(inval({ entries: [{ scope: 'range', addr: 0x1000n, npages: 1n, flags: 1 }, { scope: 'range', addr: 0x2800n, npages: 1n }] }), { partial: 'EINVAL', out: { entry_num: 1 } }, 'HWPT_INVALIDATE.EINVAL.entry_addr_after_some'),
      st(inval({ entries: [{ scope: 'range', addr: 0x1000n, npages: 0xffff_ffff_ffff_ffffn }] }), { errno: 'EINVAL', out: { entry_num: 0 } }, 'HWPT_INVALIDATE.EINVAL.entry_addr'),
      st(inval({ entries: [{ scope: 'range', addr: 0x1000n, npages: 1n, flags: 1 }] }), { out: { entry_num: 1 } }, 'HWPT_INVALIDATE.ok')],
  },
];
