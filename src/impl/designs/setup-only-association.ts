/**
 * RFC v1 with set-up-only association (seed M3 concern 1, taken as a design): the same ioctl table and objects;
 * only the file differs — it seals itself at its first successful MAP_DMA or BIND_*, after which
 * VFIO_ATTACH_IOASID on any of its ioasids is EBUSY (detach still works). A failed map does not seal.
 * Jason's answer (M4) is why it lost: a vIOMMU must associate devices at run time.
 */
import { IoasidCtxFile } from '../ioasid-file.js';
import type { FrontEnd } from '../kernel.js';
import { rfcV1FrontEnd } from './rfc-v1.js';

export const setupOnlyFrontEnd: FrontEnd = {
  ...rfcV1FrontEnd,
  name: 'setup-only-association',
  // design point: association — the file seals (VFIO_ATTACH_IOASID: EBUSY) after its first map or bind
  openNode: (k, serial) => new IoasidCtxFile(serial, k, true, true),
};
