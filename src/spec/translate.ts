/**
 * What a DMA does: the translation function of observe(). Routing picks the context a (device, pasid|null)
 * request goes through; the walk follows stage-1 (guest tables in guest memory) and then the kernel-managed
 * map down to a user page — or, on a native SVA route, the process's own page table (user memory). Guest table entries the guest changed since the last invalidation that reached the
 * context may still be cached: the walk returns the current answer and the stale ones the IOTLB may give.
 * Abstracted away: the IOTLB itself and page-table layout (src/impl has both); here a cached entry is a
 * StaleEntry until invalidated.
 */
import { isDraft } from 'immer';
import { sameXlate, type Access, type DevName, type Gpa, type Pasid, type Xlate } from '../uapi/index.js';
import { firstEndingAtOrAfter, inUnion, within } from './ranges.js';
import { hw, physDevice, type Area, type Obj, type ObjKey, type S1, type State } from './state.js';

export interface Translation {
  readonly xlate: Xlate;
  readonly stale: readonly Xlate[];
}

const fault = (reason: Extract<Xlate, { kind: 'fault' }>['reason']): Xlate => ({ kind: 'fault', reason });

/**
 * The attached context of a route: with RFC nesting a device may sit on a parent and a child; the child wins.
 * The RID translation belongs to the iommu group, not the device: once one device of a group is attached, the
 * whole group uses that domain (__iommu_group_set_domain), so a sibling that never attached DMAs through it.
 */
export function routeCtx(s: State, dev: DevName, pasid: Pasid | null): Obj | undefined {
  if (isDraft(s)) return findRouteCtx(s, dev, pasid); // a draft may still change
  let m = routes.get(s);
  if (m === undefined) routes.set(s, (m = new Map()));
  const k = pasid === null ? dev : `${dev}:${pasid}`;
  if (m.has(k)) return m.get(k);
  const ctx = findRouteCtx(s, dev, pasid);
  m.set(k, ctx);
  return ctx;
}

/** The routes looked up so far in each state (states are immutable): a probe of many addresses routes once. */
const routes = new WeakMap<State, Map<string, Obj | undefined>>();

function findRouteCtx(s: State, dev: DevName, pasid: Pasid | null): Obj | undefined {
  const own = s.attachments.filter((a) => a.dev === dev && a.pasid === pasid);
  const group = pasid === null && own.length === 0 ? physDevice(s, dev).group : undefined;
  const via = group === undefined ? own : s.attachments.filter((a) => a.pasid === null && physDevice(s, a.dev).group === group);
  const ctxs = via.map((a) => s.objects[a.ctx]).filter((o): o is Obj => o !== undefined);
  const parents = new Set<ObjKey>(ctxs.flatMap((o) => ('parent' in o ? [o.parent] : [])));
  return ctxs.find((o) => !parents.has(`${o.file}:${o.id}`));
}

/** The next object a walk of `o` goes through: an HWPT's IOAS, a nested context's parent. */
function below(s: State, o: Obj): Obj | undefined {
  if (o.kind === 'hwpt_paging') return s.objects[o.ioas];
  return 'parent' in o ? s.objects[o.parent] : undefined;
}

/**
 * Everything translate(s, dev, pasid, ·) reads, as the objects it reads it from: the attachments, every object on
 * the walks of the route's contexts down to their address spaces, the page storage and, when a stage-1 is on the
 * walk, guest memory and what the IOTLB may still hold. Two states whose inputs are the same objects translate
 * the route alike (immer keeps what a step did not change the same object): a checker probes again only the
 * routes whose inputs changed (`sameInputs`).
 */
export function routeInputs(s: State, dev: DevName, pasid: Pasid | null): readonly unknown[] {
  const out: unknown[] = [s.attachments, s.pages];
  let s1 = false;
  let mm = false;
  for (const ctx of pasid === null ? [routeCtx(s, dev, null)] : [routeCtx(s, dev, null), routeCtx(s, dev, pasid)]) {
    out.push(ctx);
    for (let o = ctx, depth = 0; o !== undefined && depth < 8; o = below(s, o), depth++) {
      out.push(o);
      if ('s1' in o && o.s1 !== null) s1 = true;
      if (o.kind === 'sva_mm') mm = true;
    }
  }
  if (s1) out.push(s.guestPgtables, s.guestPasidTables, s.stale);
  // a native SVA route walks the CPU page table: what is mmapped now
  if (mm) out.push(s.userMem);
  return out;
}

