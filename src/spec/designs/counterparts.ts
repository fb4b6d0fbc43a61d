import type { EnvName, IoctlName } from '../../uapi/index.js';

/**
 * iommufd's uAPI beyond its core (IOAS, HWPT, attach), and what the 2021 proposals wrote down for each: the calls of
 * RFC v1 that stand for it (its variants keep them, as their design values say), or "not offered" and why. Rendered in
 * docs/spec.md; a test holds every named call to the designs' vocabularies.
 */
export interface Counterpart {
  readonly feature: string;
  /** iommufd's calls (ioctls, or the environment actions that drive the selftest's objects) */
  readonly iommufd: readonly (IoctlName | EnvName)[];
  /** RFC v1's calls, or null: not offered */
  readonly rfcV1: readonly (IoctlName | EnvName)[] | null;
  readonly why: string;
}

export const COUNTERPARTS: readonly Counterpart[] = [
  {
    feature: 'hardware and capability queries', iommufd: ['IOMMU_GET_HW_INFO'], rfcV1: ['IOASID_CHECK_EXTENSION', 'IOASID_GET_INFO'],
    why: 'RFC v1 §2: FD-level extensions, and per-ioasid capabilities and attributes once a device is attached',
  },
  {
    feature: 'I/O page faults', iommufd: ['IOMMU_FAULT_QUEUE_ALLOC', 'FAULT_READ', 'FAULT_WRITE'], rfcV1: ['FAULT_RING_READ', 'IOASID_PAGE_RESPONSE'],
    why: 'RFC v1 flow 5.6: a ring of {ioasid, addr} per FD and a completion ioctl; no device identity, no cookie',
  },
  {
    feature: 'nesting on guest-owned PASID tables (AMD/ARM)', iommufd: ['IOMMU_VIOMMU_ALLOC', 'IOMMU_VDEVICE_ALLOC'], rfcV1: ['IOASID_BIND_PASID_TABLE', 'IOASID_UNBIND_PASID_TABLE'],
    why: 'RFC v1 §5.7 binds the guest PASID table on a child ioasid; it has no vIOMMU object and no virtual device ids (the uAPI carries no device identity)',
  },
  {
    feature: 'the guest\'s event queue', iommufd: ['IOMMU_VEVENTQ_ALLOC', 'VEVENTQ_READ'], rfcV1: null,
    why: 'RFC v1 reports page faults only (flow 5.6); other IOMMU events have no path to the guest',
  },
  {
    feature: 'dirty tracking', iommufd: ['IOMMU_HWPT_SET_DIRTY_TRACKING', 'IOMMU_HWPT_GET_DIRTY_BITMAP'], rfcV1: null,
    why: 'RFC v1 §2 leaves it "TBD", "to be adapted from VFIO type1 work"',
  },
  {
    feature: 'options (accounting mode, huge pages)', iommufd: ['IOMMU_OPTION'], rfcV1: null,
    why: 'RFC v1 accounts pins per FD, once, through IOASID_REGISTER_MEMORY, and has no huge-page control',
  },
  {
    feature: 'maps of a file, and handing maps to a new process', iommufd: ['IOMMU_IOAS_MAP_FILE', 'IOMMU_IOAS_CHANGE_PROCESS'], rfcV1: null,
    why: 'IOASID_MAP_DMA takes a user VA, as VFIO type1 does',
  },
  {
    feature: 'in-kernel users of an address space (access objects)', iommufd: ['MOCK_ACCESS_CREATE', 'MOCK_ACCESS_PIN', 'MOCK_ACCESS_RW'], rfcV1: null,
    why: 'in RFC v1 an mdev is a device attached to an ioasid by PASID like any other (§4); nothing pins an ioasid\'s pages from inside the kernel',
  },
];
