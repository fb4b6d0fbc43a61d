import type { Design } from '../design.js';
import { RFC_CHOICES, rfcV1 } from './rfc-v1.js';

/** RFC v1 with association restricted to set-up time: the seed's first concern, taken as a design. */
export const setupOnlyAssociation: Design = {
  ...rfcV1,
  name: 'setup-only-association',
  title: 'RFC v1 with set-up-only device association',
  rationale:
    'Yi\'s first concern (M3): in the skeleton, "the ioasid FD and device association will happen at runtime ' +
    'instead of just happen in the setup phase". This design keeps RFC v1 but allows associating devices only ' +
    'before the FD\'s first map or bind. Jason\'s answer (M4) is that run-time association is required for ' +
    'security — a vIOMMU must associate a device when the guest asks, or a guest cannot isolate a PASID.',
  cites: ['seed M3 concern 1', 'seed M4 (run-time association is a security requirement)'],
  policy: { ...rfcV1.policy, association: 'setup-only' },
  choices: ['after the FD\'s first MAP_DMA or BIND_*, VFIO_ATTACH_IOASID is EBUSY (detach still works)', ...RFC_CHOICES],
};
