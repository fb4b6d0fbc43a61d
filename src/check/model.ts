/**
 * The generation model: what a trace has created so far, read off the spec's state, with the symbol each thing
 * was bound to. Recipes ask it for a live object of a kind ("the k-th live IOAS of this FD"), or for a
 * deliberately bad reference (destroyed, another kind, another FD, never allocated), so ids flow from the call
 * that created them to later calls (syzkaller resources, Hypothesis bundles) and almost nothing is discarded.
 */
import { hasDomain, type Obj, type ObjKey, type State } from '../spec/index.js';
import { minPageSize, type DevName, type IovaRange } from '../uapi/index.js';
import type { Sym } from './trace.js';
import { inUnion } from '../spec/ranges.js';

/** Page bases of mapped user memory: each mapping's first, second and last page, once each. */
export function userPageBases(userMem: readonly IovaRange[]): bigint[] {
  const out = new Set<bigint>();
  for (const r of userMem) for (const v of [r.start, r.start + 0x1000n, r.last - 0xfffn]) if (v >= r.start && v <= r.last) out.add(v);
  return [...out];
}

/** How a recipe names an object: the pick among live candidates, or a kind of bad reference. */
export interface Ref {
  readonly pick: number;
  readonly bad: null | 'never' | 'destroyed' | 'wrong-kind' | 'other-fd';
}

