/**
 * The explorer's search: for one design on one hardware kind, a breadth-first search over the design's vocabulary
 * (vocabulary.ts) from its fixture. Calls that create an object (those that bind a symbol) create at most once each,
 * in any order; every other call may run at any point, any number of times. Nodes are told apart by a fingerprint
 * canonical under renaming of ids, fds and files (src/check/fingerprint.ts), by the creating calls used and by the
 * requirements' path memories. Every requirement is judged as the search goes (requirement.ts says when): the first
 * node where one holds ends a shortest witness (a capability) or a shortest counterexample (a safety requirement).
 *
 * The search stops when its frontier empties (it has seen every state: what it did not find is unreachable), at the
 * depth bound or the state bound (deterministic: the same cut on every machine; what it did not find is bounded by
 * the last level it finished), or — a safety stop only — at the wall-clock budget (what it did not find is
 * incomplete, and says so).
 */
import { DESIGNS, initialState, observe, step, translate, type Design, type State } from '../spec/index.js';
import { machineOf, worldOf, type Access, type Cmd, type DesignName, type DevName, type HwKind, type Observation, type Pasid } from '../uapi/index.js';
import type { Profile } from '../check/machine.js';
import { fingerprint, Hash, type Referent } from '../check/fingerprint.js';
import { BINDERS, Bindings, stepName, TRACE_SCHEMA, type Sym, type Trace, type TraceStep } from '../check/trace.js';
import type { CallView, Requirement, Situation, StateView } from './requirement.js';
import { REQUIREMENTS } from './requirements.js';
import { fixture, vocabulary } from './vocabulary.js';
import { WORLD } from './world.js';
import { exploreReport, type ExploreCell, type ExploreReport, type StopReason } from './report.js';

interface Node {
  readonly state: State;
  readonly syms: Bindings;
  /** what each bound symbol names (the anchors of canonical numbering) */
  readonly refs: ReadonlyMap<Sym, Referent>;
  /** the creating calls that created something on the way here (bit i: the i-th creating call) */
  readonly made: number;
  /** each requirement's path memory (REQUIREMENTS order; 0 for one without memory) */
  readonly memory: readonly number[];
  readonly parent: Node | null;
  readonly step: TraceStep | null;
  readonly last: CallView | null;
}

/** The trace that reached `n`, set-up included. */
function stepsTo(n: Node): TraceStep[] {
  const out: TraceStep[] = [];
  for (let x: Node | null = n; x !== null; x = x.parent) if (x.step) out.push(x.step);
  return out.reverse();
}

/** What tells nodes with the same state and symbols apart: the creating calls used and the path memories. */
function extraOf(n: Pick<Node, 'made' | 'memory'>): number {
  if (n.memory.every((m) => m === 0)) return n.made;
  const h = new Hash().num(n.made);
  for (const m of n.memory) h.num(m);
  return h.value;
}

/** A state with its observation (computed once, when first asked) and DMA probes. */
class View implements StateView {
  private o: Observation | undefined;
  constructor(readonly state: State) {}
  get obs(): Observation {
    return (this.o ??= observe(this.state));
  }
  dma(dev: DevName, pasid: Pasid | null, iova: bigint, access: Access = 'read') {
    return translate(this.state, dev, pasid, iova, access);
  }
  reaches(dev: DevName, pasid: Pasid | null, iova: bigint, hpa: bigint): boolean {
    const t = this.dma(dev, pasid, iova);
    return t.xlate.kind === 'hit' && t.xlate.hpa === hpa && t.stale.length === 0;
  }
}

