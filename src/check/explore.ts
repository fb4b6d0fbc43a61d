/**
 * The design explorer: for one design on one hardware kind, a breadth-first search over the design's explorer
 * vocabulary (alphabet.ts), from a fixed set-up, deduplicating states (the spec's state plus the path facts the
 * requirements read). Calls that create an object run at most once each, in increasing vocabulary order (a
 * partial-order reduction: the vocabulary lists a creator after what it needs, and creation order only renames
 * ids, which no requirement reads); every other call may run at any point, any number of times. The first node where a requirement holds gives its shortest witness (a capability) or its
 * shortest counterexample (a safety requirement). What is not found within the depth bound is reported as such:
 * a bounded proof that no sequence of at most `depth` calls of that vocabulary reaches it.
 */
import { DESIGNS, initialState, observe, step, type State } from '../spec/index.js';
import { REQUIREMENTS, PROBE, type Requirement, type Situation } from '../spec/requirements/index.js';
import { machineOf, worldOf, type DesignName, type HwKind, type Observation } from '../uapi/index.js';
import { profileName, type Profile } from './machine.js';
import { alphabet, fixture } from './alphabet.js';
import { EXPLORE_SCHEMA, type ExploreCell, type ExploreReport } from './explore-report.js';
import { Bindings, encode, stepName, TRACE_SCHEMA, type Trace, type TraceStep } from './trace.js';

interface Node {
  /** creating calls of rank below this may no longer run (they run at most once each, in vocabulary order) */
  readonly made: number;
  readonly state: State;
  readonly syms: Bindings;
  readonly facts: ReadonlySet<string>;
  readonly steps: readonly TraceStep[];
  readonly last: Situation['last'];
}

/**
 * The part of a state that makes it distinct, canonically: the world and design are fixed for the search, and
 * page storage is named by what it holds rather than by its allocation number, so the same mappings reached in
 * another order are one state.
 */
function keyOf(n: Node): string {
  const s = n.state;
  const pagesOf = (id: number) => {
    const p = s.pages[id];
    return p ? `${p.uva}+${p.length}${p.writable ? 'w' : ''}` : '?';
  };
  const objects = Object.entries(s.objects).map(([k, o]) => [k, 'areas' in o ? { ...o, areas: o.areas.map((a) => ({ ...a, target: a.target.kind === 'pages' ? pagesOf(a.target.pages) : a.target })) } : o]);
  const stale = [...s.stale].map((e) => JSON.stringify(e, encode)).sort();
  return `${n.made}|` + JSON.stringify({ fds: s.fds, files: s.files, objects, attachments: s.attachments, userMem: s.userMem, pt: s.guestPgtables, pasid: s.guestPasidTables, stale }, encode) + `|${[...n.facts].sort().join(',')}`;
}

const staleSva = (o: Observation, dev: 'dev1' | 'dev2') => o.translate(dev, PROBE.pasid, PROBE.gva, 'read').stale.length > 0;

/** Path facts after a step (requirements that speak of history read these). */
function nextFacts(facts: ReadonlySet<string>, st: TraceStep, ok: boolean, out: unknown, o: Observation): ReadonlySet<string> {
  const f = new Set(facts);
  const name = stepName(st.cmd);
  if (name === 'DMA' && (out as { xlate?: { kind: string } } | undefined)?.xlate?.kind === 'hit') f.add('dma-hit');
  if (ok && facts.has('dma-hit') && /ATTACH|VFIO_DEVICE_BIND_P/.test(name)) f.add('attached-after-dma');
  // 'both-stale' describes this state only; 'was-both-stale' says the state before this step had it
  f.delete('was-both-stale');
  if (f.delete('both-stale')) f.add('was-both-stale');
  if (staleSva(o, 'dev1') && staleSva(o, 'dev2')) f.add('both-stale');
  return f;
}

export interface ExploreOptions {
  readonly design: DesignName;
  readonly hardware: HwKind;
  readonly depth: number;
  /** stop after this many distinct states (deterministic: the same bound on every machine) */
  readonly maxStates: number;
  /** and in any case after this many ms (cells not found by then report the depth actually completed) */
  readonly budgetMs: number;
  readonly requirements?: readonly Requirement[];
  /** the machine (default: today's world on `hardware`); its aperture must start at 0 (the vocabulary's RAM is at IOVA 0) */
  readonly profile?: Profile;
}

