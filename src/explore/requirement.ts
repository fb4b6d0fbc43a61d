/**
 * The requirements API: what a requirement may read, and how the explorer hands it over (docs/designing.md).
 * A requirement is a value: a capability (a goal; the explorer looks for a shortest witness) or a safety
 * requirement (a bad situation; the explorer looks for a shortest counterexample). It reads only the Situation —
 * the spec's state after a call, its design-neutral observation, the call that led there and the state before it,
 * and its own path memory — never a design's ioctls, so one requirement judges every design. Requirements that
 * need more of the path's history than the last call keep it in `memory`: a small number the explorer carries on
 * every search node (two nodes with different memories are different nodes), updated after every call. The search
 * itself (search.ts) never changes for a new requirement.
 */
import type { Access, Cmd, DevName, Observation, Pasid, Xlate } from '../uapi/index.js';
import type { Design, State } from '../spec/index.js';
import type { RuleId } from '../spec/index.js';
import type { ExploreWorld } from './world.js';

/** One call of the path: its name (`IOMMU_IOAS_MAP`, `DMA`), whether it succeeded, and the spec rule it took. */
export interface CallView {
  readonly name: string;
  readonly ok: boolean;
  readonly rule: RuleId;
  /** the call as made (symbols resolved) */
  readonly cmd: Cmd;
  /** what it returned when it succeeded (a DMA: `{ xlate, stale }`), else undefined */
  readonly out: unknown;
}

/** A state of the path with its observation (computed when first asked) and DMA probes. */
export interface StateView {
  readonly state: State;
  readonly obs: Observation;
  /** what one DMA does now, as `obs.translate` */
  readonly dma: (dev: DevName, pasid: Pasid | null, iova: bigint, access?: Access) => { readonly xlate: Xlate; readonly stale: readonly Xlate[] };
  /** whether a DMA now reaches exactly host page `hpa`, with no stale answer another IOTLB entry might give */
  readonly reaches: (dev: DevName, pasid: Pasid | null, iova: bigint, hpa: bigint) => boolean;
}

/** What a requirement sees at one node of the search. */
export interface Situation extends StateView {
  /** the call that led here (null at the end of the set-up) */
  readonly last: CallView | null;
  /** the node the last call was made from (null at the end of the set-up) */
  readonly before: StateView | null;
  /** this requirement's path memory at this node (its `memory.initial` at the end of the set-up) */
  readonly memory: number;
  /** the explorer's world: VMs, devices, address ranges, PASIDs, probe addresses (world.ts) */
  readonly world: ExploreWorld;
}

/** A path memory: a small number per node, updated after every call from the situation the call led to. */
export interface Memory {
  readonly initial: number;
  /** the memory after a call, from the memory before it and the situation it led to (`s.memory` is the old value) */
  readonly next: (s: Situation) => number;
}

export interface Requirement {
  /** a slug: the matrix row and `--requirement NAME` */
  readonly name: string;
  readonly kind: 'capability' | 'safety';
  readonly title: string;
  /** what it means and where it comes from (seed, facts) */
  readonly description: string;
  /** capability: the goal; safety: the bad situation */
  readonly holds: (s: Situation) => boolean;
  /**
   * What it reads: `state` — only the state now (the search then judges each distinct state once, the first time it
   * is reached, which is where its shortest path ends); `path` (default) — also `last`, `before` or `memory`, so it
   * is judged after every call.
   */
  readonly reads?: 'state' | 'path';
  readonly memory?: Memory;
  /**
   * Why a design cannot offer this at all (no call for it), or null: the matrix then shows `n/a` with the reason
   * instead of a search verdict (the search still runs and must agree: a test holds it to that).
   */
  readonly unavailable?: (d: Design) => string | null;
}
