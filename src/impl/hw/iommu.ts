/**
 * One IOMMU serving every device: per-device RID context entries (VT-d context / SMMU STE), per-device
 * host-owned PASID tables (VT-d scalable-mode PASID table), the translation caches, and the walk a DMA request
 * triggers on an IOTLB miss: routing, optional guest PASID table, guest stage-1, kernel-managed stage-2 — or, for a
 * native SVA PASID entry, the process's own page table.
 * Routing and fault precedence follow the spec's translate (src/spec/translate.ts), re-implemented as hardware
 * walks structures. A write walk through a domain that records dirty pages sets the stage-2 leaf's dirty bit, and
 * the IOTLB entry it makes remembers that (a later write through an entry a read made walks again to set it).
 * Simplified: one IOMMU for all devices, faults are returned (no fault queue / PRI), the guest
 * stage-1 grants every access (only stage-2 permissions are checked), and a PASID entry programmed 'blocked'
 * reads as not present ('no-pasid-entry'), as the spec answers for a PASID route with no attachment.
 */
import type { Access, DevName, FaultReason, Gpa, HwKind, Prot, Xlate } from '../../uapi/index.js';
import type { Context, DomainId, Geometry, GuestMemoryApi, IommuApi, PagingDomain } from './contract.js';
import { Iotlb, iotlbKey, pasidKey, routeKey } from './iotlb.js';
import { tick } from './stamp.js';

type Fault = Extract<Xlate, { kind: 'fault' }>;
const fault = (reason: FaultReason): Fault => Object.freeze({ kind: 'fault', reason });
/** one shared object per fault: the hot path allocates nothing to refuse a DMA */
const FAULT = {
  blocked: fault('blocked'),
  'no-translation': fault('no-translation'),
  permission: fault('permission'),
  'no-pasid-entry': fault('no-pasid-entry'),
  'stage1-not-present': fault('stage1-not-present'),
  'stage1-table-unreachable': fault('stage1-table-unreachable'),
} as const satisfies Record<FaultReason, Fault>;

const BLOCKED: Context = Object.freeze({ kind: 'blocked' });
/** The guest's stage-1 pages are 4 KiB whatever the IOMMU's granule. */
const PAGE_OFFSET = 0xfffn;

/** The kernel-managed stage of a context: the domain itself, or a nested context's parent. */
const stage2Of = (ctx: Exclude<Context, { kind: 'blocked' | 'sva' }>): PagingDomain => (ctx.kind === 'paging' ? ctx.domain : ctx.parent);

const allows = (prot: Prot, access: Access): boolean => (access === 'write' ? prot.write : prot.read);

/** A stage-1 walk reads guest memory through the parent: a table the parent cannot read cannot be walked. */
const readable = (parent: PagingDomain, gpa: Gpa): boolean => parent.pt.walk(gpa)?.prot.read ?? false;

export class Iommu implements IommuApi {
  private readonly rid = new Map<DevName, Context>();
  private readonly pasidTables = new Map<DevName, Map<number, Context>>();
  private readonly iotlb = new Iotlb();
  /** when each device's context entries (RID or PASID) were last programmed (stamp.ts) */
  private readonly ctxStamps = new Map<DevName, number>();
  /** set while probing: walks fill no cache */
  private probing = false;

  constructor(
    readonly hw: HwKind,
    private readonly guest: GuestMemoryApi,
    readonly geometry: Geometry = { aperture: { start: 0n, last: (1n << 48n) - 1n }, pageShift: 12n },
  ) {}

  get cached(): number {
    return this.iotlb.size;
  }

  /** Program an entry; no implicit invalidation — the driver calls flushRoute, as after a context-entry write. */
  setContext(dev: DevName, pasid: number | null, ctx: Context): void {
    this.ctxStamps.set(dev, tick());
    if (pasid === null) {
      this.rid.set(dev, ctx);
      return;
    }
    const table = this.pasidTables.get(dev);
    if (table) table.set(pasid, ctx);
    else this.pasidTables.set(dev, new Map([[pasid, ctx]]));
  }

