/**
 * Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012; Hypothesis does the same): each run draws its own
 * configuration — a random subset of the design's ioctls and environment actions, and its own shares of bad
 * references and of edge values (off, half, as configured, two and a half times: the configured share on average) — so rare combinations are not drowned by common ones (a run without DETACH keeps devices
 * attached; a run without UNMAP piles areas up). Each run also draws its RLIMIT_MEMLOCK: in a share of runs a
 * small one, so the charge and ENOMEM paths run, and its set-up variant, evenly among those the machine offers (one
 * of them a guest stage-1 nested on the VM's stage-2 with a device behind it; fixture.ts), unless `--setup` fixes it.
 * `--no-swarm` keeps every recipe and the configured shares.
 */
import fc from 'fast-check';
import type { EnvName, IoctlName } from '../uapi/index.js';
import type { GenConfig } from './gen-values.js';
import type { Fixture } from './fixture.js';

export type RecipeName = IoctlName | EnvName;

export interface RunConfig {
  /** the recipes this run draws from; null: every one */
  readonly enabled: ReadonlySet<RecipeName> | null;
  readonly gen: GenConfig;
  /** RLIMIT_MEMLOCK in pages for this run; undefined: the world's default */
  readonly memlockPages: number | undefined;
  /** the set-up variant the run starts from */
  readonly fixture: Fixture;
}

/** A run's bad-reference and edge-value shares, as multiples of the configured ones: off, low, as set, high (mean 1). */
const LEVELS: readonly number[] = [0, 0.5, 1, 2.5];

/** Small limits a share of runs get: around the 16 pages of the set-up's guest RAM, so charging fails part-way through real sequences (and, below 16, already at the set-up's attach). */
export const SMALL_MEMLOCK: readonly number[] = [4, 12, 17, 18, 20, 24, 32];

/** One run's configuration. `memlockPages` fixed by the user wins over the drawn one. */
export function runConfigA(names: readonly RecipeName[], gen: GenConfig, swarm: boolean, memlockPages: number | undefined, fixtures: readonly Fixture[] = ['plain', 'nested']): fc.Arbitrary<RunConfig> {
  const memlock: fc.Arbitrary<number | undefined> = memlockPages !== undefined
    ? fc.constant(memlockPages)
    : fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...SMALL_MEMLOCK) });
  const fixture = fc.constantFrom<Fixture>(...fixtures);
  if (!swarm) return fc.record({ memlock, fixture }).map(({ memlock: m, fixture: f }) => ({ enabled: null, gen, memlockPages: m, fixture: f }));
  return fc.record({
    on: fc.array(fc.boolean(), { minLength: names.length, maxLength: names.length }),
    bad: fc.constantFrom(...LEVELS),
    edge: fc.constantFrom(...LEVELS),
    memlock,
    fixture,
  }).map(({ on, bad, edge, memlock: m, fixture: f }) => {
    const picked = names.filter((_, i) => on[i]);
    return {
      // fewer than three recipes make no trace worth running: such a draw runs every recipe
      enabled: picked.length >= 3 ? new Set(picked) : null,
      gen: { badShare: Math.min(1, bad * gen.badShare), edgeShare: Math.min(1, edge * gen.edgeShare) },
      memlockPages: m,
      fixture: f,
    };
  });
}

/** A short stable text for a configuration (cache key, and what a counterexample's origin records). */
export function configKey(c: RunConfig): string {
  return `${c.enabled === null ? '*' : [...c.enabled].sort().join(',')}|${c.gen.badShare}|${c.gen.edgeShare}`;
}
