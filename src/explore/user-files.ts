/**
 * Designs and requirements from a user's own files (`explore --design-file variant.ts --requirement-file req.ts`):
 * a TypeScript or JavaScript module whose default export is a value (docs/designing.md). A design file extends a
 * built-in design by overriding policy points (and, if it wants, the title, rationale and ioctl table); a
 * requirement file exports one requirement or an array of them. Files are loaded synchronously (tsx's require
 * hook), so the command and its worker threads load them the same way. Anything wrong with a file is one line
 * (FileError), never a stack trace.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { require as tsxRequire } from 'tsx/cjs/api';
import { DESIGNS, type Design, type Policy } from '../spec/index.js';
import { DESIGN_NAMES, IOCTL_NAMES, type IoctlName } from '../uapi/index.js';
import type { Requirement } from './requirement.js';
import { REQUIREMENTS } from './requirements.js';
import { KNOWN_POLICY, unsupported } from './vocabulary.js';

/** A design or requirement file that cannot be used: one line, exit 2. */
export class FileError extends Error {
  override readonly name = 'FileError';
}

/** A design file's variant: a design value that names the built-in design it extends. */
export type Variant = Design & { readonly extends: string };

const SLUG = /^[a-z][a-z0-9-]{0,47}$/;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The default export of a module file, or a FileError naming the file. */
function load(file: string, what: string): unknown {
  const path = resolve(file);
  if (!existsSync(path)) throw new FileError(`${what} file ${file}: no such file`);
  if (!statSync(path).isFile()) throw new FileError(`${what} file ${file}: not a regular file`);
  if (!/\.(ts|mts|cts|js|mjs|cjs)$/.test(path)) throw new FileError(`${what} file ${file}: not a .ts or .js module`);
  let mod: unknown;
  try {
    mod = tsxRequire(path, pathToFileURL(import.meta.filename).href);
  } catch (e) {
    throw new FileError(`${what} file ${file}: does not load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  }
  const value = isObject(mod) && 'default' in mod ? mod.default : undefined;
  if (value === undefined) throw new FileError(`${what} file ${file}: has no default export`);
  return value;
}

/** The design a design file defines: the built-in one it extends, with its overrides. */
export function loadDesignFile(file: string): Variant {
  const v = load(file, 'design');
  const at = `design file ${file}`;
  if (!isObject(v)) throw new FileError(`${at}: the default export is not an object`);
  const known = ['extends', 'name', 'title', 'rationale', 'policy', 'ioctls', 'choices'];
  const extra = Object.keys(v).find((k) => !known.includes(k));
  if (extra !== undefined) throw new FileError(`${at}: unknown field '${extra}' (a variant has ${known.join(', ')})`);
  const base = v.extends;
  if (typeof base !== 'string' || !(DESIGN_NAMES as readonly string[]).includes(base)) throw new FileError(`${at}: 'extends' must name a built-in design (${DESIGN_NAMES.join(', ')})`);
  if (typeof v.name !== 'string' || !SLUG.test(v.name)) throw new FileError(`${at}: 'name' must be a slug of lower-case letters, digits and dashes`);
  if ((DESIGN_NAMES as readonly string[]).includes(v.name)) throw new FileError(`${at}: name '${v.name}' is a built-in design's`);
  for (const k of ['title', 'rationale'] as const) if (v[k] !== undefined && typeof v[k] !== 'string') throw new FileError(`${at}: '${k}' must be a string`);
  const parent = DESIGNS[base as keyof typeof DESIGNS];
  const policy = v.policy ?? {};
  if (!isObject(policy)) throw new FileError(`${at}: 'policy' must be an object of policy points`);
  for (const [k, value] of Object.entries(policy)) {
    const values = (KNOWN_POLICY as Record<string, readonly string[]>)[k];
    if (values === undefined) throw new FileError(`${at}: unknown policy point '${k}' (policy points: ${Object.keys(KNOWN_POLICY).join(', ')})`);
    if (!values.includes(value as string)) throw new FileError(`${at}: policy ${k} = ${JSON.stringify(value)} is not one the explorer can handle (${values.join(', ')})`);
  }
  let ioctls: readonly IoctlName[] = parent.ioctls;
  if (v.ioctls !== undefined) {
    if (!Array.isArray(v.ioctls)) throw new FileError(`${at}: 'ioctls' must be an array of ioctl names`);
    const bad = v.ioctls.find((i) => !(IOCTL_NAMES as readonly unknown[]).includes(i));
    if (bad !== undefined) throw new FileError(`${at}: unknown ioctl ${JSON.stringify(bad)}`);
    ioctls = v.ioctls as IoctlName[];
  }
  const choices = Array.isArray(v.choices) ? v.choices.map(String) : parent.choices;
  const design: Variant = {
    ...parent, extends: base, name: v.name as Design['name'], // a variant's name is its own (cells and traces carry it)
    title: typeof v.title === 'string' ? v.title : `${parent.title}, varied (${v.name})`,
    rationale: typeof v.rationale === 'string' ? v.rationale : parent.rationale,
    policy: { ...parent.policy, ...(policy as Partial<Policy>) }, ioctls, choices,
  };
  const why = unsupported(design);
  if (why !== null) throw new FileError(`${at}: ${why}`);
  return design;
}

/** The requirements a requirement file defines (one, or an array). */
export function loadRequirementFile(file: string): Requirement[] {
  const v = load(file, 'requirement');
  const at = `requirement file ${file}`;
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new FileError(`${at}: the default export is an empty array`);
  return list.map((r, i) => {
    const where = list.length === 1 ? at : `${at}, requirement ${i + 1}`;
    if (!isObject(r)) throw new FileError(`${where}: not an object`);
    if (typeof r.name !== 'string' || !SLUG.test(r.name)) throw new FileError(`${where}: 'name' must be a slug of lower-case letters, digits and dashes`);
    if (REQUIREMENTS.some((q) => q.name === r.name)) throw new FileError(`${where}: name '${r.name}' is a built-in requirement's`);
    if (r.kind !== 'capability' && r.kind !== 'safety') throw new FileError(`${where}: 'kind' must be 'capability' or 'safety'`);
    for (const k of ['title', 'description'] as const) if (typeof r[k] !== 'string') throw new FileError(`${where}: '${k}' must be a string`);
    if (typeof r.holds !== 'function') throw new FileError(`${where}: 'holds' must be a function of the situation`);
    if (r.reads !== undefined && r.reads !== 'state' && r.reads !== 'path') throw new FileError(`${where}: 'reads' must be 'state' or 'path'`);
    if (r.memory !== undefined && !(isObject(r.memory) && typeof r.memory.initial === 'number' && typeof r.memory.next === 'function')) {
      throw new FileError(`${where}: 'memory' must be { initial: number, next(situation): number }`);
    }
    if (r.unavailable !== undefined && typeof r.unavailable !== 'function') throw new FileError(`${where}: 'unavailable' must be a function of the design`);
    return r as unknown as Requirement;
  });
}

/** The requirements of several files, with no name twice. */
export function loadRequirementFiles(files: readonly string[]): Requirement[] {
  const all = files.flatMap(loadRequirementFile);
  const dup = all.find((r, i) => all.findIndex((q) => q.name === r.name) !== i);
  if (dup) throw new FileError(`requirement '${dup.name}' is defined twice`);
  return all;
}
