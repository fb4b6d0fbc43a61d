/**
 * The units of work `check` and `explore` hand to worker threads: one chunk of a check cell's runs (chunks.ts), or
 * one explore cell (a design on a hardware kind, every requirement at once). A unit is plain data, so it crosses to
 * a worker by structured clone, and so does its answer (a CheckOutcome's Maps and bigints included). The same
 * runUnit answers in this thread and in a worker (worker.mjs), so where a unit ran never changes what it returns.
 */
import { check, type CheckOptions, type CheckOutcome } from './engine.js';
import { exploreDesign, type ExploreOptions } from '../explore/search.js';
import type { ExploreCell } from '../explore/report.js';
import { REQUIREMENTS } from '../explore/requirements.js';
import { loadRequirementFiles } from '../explore/user-files.js';

/** The fields of T that are data: a function (a kernel factory, a callback) cannot cross to a worker thread. */
export type Plain<T> = { [K in keyof T as NonNullable<T[K]> extends (...args: never[]) => unknown ? never : K]: T[K] };

/** check() options that can cross to a worker: no kernel factory, no driver, no callback. */
export type PlainCheckOptions = Plain<Omit<CheckOptions, 'driver'>>;
/** exploreDesign() options that can cross: requirements hold functions, so a unit names the files of the user's ones. */
export type PlainExploreOptions = Plain<Omit<ExploreOptions, 'requirements'>>;

export interface CheckUnit {
  readonly kind: 'check';
  readonly opts: PlainCheckOptions;
  /** the runs of the cell this chunk covers (0-based, `to` excluded): for messages only */
  readonly runs: { readonly from: number; readonly to: number };
}
export interface ExploreUnit {
  readonly kind: 'explore';
  readonly opts: PlainExploreOptions;
  /** requirement files to load (wherever the unit runs) and judge after the built-in requirements */
  readonly requirementFiles?: readonly string[];
}
export type Unit = CheckUnit | ExploreUnit;

/** What each kind of unit answers. */
export interface UnitResults {
  readonly check: CheckOutcome;
  readonly explore: ExploreCell[];
}
export type ResultOf<U extends Unit> = UnitResults[U['kind']];

/** Run one unit, here (a worker thread calls this too, through worker.mjs). */
export function runUnit<U extends Unit>(unit: U): ResultOf<U> {
  const u: Unit = unit; // narrowing works on the union, not on the type parameter
  const r: UnitResults[Unit['kind']] = u.kind === 'check' ? check(u.opts)
    : exploreDesign(u.requirementFiles ? { ...u.opts, requirements: [...REQUIREMENTS, ...loadRequirementFiles(u.requirementFiles)] } : u.opts);
  return r as ResultOf<U>; // u.kind === unit.kind, so r is the answer of U's kind
}

/** A unit as a message names it: `check iommufd on host-pasid-table, runs 100-199`. */
export function unitName(u: Unit): string {
  const where = `${typeof u.opts.design === 'string' ? u.opts.design : u.opts.design.name} on ${u.opts.hardware}`;
  return u.kind === 'check' ? `check ${where}, runs ${u.runs.from}-${u.runs.to - 1}` : `explore ${where}`;
}
