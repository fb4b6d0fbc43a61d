/**
 * Argument parsing: `command [FILE...] [--flag value | --flag=value | --switch]...`. Every command declares the
 * flags it takes; anything else is a usage error with one line of explanation, and the caller exits 2, as the
 * shell convention has it. Values are read strictly: a number is decimal digits in the flag's range (no `0x10`,
 * `1e3`, `' 7'`), a share is a decimal from 0 to 1, no value may be empty, and no flag may be given twice, so what
 * runs is always what was typed.
 */
import { availableParallelism } from 'node:os';
import { excerpt, printable } from '../check/printable.js';

export interface FlagSpec {
  readonly name: string;
  /** takes a value (`--design iommufd`) or is a switch (`--json`) */
  readonly value: boolean;
  readonly help: string;
}

/** The flags of a --help, one per line: `--name VALUE` in a column wide enough for the longest, then the help. */
export function flagLines(flags: readonly FlagSpec[]): string {
  const head = (f: FlagSpec) => `  --${f.name}${f.value ? ' VALUE' : ''}`;
  const w = Math.max(24, ...flags.map((f) => head(f).length + 2));
  return flags.map((f) => head(f).padEnd(w) + f.help).join('\n');
}

export interface CommandSpec {
  readonly name: string;
  /** `FILE…` when the command takes file arguments */
  readonly files: string | null;
  readonly help: string;
  /** the flags it takes (`help` is taken by every command) */
  readonly flags: readonly string[];
}

export interface Parsed {
  readonly command: string;
  readonly flags: ReadonlyMap<string, string | true>;
  /** arguments after the command (file names for replay, adopt) */
  readonly rest: readonly string[];
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A user-typed value as it may appear in a one-line message. */
export const shown = (v: string): string => `'${printable(excerpt(v).replace(/^"|"$/g, ''))}'`;

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], commands: readonly CommandSpec[], dflt: string): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!; // i < length
    if (a === '') throw new UsageError('an empty argument (a file name or command cannot be empty)');
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unknown flag ${shown(a)} (flags start with --; try --help)`);
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const inline = eq < 0 ? undefined : a.slice(eq + 1);
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new UsageError(`unknown flag --${printable(excerpt(name).replace(/^"|"$/g, ''))} (try --help)`);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`);
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (v === '') throw new UsageError(`--${name} needs a value, not an empty one`);
    flags.set(name, v);
  }
  const known = commands.map((c) => c.name);
  const first = positional[0];
  const cmd = first !== undefined && known.includes(first) ? first : dflt;
  if (first !== undefined && !known.includes(first) && !commands.find((c) => c.name === dflt)?.files) {
    throw new UsageError(`unknown command ${shown(first)} (commands: ${known.join(', ')}; try --help)`);
  }
  const rest = first !== undefined && known.includes(first) ? positional.slice(1) : positional;
  const spec = commands.find((c) => c.name === cmd)!; // cmd is a known name or the default, which is known
  for (const name of flags.keys()) {
    if (name !== 'help' && !spec.flags.includes(name)) throw new UsageError(`--${name} is not a flag of ${cmd} (its flags: ${spec.flags.map((f) => `--${f}`).join(' ') || 'none'})`);
  }
  if (!flags.has('help')) {
    if (spec.files === null && rest.length > 0) throw new UsageError(`${cmd} takes no arguments, not ${shown(rest[0]!)}`); // length > 0
    if (spec.files !== null && rest.length === 0) throw new UsageError(`${cmd} needs ${spec.files}`);
  }
  return { command: cmd, flags, rest };
}

export type Flags = ReadonlyMap<string, string | true>;

/** A flag naming one of `all` (a one-element list), or all of them when it is absent. */
export function oneOrAll<T extends string>(flags: Flags, name: string, all: readonly T[]): readonly T[] {
  const v = flags.get(name);
  if (v === undefined) return all;
  if (typeof v !== 'string' || !(all as readonly string[]).includes(v)) throw new UsageError(`unknown ${name} ${shown(String(v))} (known: ${all.join(', ')})`);
  return [v as T];
}

/** A whole-number flag from `min` to `max`, written in decimal digits, or `dflt` when absent. */
export function wholeNumber(flags: Flags, name: string, dflt: number, min: number, max: number): number {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, not ${shown(String(v))}`);
  return n;
}

/** The most worker threads --workers takes: past this a value is a typo, not a machine. */
export const MAX_WORKERS = 256;

/** --workers N for check and explore: worker threads, 1 to MAX_WORKERS (default: the cores, os.availableParallelism()). */
export const workersFlag = (flags: Flags): number => wholeNumber(flags, 'workers', Math.min(availableParallelism(), MAX_WORKERS), 1, MAX_WORKERS);

/** A share from 0 to 1 in decimal (`0`, `0.25`, `.5`, `1`), or `dflt` when absent. */
export function share(flags: Flags, name: string, dflt: number): number {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} takes a share from 0 to 1, not ${shown(String(v))}`);
  return n;
}

/** A value flag's text (parseArgs has already refused one given without a value or with an empty one). */
export const text = (flags: Flags, name: string): string | undefined => {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
};
