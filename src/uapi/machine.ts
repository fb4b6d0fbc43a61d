import { builtinMachine, PROFILE_NAMES, type ProfileName } from './profiles.js';
import type { MachineProfile } from './profile.js';
import { worldOf, type HwKind, type World } from './world.js';

/**
 * Worlds from profiles: the default world (today's modelled machine, on either hardware kind) and the world of
 * any built-in or user profile. A machine profile fixes its hardware kind; the default takes the one asked for.
 */
export function defaultWorld(hw: HwKind = 'host-pasid-table', memlockPages = 1 << 16): World {
  return worldOf(builtinMachine('default', hw), memlockPages);
}

/** Whether the world's kernel has the selftests' IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST): the mock machine's does. */
export const hasTestPort = (w: World): boolean => w.iommu.name === 'selftest-mock';

export const isProfileName = (x: string): x is ProfileName => (PROFILE_NAMES as readonly string[]).includes(x);

/** The machine a trace or a command line names: a built-in by name, or a user profile given whole. */
export function machineOf(profile: ProfileName | MachineProfile | undefined, hw: HwKind): MachineProfile {
  if (profile === undefined) return builtinMachine('default', hw);
  return typeof profile === 'string' ? builtinMachine(profile, hw) : profile;
}
