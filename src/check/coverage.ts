/**
 * Rule coverage: every spec rule id (IOAS_UNMAP.ENOENT.split_after_removing, …) a design can return is a coverage
 * point, and so is every (command × errno) pair. `check` prints how many it reached of how many exist; `--coverage`
 * lists the unreached ones, marking those the reviewed list (unreached.ts) explains. A reached rule the catalogue
 * does not know is reported too: the catalogue (src/spec/rules.ts) is then out of date.
 */
import { errnoOfRule, outcomesOf, type Design } from '../spec/index.js';
import { knownUnreached } from './unreached.js';

export interface CoverageReport {
  readonly design: string;
  /** rule ids that exist for the design, and how many of them were reached */
  readonly rules: number;
  readonly reached: number;
  /** unreached rule ids, with the reviewed reason where there is one */
  readonly unreached: readonly { readonly rule: string; readonly reason: string | null }[];
  /** (command × errno) pairs: how many exist, how many were reached, which were not */
  readonly errnos: number;
  readonly errnosReached: number;
  readonly errnosUnreached: readonly string[];
  /** reached rule ids the catalogue does not list (a stale catalogue) */
  readonly unknown: readonly string[];
}

export function coverageOf(design: Design, reached: ReadonlyMap<string, number>): CoverageReport {
  const byCmd = outcomesOf(design);
  const all = new Map<string, string>(); // rule -> command
  for (const [cmd, rules] of byCmd) for (const r of rules) all.set(r, cmd);
  const hit = (r: string) => (reached.get(r) ?? 0) > 0;
  const pairs = new Map<string, boolean>();
  for (const [r, cmd] of all) {
    const e = errnoOfRule(r);
    if (e) pairs.set(`${cmd} ${e}`, (pairs.get(`${cmd} ${e}`) ?? false) || hit(r));
  }
  const unreached = [...all.keys()].filter((r) => !hit(r)).sort().map((rule) => ({ rule, reason: knownUnreached(design.name, rule) }));
  return {
    design: design.name,
    rules: all.size,
    reached: all.size - unreached.length,
    unreached,
    errnos: pairs.size,
    errnosReached: [...pairs.values()].filter(Boolean).length,
    errnosUnreached: [...pairs].filter(([, h]) => !h).map(([p]) => p).sort(),
    unknown: [...reached.keys()].filter((r) => !all.has(r)).sort(),
  };
}

/** Merge the per-hardware coverage maps of one design. */
export function mergeCoverage(maps: readonly ReadonlyMap<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of maps) for (const [r, n] of m) out.set(r, (out.get(r) ?? 0) + n);
  return out;
}
