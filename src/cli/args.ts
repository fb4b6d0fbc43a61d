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

export type Flags = ReadonlyMap<string, string | true>;

/** A flag naming one of `all` (a one-element list), or all of them when it is absent. */
export function oneOrAll<T extends string>(flags: Flags, name: string, all: readonly T[]): readonly T[] {
  const v = flags.get(name);
  if (v === undefined) return all;
  if (typeof v !== 'string' || !(all as readonly string[]).includes(v)) throw new UsageError(`unknown ${name} '${String(v)}' (known: ${all.join(', ')})`);
  return [v as T];
}

/** A whole-number flag of at least `min`, or `dflt` when absent. */
export function wholeNumber(flags: Flags, name: string, dflt: number, min: number): number {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} takes a whole number >= ${min}, not '${String(v)}'`);
  return n;
}

/** A share from 0 to 1, or `dflt` when absent. */
export function share(flags: Flags, name: string, dflt: number): number {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !(n >= 0 && n <= 1)) throw new UsageError(`--${name} takes a share from 0 to 1, not '${String(v)}'`);
  return n;
}

/** A value flag's text (parseArgs has already refused one given without a value). */
export const text = (flags: Flags, name: string): string | undefined => {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
};