/** The situation of a requirement at a node: the node's view, the call before, the view before, its memory. */
class At implements Situation {
  readonly world = WORLD;
  constructor(private readonly view: View, readonly last: CallView | null, readonly before: View | null, readonly memory: number) {}
  get state() { return this.view.state; }
  get obs() { return this.view.obs; }
  dma(dev: DevName, pasid: Pasid | null, iova: bigint, access: Access = 'read') { return this.view.dma(dev, pasid, iova, access); }
  reaches(dev: DevName, pasid: Pasid | null, iova: bigint, hpa: bigint) { return this.view.reaches(dev, pasid, iova, hpa); }
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
  /** a built-in design by name, or a design value (a design file's variant) */
  readonly design: DesignName | Design;
  readonly hardware: HwKind;
  /** calls after the set-up */
  readonly depth: number;
  /** stop after this many distinct states (deterministic: the same bound on every machine) */
  readonly maxStates: number;
  /** a safety stop only: past this many ms the search stops and what it did not find is `incomplete` */
  readonly budgetMs: number;
  readonly requirements?: readonly Requirement[];
  /** the machine (default: today's world on `hardware`); its aperture must start at 0 (the world's RAM is at IOVA 0) */
  readonly profile?: Profile;
  /** symmetry reduction (default on): nodes that differ only by numbering are one */
  readonly symmetry?: boolean;
}

const designOf = (d: DesignName | Design): Design => (typeof d === 'string' ? DESIGNS[d] : d);