export const sameInputs = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The guest-owned PASID table a context consumes, if any (it may sit on a software-nested parent chain). */
export function guestPasidTable(ctx: Obj | undefined): S1 | null {
  if (!ctx || !('s1' in ctx) || ctx.s1 === null) return null;
  return ctx.s1.kind === 'pasid-table' ? ctx.s1 : null;
}

/**
 * Routing. A route with no attachment is blocked (an unbound or detached device DMAs into the blocking domain).
 * host-pasid-table: the host's PASID table holds one entry per attached (device, pasid).
 * guest-pasid-table: once the RID's context carries a guest PASID table, every request of the device is
 * looked up in it (RID = entry 0); host (device, pasid) attachments are then bookkeeping only — the hardware
 * never consults them (the seed's AMD/ARM concern, made explicit). A native SVA binding is one such host entry.
 * A native SVA route (`sva_mm`) walks the CPU page table: iova = user VA, hit hpa = iova while the page is mmapped,
 * else no-translation; never a stale answer (the mmu notifier flushes within MUNMAP).
 */
export function translate(s: State, dev: DevName, pasid: Pasid | null, iova: bigint, access: Access): Translation {
  const ctx = requestCtx(s, dev, pasid);
  const results = ctx ? walk(s, ctx, pasid ?? 0, iova, access) : [fault(pasid === null ? 'blocked' : 'no-pasid-entry')];
  const [xlate, ...rest] = dedupe(results);
  return { xlate: xlate ?? fault('no-translation'), stale: rest };
}

/** The answers without repeats, in order (usually one or two: no set needed). */
function dedupe(xs: Xlate[]): Xlate[] {
  if (xs.length < 2) return xs;
  return xs.filter((x, i) => xs.findIndex((y) => sameXlate(x, y)) === i);
}

/** Every answer the walk may give; the first is the current one. `index` is the PASID-table index. */
function walk(s: State, ctx: Obj, index: number, addr: bigint, access: Access): Xlate[] {
  switch (ctx.kind) {
    case 'ioas':
      return [areaWalk(s, ctx.areas, ctx, addr, access)];
    case 'hwpt_paging': {
      const ioas = s.objects[ctx.ioas];
      return ioas ? walk(s, ioas, index, addr, access) : [fault('no-translation')];
    }
    case 'hwpt_nested':
    case 'sva_bind':
    case 'ioasid_child': {
      const parent = s.objects[ctx.parent];
      if (!parent) return [fault('no-translation')];
      if (ctx.kind === 'ioasid_child' && ctx.s1 === null) return [areaWalk(s, ctx.areas, ctx, addr, access)];
      // ctx.s1 is non-null here: hwpt_nested and sva_bind always carry one, the child case returned above
      return stage1(s, ctx, ctx.s1!, parent, index, addr, access);
    }
    case 'sva_mm':
      // the process's own page table: anonymous memory, read-write, host page = user page (EnvMmap)
      return [inUnion({ start: addr, last: addr }, s.userMem) ? { kind: 'hit', hpa: addr } : fault('no-translation')];
    case 'device':
    case 'fault':
    case 'access':
    case 'viommu':
    case 'vdevice':
    case 'veventq':
    case 'tombstone':
      return [fault('blocked')];
  }
}

/** Look up `table[index]` in guest memory: the current value first, then values the IOTLB of `ctx` may still hold. */
function candidates(s: State, ctx: Obj, kind: 'pte' | 'pasid', table: Gpa, index: bigint): (bigint | null)[] {
  const now = kind === 'pte' ? s.guestPgtables[table.toString()]?.[index.toString()] : s.guestPasidTables[table.toString()]?.[Number(index)];
  if (s.stale.length === 0) return [now ?? null];
  const key = `${ctx.file}:${ctx.id}`;
  const old = s.stale.filter((e) => e.ctx === key && e.kind === kind && e.table === table && e.index === index).map((e) => e.value);
  return [now ?? null, ...old];
}

/** A stage-1 walk reads guest memory through the parent: a table the parent does not map cannot be walked. */
function readable(s: State, parent: Obj, gpa: Gpa): boolean {
  const r = walk(s, parent, 0, gpa, 'read')[0];
  return r !== undefined && r.kind === 'hit';
}

