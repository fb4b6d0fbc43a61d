import type { Design } from '../design.js';

export const RFC_IOCTLS = [
  'IOASID_CHECK_EXTENSION', 'IOASID_GET_INFO', 'IOASID_ALLOC', 'IOASID_FREE', 'IOASID_REGISTER_MEMORY', 'IOASID_UNREGISTER_MEMORY', 'IOASID_MAP_DMA',
  'IOASID_UNMAP_DMA', 'IOASID_CREATE_NESTING', 'IOASID_BIND_PGTABLE', 'IOASID_UNBIND_PGTABLE',
  'IOASID_BIND_PASID_TABLE', 'IOASID_UNBIND_PASID_TABLE', 'IOASID_INVALIDATE_CACHE', 'IOASID_PAGE_RESPONSE',
  'VFIO_BIND_IOASID_FD', 'VFIO_UNBIND_IOASID_FD', 'VFIO_ATTACH_IOASID', 'VFIO_DETACH_IOASID',
] as const;

export const RFC_CHOICES = [
  'an ioasid that never had a device attached answers ENODEV to map/unmap/nesting/bind ("just a number", RFC v1 §2)',
  'while a partly attached iommu group sits on an ioasid, its commands get EBUSY (RFC v1 §3 partial_devices)',
  'MAP/UNMAP_DMA follow VFIO type1 v2: EINVAL on split, EEXIST on overlap, size 0 unmapped is success; unmap is atomic',
  'one level of nesting; a child is software-nested (MAP_DMA of GPAs) or bound (page table / PASID table), never both (EBUSY)',
  'a route (RID or RID+PASID) holds one ioasid, plus a child of it; the child needs the device\'s RID on its parent (EINVAL)',
  'on guest-pasid-table hardware BIND_PGTABLE is only tracked, and only accepted under a bound guest PASID table (RFC v1 §5.7)',
  'unbind while attached is EBUSY; closing the device FD detaches and unbinds',
  'CHECK_EXTENSION answers FD-level extensions (REGISTER_MEMORY, NESTING, PAGE_FAULT) 1 or 0; GET_INFO needs a device attached (ENODEV) and reports what the ioasid takes now (MAP_DMA, NESTING, each bind, HW_NESTING), its usable IOVA, page sizes, formats and children',
  'page faults (flow 5.6): a request through an ioasid with a bound guest table goes to the FD\'s ring as {ioasid, addr}; IOASID_PAGE_RESPONSE answers the oldest one taken off the ring; the kernel answers INVALID what its detach leaves, and at once what a kernel-managed ioasid gets',
];

/** Kevin Tian's [RFC] /dev/ioasid uAPI proposal (v1, 27 May 2021). */
export const rfcV1: Design = {
  name: 'rfc-v1',
  title: 'RFC v1 /dev/ioasid (per-VM FD, per-ioasid ops)',
  rationale:
    'The first full proposal after the seed thread (M5): one /dev/ioasid FD per VM multiplexes many ioasids, each ' +
    'one I/O page table. Kernel-managed ioasids take type1 MAP/UNMAP; user-managed ones are children ' +
    '(CREATE_NESTING) that bind a guest page table or, on AMD/ARM, the guest PASID table, and are invalidated per ' +
    'ioasid. Devices are bound to the FD from their VFIO device FD and attached per RID or RID+PASID at any time; ' +
    'all devices of an iommu group must sit on the same ioasid before it accepts commands.',
  cites: ['facts §1.3 (RFC v1 ioctls and flows 5.1-5.7)', 'seed M2/M4', 'M5'],
  status: 'proposed',
  node: '/dev/ioasid',
  policy: {
    ownership: 'per-ioasid', fdModel: 'per-vm', association: 'runtime', guestPasidTable: 'bindable',
    unmap: 'type1-atomic', nativeSva: 'none', faultReport: 'ioasid-ring',
  },
  ioctls: RFC_IOCTLS,
  hardware: ['host-pasid-table', 'guest-pasid-table'],
  graph: [
    '/dev/ioasid FD -> ioasid (root: kernel-managed page table) -> child ioasid (CREATE_NESTING)',
    'child ioasid -> guest page table | guest PASID table (BIND_*), or its own GPA maps (software nesting)',
    'VFIO device FD -> /dev/ioasid FD (VFIO_BIND_IOASID_FD: one FD per device)',
    'child ioasid -> its page requests (fault_data, answered by IOASID_PAGE_RESPONSE); /dev/ioasid FD -> fault ring of {ioasid, addr}',
    'device (RID | RID+user PASID) -> ioasid (VFIO_ATTACH_IOASID; a child needs the RID on its parent)',
    '/dev/ioasid FD -> registered memory (REGISTER_MEMORY, charged once)',
  ],
  choices: RFC_CHOICES,
};
