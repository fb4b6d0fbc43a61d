/**
 * Argument parsing: `command [--flag value | --switch]...`. Unknown flags and missing values are errors with one
 * line of explanation; the caller prints it and exits 2 (usage error), as the shell convention has it.
 */
export interface FlagSpec {
  readonly name: string;
  /** takes a value (`--design iommufd`) or is a switch (`--json`) */
  readonly value: boolean;
  readonly help: string;
}

export interface Parsed {
  readonly command: string | undefined;
  readonly flags: ReadonlyMap<string, string | true>;
  /** arguments after the command (file names for replay) */
  readonly rest: readonly string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): Parsed {
  const flags = new Map<string, string | true>();
  let command: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!; // i < length
    if (!a.startsWith('--')) {
      if (command === undefined) command = a;
      else rest.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    flags.set(name, v);
  }
  return { command, flags, rest };
}
