import type { Design } from '../design.js';
import { RFC_CHOICES, rfcV1 } from './rfc-v1.js';

/** The seed's first skeleton (M3 steps 1-5): one FD per ioasid, handed to VFIO to associate a device. */
export const fdPerIoasid: Design = {
  ...rfcV1,
  name: 'fd-per-ioasid',
  title: 'Seed skeleton: one FD per ioasid',
  rationale:
    'Yi\'s restatement of Jason\'s idea (M3, confirmed "Seems so" in M4): opening /dev/ioasid allocates one ioasid ' +
    'with its own context and returns an FD for it; the FD is passed to VFIO to associate a device; page tables ' +
    'are bound, unbound and invalidated on that FD; de-association undoes it. Nothing multiplexes address spaces, ' +
    'so there is no per-VM place for memory registration, and only single guest page tables can be bound.',
  cites: ['seed (M3 skeleton steps 1-5)', 'seed M4'],
  policy: { ...rfcV1.policy, fdModel: 'per-ioasid', guestPasidTable: 'refused', faultReport: 'none' },
  ioctls: [
    'IOASID_MAP_DMA', 'IOASID_UNMAP_DMA', 'IOASID_CREATE_NESTING', 'IOASID_BIND_PGTABLE', 'IOASID_UNBIND_PGTABLE',
    'IOASID_INVALIDATE_CACHE', 'VFIO_ATTACH_IOASID', 'VFIO_DETACH_IOASID',
  ],
  hardware: ['host-pasid-table'],
  graph: [
    'ioasid FD = one ioasid (opening /dev/ioasid allocates it) -> its kernel-managed map',
    'child ioasid FD (CREATE_NESTING on the parent FD) -> parent ioasid FD; -> guest page table (BIND_PGTABLE)',
    'device (RID | RID+PASID) -> ioasid FD (VFIO_ATTACH_IOASID with the FD number; holds the FD open)',
  ],
  choices: [
    'the FD is the ioasid: its `ioasid` argument must be 0 (EINVAL); CREATE_NESTING returns a new FD for the child',
    'VFIO_ATTACH_IOASID carries the ioasid FD number in `ioasid`; no bind step; the association holds the FD open',
    'no PASID-table bind exists (ENOTTY): on guest-pasid-table hardware nothing can nest a guest stage-1 (seed concern 2)',
    'no fault reporting: the skeleton (M3 steps 1-5) has none, so the IOMMU core answers every page request at once',
    'no queries (CHECK_EXTENSION, GET_INFO): the skeleton has none; what an ioasid FD takes is learnt from the answers of the calls',
    ...RFC_CHOICES.filter((c) => !c.startsWith('unbind') && !c.startsWith('page faults') && !c.startsWith('CHECK_EXTENSION')),
  ],
};
