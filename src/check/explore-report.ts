/**
 * The explorer's result as data: one cell per design x hardware kind x requirement, each backed by a trace (a
 * shortest witness, a shortest or 1-minimal counterexample) or by the bound within which nothing was found.
 * The CLI prints it as a matrix or JSON; src/report/ renders it as a self-contained HTML page.
 */
import type { DesignName, HwKind } from '../uapi/index.js';
import type { Trace } from './trace.js';

export const EXPLORE_SCHEMA = 'ioasid-lab/explore@1';

export type CellVerdict =
  /** a capability reached: `trace` is a shortest witness (BFS) */
  | 'witness'
  /** a safety requirement broken: `trace` is a shortest (BFS) counterexample */
  | 'counterexample'
  /** a capability not reached, or a safety requirement not broken, by any sequence of up to `depth` calls */
  | 'none-within';

export interface RequirementInfo {
  readonly name: string;
  readonly kind: 'capability' | 'safety';
  readonly title: string;
  /** what it means and where it comes from (seed, facts) */
  readonly description: string;
}

export interface ExploreCell {
  readonly design: DesignName;
  readonly hardware: HwKind;
  readonly requirement: string;
  readonly verdict: CellVerdict;
  /** steps of `trace` (witness or counterexample) */
  readonly length?: number;
  readonly trace?: Trace;
  /** 'shortest' for BFS results */
  readonly minimality?: 'shortest' | '1-minimal';
  /** the depth bound searched */
  readonly depth: number;
  /** distinct states visited (with symmetry reduction: up to renaming of ids, fds and files) */
  readonly states: number;
  /**
   * With symmetry reduction: the distinct states as numbered among every step the search took — a search without
   * the reduction keeps at least these apart (`numberedStates / states` is the reduction, at least)
   */
  readonly numberedStates?: number;
  readonly ms: number;
}

export interface ExploreReport {
  readonly schema: typeof EXPLORE_SCHEMA;
  readonly depth: number;
  readonly designs: readonly { readonly name: DesignName; readonly title: string }[];
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
}
