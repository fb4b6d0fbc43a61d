/**
 * The IOMMU's translation caches: the IOTLB (final iova page -> host page translations, VT-d IOTLB / SMMU TLB)
 * and the PASID cache (guest PASID-table entries, VT-d PASID cache / SMMU CD cache). Entries are tagged with
 * the context that made them (DID / ASID), the stage-2 domain they went through (so a stage-2 change reaches
 * nested contexts, as VT-d flushes nested domains when their parent changes), and the device route whose
 * context served them (so attach / detach of one route drops what that route cached).
 * Simplified: unbounded (no capacity, no eviction), no paging-structure caches, entries are per device as well
 * as per tag; lookups are one Map get on a string key, flushes walk the tag's or route's index set.
 */
import type { DevName, Gpa, Prot } from '../../uapi/index.js';
import type { DomainId } from './contract.js';
import { tick } from './stamp.js';

/** What one cache entry is tagged with. */
interface Tagged {
  readonly key: string;
  /** the context (domain, nested or guest-PASID-table id) whose walk made it */
  readonly ctx: DomainId;
  /** the stage-2 (paging) domain the walk went through; equals `ctx` for a paging context */
  readonly s2: DomainId;
  /** the device route whose context served the request (see routeKey) */
  readonly route: string;
}

/**
 * A final translation: the input page `vpn` maps to host page `hpa` with the stage-2 leaf's `prot`. `dirty`: the walk
 * that made it was a write that set the stage-2 leaf's dirty bit, so later writes through it need no walk (a write
 * through an entry made by a read walks again to set the bit, as the hardware's dirty update does).
 */
export interface IotlbEntry extends Tagged {
  readonly vpn: bigint;
  readonly hpa: bigint;
  readonly prot: Prot;
  readonly dirty: boolean;
}

/** A cached guest PASID-table entry: table index -> stage-1 root GPA. */
export interface PasidCacheEntry extends Tagged {
  readonly root: Gpa;
}

/** The route a context serves: a device's RID or one of its PASIDs. */
export const routeKey = (dev: DevName, pasid: number | null): string => (pasid === null ? `${dev}:rid` : `${dev}:${pasid}`);

/** IOTLB key: (context, device, pasid|RID of the request, input page); a vpn (< 2^52) is exact as a double, and cheaper to print. */
export const iotlbKey = (ctx: DomainId, dev: DevName, pasid: number | null, vpn: bigint): string =>
  `${ctx}:${dev}:${pasid ?? 'rid'}:${Number(vpn)}`;

/** PASID-cache key: (context, device, PASID-table index). */
export const pasidKey = (ctx: DomainId, dev: DevName, index: number): string => `${ctx}:${dev}:${index}`;

/** One cache: entries by key, indexed by tag (ctx and s2) and by route so every flush visits only its victims. */
class TaggedCache<E extends Tagged> {
  private readonly entries = new Map<string, E>();
  private readonly byTag = new Map<DomainId, Set<E>>();
  private readonly byRoute = new Map<string, Set<E>>();
  /** when each route's entries last came or went (stamp.ts) */
  readonly stamps = new Map<string, number>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): E | undefined {
    return this.entries.get(key);
  }

  add(e: E): void {
    const old = this.entries.get(e.key);
    if (old) this.delete(old);
    this.entries.set(e.key, e);
    index(this.byTag, e.ctx, e);
    if (e.s2 !== e.ctx) index(this.byTag, e.s2, e);
    index(this.byRoute, e.route, e);
    this.stamps.set(e.route, tick());
  }

  delete(e: E): void {
    this.entries.delete(e.key);
    unindex(this.byTag, e.ctx, e);
    if (e.s2 !== e.ctx) unindex(this.byTag, e.s2, e);
    unindex(this.byRoute, e.route, e);
    this.stamps.set(e.route, tick());
  }

  /** Drop the entries tagged `id` (as ctx or s2) that `victim` selects. */
  dropTagged(id: DomainId, victim: (e: E) => boolean): void {
    const set = this.byTag.get(id);
    if (set) for (const e of set) if (victim(e)) this.delete(e); // deleting the visited element is safe in a Set walk
  }

  dropRoute(route: string): void {
    const set = this.byRoute.get(route);
    if (set) for (const e of set) this.delete(e);
  }
}

function index<K, E>(m: Map<K, Set<E>>, k: K, e: E): void {
  const set = m.get(k);
  if (set) set.add(e);
  else m.set(k, new Set([e]));
}

function unindex<K, E>(m: Map<K, Set<E>>, k: K, e: E): void {
  const set = m.get(k);
  if (set?.delete(e) && set.size === 0) m.delete(k);
}

const always = (): boolean => true;

export class Iotlb {
  private readonly tlb = new TaggedCache<IotlbEntry>();
  private readonly pasidCache = new TaggedCache<PasidCacheEntry>();

  /** When what route `route` (routeKey) cached last changed (stamp.ts), in either cache. */
  stampOf(route: string): number {
    return Math.max(this.tlb.stamps.get(route) ?? 0, this.pasidCache.stamps.get(route) ?? 0);
  }

  /** entries in both caches */
  get size(): number {
    return this.tlb.size + this.pasidCache.size;
  }

  lookup(key: string): IotlbEntry | undefined {
    return this.tlb.get(key);
  }

  fill(e: IotlbEntry): void {
    this.tlb.add(e);
  }

  lookupPasid(key: string): PasidCacheEntry | undefined {
    return this.pasidCache.get(key);
  }

  fillPasid(e: PasidCacheEntry): void {
    this.pasidCache.add(e);
  }

  /** Everything tagged `id`: its own entries and, `id` being a parent, those of every context nested over it. */
  flushDomain(id: DomainId): void {
    this.tlb.dropTagged(id, always);
    this.pasidCache.dropTagged(id, always);
  }

  /** `id`'s own translations of pages [firstVpn, lastVpn] (its PASID cache stays); all of nested contexts over it. */
  flushRange(id: DomainId, firstVpn: bigint, lastVpn: bigint): void {
    this.tlb.dropTagged(id, (e) => e.ctx !== id || (e.vpn >= firstVpn && e.vpn <= lastVpn));
    // nested over `id`: their input addresses are unrelated to the stage-2 range, so all of it goes
    this.pasidCache.dropTagged(id, (e) => e.ctx !== id);
  }

  /** What one device route cached, through whichever context served it. */
  flushRoute(dev: DevName, pasid: number | null): void {
    const route = routeKey(dev, pasid);
    this.tlb.dropRoute(route);
    this.pasidCache.dropRoute(route);
  }
}
