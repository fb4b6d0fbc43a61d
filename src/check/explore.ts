/**
 * The design explorer: for one design on one hardware kind, a breadth-first search over the design's explorer
 * vocabulary (alphabet.ts), from a fixed set-up. Calls that create an object (those that bind a symbol) create at
 * most once each, in any order; every other call may run at any point, any number of times. Nodes are told apart by
 * a fingerprint canonical under renaming (fingerprint.ts): two creation orders that only number the same objects
 * differently are one node (symmetry reduction), so the search need not assume that creation order does not
 * matter — it merges exactly the orders that lead to the same numbered-up-to-renaming state. Every step is judged
 * as it is taken: the first node where a requirement holds gives its shortest witness (a capability) or its
 * shortest counterexample (a safety requirement). What is not found within the depth bound is reported as such:
 * a bounded proof that no sequence of at most `depth` calls of that vocabulary reaches it.
 */
import { DESIGNS, initialState, observe, step, translate, type State } from '../spec/index.js';
import { REQUIREMENTS, PROBE, type Requirement, type Situation } from '../spec/requirements/index.js';
import { machineOf, worldOf, type Cmd, type DesignName, type HwKind } from '../uapi/index.js';
import { profileName, type Profile } from './machine.js';
import { alphabet, fixture } from './alphabet.js';
import { EXPLORE_SCHEMA, type ExploreCell, type ExploreReport } from './explore-report.js';
import { fingerprint, type Referent } from './fingerprint.js';
import { BINDERS, Bindings, stepName, TRACE_SCHEMA, type Sym, type Trace, type TraceStep } from './trace.js';

/** Path facts (Situation.facts), one bit each. */
const FACTS = ['dma-hit', 'attached-after-dma', 'both-stale', 'was-both-stale'] as const;
const DMA_HIT = 1;
const ATTACHED_AFTER_DMA = 2;
const BOTH_STALE = 4;
const WAS_BOTH_STALE = 8;
/** The facts of each mask as the set requirements read. */
const factSets: readonly ReadonlySet<string>[] = Array.from({ length: 1 << FACTS.length }, (_, m) => new Set<string>(FACTS.filter((_f, i) => m & (1 << i))));

interface Node {
  readonly state: State;
  readonly syms: Bindings;
  /** what each bound symbol names (the anchors of canonical numbering) */
  readonly refs: ReadonlyMap<Sym, Referent>;
  /** the creating calls that created something on the way here (bit i: the i-th call of the vocabulary) */
  readonly made: number;
  /** path facts (FACTS bits) */
  readonly facts: number;
  /** the node this one was reached from, and the call (with the spec's answer) that led here */
  readonly parent: Node | null;
  readonly step: TraceStep | null;
  readonly last: Situation['last'];
}

/** What a node is told apart by besides its state and symbols: the creating calls used and the path facts. */
const extraOf = (n: Pick<Node, 'made' | 'facts'>) => n.made * 16 + n.facts;

/** The trace that reached `n`, set-up included. */
function stepsTo(n: Node): TraceStep[] {
  const out: TraceStep[] = [];
  for (let x: Node | null = n; x !== null; x = x.parent) if (x.step) out.push(x.step);
  return out.reverse();
}

/** Whether dev1 and dev2 may both see a stale stage-1 answer at the probe address, once per state. */
const bothStaleOf = new WeakMap<State, boolean>();
function bothStale(s: State): boolean {
  if (s.stale.length === 0) return false; // a stale answer is a cached guest entry the guest has changed since
  let b = bothStaleOf.get(s);
  if (b === undefined) {
    const stale = (dev: 'dev1' | 'dev2') => translate(s, dev, PROBE.pasid, PROBE.gva, 'read').stale.length > 0;
    bothStaleOf.set(s, (b = stale('dev1') && stale('dev2')));
  }
  return b;
}

/** Path facts after a step (requirements that speak of history read these). */
function nextFacts(facts: number, name: string, ok: boolean, out: unknown, s: State): number {
  let f = facts;
  if (name === 'DMA' && (out as { xlate?: { kind: string } } | undefined)?.xlate?.kind === 'hit') f |= DMA_HIT;
  if (ok && facts & DMA_HIT && /ATTACH|VFIO_DEVICE_BIND_P/.test(name)) f |= ATTACHED_AFTER_DMA;
  // 'both-stale' describes this state only; 'was-both-stale' says the state before this step had it
  f &= ~WAS_BOTH_STALE;
  if (f & BOTH_STALE) f = (f & ~BOTH_STALE) | WAS_BOTH_STALE;
  if (bothStale(s)) f |= BOTH_STALE;
  return f;
}

/** The referents a successful step binds: an fd, or an object of the file the call was issued on. */
function referents(st: TraceStep, cmd: Cmd, before: State, out: Record<string, unknown>): [Sym, Referent][] {
  const name = stepName(st.cmd);
  const file = 'fd' in cmd ? before.fds[cmd.fd] : undefined;
  return Object.entries(st.bind ?? {}).flatMap(([field, sym]): [Sym, Referent][] => {
    const v = out[field];
    if (typeof v !== 'number') return [];
    if (BINDERS[name]?.[field] === 'fd') return [[sym, { fd: v }]];
    return file === undefined ? [] : [[sym, { obj: `${file}:${v}` }]];
  });
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
  /** symmetry reduction (default on): nodes that differ only by numbering are one */
  readonly symmetry?: boolean;
}

