/**
 * The explorer's result as data: one cell per design x hardware kind x requirement, each backed by a trace (a
 * shortest witness or counterexample) or by what the search showed without one — unreachable (it saw every state),
 * bounded (it stopped at a depth or state bound), incomplete (the wall clock stopped it). The CLI prints it as a
 * matrix or JSON; src/report/ renders it as a self-contained HTML page; compare.ts puts two designs side by side.
 */
import { DESIGNS, type Design } from '../spec/index.js';
import type { HwKind } from '../uapi/index.js';
import { profileName, type Profile } from '../check/machine.js';
import type { Trace } from '../check/trace.js';
import type { Comparison } from './compare.js';
import type { Requirement } from './requirement.js';
import { leftOut } from './vocabulary.js';

export const EXPLORE_SCHEMA = 'ioasid-lab/explore@2';

export type CellVerdict =
  /** a capability reached: `trace` is a shortest witness (BFS) */
  | 'witness'
  /** a safety requirement broken: `trace` is a shortest counterexample (BFS) */
  | 'counterexample'
  /** the search saw every state of the vocabulary and none meets it: a proof, for this vocabulary */
  | 'unreachable'
  /** not within `depth` calls, and the search stopped at its depth or state bound */
  | 'bounded'
  /** the wall-clock safety stop ended the search first: nothing is claimed past `depth` */
  | 'incomplete';

/** Why a search ended: its frontier emptied, or it hit the depth bound, the state bound or the clock. */
export type StopReason = 'complete' | 'depth' | 'states' | 'time';

export interface RequirementInfo {
  readonly name: string;
  readonly kind: 'capability' | 'safety';
  readonly title: string;
  /** what it means and where it comes from (seed, facts) */
  readonly description: string;
}

export interface ExploreCell {
  /** the design's name (a built-in one, or a design file's variant) */
  readonly design: string;
  readonly hardware: HwKind;
  readonly requirement: string;
  readonly verdict: CellVerdict;
  /** for verdicts without a trace: why the search stopped */
  readonly stop?: StopReason;
  /** steps of `trace` (witness or counterexample) */
  readonly length?: number;
  readonly trace?: Trace;
  /** 'shortest' for BFS results */
  readonly minimality?: 'shortest' | '1-minimal';
  /** the last level (calls after the set-up) the search finished */
  readonly depth: number;
  /** distinct states visited (with symmetry reduction: up to renaming of ids, fds and files) */
  readonly states: number;
  /**
   * With symmetry reduction: the distinct states as numbered among every step the search took — a search without
   * the reduction keeps at least these apart (`numberedStates / states` is the reduction, at least)
   */
  readonly numberedStates?: number;
  /** why the design cannot offer the requirement at all (no call for it); the matrix shows `n/a` */
  readonly unavailable?: string;
  readonly ms: number;
}

export interface DesignInfo {
  readonly name: string;
  readonly title: string;
  /** the built-in design a design file's variant extends (absent for a built-in design) */
  readonly extends?: string;
  /** ioctls the design offers that the explorer does not call, with why */
  readonly leftOut: readonly { readonly ioctl: string; readonly why: string }[];
}

export interface ExploreReport {
  readonly schema: typeof EXPLORE_SCHEMA;
  /** the depth bound */
  readonly depth: number;
  /** the state bound of each search */
  readonly maxStates: number;
  readonly designs: readonly DesignInfo[];
  readonly hardware: readonly HwKind[];
  /** the machine every cell ran on, by name (absent: the default world) */
  readonly profile?: string;
  readonly requirements: readonly RequirementInfo[];
  /**
   * Symmetry reduction over the whole search (null: it was off): distinct states up to renaming, distinct states as
   * numbered among the steps taken (a search without the reduction keeps at least these apart), and their ratio.
   */
  readonly symmetry?: { readonly states: number; readonly numberedStates: number; readonly reductionAtLeast: number } | null;
  readonly cells: readonly ExploreCell[];
  /** `--compare A B`: the cells where the two designs differ */
  readonly comparison?: Comparison;
}

