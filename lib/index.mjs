// The library entry (package.json "exports"): loads the TypeScript sources through tsx's loader, as bin/ioasid-lab.mjs
// does, so the package needs no build step. The names are src/api.ts's; a test holds the two lists together.
import { tsImport } from 'tsx/esm/api';

const api = await tsImport('../src/api.ts', import.meta.url);

export const {
  step, initialState, observe, checkInvariants, noLeak, designs, designByName, DESIGN_NAMES,
  defaultWorld, worldOf, machineOf, HW_KINDS, PROFILE_NAMES, iommu, vfio, ioasid, env, fd, ok, fail,
  createKernel, check, replay, loadTrace, traceToJson, explore, requirements,
} = api;
