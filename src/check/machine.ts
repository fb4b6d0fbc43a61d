/**
 * Which profile a run may use: a built-in machine fixes its hardware kind, and a machine whose IOMMU pages are
 * smaller than a CPU page (the selftest mock's 2 KiB) fits only a design that maps through iommufd's
 * io_pagetable (IOMMU_IOAS_MAP): the 2021 designs' type1 MAP_DMA, registrations and software nesting are page
 * granular in the model, and the mock exists only as iommufd's own test harness.
 */
import { DESIGNS } from '../spec/index.js';
import { builtinMachine, minPageSize, PAGE_SIZE, type DesignName, type HwKind, type MachineProfile, type ProfileName } from '../uapi/index.js';

/** A machine a run names: a built-in, or a user's profile given whole (machine-file.ts). */
export type Profile = ProfileName | MachineProfile;

export const profileName = (p: Profile): string => (typeof p === 'string' ? p : p.iommu.name);

/** Why `profile` cannot run `design` on `hw`, in one line; null when it can. */
export function profileProblem(profile: Profile | undefined, design: DesignName, hw: HwKind): string | null {
  if (profile === undefined || profile === 'default') return null;
  const m = typeof profile === 'string' ? builtinMachine(profile, hw) : profile;
  const name = profileName(profile);
  if (m.iommu.hw !== hw) return `profile ${name} is ${m.iommu.hw} hardware, not ${hw}`;
  const page = minPageSize(m.iommu.pgsizeBitmap);
  if (page < PAGE_SIZE && !DESIGNS[design].ioctls.includes('IOMMU_IOAS_MAP')) {
    return `profile ${name} maps ${page}-byte IOMMU pages, which only a design mapping through IOMMU_IOAS_MAP models (${design} does not)`;
  }
  return null;
}

/** The hardware kind a profile fixes (the default runs on either). */
export const profileHardware = (profile: Profile): HwKind | null =>
  profile === 'default' ? null : typeof profile === 'string' ? builtinMachine(profile, 'host-pasid-table').iommu.hw : profile.iommu.hw;
