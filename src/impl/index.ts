/** The simulated kernel: create one per trace, run commands, observe. Independent of src/spec. */
import type { DesignName, World } from '../uapi/index.js';
import { FRONT_ENDS } from './designs/index.js';
import type { Allocator } from './hw/contract.js';
import { Kernel, PLENTY } from './kernel.js';

export { Kernel } from './kernel.js';
export { observe, OBSERVE_PARTS, touchedSince, type Touched } from './observe.js';
export { clock } from './hw/stamp.js';
export type { Allocator, AllocKind } from './hw/contract.js';

export function createKernel(design: DesignName, world: World, alloc: Allocator = PLENTY): Kernel {
  const fe = FRONT_ENDS[design];
  if (!fe) throw new Error(`the simulated kernel has no front-end for design '${design}'`);
  return new Kernel(fe, world, alloc);
}
