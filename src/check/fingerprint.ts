/**
 * State fingerprints for the explorer: a 53-bit hash of a search node — the spec's state, what the trace's symbols
 * name, which creating calls ran, the path facts — canonical under renaming of what the kernel numbers (fd numbers,
 * file serials, object ids, page-storage ids), so that two nodes that differ only by numbering are one (symmetry
 * reduction).
 * Canonical numbering: everything numbered is renumbered in the order a walk from fixed anchors first reaches it —
 * the trace's symbols by name ($fd1, $ioas1, ...), then each device by name (its FD, its attachments, its DEVICE
 * object) — following fd -> file, object -> its file, HWPT -> IOAS, child -> parent; anything left is taken in
 * the order of its own content. The fingerprint hashes the node with those numbers, so it is sound by construction
 * (equal fingerprints of different nodes need a hash collision) and merges every renaming the anchors pin down.
 * Structural and incremental: the content of each object, file, pages record and guest table is hashed once per
 * object (WeakMap: immer keeps what a step did not change the same object), a node costs one walk of its objects.
 * Collisions: two distinct nodes share a fingerprint with probability about n^2 / 2^54 in a search of n nodes
 * (1e6 nodes: 6e-5), as in TLC's 64-bit fingerprint sets.
 */
import { fdsByFile, type Obj, type ObjKey, type State } from '../spec/index.js';
import type { Sym } from './trace.js';

/** What a symbol of the trace names: an fd number, or an object. */
export type Referent = { readonly fd: number } | { readonly obj: ObjKey };

/** Two 32-bit murmur3 lanes with different seeds. */
export class Hash {
  private a = 0x9747b28c;
  private b = 0x2f4a7c15;

  num(x: number): this {
    // a number of up to 53 bits: both halves
    const lo = x | 0;
    const hi = Math.floor(x / 4294967296) | 0;
    this.a = mix(this.a, lo);
    this.b = mix(this.b, lo ^ 0x5bd1e995);
    if (hi !== 0) {
      this.a = mix(this.a, hi);
      this.b = mix(this.b, hi ^ 0x1b873593);
    }
    return this;
  }

  big(x: bigint): this {
    if (x >= 0n && x < 9007199254740992n) return this.num(Number(x));
    for (let v = x < 0n ? -x : x; v > 0n; v >>= 32n) this.num(Number(v & 0xffffffffn));
    return this.num(x < 0n ? -1 : -2);
  }

  str(s: string): this {
    for (let i = 0; i < s.length; i++) this.num(s.charCodeAt(i));
    return this.num(-3 - s.length);
  }

  /** A 53-bit value of both lanes. */
  get value(): number {
    return (fmix(this.a) >>> 0) * 2097152 + (fmix(this.b) >>> 11);
  }
}

