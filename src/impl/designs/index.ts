/**
 * The design front-ends of the simulated kernel, by name: one per design value of the spec (src/spec/designs/).
 * A front-end is an ioctl table, the node it answers on, and what opening the node and releasing a bound device
 * FD do; the objects, the io_pagetable engine and the hardware are shared. The record is total: a design
 * without a front-end fails to compile.
 */
import type { DesignName } from '../../uapi/index.js';
import type { FrontEnd } from '../kernel.js';
import { fdPerIoasidFrontEnd } from './fd-per-ioasid.js';
import { iommufdFrontEnd } from './iommufd.js';
import { perDeviceSvaFrontEnd } from './per-device-sva.js';
import { rfcV1FrontEnd } from './rfc-v1.js';
import { setupOnlyFrontEnd } from './setup-only-association.js';

export const FRONT_ENDS: Record<DesignName, FrontEnd> = {
  iommufd: iommufdFrontEnd,
  'rfc-v1': rfcV1FrontEnd,
  'setup-only-association': setupOnlyFrontEnd,
  'per-device-sva': perDeviceSvaFrontEnd,
  'fd-per-ioasid': fdPerIoasidFrontEnd,
};