/** One BFS for every requirement at once; returns one cell per requirement. */
export function exploreDesign(opts: ExploreOptions): ExploreCell[] {
  const t0 = Date.now();
  const design = designOf(opts.design);
  const reqs = opts.requirements ?? REQUIREMENTS;
  const symmetry = opts.symmetry ?? true;
  const world = worldOf(machineOf(opts.profile, opts.hardware));
  const calls = vocabulary(design, opts.hardware);
  const names = calls.map((st) => stepName(st.cmd));
  /** each creating call's bit in Node.made, or -1 */
  let creators = 0;
  const createBit = calls.map((st) => (st.bind === undefined ? -1 : creators++));
  const withMemory = reqs.map((r) => r.memory);
  const byState = reqs.filter((r) => r.reads === 'state');
  const byPath = reqs.filter((r) => r.reads !== 'state');

  let root: Node = { state: initialState(world, design), syms: new Bindings(), refs: new Map(), made: 0, memory: reqs.map((r) => r.memory?.initial ?? 0), parent: null, step: null, last: null };
  for (const st of fixture(design)) {
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
  const judge = (n: Node, view: View, before: View | null, which: readonly Requirement[]) => {
    for (const r of which) {
      if (found.has(r.name)) continue;
      if (r.holds(new At(view, n.last, before, n.memory[reqs.indexOf(r)]!))) found.set(r.name, n); // r is one of reqs
    }
  };
  const rootView = new View(root.state);
  judge(root, rootView, null, reqs);
  /** each call resolved against a node's symbols, once per set of bindings (only a creating call makes a new one) */
  const resolved = new WeakMap<Bindings, Cmd[]>();
  const resolve = (n: Node, i: number): Cmd => {
    let cmds = resolved.get(n.syms);
    if (cmds === undefined) resolved.set(n.syms, (cmds = []));
    return (cmds[i] ??= n.syms.resolve(calls[i]!.cmd)); // i < calls.length
  };
  let frontier: { node: Node; view: View }[] = [{ node: root, view: rootView }];
  let depth = 0;
  let stop: StopReason = 'complete';
  const overTime = () => Date.now() - t0 >= opts.budgetMs;
  while (frontier.length > 0 && found.size < reqs.length) {
    if (depth >= opts.depth) { stop = 'depth'; break; }
    const next: typeof frontier = [];
    let cut: StopReason | null = null;
    for (const { node: n, view: nView } of frontier) {
      for (let i = 0; i < calls.length; i++) {
        const bit = createBit[i]!; // i < calls.length
        // a creating call creates at most once on a path
        if (bit >= 0 && n.made & (1 << bit)) continue;
        const st = calls[i]!; // i < calls.length
        const cmd = resolve(n, i);
        const r = step(n.state, cmd);
        const ok = r.result.ok;
        const made = bit >= 0 && ok;
        let syms = n.syms;
        let refs = n.refs;
        if (made) {
          syms = n.syms.clone();
          syms.bind(st, r.result);
          refs = new Map([...n.refs, ...referents(st, cmd, n.state, r.result.out as Record<string, unknown>)]);
        }
        const last: CallView = { name: names[i]!, ok, rule: r.rule, cmd, out: ok ? r.result.out : undefined }; // i < calls.length
        const view = r.state === n.state ? nView : new View(r.state);
        const memory = withMemory.map((m, j) => (m ? m.next(new At(view, last, nView, n.memory[j]!)) : 0)); // j < reqs.length
        // a call that failed and changed nothing leaves the situation of `n`, already judged
        if (!ok && r.state === n.state && memory.every((m, j) => m === n.memory[j])) continue;
        const child: Node = {
          state: r.state, syms, refs, made: made ? n.made | (1 << bit) : n.made, memory, parent: n,
          step: { ...st, spec: { result: r.result, rule: r.rule } }, last,
        };
        judge(child, view, nView, byPath);
        if (symmetry) numbered.add(fingerprint({ state: child.state, refs, extra: extraOf(child) }, false));
        const k = key(child);
        if (seen.has(k)) continue;
        seen.add(k);
        // a state-only requirement is judged where a state is first reached: the end of its shortest path
        judge(child, view, nView, byState);
        next.push({ node: child, view });
      }
      if (seen.size >= opts.maxStates) { cut = 'states'; break; }
      if (overTime()) { cut = 'time'; break; }
    }
    // a level cut short is not searched: the bound reported is the last complete level
    if (cut !== null) { stop = cut; break; }
    frontier = next;
    depth++;
  }
  if (frontier.length === 0) stop = 'complete';
  const ms = Date.now() - t0;
  const states = seen.size;
  const symmetryFigures = symmetry ? { numberedStates: Math.max(numbered.size, states) } : {};
  return reqs.map((r) => {
    const n = found.get(r.name);
    const base = { design: design.name, hardware: opts.hardware, requirement: r.name, depth, states, ...symmetryFigures, ms, ...unavailableOf(r, design) };
    if (!n) return { ...base, verdict: stop === 'complete' ? 'unreachable' as const : stop === 'time' ? 'incomplete' as const : 'bounded' as const, stop };
    const steps = stepsTo(n);
    const machine = opts.profile === undefined || opts.profile === 'default' ? {} : { profile: opts.profile };
    const trace: Trace = { schema: TRACE_SCHEMA, design: design.name as DesignName /* a variant's trace names the variant: it replays where its design value is given */, hardware: opts.hardware, ...machine, origin: { kind: 'explore', minimality: 'shortest' }, steps };
    return { ...base, verdict: r.kind === 'capability' ? ('witness' as const) : ('counterexample' as const), length: steps.length, trace, minimality: 'shortest' as const };
  });
}

/** A requirement's reason a design cannot offer it at all, as a cell field. */
function unavailableOf(r: Requirement, d: Design): { unavailable?: string } {
  const why = r.unavailable?.(d) ?? null;
  return why === null ? {} : { unavailable: why };
}

/** The default bounds: deep and wide enough that every built-in search completes (the matrix proves its "none"s). */
export const EXPLORE_DEFAULTS = { depth: 40, maxStates: 200_000, budgetS: 600 } as const;

/** Every design x hardware kind in this thread, as `explore --workers 1` does; the report of all of them. */
export function explore(designs: readonly (DesignName | Design)[], hardware: readonly HwKind[], o: Partial<Omit<ExploreOptions, 'design' | 'hardware'>> = {}): ExploreReport {
  const bounds = { depth: o.depth ?? EXPLORE_DEFAULTS.depth, maxStates: o.maxStates ?? EXPLORE_DEFAULTS.maxStates, budgetMs: o.budgetMs ?? EXPLORE_DEFAULTS.budgetS * 1000 };
  const cells = designs.flatMap((design) => hardware.flatMap((hw) => exploreDesign({ ...o, ...bounds, design, hardware: hw })));
  return exploreReport(designs.map(designOf), hardware, bounds, o.requirements ?? REQUIREMENTS, cells, o.profile);
}
