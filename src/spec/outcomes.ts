/**
 * The outcomes a design has: every rule id its ioctls and the environment actions can return (rules.ts, read
 * out of this directory by `npm run rules`) plus the dispatcher's generic ones. These are the coverage points
 * `ioasid-lab check` counts, and (ioctl × errno) pairs are read off them.
 */
import type { EnvName } from '../uapi/index.js';
import type { Design } from './design.js';
import { genericRules, RULES } from './rules.js';
import { BIND_IOCTLS } from './step.js';

export const ENV_NAMES: readonly EnvName[] = ['OPEN', 'CLOSE', 'MMAP', 'DMA', 'GUEST_WRITE_PGTABLE', 'GUEST_WRITE_PASID_TABLE', 'MOCK_ADD_RESERVED'];

/** Every rule id a design's commands can return, grouped by command. */
export function outcomesOf(design: Design): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const ioctl of design.ioctls) out.set(ioctl, [...genericRules(ioctl, design, BIND_IOCTLS), ...(RULES[ioctl] ?? [])]);
  for (const env of ENV_NAMES) out.set(env, RULES[env] ?? []);
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
