/** The design front-ends of the simulated kernel, by name. */
import type { DesignName } from '../../uapi/index.js';
import type { FrontEnd } from '../kernel.js';
import { iommufdFrontEnd } from './iommufd.js';

export const FRONT_ENDS: Partial<Record<DesignName, FrontEnd>> = {
  iommufd: iommufdFrontEnd,
};