/** One BFS for every requirement at once; returns one cell per requirement. */
export function exploreDesign(opts: ExploreOptions): ExploreCell[] {
  const t0 = Date.now();
  const reqs = opts.requirements ?? REQUIREMENTS;
  const world = worldOf(machineOf(opts.profile, opts.hardware));
  const calls = alphabet(opts.design, opts.hardware);
  const creators = calls.flatMap((st, i) => (st.bind ? [i] : []));
  let root: Node = { made: 0, state: initialState(world, DESIGNS[opts.design]), syms: new Bindings(), facts: new Set(), steps: [], last: null };
  for (const st of fixture(DESIGNS[opts.design].node)) {
    const syms = root.syms.clone();
    const r = step(root.state, syms.resolve(st.cmd));
    syms.bind(st, r.result);
    root = { made: 0, state: r.state, syms, facts: root.facts, steps: [...root.steps, { ...st, spec: { result: r.result, rule: r.rule } }], last: null };
  }
  const found = new Map<string, Node>();
  const seen = new Set<string>([keyOf(root)]);
  let frontier = [root];
  let depth = 0;
  const judge = (n: Node) => {
    const s: Situation = { state: n.state, obs: observe(n.state), facts: n.facts, last: n.last };
    for (const r of reqs) if (!found.has(r.name) && r.holds(s)) found.set(r.name, n);
  };
  judge(root);
  const over = () => seen.size >= opts.maxStates || Date.now() - t0 >= opts.budgetMs;
  while (frontier.length > 0 && depth < opts.depth && found.size < reqs.length && !over()) {
    const next: Node[] = [];
    let cut = false;
    for (const n of frontier) {
      for (const [i, st] of calls.entries()) {
        // creating calls (those that bind a new id) run at most once each, in vocabulary order (skipping is fine):
        // creation order only renames ids, so the search does not explore every permutation of the same set-up
        const rank = creators.indexOf(i);
        if (rank !== -1 && rank < n.made) continue;
        const syms = n.syms.clone();
        const r = step(n.state, syms.resolve(st.cmd));
        syms.bind(st, r.result);
        const o = observe(r.state);
        const child: Node = {
          made: rank === -1 ? n.made : rank + 1, state: r.state, syms, facts: nextFacts(n.facts, st, r.result.ok, r.result.ok ? r.result.out : undefined, o),
          steps: [...n.steps, { ...st, spec: { result: r.result, rule: r.rule } }], last: { name: stepName(st.cmd), ok: r.result.ok },
        };
        const k = keyOf(child);
        if (seen.has(k)) continue;
        seen.add(k);
        judge(child);
        next.push(child);
      }
      if (over()) {
        cut = true;
        break;
      }
    }
    // a level cut short by the budget is not searched: the bound reported is the last complete level
    if (cut) break;
    frontier = next;
    depth++;
  }
  const ms = Date.now() - t0;
  return reqs.map((r) => {
    const n = found.get(r.name);
    const base = { design: opts.design, hardware: opts.hardware, requirement: r.name, depth, states: seen.size, ms };
    if (!n) return { ...base, verdict: 'none-within' as const };
    const machine = opts.profile === undefined || opts.profile === 'default' ? {} : { profile: opts.profile };
    const trace: Trace = { schema: TRACE_SCHEMA, design: opts.design, hardware: opts.hardware, ...machine, origin: { kind: 'explore', minimality: 'shortest' }, steps: n.steps };
    return { ...base, verdict: r.kind === 'capability' ? ('witness' as const) : ('counterexample' as const), length: n.steps.length, trace, minimality: 'shortest' as const };
  });
}

export function explore(designs: readonly DesignName[], hardware: readonly HwKind[], depth: number, maxStates: number, budgetMs: number, onCell?: (c: ExploreCell[]) => void, profile?: Profile): ExploreReport {
  const cells: ExploreCell[] = [];
  for (const design of designs) {
    for (const hw of hardware) {
      const got = exploreDesign({ design, hardware: hw, depth, maxStates, budgetMs, ...(profile === undefined ? {} : { profile }) });
      onCell?.(got);
      cells.push(...got);
    }
  }
  return {
    schema: EXPLORE_SCHEMA, depth,
    designs: designs.map((n) => ({ name: n, title: DESIGNS[n].title })),
    hardware,
    ...(profile === undefined || profile === 'default' ? {} : { profile: profileName(profile) }),
    requirements: REQUIREMENTS.map((r) => ({ name: r.name, kind: r.kind, title: r.title, description: r.description })),
    cells,
  };
}
