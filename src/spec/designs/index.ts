import type { Design, DesignName } from '../design.js';
import { fdPerIoasid } from './fd-per-ioasid.js';
import { iommufd } from './iommufd.js';
import { perDeviceSva } from './per-device-sva.js';
import { rfcV1 } from './rfc-v1.js';
import { setupOnlyAssociation } from './setup-only-association.js';


/** Every design alternative, by name. */
export const DESIGNS: { readonly [N in DesignName]: Design } = {
  iommufd,
  'rfc-v1': rfcV1,
  'fd-per-ioasid': fdPerIoasid,
  'per-device-sva': perDeviceSva,
  'setup-only-association': setupOnlyAssociation,
};

export function designByName(name: string): Design | undefined {
  return (DESIGNS as Record<string, Design>)[name];
}
