/**
 * `--profile NAME|FILE` for the commands that run on a machine (check, explore): a built-in by name, or a machine
 * profile file read strictly (a bad one is a usage error). A built-in other than `default` fixes its hardware
 * kind (another --hardware is a usage error); a design the machine does not fit is an error when named, else
 * skipped with its reason.
 */
import { profileHardware, profileName, profileProblem, type Profile } from '../check/machine.js';
import { ProfileError, readMachineFile } from '../check/machine-file.js';
import { DESIGN_NAMES, HW_KINDS, isProfileName, PROFILE_NAMES, type DesignName, type HwKind } from '../uapi/index.js';
import { oneOrAll, shown, text, UsageError, type Flags } from './args.js';

/** What a command runs on: its designs and hardware kinds on one machine, and the designs left out with why. */
export interface OnProfile {
  readonly designs: readonly DesignName[];
  readonly hardware: readonly HwKind[];
  readonly profile: Profile;
  readonly skipped: readonly { readonly design: DesignName; readonly why: string }[];
}

/** --profile NAME (a built-in) or --profile FILE (a machine profile, read strictly: a bad one is a usage error). */
function profileFlag(flags: Flags): Profile {
  const v = text(flags, 'profile');
  if (v === undefined) return 'default';
  if (isProfileName(v)) return v;
  if (!/[/.]/.test(v)) throw new UsageError(`unknown profile ${shown(v)} (known: ${PROFILE_NAMES.join(', ')}, or a machine profile file)`);
  try {
    return readMachineFile(v);
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(e.message);
    throw e;
  }
}

export function onProfile(flags: Flags): OnProfile {
  const profile = profileFlag(flags);
  if (!flags.has('profile')) return { designs: oneOrAll(flags, 'design', DESIGN_NAMES), hardware: oneOrAll(flags, 'hardware', HW_KINDS), profile: 'default', skipped: [] };
  const fixed = profileHardware(profile);
  const asked = oneOrAll(flags, 'hardware', HW_KINDS);
  if (fixed !== null && flags.has('hardware') && asked[0] !== fixed) throw new UsageError(`--profile ${profileName(profile)} is ${fixed} hardware, not ${asked[0]} (leave --hardware out)`);
  const hardware = fixed === null ? asked : [fixed];
  const all = oneOrAll(flags, 'design', DESIGN_NAMES);
  const skipped = all.flatMap((design) => hardware.map((hw) => profileProblem(profile, design, hw)).filter((w) => w !== null).slice(0, 1).map((why) => ({ design, why })));
  if (flags.has('design') && skipped[0]) throw new UsageError(skipped[0].why);
  return { designs: all.filter((d) => !skipped.some((s) => s.design === d)), hardware, profile, skipped };
}

