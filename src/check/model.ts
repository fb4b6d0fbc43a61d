/**
 * The generation model: what a trace has created so far, read off the spec's state, with the symbol each thing
 * was bound to. Recipes ask it for a live object of a kind ("the k-th live IOAS of this FD"), or for a
 * deliberately bad reference (destroyed, another kind, another FD, never allocated), so ids flow from the call
 * that created them to later calls (syzkaller resources, Hypothesis bundles) and almost nothing is discarded.
 */
import type { State } from '../spec/index.js';
import type { Sym } from './trace.js';

/** How a recipe names an object: the pick among live candidates, or a kind of bad reference. */
export interface Ref {
  readonly pick: number;
  readonly bad: null | 'never' | 'destroyed' | 'wrong-kind' | 'other-fd';
}

/** Object kinds as the spec names them. */
export type Kind = 'ioas' | 'hwpt_paging' | 'hwpt_nested' | 'device' | 'ioasid_child' | 'hwpt';
export type FdRole = 'ctx' | 'device' | 'any';

/** Never handed out by anyone: an id of the past or of nothing. */
export const NEVER = 99;

export class GenModel {
  private readonly syms = new Map<string, Sym>();
  private readonly dead: Sym[] = [];
  private readonly counters = new Map<string, number>();

  constructor(public state: State) {}

  /** A fresh symbol of `kind` for a binder (`$ioas3`). */
  fresh(kind: string): Sym {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `$${kind}${n}`;
  }

  /** Remember that `sym` now names `key` (an fd number, or an object file:id). */
  name(key: string, sym: Sym) {
    const old = this.syms.get(key);
    if (old) this.dead.push(old);
    this.syms.set(key, sym);
  }

  private symOr(key: string, concrete: number): Sym | number {
    return this.syms.get(key) ?? concrete;
  }

  fdsOf(role: FdRole): number[] {
    return Object.entries(this.state.fds)
      .filter(([, file]) => {
        const k = this.state.files[file]?.kind;
        return role === 'any' || (role === 'device' ? k === 'device' : k !== 'device');
      })
      .map(([fd]) => Number(fd))
      .sort((a, b) => a - b);
  }

  /** An fd of `role` (the pick-th), or a closed/never-opened number when none (or when asked for a bad one). */
  fd(role: FdRole, r: Ref): Sym | number {
    const live = this.fdsOf(role);
    if (r.bad === 'never' || live.length === 0) return NEVER;
    if (r.bad === 'destroyed' && this.dead.length > 0) return this.dead[r.pick % this.dead.length]!; // length > 0
    if (r.bad === 'wrong-kind') {
      const other = this.fdsOf(role === 'device' ? 'ctx' : 'device');
      if (other.length > 0) return this.symOr(`fd:${other[r.pick % other.length]}`, other[r.pick % other.length]!); // length > 0
    }
    const fd = live[r.pick % live.length]!; // length > 0
    return this.symOr(`fd:${fd}`, fd);
  }

  /** The file an fd reference names now, if any. */
  fileOf(fd: Sym | number, resolveSym: (s: Sym) => number | undefined): number | undefined {
    const n = typeof fd === 'number' ? fd : resolveSym(fd);
    return n === undefined ? undefined : this.state.fds[n];
  }

  /** The file whose object table a call on `fd` uses: a bound device FD's iommufd / ioasid FD, else the FD's own. */
  tableOf(fd: Sym | number, resolveSym: (s: Sym) => number | undefined): number | undefined {
    const file = this.fileOf(fd, resolveSym);
    const f = file === undefined ? undefined : this.state.files[file];
    return f?.kind === 'device' && f.bound !== null ? f.bound : file;
  }

  private objects(kind: Kind, file: number | undefined, sameFile: boolean) {
    const want = (k: string) => (kind === 'hwpt' ? k === 'hwpt_paging' || k === 'hwpt_nested' : k === kind);
    return Object.values(this.state.objects)
      .filter((o) => want(o.kind) && (file === undefined || (o.file === file) === sameFile))
      .sort((a, b) => a.file - b.file || a.id - b.id);
  }

  /** An object of `kind` in `file` (the pick-th), or a bad reference of the asked sort. */
  obj(kind: Kind, file: number | undefined, r: Ref): Sym | number {
    const pickFrom = (xs: { file: number; id: number }[]) => {
      const o = xs[r.pick % xs.length]!; // callers pass a non-empty list
      return this.symOr(`${o.file}:${o.id}`, o.id);
    };
    if (r.bad === 'destroyed' && this.dead.length > 0) return this.dead[r.pick % this.dead.length]!; // length > 0
    if (r.bad === 'wrong-kind') {
      const others = Object.values(this.state.objects).filter((o) => o.kind !== kind && (file === undefined || o.file === file));
      if (others.length > 0) return pickFrom(others);
    }
    if (r.bad === 'other-fd') {
      const others = this.objects(kind, file, false);
      if (others.length > 0) return pickFrom(others);
    }
    const live = this.objects(kind, file, true);
    return r.bad === null && live.length > 0 ? pickFrom(live) : NEVER;
  }

  /** PASIDs in use by attachments (to aim DMA and detach at them). */
  pasids(): number[] {
    return [...new Set(this.state.attachments.flatMap((a) => (a.pasid === null ? [] : [a.pasid])))];
  }

  /** Mapped IOVA starts of every address space (to aim DMA, unmap and copy at real mappings). */
  areaStarts(): bigint[] {
    return Object.values(this.state.objects).flatMap((o) => ('areas' in o ? o.areas.map((a) => a.start) : []));
  }
}