  context(dev: DevName, pasid: number | null): Context {
    return (pasid === null ? this.rid.get(dev) : this.pasidTables.get(dev)?.get(pasid)) ?? BLOCKED;
  }

  /**
   * Routing: with guest-pasid-table hardware and a guest PASID table on the RID, every request is looked up in
   * it (RID = entry 0) and host PASID entries are never consulted; otherwise RID -> RID context, PASID -> host
   * PASID-table entry. The route that served the request tags what gets cached (flushRoute).
   */
  translate(dev: DevName, pasid: number | null, iova: bigint, access: Access): Xlate {
    const rid = this.rid.get(dev);
    if (this.hw === 'guest-pasid-table' && rid?.kind === 'guest-pasid-table') return this.through(rid, dev, pasid, null, iova, access);
    if (pasid === null) return !rid || rid.kind === 'blocked' ? FAULT.blocked : this.through(rid, dev, null, null, iova, access);
    const entry = this.pasidTables.get(dev)?.get(pasid);
    return !entry || entry.kind === 'blocked' ? FAULT['no-pasid-entry'] : this.through(entry, dev, pasid, pasid, iova, access);
  }

  /**
   * When anything the translation of route (dev, pasid) reads last changed (stamp.ts): the device's context
   * entries, the page tables of the contexts it may go through, guest memory under a stage-1, what the route cached.
   * A checker probes a route again only when this moved (or its own model of the route changed).
   */
  stampOf(dev: DevName, pasid: number | null): number {
    let t = Math.max(this.ctxStamps.get(dev) ?? 0, this.iotlb.stampOf(routeKey(dev, null)), pasid === null ? 0 : this.iotlb.stampOf(routeKey(dev, pasid)));
    const rid = this.rid.get(dev);
    if (rid) t = Math.max(t, this.contextStamp(rid));
    const entry = pasid === null ? undefined : this.pasidTables.get(dev)?.get(pasid);
    if (entry) t = Math.max(t, this.contextStamp(entry));
    return t;
  }

  private contextStamp(c: Context): number {
    switch (c.kind) {
      case 'blocked':
        return 0;
      case 'paging':
        return c.domain.pt.stamp;
      case 'nested':
      case 'guest-pasid-table':
        return Math.max(c.parent.pt.stamp, this.guest.stamp);
      case 'sva':
        return c.mm.stamp;
    }
  }

  /** What `translate` would answer now, without filling any cache (observe() must not change later DMA). */
  probe(dev: DevName, pasid: number | null, iova: bigint, access: Access): Xlate {
    this.probing = true;
    try {
      return this.translate(dev, pasid, iova, access);
    } finally {
      this.probing = false;
    }
  }

  flushDomain(id: DomainId): void {
    this.iotlb.flushDomain(id);
  }

  flushRange(id: DomainId, firstVpn: bigint, lastVpn: bigint): void {
    this.iotlb.flushRange(id, firstVpn, lastVpn);
  }

  flushRoute(dev: DevName, pasid: number | null): void {
    this.iotlb.flushRoute(dev, pasid);
  }