/**
 * The stage-1 part of a walk: per answer the walk may give (current first, then what the IOTLB may still hold), the
 * stage-2 input address it reaches, or the stage-1 fault.
 */
function stage1Inputs(s: State, ctx: Obj, s1: S1, parent: Obj, index: number, addr: bigint): (Gpa | Xlate)[] {
  const roots = s1.kind === 'pgtable' ? [s1.root] : readable(s, parent, s1.root) ? candidates(s, ctx, 'pasid', s1.root, BigInt(index)) : null;
  if (roots === null) return [fault('stage1-table-unreachable')];
  return roots.flatMap((root) => {
    if (root === null) return [fault('no-pasid-entry')];
    if (!readable(s, parent, root)) return [fault('stage1-table-unreachable')];
    return candidates(s, ctx, 'pte', root, addr >> 12n).map((pte) => (pte === null ? fault('stage1-not-present') : pte + (addr & 0xfffn)));
  });
}

function stage1(s: State, ctx: Obj, s1: S1, parent: Obj, index: number, addr: bigint, access: Access): Xlate[] {
  return stage1Inputs(s, ctx, s1, parent, index, addr).flatMap((g) => (typeof g === 'bigint' ? walk(s, parent, 0, g, access) : [g]));
}

/** The context a request of (dev, pasid) goes through, routed as translate routes it. */
function requestCtx(s: State, dev: DevName, pasid: Pasid | null): Obj | undefined {
  const rid = routeCtx(s, dev, null);
  return (hw(s) === 'guest-pasid-table' && guestPasidTable(rid)) || pasid === null ? rid : routeCtx(s, dev, pasid);
}

/**
 * Where a DMA write lands in its stage-2 (dirty tracking): the stage-2 context (the route's paging HWPT, or a nested
 * HWPT's parent) and the stage-2 input address of each answer the walk may give that writes memory there; `certain`
 * when the walk has one answer only (no stale stage-1 entry about). null for a route through no iommufd HWPT.
 */
export function writeTargets(s: State, dev: DevName, pasid: Pasid | null, iova: bigint): { s2: Obj; addrs: bigint[]; certain: boolean } | null {
  const ctx = requestCtx(s, dev, pasid);
  const writes = (o: Obj, a: bigint) => walk(s, o, 0, a, 'write')[0]?.kind === 'hit';
  if (ctx?.kind === 'hwpt_paging') return { s2: ctx, addrs: writes(ctx, iova) ? [iova] : [], certain: true };
  if (ctx?.kind !== 'hwpt_nested') return null;
  const parent = s.objects[ctx.parent];
  if (!parent) return null;
  const inputs = stage1Inputs(s, ctx, ctx.s1, parent, pasid ?? 0, iova);
  const addrs = inputs.filter((g): g is bigint => typeof g === 'bigint' && writes(parent, g));
  return { s2: parent, addrs: [...new Set(addrs)], certain: inputs.length === 1 };
}

/** The area holding `addr`: a binary search, areas being sorted and disjoint (wellFormed). */
function areaAt(areas: readonly Area[], addr: bigint): Area | undefined {
  const a = areas[firstEndingAtOrAfter(areas, addr)];
  return a !== undefined && within(addr, a) ? a : undefined;
}

/**
 * A kernel-managed map. A software-nested child's map (iova -> parent GPA) is what the kernel merges into one
 * shadow page table: an address the parent does not map has no entry at all (no-translation), whatever the
 * child's permissions; where both map it, the entry carries both permissions.
 */
function areaWalk(s: State, areas: readonly Area[], ctx: Obj, addr: bigint, access: Access): Xlate {
  const area = areaAt(areas, addr);
  if (!area) return fault('no-translation');
  const denied = access === 'write' ? !area.prot.write : !area.prot.read;
  const t = area.target;
  if (t.kind === 'pages') {
    if (denied) return fault('permission');
    const pg = s.pages[t.pages];
    return pg ? { kind: 'hit', hpa: pg.uva + t.offset + (addr - area.start) } : fault('no-translation');
  }
  const parent = 'parent' in ctx ? s.objects[ctx.parent] : undefined;
  if (!parent) return fault('no-translation');
  const below = walk(s, parent, 0, t.gpa + (addr - area.start), access)[0] ?? fault('no-translation');
  if (below.kind === 'fault' && below.reason !== 'permission') return below;
  return denied ? fault('permission') : below;
}