function mix(h: number, x: number): number {
  let k = Math.imul(x, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A value's content hash, computed once per object. */
function memo<T extends object>(cache: WeakMap<T, number>, x: T, f: (x: T) => number): number {
  let h = cache.get(x);
  if (h === undefined) cache.set(x, (h = f(x)));
  return h;
}

/** Anything plain (ranges, tables, flags) hashed by its JSON-like shape, bigints included. */
function shapeHash(h: Hash, v: unknown): Hash {
  if (v === null || v === undefined) return h.num(-10);
  switch (typeof v) {
    case 'bigint':
      return h.num(-11).big(v);
    case 'number':
      return h.num(-12).num(v);
    case 'string':
      return h.str(v);
    case 'boolean':
      return h.num(v ? -13 : -14);
    case 'object': {
      if (Array.isArray(v)) {
        h.num(-15 - v.length);
        for (const x of v) shapeHash(h, x);
        return h;
      }
      const keys = Object.keys(v).sort();
      h.num(-16 - keys.length);
      for (const k of keys) shapeHash(h.str(k), (v as Record<string, unknown>)[k]);
      return h;
    }
    default:
      return h;
  }
}

const shapes = new WeakMap<object, number>();
const shape = (v: object): number => memo(shapes, v, (x) => shapeHash(new Hash(), x).value);

/**
 * An object's content without any number the kernel assigned: its kind and fields, an area's page storage by what
 * it holds (user address, length, writability), references left out (the walk numbers them).
 */
const contents = new WeakMap<Obj, number>();
function content(s: State, o: Obj): number {
  return memo(contents, o, () => {
    const h = new Hash().str(o.kind);
    switch (o.kind) {
      case 'ioas':
        shapeHash(h, o.allowed);
        shapeHash(h, o.testReserved);
        h.num((o.domain ? 1 : 0) + (o.hugePages ? 2 : 0));
        break;
      case 'hwpt_paging':
        h.num((o.auto ? 1 : 0) + (o.nestParent ? 2 : 0) + (o.pasid ? 4 : 0));
        break;
      case 'hwpt_nested':
        shapeHash(h, o.s1).num(o.pasid ? 1 : 0);
        break;
      case 'device':
        h.str(o.dev);
        break;
      case 'ioasid_child':
        shapeHash(h, o.s1).num(o.domain ? 1 : 0);
        break;
      case 'sva_bind':
        shapeHash(h, o.s1).str(o.dev).num(o.pasid ?? -1);
        break;
      case 'sva_mm':
        h.str(o.dev).num(o.pasid);
        break;
    }
    if ('areas' in o) {
      h.num(-20 - o.areas.length);
      for (const a of o.areas) {
        h.big(a.start).big(a.last).num((a.prot.read ? 1 : 0) + (a.prot.write ? 2 : 0));
        if (a.target.kind === 'gpa') h.num(-21).big(a.target.gpa);
        else {
          // page storage ids are never reused, so the record an area names holds the same bytes while the area lives
          const p = s.pages[a.target.pages];
          h.num(-22).big(a.target.offset);
          if (p) h.big(p.uva).big(p.length).num(p.writable ? 1 : 0);
        }
      }
    }
    return h.value;
  });
}

/** The node a fingerprint is taken of. */
export interface NodeView {
  readonly state: State;
  /** what each bound symbol names */
  readonly refs: ReadonlyMap<Sym, Referent>;
  /** anything else that tells nodes apart (creating calls used, path facts) */
  readonly extra: number;
}

/**
 * The fingerprint of a node: with `symmetry`, numbers renumbered canonically (see the header; the state with its
 * symbols hashed once per pair: many steps leave both as they were and change only the path facts); without, as
 * the kernel assigned them (two renamings of one node are two nodes).
 */
export function fingerprint(n: NodeView, symmetry: boolean): number {
  const memos = symmetry ? canonicalMemo : numberedMemo;
  let byRefs = memos.get(n.state);
  if (byRefs === undefined) memos.set(n.state, (byRefs = new WeakMap()));
  let h = byRefs.get(n.refs);
  if (h === undefined) byRefs.set(n.refs, (h = symmetry ? new Numbering(n.state, n.refs).hash() : numbered(n.state, n.refs)));
  return new Hash().num(h).num(n.extra).value;
}

/**
 * The state with its symbols as numbered: fd numbers, file serials and object ids as the kernel assigned them (page
 * storage, as always, by what it holds). Hashed table by table, each object, file and table once per object (what a
 * step did not change costs a lookup).
 */
function numbered(s: State, refs: ReadonlyMap<Sym, Referent>): number {
  const h = new Hash();
  h.num(shape(s.fds)).num(shape(s.userMem)).num(shape(s.guestPgtables)).num(shape(s.guestPasidTables));
  // relations as sets: the order they were made in is history, not state
  for (const rel of [s.attachments, s.stale]) {
    const hs = rel.map((x) => shape(x)).sort((x, y) => x - y);
    h.num(-40 - hs.length);
    for (const x of hs) h.num(x);
  }
  // in key order: two states with the same tables are one, whatever order their entries came in
  for (const k of Object.keys(s.files).sort()) h.str(k).num(shape(s.files[Number(k)]!)); // a key of files
  for (const k of Object.keys(s.objects).sort() as ObjKey[]) {
    const o = s.objects[k]!; // a key of objects
    h.str(k).num(content(s, o));
    if (o.kind === 'hwpt_paging') h.str(o.ioas);
    if ('parent' in o) h.str(o.parent);
  }
  return h.num(memo(refsShapes, refs, (r) => shapeHash(new Hash(), [...r].sort((a, b) => (a[0] < b[0] ? -1 : 1))).value)).value;
}

const refsShapes = new WeakMap<ReadonlyMap<Sym, Referent>, number>();

const canonicalMemo = new WeakMap<State, WeakMap<ReadonlyMap<Sym, Referent>, number>>();
const numberedMemo = new WeakMap<State, WeakMap<ReadonlyMap<Sym, Referent>, number>>();

/** Each symbol map's names in order, once per map. */
const sortedSyms = new WeakMap<ReadonlyMap<Sym, Referent>, readonly Sym[]>();
const symsOf = (refs: ReadonlyMap<Sym, Referent>): readonly Sym[] => {
  let out = sortedSyms.get(refs);
  if (out === undefined) sortedSyms.set(refs, (out = [...refs.keys()].sort()));
  return out;
};

/** The canonical numbering of one node: fds, files and objects in the order a walk from the anchors reaches them. */
class Numbering {
  readonly fdNo = new Map<number, number>();
  readonly fileNo = new Map<number, number>();
  readonly objNo = new Map<ObjKey, number>();
  private readonly fdsOf: ReadonlyMap<number, readonly number[]>;

  constructor(readonly s: State, readonly refs: ReadonlyMap<Sym, Referent>) {
    this.fdsOf = fdsByFile(s.fds);
    // anchors: symbols by name, then devices by name; then whatever is left, by content
    for (const sym of symsOf(refs)) {
      const r = refs.get(sym)!; // a key of refs
      if ('fd' in r) this.fd(r.fd);
      else this.obj(r.obj);
    }
    const files = Object.values(s.files);
    const objects = Object.values(s.objects);
    for (const d of s.world.devices) {
      for (const f of files) if (f.kind === 'device' && f.dev === d.name) this.file(f.key);
      for (const a of s.attachments) if (a.dev === d.name && a.pasid === null) this.obj(a.ctx);
      for (const a of s.attachments) if (a.dev === d.name && a.pasid !== null) this.obj(a.ctx);
      for (const o of objects) if (o.kind === 'device' && o.dev === d.name) this.obj(`${o.file}:${o.id}`);
    }
    if (this.objNo.size < objects.length) {
      const left = objects.filter((o) => !this.objNo.has(`${o.file}:${o.id}`)).map((o) => ({ o, c: content(s, o) })).sort((x, y) => x.c - y.c);
      for (const { o } of left) this.obj(`${o.file}:${o.id}`);
    }
    if (this.fileNo.size < files.length) for (const f of files.filter((x) => !this.fileNo.has(x.key)).sort((x, y) => fileContent(s, x.key) - fileContent(s, y.key))) this.file(f.key);
    if (this.fdNo.size < Object.keys(s.fds).length) for (const fd of Object.keys(s.fds).map(Number)) this.fd(fd);
  }

  private fd(fd: number) {
    if (this.fdNo.has(fd)) return;
    this.fdNo.set(fd, this.fdNo.size + 1);
    const key = this.s.fds[fd];
    if (key !== undefined) this.file(key);
  }

  private file(key: number) {
    if (this.fileNo.has(key)) return;
    this.fileNo.set(key, this.fileNo.size + 1);
    for (const fd of this.fdsOf.get(key) ?? []) this.fd(fd);
    const f = this.s.files[key];
    if (f?.kind === 'device' && f.bound !== null) this.file(f.bound);
  }

  private obj(k: ObjKey) {
    if (this.objNo.has(k)) return;
    const o = this.s.objects[k];
    if (!o) return;
    this.objNo.set(k, this.objNo.size + 1);
    this.file(o.file);
    if (o.kind === 'hwpt_paging') this.obj(o.ioas);
    if ('parent' in o) this.obj(o.parent);
  }

  /** The node hashed with these numbers, in the walk's order (a deterministic function of the state and symbols). */
  hash(): number {
    const s = this.s;
    const h = new Hash();
    h.num(-30 - this.fdNo.size);
    for (const [fd, no] of this.fdNo) h.num(no).num(this.fileNo.get(s.fds[fd] ?? -1) ?? -1);
    h.num(-31 - this.fileNo.size);
    for (const [key, no] of this.fileNo) {
      const f = s.files[key];
      h.num(no).num(fileContent(s, key));
      if (f?.kind === 'device') h.num(f.bound === null ? -1 : (this.fileNo.get(f.bound) ?? -2));
    }
    h.num(-32 - this.objNo.size);
    for (const [k, no] of this.objNo) {
      const o = s.objects[k]!; // visited keys are objects
      h.num(no).num(this.fileNo.get(o.file) ?? -1).num(content(s, o));
      if (o.kind === 'hwpt_paging') h.num(this.objNo.get(o.ioas) ?? -1);
      if ('parent' in o) h.num(this.objNo.get(o.parent) ?? -1);
    }
    // attachments and cached guest entries by what they name, in an order of their own
    const atts = s.attachments.map((a) => new Hash().str(a.dev).num(a.pasid ?? -1).num(this.objNo.get(a.ctx) ?? -1).value).sort((x, y) => x - y);
    h.num(-33 - atts.length);
    for (const a of atts) h.num(a);
    if (s.stale.length > 0) {
      const stale = s.stale.map((e) => new Hash().num(this.objNo.get(e.ctx) ?? -1).str(e.kind).big(e.table).big(e.index).big(e.value ?? -1n).value).sort((x, y) => x - y);
      h.num(-34 - stale.length);
      for (const e of stale) h.num(e);
    }
    // memory: what is mapped, what the guest wrote
    h.num(shape(s.userMem)).num(shape(s.guestPgtables)).num(shape(s.guestPasidTables));
    // what the symbols name
    for (const sym of symsOf(this.refs)) {
      const r = this.refs.get(sym)!; // a key of refs
      h.str(sym).num('fd' in r ? (this.fdNo.get(r.fd) ?? -1) : -(this.objNo.get(r.obj) ?? -1) - 2);
    }
    return h.value;
  }
}

/** A file's own content: kind, device, registrations and seal (an ioasid FD); references are numbered by the walk. */
const fileContents = new WeakMap<object, number>();
function fileContent(s: State, key: number): number {
  const f = s.files[key];
  if (!f) return -1;
  return memo(fileContents, f, () => {
    const h = new Hash().str(f.kind);
    if (f.kind === 'device') h.str(f.dev).num(f.bound === null ? 0 : 1);
    if (f.kind === 'iommufd') h.num(f.accountMm ? 1 : 0);
    if (f.kind === 'ioasid') shapeHash(h, f.registrations).num(f.sealed ? 1 : 0);
    return h.value;
  });
}