  /** IOTLB first; on a miss, walk `ctx` (reached through route `served`) and cache a successful translation. */
  private through(ctx: Exclude<Context, { kind: 'blocked' }>, dev: DevName, pasid: number | null, served: number | null, iova: bigint, access: Access): Xlate {
    const ctxId = ctx.kind === 'paging' ? ctx.domain.id : ctx.id;
    // a single-stage domain caches per granule of its own page table; a nested one (or the CPU's) per 4 KiB page
    const shift = ctx.kind === 'paging' ? ctx.domain.pt.shift : 12n;
    const offsetMask = (1n << shift) - 1n;
    const vpn = iova >> shift;
    const key = iotlbKey(ctxId, dev, pasid, vpn);
    const hit = this.iotlb.lookup(key);
    // a write through an entry whose walk did not set the dirty bit walks again, when the stage-2 records dirty pages
    const rewalk = hit !== undefined && access === 'write' && !hit.dirty && ctx.kind !== 'sva' && stage2Of(ctx).dirty?.recording === true;
    if (hit && !rewalk) return allows(hit.prot, access) ? { kind: 'hit', hpa: hit.hpa + (iova & offsetMask) } : FAULT.permission;
    if (ctx.kind === 'sva') return this.cpuWalk(ctx, key, dev, served, vpn, iova, access);

    let s2: PagingDomain;
    let gpa: bigint; // the stage-2 input
    switch (ctx.kind) {
      case 'paging':
        s2 = ctx.domain;
        gpa = iova;
        break;
      case 'nested': {
        s2 = ctx.parent;
        const pte = this.stage1(s2, ctx.s1Root, vpn);
        if (typeof pte !== 'bigint') return pte;
        gpa = pte + (iova & PAGE_OFFSET);
        break;
      }
      case 'guest-pasid-table': {
        s2 = ctx.parent;
        if (!readable(s2, ctx.table)) return FAULT['stage1-table-unreachable'];
        const root = this.pasidEntry(ctx.id, ctx.table, s2.id, dev, served, pasid ?? 0);
        if (root === null) return FAULT['no-pasid-entry'];
        const pte = this.stage1(s2, root, vpn);
        if (typeof pte !== 'bigint') return pte;
        gpa = pte + (iova & PAGE_OFFSET);
        break;
      }
    }
    const leaf = s2.pt.walk(gpa);
    if (!leaf) return FAULT['no-translation'];
    if (!allows(leaf.prot, access)) return FAULT.permission;
    const dirties = access === 'write' && s2.dirty?.recording === true;
    // the guest PTE is a page base, so the page offset of iova is the page offset of gpa
    if (!this.probing) {
      if (dirties) leaf.dirty = true; // the hardware's dirty update: a write to the PTE in memory
      this.iotlb.fill({ key, ctx: ctxId, s2: s2.id, route: routeKey(dev, served), vpn, hpa: leaf.hpa, prot: leaf.prot, dirty: dirties });
    }
    return { kind: 'hit', hpa: leaf.hpa + (gpa & ((1n << s2.pt.shift) - 1n)) };
  }

  /**
   * Native SVA: one stage, the process's page table as the CPU walks it; a translation is cached under the binding's
   * tag like any other, and only the mm's notifier (a munmap) or the binding's end invalidates it.
   */
  private cpuWalk(ctx: Extract<Context, { kind: 'sva' }>, key: string, dev: DevName, served: number | null, vpn: bigint, iova: bigint, access: Access): Xlate {
    const leaf = ctx.mm.walk(iova);
    if (!leaf) return FAULT['no-translation'];
    if (!allows(leaf.prot, access)) return FAULT.permission;
    if (!this.probing) this.iotlb.fill({ key, ctx: ctx.id, s2: ctx.id, route: routeKey(dev, served), vpn, hpa: leaf.hpa, prot: leaf.prot, dirty: false });
    return { kind: 'hit', hpa: leaf.hpa + (iova & PAGE_OFFSET) };
  }

  /** The guest stage-1 PTE for `vpn` under `root` (a GPA page base), or the stage-1 fault. */
  private stage1(parent: PagingDomain, root: Gpa, vpn: bigint): Gpa | Fault {
    if (!readable(parent, root)) return FAULT['stage1-table-unreachable'];
    return this.guest.readPte(root, vpn) ?? FAULT['stage1-not-present'];
  }

  /** PASID-table entry `index` of a guest table: PASID cache first, else guest memory (cached only when present). */
  private pasidEntry(ctx: DomainId, table: Gpa, s2: DomainId, dev: DevName, served: number | null, index: number): Gpa | null {
    const key = pasidKey(ctx, dev, index);
    const cachedEntry = this.iotlb.lookupPasid(key);
    if (cachedEntry) return cachedEntry.root;
    const root = this.guest.readPasidEntry(table, index);
    if (root !== null && !this.probing) this.iotlb.fillPasid({ key, ctx, s2, route: routeKey(dev, served), root });
    return root;
  }
}