/** A cell's mark: `✔ n`, `✘ n`, `unreachable (complete: N states)`, `none ≤ k (bounded: stopped at N states)`, ... */
export function cellMark(c: ExploreCell, kind: 'capability' | 'safety' = 'capability'): string {
  const n = c.states.toLocaleString('en');
  if (c.unavailable !== undefined && c.verdict !== 'witness' && c.verdict !== 'counterexample') return 'n/a';
  switch (c.verdict) {
    case 'witness': return `✔ ${c.length}`;
    case 'counterexample': return `✘ ${c.length}`;
    case 'unreachable': return kind === 'safety' ? `holds (complete: ${n} states)` : `unreachable (complete: ${n} states)`;
    case 'bounded': return `none ≤ ${c.depth} (bounded: stopped at ${c.stop === 'depth' ? `depth ${c.depth}` : `${n} states`})`;
    case 'incomplete': return `incomplete (time: ${c.depth} levels, ${n} states)`;
  }
}

/** The short mark of a cell, for a table with many columns: `✔ 12`, `✘ 9`, `unreachable`, `none ≤ 7`, `n/a`. */
export function shortMark(c: ExploreCell, kind: 'capability' | 'safety' = 'capability'): string {
  if (c.unavailable !== undefined && c.verdict !== 'witness' && c.verdict !== 'counterexample') return 'n/a';
  switch (c.verdict) {
    case 'witness': return `✔ ${c.length}`;
    case 'counterexample': return `✘ ${c.length}`;
    case 'unreachable': return kind === 'safety' ? 'holds' : 'unreachable';
    case 'bounded': return `none ≤ ${c.depth}`;
    case 'incomplete': return 'incomplete';
  }
}

/**
 * The search's size with and without symmetry reduction, over every design x hardware kind searched: the distinct
 * states up to renaming, and (with the reduction on) the distinct states as numbered among every step taken, a
 * lower bound on what the search would keep apart without it. Null when the reduction was off.
 */
export function symmetryOf(cells: readonly ExploreCell[]): ExploreReport['symmetry'] {
  const searches = new Map<string, ExploreCell>();
  for (const c of cells) searches.set(`${c.design}|${c.hardware}`, c);
  const all = [...searches.values()];
  if (all.length === 0 || all.some((c) => c.numberedStates === undefined)) return null;
  const states = all.reduce((n, c) => n + c.states, 0);
  const numberedStates = all.reduce((n, c) => n + (c.numberedStates ?? 0), 0);
  return { states, numberedStates, reductionAtLeast: Number((numberedStates / Math.max(states, 1)).toFixed(2)) };
}

/** What the report says of a design. */
export function designInfo(d: Design): DesignInfo {
  const base = (DESIGNS as Record<string, Design | undefined>)[d.name];
  const parent = base === d ? undefined : (d as Design & { readonly extends?: string }).extends;
  return { name: d.name, title: d.title, ...(parent === undefined ? {} : { extends: parent }), leftOut: leftOut(d) };
}

/** The report of a search whose cells are `cells` (in design x hardware order, however they were computed). */
export function exploreReport(designs: readonly Design[], hardware: readonly HwKind[], bounds: { readonly depth: number; readonly maxStates: number }, requirements: readonly Requirement[], cells: readonly ExploreCell[], profile?: Profile): ExploreReport {
  return {
    schema: EXPLORE_SCHEMA, depth: bounds.depth, maxStates: bounds.maxStates,
    designs: designs.map(designInfo),
    hardware,
    ...(profile === undefined || profile === 'default' ? {} : { profile: profileName(profile) }),
    requirements: requirements.map((r) => ({ name: r.name, kind: r.kind, title: r.title, description: r.description })),
    symmetry: symmetryOf(cells),
    cells: [...cells],
  };
}