/** Object kinds as the spec names them. */
export type Kind = 'ioas' | 'hwpt_paging' | 'hwpt_nested' | 'device' | 'ioasid_child' | 'hwpt' | 'fault' | 'access' | 'viommu' | 'vdevice' | 'veventq';
export type FdRole = 'ctx' | 'device' | 'fault' | 'access' | 'memfd' | 'veventq' | 'any';

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
        return role === 'any' || (role === 'ctx' ? k === 'iommufd' || k === 'ioasid' || k === 'ioasid-single' : k === role);
      })
      .map(([fd]) => Number(fd))
      .sort((a, b) => a - b);
  }

  /**
   * An fd of `role` (the pick-th), or a closed/never-opened number when none (or when asked for a bad one). With
   * `prefer`, open fds that satisfy it are picked when there are any.
   */
  fd(role: FdRole, r: Ref, prefer?: (fd: number) => boolean): Sym | number {
    const all = this.fdsOf(role);
    const preferred = prefer && r.bad === null ? all.filter(prefer) : [];
    const live = preferred.length > 0 ? preferred : all;
    // never opened: a number nothing has, and a quarter of the time -1, the "no fd" callers pass (VFIO refuses it first)
    if (r.bad === 'never' || live.length === 0) return r.bad === 'never' && r.pick % 4 === 0 ? -1 : NEVER;
    if (r.bad === 'destroyed' && this.dead.length > 0) return this.dead[r.pick % this.dead.length]!; // length > 0
    if (r.bad === 'wrong-kind') {
      let other = this.fdsOf(role === 'ctx' ? 'device' : 'ctx');
      // half the time an unbound device FD, the one kind of FD the VFIO dispatcher refuses everything on
      const unbound = other.filter((fd) => { const f = this.state.files[this.state.fds[fd]!]; return f?.kind === 'device' && f.bound === null; }); // listed fds are open
      if (unbound.length > 0 && r.pick % 2 === 0) other = unbound;
      if (other.length > 0) return this.symOr(`fd:${other[r.pick % other.length]}`, other[r.pick % other.length]!); // length > 0
    }
    // an address-space FD with objects in it, three times in four (a second VM's empty FD is there for cross-FD refs)
    const busy = role === 'ctx' && r.pick % 4 !== 3 ? live.filter((n) => { const f = this.state.fds[n]; return Object.values(this.state.objects).some((o) => o.file === f); }) : [];
    const from = busy.length > 0 ? busy : live;
    const fd = from[r.pick % from.length]!; // length > 0
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

  /**
   * An object of `kind` in `file` (the pick-th), or a bad reference of the asked sort. With `prefer`, live
   * objects that satisfy it are picked when there are any (a nested HWPT's parent among NEST_PARENT HWPTs).
   */
  obj(kind: Kind, file: number | undefined, r: Ref, prefer?: (o: Obj) => boolean): Sym | number {
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
    const preferred = prefer ? live.filter(prefer) : [];
    if (r.bad === null && preferred.length > 0) return pickFrom(preferred);
    return r.bad === null && live.length > 0 ? pickFrom(live) : NEVER;
  }

  /** The address space an id of `file` names now (IOAS, RFC ioasid or child), to draw ranges from its areas. */
  areasOf(file: number | undefined, id: Sym | number, resolveSym: (s: Sym) => number | undefined): readonly IovaRange[] {
    const n = typeof id === 'number' ? id : resolveSym(id);
    const o = file === undefined || n === undefined ? undefined : this.state.objects[`${file}:${n}` as ObjKey];
    return o && 'areas' in o ? o.areas : [];
  }

  /** The areas of the IOAS a paging HWPT of `file` mirrors (to draw a dirty-bitmap range from), none for another id. */
  areasOfHwpt(file: number | undefined, id: Sym | number, resolveSym: (s: Sym) => number | undefined): readonly IovaRange[] {
    const n = typeof id === 'number' ? id : resolveSym(id);
    const o = file === undefined || n === undefined ? undefined : this.state.objects[`${file}:${n}` as ObjKey];
    const ioas = o?.kind === 'hwpt_paging' ? this.state.objects[o.ioas] : undefined;
    return ioas && 'areas' in ioas ? ioas.areas : [];
  }

  /**
   * The index (among the areas by start) of an area holding a page some HWPT has dirty (the k-th such), or -1: `id` a
   * paging HWPT (its own bits, over its IOAS's areas) or an IOAS (the bits of every HWPT mirroring it).
   */
  dirtyAreaIndex(file: number | undefined, id: Sym | number, resolveSym: (s: Sym) => number | undefined, k: number): number {
    const n = typeof id === 'number' ? id : resolveSym(id);
    const o = file === undefined || n === undefined ? undefined : this.state.objects[`${file}:${n}` as ObjKey];
    const ioasKey = o?.kind === 'hwpt_paging' ? o.ioas : o?.kind === 'ioas' ? (`${o.file}:${o.id}` as ObjKey) : undefined;
    const ioas = ioasKey === undefined ? undefined : this.state.objects[ioasKey];
    if (o === undefined || ioas?.kind !== 'ioas') return -1;
    const bits = Object.values(this.state.objects).flatMap((h) => (h.kind === 'hwpt_paging' && h.ioas === ioasKey && h.dirty !== null && (o.kind === 'ioas' || h === o) ? h.dirty.bits : []));
    const areas = [...ioas.areas].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const held = areas.map((a, i) => (bits.some((r) => r.start <= a.last && a.start <= r.last) ? i : -1)).filter((i) => i !== -1);
    return held.length === 0 ? -1 : held[k % held.length]!; // length > 0
  }

  /**
   * Routes whose writes dirty a HWPT (attached to a paging HWPT with dirty_ops, directly or under a nested one), each
   * with the page bases its IOAS maps (first pages of its areas, up to four per area): where a DMA write sets a bit.
   * A nested route's pages are the parent's, a guest walk aims elsewhere: only direct routes are listed.
   */
  dirtyRoutes(): { dev: DevName; pasid: number | null; pages: bigint[] }[] {
    const out: { dev: DevName; pasid: number | null; pages: bigint[] }[] = [];
    for (const a of this.state.attachments) {
      const o = this.state.objects[a.ctx];
      if (o?.kind !== 'hwpt_paging' || o.dirty === null) continue;
      const ioas = this.state.objects[o.ioas];
      const areas = ioas && 'areas' in ioas ? ioas.areas : [];
      const pages = areas.flatMap((r) => [0n, 1n, 2n, 3n].map((k) => r.start + k * 0x1000n).filter((p) => p <= r.last));
      if (pages.length > 0) out.push({ dev: a.dev, pasid: a.pasid, pages });
    }
    return out;
  }

  /** The length of the memfd behind `fd` (a page when it is none). */
  memfdLength(fd: Sym | number, resolveSym: (s: Sym) => number | undefined): bigint {
    const file = this.fileOf(fd, resolveSym);
    const f = file === undefined ? undefined : this.state.files[file];
    return f?.kind === 'memfd' ? f.length : 0x1000n;
  }

  /** The access behind an access fd now, if it is one. */
  accessOf(fd: Sym | number, resolveSym: (s: Sym) => number | undefined): Extract<Obj, { kind: 'access' }> | undefined {
    const file = this.fileOf(fd, resolveSym);
    const f = file === undefined ? undefined : this.state.files[file];
    const o = f?.kind === 'access' ? this.state.objects[f.access] : undefined;
    return o?.kind === 'access' ? o : undefined;
  }

  /** The areas of the IOAS the access behind `fd` is attached to (to draw a pin or a read from). */
  accessAreas(fd: Sym | number, resolveSym: (s: Sym) => number | undefined): readonly IovaRange[] {
    const a = this.accessOf(fd, resolveSym);
    const ioas = a === undefined ? undefined : this.state.objects[a.ioas];
    return ioas && 'areas' in ioas ? ioas.areas : [];
  }

  /** The index (by start) of an area of `areas` that does not allow `access`, or -1: where a pin or a copy is refused. */
  protAgainst(areas: readonly IovaRange[], access: 'read' | 'write'): number {
    const sorted = [...areas].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    return sorted.findIndex((a) => 'prot' in a && !(a as { prot: { read: boolean; write: boolean } }).prot[access]);
  }

  /** The index (by start) of an area of `areas` over user memory that is not all mmapped, or -1. */
  unbacked(areas: readonly IovaRange[]): number {
    const sorted = [...areas].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    return sorted.findIndex((a) => {
      const t = (a as { target?: { kind: string; pages?: number; offset?: bigint } }).target;
      const pg = t?.kind === 'pages' && t.pages !== undefined ? this.state.pages[t.pages] : undefined;
      if (!pg || t?.offset === undefined) return false;
      const from = pg.uva + t.offset;
      return !inUnion({ start: from - (from % 0x1000n), last: (from + (a.last - a.start)) | 0xfffn }, this.state.userMem);
    });
  }

  /** Routes whose page requests reach a FAULT (attached to a HWPT with one) or RFC v1's ring (a child with a guest table). */
  faultRoutes(): { dev: DevName; pasid: number | null }[] {
    return this.state.attachments.filter((a) => {
      const o = this.state.objects[a.ctx];
      return ((o?.kind === 'hwpt_paging' || o?.kind === 'hwpt_nested') && o.fault !== null) || (o?.kind === 'ioasid_child' && o.s1 !== null);
    }).map((a) => ({ dev: a.dev, pasid: a.pasid }));
  }

  /** RFC v1: the ioasids (object keys) with requests on their FD's ring, and those with requests taken off it and not answered. */
  ringRequests(): { readonly posted: ReadonlySet<ObjKey>; readonly taken: ReadonlySet<ObjKey> } {
    const waiting = this.state.prq.filter((r) => r.answers.length === 0 && r.fault !== null && this.state.objects[r.fault]?.kind === 'ioasid_child');
    return { posted: new Set(waiting.filter((r) => r.cookie === null).map((r) => r.fault!)), taken: new Set(waiting.filter((r) => r.cookie !== null).map((r) => r.fault!)) }; // fault filtered
  }

  /** The cookies of the read-but-unanswered page requests of the FAULT behind `fd` (what a response names). */
  readCookies(fd: Sym | number, resolveSym: (s: Sym) => number | undefined): number[] {
    const file = this.fileOf(fd, resolveSym);
    const f = file === undefined ? undefined : this.state.files[file];
    if (f?.kind !== 'fault') return [];
    return this.state.prq.filter((r) => r.fault === f.fault && r.answers.length === 0 && r.cookie !== null).map((r) => r.cookie!); // cookie checked
  }

  /** PASIDs in use by attachments (to aim DMA and detach at them). */
  pasids(): number[] {
    return [...new Set(this.state.attachments.flatMap((a) => (a.pasid === null ? [] : [a.pasid])))];
  }

  /** Mapped areas of every address space (to aim DMA, maps and ranges at real mappings). */
  areas(): IovaRange[] {
    return Object.values(this.state.objects).flatMap((o) => ('areas' in o ? o.areas : []));
  }

  /** Devices attached somewhere (their DMA is what fills an IOTLB; their attach is a replace). */
  attachedDevs(): DevName[] {
    return [...new Set(this.state.attachments.map((a) => a.dev))];
  }

  /** A device FD not bound yet (the pick-th), if any and if a good reference is asked for: what a bind wants. */
  unboundDeviceFd(r: Ref): Sym | number | undefined {
    const fds = this.fdsOf('device').filter((fd) => {
      const f = this.state.files[this.state.fds[fd]!]; // fdsOf lists open fds
      return f?.kind === 'device' && f.bound === null;
    });
    if (r.bad !== null || fds.length === 0 || r.pick % 4 === 0) return undefined; // a quarter still bind any device FD
    const fd = fds[r.pick % fds.length]!; // length > 0
    return this.symOr(`fd:${fd}`, fd);
  }

  /** The fd of a device FD bound for one of `devs` (the pick-th), if any: to aim an attach at an attached device. */
  deviceFdOf(devs: readonly DevName[], r: Ref): Sym | number | undefined {
    const fds = this.fdsOf('device').filter((fd) => {
      const f = this.state.files[this.state.fds[fd]!]; // fdsOf lists open fds
      return f?.kind === 'device' && devs.includes(f.dev);
    });
    if (r.bad !== null || fds.length === 0) return undefined;
    const fd = fds[r.pick % fds.length]!; // length > 0
    return this.symOr(`fd:${fd}`, fd);
  }

  /** What the device behind `fd` is attached to now (objects, and the IOASes under its HWPTs), by object key. */
  targetsOf(fd: Sym | number, resolveSym: (s: Sym) => number | undefined): Set<string> {
    const file = this.fileOf(fd, resolveSym);
    const f = file === undefined ? undefined : this.state.files[file];
    const out = new Set<string>();
    if (f?.kind !== 'device') return out;
    for (const a of this.state.attachments) {
      if (a.dev !== f.dev) continue;
      out.add(a.ctx);
      const o = this.state.objects[a.ctx];
      if (o?.kind === 'hwpt_paging') out.add(o.ioas);
    }
    return out;
  }

  /** Whether an address space has a domain (the spec's own answer: what pins its pages). */
  hasDomain(o: Obj): boolean {
    return hasDomain(this.state, o);
  }

  /** Routes whose context walks a guest stage-1 (nested HWPT, bound page table or PASID table, per-device bind). */
  nestedRoutes(): { dev: DevName; pasid: number | null }[] {
    return this.state.attachments.filter((a) => {
      const o = this.state.objects[a.ctx];
      return o !== undefined && 's1' in o && o.s1 !== null;
    }).map((a) => ({ dev: a.dev, pasid: a.pasid }));
  }

  /** PASID routes bound natively to the process's own address space (native SVA): their DMA walks the CPU page table. */
  nativeRoutes(): { dev: DevName; pasid: number }[] {
    return this.state.attachments.flatMap((a) => (a.pasid !== null && this.state.objects[a.ctx]?.kind === 'sva_mm' ? [{ dev: a.dev, pasid: a.pasid }] : []));
  }

  /** Devices that take PASIDs: what a native SVA bind wants. */
  pasidDevs(): DevName[] {
    return this.state.world.devices.filter((d) => d.pasidBits > 0).map((d) => d.name);
  }

  /** Page bases of mapped user memory (userPageBases): where a native SVA DMA is aimed, and a munmap cuts. */
  userPages(): bigint[] {
    return userPageBases(this.state.userMem);
  }

  /** IOVAs (page bases) present in the stage-1 page table(s) the context of (dev, pasid) walks. */
  stage1IovasOf(dev: DevName, pasid: number | null): bigint[] {
    const out = new Set<bigint>();
    for (const a of this.state.attachments) {
      if (a.dev !== dev || a.pasid !== pasid) continue;
      const o = this.state.objects[a.ctx];
      if (!o || !('s1' in o) || o.s1 === null) continue;
      const roots = o.s1.kind === 'pgtable' ? [o.s1.root] : Object.values(this.state.guestPasidTables[o.s1.root.toString()] ?? {});
      for (const root of roots) {
        for (const [vpn, gpa] of Object.entries(this.state.guestPgtables[root.toString()] ?? {})) if (gpa !== null) out.add(BigInt(vpn) << 12n);
      }
    }
    return [...out];
  }

  /** Guest tables that a live stage-1 context reads: page-table roots, and PASID (CD) table roots. */
  stage1Roots(): { pgtables: bigint[]; pasidTables: bigint[] } {
    const pgtables = new Set<bigint>();
    const pasidTables = new Set<bigint>();
    for (const o of Object.values(this.state.objects)) {
      if (!('s1' in o) || o.s1 === null) continue;
      if (o.s1.kind === 'pgtable') pgtables.add(o.s1.root);
      else {
        pasidTables.add(o.s1.root);
        for (const root of Object.values(this.state.guestPasidTables[o.s1.root.toString()] ?? {})) pgtables.add(root);
      }
    }
    return { pgtables: [...pgtables], pasidTables: [...pasidTables] };
  }

  /** IOVAs (page bases) the guest has written into any of its stage-1 tables. */
  /** Where the machine's IOVA space starts being translatable: guest RAM and low addresses are drawn from here. */
  iovaBase(): bigint {
    return this.state.world.iommu.aperture.start;
  }

  /**
   * Where the machine reserves or stops translating, in a fixed order: each distinct reserved region's start (the
   * MSI window, the card's RMRR), the last page of the aperture; then, where they differ from a plain 4 KiB IOMMU
   * at 0, the aperture's start and the page below it, and one IOMMU page past it (the mock's 2 KiB).
   */
  platformAddrs(): bigint[] {
    const { world } = this.state;
    const starts = [...new Set(world.devices.flatMap((d) => d.reserved.map((r) => r.start)))];
    const { start, last } = world.iommu.aperture;
    const page = minPageSize(world.iommu.pgsizeBitmap);
    const tail = [last + 1n - 0x1000n];
    const low = start === 0n ? [] : [start, start - 0x1000n];
    const sub = page < 0x1000n ? [start + page] : [];
    return [...starts, ...tail, ...low, ...sub];
  }

  guestIovas(): bigint[] {
    return [...new Set(Object.values(this.state.guestPgtables).flatMap((t) => Object.keys(t)))].map((vpn) => BigInt(vpn) << 12n);
  }

  /** Page bases mapped in address spaces that parent a guest stage-1: guest-physical pages a stage-1 can use. */
  stage2Pages(): bigint[] {
    const parents = new Set<ObjKey>();
    for (const o of Object.values(this.state.objects)) {
      if (!('parent' in o)) continue;
      const p = this.state.objects[o.parent];
      parents.add(p && p.kind === 'hwpt_paging' ? p.ioas : o.parent);
    }
    const out: bigint[] = [];
    for (const key of parents) {
      const o = this.state.objects[key];
      if (o && 'areas' in o) for (const a of o.areas) for (let v = a.start; v <= a.last && out.length < 64; v += 0x1000n) out.push(v);
    }
    return out;
  }
}