/** One BFS for every requirement at once; returns one cell per requirement. */
export function exploreDesign(opts: ExploreOptions): ExploreCell[] {
  const t0 = Date.now();
  const reqs = opts.requirements ?? REQUIREMENTS;
  const symmetry = opts.symmetry ?? true;
  const world = worldOf(machineOf(opts.profile, opts.hardware));
  const calls = alphabet(DESIGNS[opts.design], opts.hardware);
  const names = calls.map((st) => stepName(st.cmd));
  const creates = calls.map((st) => st.bind !== undefined);
  let root: Node = { state: initialState(world, DESIGNS[opts.design]), syms: new Bindings(), refs: new Map(), made: 0, facts: 0, parent: null, step: null, last: null };
  for (const st of fixture(DESIGNS[opts.design].node)) {
    const syms = root.syms.clone();
    const cmd = syms.resolve(st.cmd);
    const r = step(root.state, cmd);
    syms.bind(st, r.result);
    const refs = new Map([...root.refs, ...(r.result.ok ? referents(st, cmd, root.state, r.result.out as Record<string, unknown>) : [])]);
    root = { ...root, state: r.state, syms, refs, parent: root, step: { ...st, spec: { result: r.result, rule: r.rule } } };
  }
  // the fixture's nodes are one chain; the search starts at its end
  const key = (n: Node) => fingerprint({ state: n.state, refs: n.refs, extra: extraOf(n) }, symmetry);
  const seen = new Set<number>([key(root)]);
  /** with symmetry: the nodes as numbered, of every step taken (a search without symmetry keeps at least these apart) */
  const numbered = new Set<number>(symmetry ? [fingerprint({ state: root.state, refs: root.refs, extra: extraOf(root) }, false)] : []);
  const found = new Map<string, Node>();
  const judge = (n: Node) => {
    let sit: Situation | undefined;
    for (const r of reqs) {
      if (found.has(r.name)) continue;
      sit ??= { state: n.state, obs: observe(n.state), facts: factSets[n.facts]!, last: n.last }; // facts < 16
      if (r.holds(sit)) found.set(r.name, n);
    }
  };
  judge(root);
  /** each call resolved against a node's symbols, once per set of bindings (only a creating call makes a new one) */
  const resolved = new WeakMap<Bindings, Cmd[]>();
  const resolve = (n: Node, i: number): Cmd => {
    let cmds = resolved.get(n.syms);
    if (cmds === undefined) resolved.set(n.syms, (cmds = []));
    return (cmds[i] ??= n.syms.resolve(calls[i]!.cmd)); // i < calls.length
  };
  let frontier = [root];
  let depth = 0;
  const over = () => seen.size >= opts.maxStates || Date.now() - t0 >= opts.budgetMs;
  while (frontier.length > 0 && depth < opts.depth && found.size < reqs.length && !over()) {
    const next: Node[] = [];
    let cut = false;
    for (const n of frontier) {
      for (let i = 0; i < calls.length; i++) {
        // a creating call creates at most once on a path
        if (creates[i] && n.made & (1 << i)) continue;
        const st = calls[i]!; // i < calls.length
        const cmd = resolve(n, i);
        const r = step(n.state, cmd);
        const ok = r.result.ok;
        const made = creates[i] && ok;
        let syms = n.syms;
        let refs = n.refs;
        if (made) {
          syms = n.syms.clone();
          syms.bind(st, r.result);
          refs = new Map([...n.refs, ...referents(st, cmd, n.state, r.result.out as Record<string, unknown>)]);
        }
        const facts = nextFacts(n.facts, names[i]!, ok, ok ? r.result.out : undefined, r.state); // i < calls.length
        // a call that failed and changed nothing leaves the situation of `n`, already judged
        if (!ok && r.state === n.state && facts === n.facts) continue;
        const child: Node = {
          state: r.state, syms, refs, made: made ? n.made | (1 << i) : n.made, facts, parent: n,
          step: { ...st, spec: { result: r.result, rule: r.rule } }, last: { name: names[i]!, ok }, // i < calls.length
        };
        judge(child);
        if (symmetry) numbered.add(fingerprint({ state: child.state, refs, extra: extraOf(child) }, false));
        const k = key(child);
        if (seen.has(k)) continue;
        seen.add(k);
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
  const states = seen.size;
  const symmetryFigures = symmetry ? { numberedStates: Math.max(numbered.size, states) } : {};
  return reqs.map((r) => {
    const n = found.get(r.name);
    const base = { design: opts.design, hardware: opts.hardware, requirement: r.name, depth, states, ...symmetryFigures, ms };
    if (!n) return { ...base, verdict: 'none-within' as const };
    const steps = stepsTo(n);
    const machine = opts.profile === undefined || opts.profile === 'default' ? {} : { profile: opts.profile };
    const trace: Trace = { schema: TRACE_SCHEMA, design: opts.design, hardware: opts.hardware, ...machine, origin: { kind: 'explore', minimality: 'shortest' }, steps };
    return { ...base, verdict: r.kind === 'capability' ? ('witness' as const) : ('counterexample' as const), length: steps.length, trace, minimality: 'shortest' as const };
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
  return exploreReport(designs, hardware, depth, cells, profile);
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

/** The report of a search whose cells are `cells` (in design x hardware order, however they were computed). */
export function exploreReport(designs: readonly DesignName[], hardware: readonly HwKind[], depth: number, cells: readonly ExploreCell[], profile?: Profile): ExploreReport {
  return {
    schema: EXPLORE_SCHEMA, depth,
    designs: designs.map((n) => ({ name: n, title: DESIGNS[n].title })),
    hardware,
    ...(profile === undefined || profile === 'default' ? {} : { profile: profileName(profile) }),
    requirements: REQUIREMENTS.map((r) => ({ name: r.name, kind: r.kind, title: r.title, description: r.description })),
    symmetry: symmetryOf(cells),
    cells: [...cells],
  };
}
