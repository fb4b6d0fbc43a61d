/**
 * The outcomes a design has: every rule id its ioctls and the environment actions can return (rules.ts, read
 * out of this directory by `npm run rules`) plus the dispatcher's generic ones. These are the coverage points
 * `ioasid-lab check` counts, and (ioctl × errno) pairs are read off them.
 */
import type { EnvName } from '../uapi/index.js';
import type { Design } from './design.js';
import { genericRules, RULES } from './rules.js';
import { BIND_IOCTLS } from './step.js';

export const ENV_NAMES: readonly EnvName[] = [
  'OPEN', 'CLOSE', 'MMAP', 'MUNMAP', 'DMA', 'GUEST_WRITE_PGTABLE', 'GUEST_WRITE_PASID_TABLE', 'MOCK_ADD_RESERVED', 'PAGE_REQUEST', 'FAULT_READ', 'FAULT_WRITE',
  'FAULT_RING_READ', 'MOCK_ACCESS_CREATE', 'MOCK_ACCESS_PIN', 'MOCK_ACCESS_UNPIN', 'MOCK_ACCESS_RW', 'MOCK_ACCESS_REPLACE', 'MEMFD_CREATE',
  'IOMMU_EVENT', 'VEVENTQ_READ',
];

/** Where each page-fault action matters (and is drawn): the design's fault reporting. */
const FAULT_ENVS: Partial<Record<EnvName, readonly Design['policy']['faultReport'][]>> = {
  PAGE_REQUEST: ['fault-queue', 'ioasid-ring'], FAULT_READ: ['fault-queue'], FAULT_WRITE: ['fault-queue'], FAULT_RING_READ: ['ioasid-ring'],
};

/** Whether an action is one of the page-fault actions (which of them a design has is envNamesOf's). */
export const isPageFaultEnv = (e: EnvName): boolean => Object.hasOwn(FAULT_ENVS, e);

/**
 * The environment actions whose outcomes count for a design: every one, but MUNMAP only where a device can walk the
 * CPU page table (native SVA), page requests only where the design reports page faults to the user, the FAULT fd's read
 * and write only where there are FAULT queues, RFC v1's ring read only where there is the ring, and IOMMU events and
 * vEVENTQ reads only where there are vEVENTQs. Elsewhere munmap changes only what a later pin finds, the check does not
 * draw it (the Linux executor that runs iommufd traces has no munmap step), and its rules are no coverage point of the
 * design.
 */
export const envNamesOf = (design: Design): readonly EnvName[] =>
  // design point: nativeSva, faultReport
  ENV_NAMES.filter((e) => (e !== 'MUNMAP' || design.policy.nativeSva !== 'none') && (FAULT_ENVS[e]?.includes(design.policy.faultReport) ?? true)
    && (e !== 'MEMFD_CREATE' || design.ioctls.includes('IOMMU_IOAS_MAP_FILE'))
    && ((e !== 'IOMMU_EVENT' && e !== 'VEVENTQ_READ') || design.ioctls.includes('IOMMU_VEVENTQ_ALLOC')));

/** Every rule id a design's commands can return, grouped by command. */
export function outcomesOf(design: Design): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const ioctl of design.ioctls) out.set(ioctl, [...genericRules(ioctl, design, BIND_IOCTLS), ...(RULES[ioctl] ?? [])]);
  for (const env of envNamesOf(design)) out.set(env, RULES[env] ?? []);
  return out;
}

/** The errno of a rule id (`IOAS_MAP.EINVAL.prot` → EINVAL), or null for a success. */
export const errnoOfRule = (rule: string): string | null => {
  const e = rule.split('.')[1];
  return e !== undefined && /^E[A-Z]+$/.test(e) ? e : null;
};

/** The (command × errno) pairs a design can return: `IOMMU_IOAS_MAP EINVAL`. */
export function errnoPairsOf(design: Design): string[] {
  const out = new Set<string>();
  for (const [cmd, rules] of outcomesOf(design)) for (const r of rules) {
    const e = errnoOfRule(r);
    if (e) out.add(`${cmd} ${e}`);
  }
  return [...out].sort();
}
