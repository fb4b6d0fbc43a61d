import type { Design } from '../design.js';
import { RFC_CHOICES, rfcV1 } from './rfc-v1.js';

/** The seed's objection (M1, M3 concern 3): SVA bind/unbind/invalidate per device, as native SVA. */
export const perDeviceSva: Design = {
  ...rfcV1,
  name: 'per-device-sva',
  title: 'Objection: per-device SVA ops on the device FD',
  rationale:
    'Yi\'s position before Jason\'s reply (M1): the /dev/ioasid FD is per VM so GPA ioasids can be shared, but ' +
    'the SVA operations — bind/unbind a guest page table, cache invalidation — are per device, issued on the ' +
    'device FD with a PASID, matching native SVA where bind is per device (M3 concern 3) — and native SVA itself is ' +
    'a device-FD call here: VFIO_DEVICE_BIND_SVA binds the calling process\'s own address space to one PASID of the ' +
    'device. Jason answered that page-table operations are per-ioasid (M2) and that native SVA is the one in error (M4).',
  cites: ['seed M1 (Yi: SVA ops per-device)', 'seed M3 concern 3', 'seed M4 (Jason\'s answer)'],
  policy: { ...rfcV1.policy, ownership: 'per-device', nativeSva: 'per-device', faultReport: 'none' },
  ioctls: [
    'IOASID_CHECK_EXTENSION', 'IOASID_GET_INFO', 'IOASID_ALLOC', 'IOASID_FREE', 'IOASID_REGISTER_MEMORY', 'IOASID_UNREGISTER_MEMORY', 'IOASID_MAP_DMA',
    'IOASID_UNMAP_DMA', 'VFIO_BIND_IOASID_FD', 'VFIO_UNBIND_IOASID_FD', 'VFIO_ATTACH_IOASID', 'VFIO_DETACH_IOASID',
    'VFIO_DEVICE_BIND_PGTABLE', 'VFIO_DEVICE_UNBIND_PGTABLE', 'VFIO_DEVICE_BIND_PASID_TABLE', 'VFIO_DEVICE_INVALIDATE_CACHE',
    'VFIO_DEVICE_BIND_SVA', 'VFIO_DEVICE_UNBIND_SVA',
  ],
  graph: [
    '/dev/ioasid FD -> ioasid (kernel-managed GPA page table)',
    'VFIO device FD -> /dev/ioasid FD (bind); device RID -> ioasid (attach)',
    'VFIO device FD -> sva_bind (one per device route) -> guest page table | guest PASID table, over the ioasid',
    'VFIO device FD -> sva_mm (one per device PASID) -> the process\'s own address space (the CPU page table)',
  ],
  choices: [
    'each device-FD bind is its own context owned by the device FD; invalidation reaches only that device\'s route',
    'a bind needs the device\'s RID on the root ioasid its output goes through (EINVAL); one bind per route (EBUSY)',
    'native SVA (VFIO_DEVICE_BIND_SVA) names its PASID (Linux picks mm->pasid itself) and needs a device FD bound to the /dev/ioasid FD and a PASID nothing else holds (EBUSY); a natively bound PASID takes no attachment or guest table (EBUSY)',
    'native SVA on guest-pasid-table hardware is a host-owned CD/GCR3 entry: EBUSY while a guest PASID table owns the device\'s PASIDs; a guest table bound later takes them over, as it does attached PASIDs',
    'a native binding reaches a user page while it is mmapped and faults once it is munmapped, with no stale answer (the mmu notifier flushes the IOTLB); pages pinned by maps stay pinned after MUNMAP',
    'no fault reporting: M1 moves bind and invalidation to the device FD but proposes no fault path there, and the per-ioasid ring of RFC v1 has no ioasid to name a device-FD bind by, so the IOMMU core answers every page request at once',
    ...RFC_CHOICES.filter((c) => !c.includes('nesting') && !c.includes('BIND_PGTABLE') && !c.startsWith('page faults')),
  ],
};
