/**
 * npm run bench:immer: what immer costs the spec, against the alternatives docs/perf.md weighs, on the effects the
 * spec's rules make most (a field of one object, one more attachment, an object destroyed with its attachments), on
 * a real state (the iommufd explorer vocabulary after its set-up and 8 calls: 6 objects, 2 attachments).
 *  - immer produce (what the spec uses; auto-freeze off, as in check and explore);
 *  - immer produceWithPatches (patches as an undo log);
 *  - a hand-written copy of the changed path (structural sharing without proxies: what immer computes, by hand);
 *  - in-place mutation with an undo log (a mutable state for search: apply, then undo to go back).
 * Printed as ns per effect and as ratios to immer produce, all from one run.
 */
import { enablePatches, produce, produceWithPatches, setAutoFreeze } from 'immer';
import { DESIGNS, initialState, step, type State } from '../src/spec/index.js';
import { defaultWorld } from '../src/uapi/index.js';
import { fixture, vocabulary } from '../src/explore/index.js';
import { Bindings } from '../src/check/trace.js';

setAutoFreeze(false);
enablePatches();

let s0 = initialState(defaultWorld(), DESIGNS.iommufd);
const syms = new Bindings();
for (const st of [...fixture(DESIGNS.iommufd), ...vocabulary(DESIGNS.iommufd, 'host-pasid-table').slice(0, 8)]) {
  const r = step(s0, syms.resolve(st.cmd));
  syms.bind(st, r.result);
  s0 = r.state;
}
const base = s0;
const ioasKey = Object.keys(base.objects).find((k) => base.objects[k as keyof typeof base.objects]!.kind === 'ioas') as keyof State['objects'];
const hwptKey = Object.keys(base.objects).find((k) => base.objects[k as keyof typeof base.objects]!.kind === 'hwpt_paging') as keyof State['objects'];
type Mutable = { -readonly [K in keyof State]: State[K] };

interface Effect {
  readonly name: string;
  readonly immer: (s: State) => State;
  readonly patches: (s: State) => unknown;
  readonly byHand: (s: State) => State;
  /** mutate in place, return the undo */
  readonly inPlace: (s: Mutable) => () => void;
}

const att = { dev: 'dev2', pasid: 7, ctx: hwptKey } as State['attachments'][number];
const EFFECTS: readonly Effect[] = [
  {
    name: 'set a field of one object',
    immer: (s) => produce(s, (d) => { (d.objects[ioasKey] as { domain: boolean }).domain = true; }),
    patches: (s) => produceWithPatches(s, (d) => { (d.objects[ioasKey] as { domain: boolean }).domain = true; }),
    byHand: (s) => ({ ...s, objects: { ...s.objects, [ioasKey]: { ...s.objects[ioasKey]!, domain: true } } }),
    inPlace: (s) => {
      const o = s.objects[ioasKey] as { domain: boolean };
      const was = o.domain;
      o.domain = true;
      return () => { o.domain = was; };
    },
  },
  {
    name: 'one more attachment',
    immer: (s) => produce(s, (d) => { d.attachments.push(att); }),
    patches: (s) => produceWithPatches(s, (d) => { d.attachments.push(att); }),
    byHand: (s) => ({ ...s, attachments: [...s.attachments, att] }),
    inPlace: (s) => {
      (s.attachments as State['attachments'][number][]).push(att);
      return () => { (s.attachments as State['attachments'][number][]).pop(); };
    },
  },
  {
    name: 'destroy an object and its attachments',
    immer: (s) => produce(s, (d) => { delete d.objects[hwptKey]; d.attachments = d.attachments.filter((a) => a.ctx !== hwptKey); }),
    patches: (s) => produceWithPatches(s, (d) => { delete d.objects[hwptKey]; d.attachments = d.attachments.filter((a) => a.ctx !== hwptKey); }),
    byHand: (s) => {
      const { [hwptKey]: _gone, ...objects } = s.objects;
      return { ...s, objects, attachments: s.attachments.filter((a) => a.ctx !== hwptKey) };
    },
    inPlace: (s) => {
      const objects = s.objects as Record<string, State['objects'][keyof State['objects']]>;
      const o = objects[hwptKey]!;
      const atts = s.attachments;
      delete objects[hwptKey];
      s.attachments = atts.filter((a) => a.ctx !== hwptKey);
      return () => { objects[hwptKey] = o; s.attachments = atts; };
    },
  },
];

const N = Number(process.env.BENCH_N ?? 200_000);
const ns = (f: () => void) => {
  for (let i = 0; i < N / 10; i++) f(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < N; i++) f();
  return ((performance.now() - t0) / N) * 1e6;
};

console.log(`immer and its alternatives, ns per effect (${N.toLocaleString('en')} each; ratio to immer produce)`);
for (const e of EFFECTS) {
  const mutable = structuredClone(base) as Mutable;
  const figures = {
    'immer produce': ns(() => e.immer(base)),
    'immer produceWithPatches': ns(() => e.patches(base)),
    'copy of the changed path by hand': ns(() => e.byHand(base)),
    'in place, with an undo log': ns(() => e.inPlace(mutable)()),
  };
  console.log(`  ${e.name}`);
  const ref = figures['immer produce'];
  for (const [k, v] of Object.entries(figures)) console.log(`    ${k.padEnd(34)} ${v.toFixed(0).padStart(6)} ns  (${(v / ref).toFixed(2)})`);
}
