/**
 * The object kinds of the 2021 /dev/ioasid designs. A root ioasid (observed as 'ioas') is an io_pagetable that
 * owns its paging domain, made at its first attach and kept until IOASID_FREE. A child ('ioasid_child',
 * IOASID_CREATE_NESTING) holds its parent and is software-nested (its own iova -> GPA areas, shadowed into a
 * paging domain of its own, as VFIO's software nesting merges the two stages) or carries a guest stage-1 (a page
 * table, or the guest's PASID table) walked over the parent's domain. A per-device bind ('sva_bind',
 * per-device-sva) is a guest stage-1 owned by one device FD, with a context id of its own so its invalidation
 * reaches that device only. Owners: the per-VM /dev/ioasid FD's table (rfc-v1, setup-only-association,
 * per-device-sva), each ioasid FD's one-object table (fd-per-ioasid), the device FD's table (sva_bind).
 * Simplified: the shadow is rebuilt page by page from the parent's page table after every change to either side.
 */
import { PAGE_SIZE, type DevName, type Gpa, type Prot } from '../uapi/index.js';
import type { Allocator, Context, DomainId, IommuApi, PagingDomain } from './hw/contract.js';
import type { IoPagetable } from './iopt.js';
import { freeDomain, type KFile } from './kernel.js';
import type { StoredFault } from './fault-ring.js';
import { IommufdObject, putUsers } from './object.js';
import { WARN_ON } from './warn.js';

/** A guest stage-1: one page table, or (guest-pasid-table hardware) the guest's PASID table. */
export interface S1 {
  readonly kind: 'pgtable' | 'pasid-table';
  readonly root: Gpa;
}

const BLOCKED: Context = { kind: 'blocked' };

/** The context of a guest stage-1 over `parent`; blocked if the parent has no domain (never attached: nothing routes here then). */
function stage1Context(id: DomainId, s1: S1, parent: PagingDomain | null): Context {
  if (!parent) return BLOCKED;
  return s1.kind === 'pgtable'
    ? { kind: 'nested', id, s1Root: s1.root, parent }
    : { kind: 'guest-pasid-table', id, table: s1.root, parent };
}

const sameProt = (a: Prot, b: Prot) => a.read === b.read && a.write === b.write;

/** A root ioasid: a kernel-managed I/O page table, type1 MAP/UNMAP on `iopt`. */
export class IoasidRoot extends IommufdObject {
  readonly kind = 'ioas';
  /** its page table, made by the first VFIO_ATTACH_IOASID ("just a number" until then, RFC v1 §2) */
  domain: PagingDomain | null = null;
  /** software-nested children whose shadows follow this map */
  readonly children = new Set<IoasidChild>();

  constructor(
    /** the file whose table holds it: an association holds this file */
    readonly owner: KFile,
    readonly iopt: IoPagetable,
    private readonly alloc: Allocator,
  ) {
    super();
  }

  get context(): Context {
    return this.domain ? { kind: 'paging', domain: this.domain } : BLOCKED;
  }

  override mappings() {
    return this.iopt.areas;
  }

  /** After this map changed: bring every child's shadow up to date. False if a shadow table page could not be had. */
  syncChildren(): boolean {
    for (const c of this.children) if (!c.syncShadow()) return false;
    return true;
  }

  destroy() {
    this.iopt.unmapAll();
    if (!this.domain) return;
    this.iopt.removeDomain(this.domain);
    freeDomain(this.alloc, this.domain);
    this.domain = null;
  }
}

/** One software-nesting map of a child: [start, last] -> the parent's GPA `gpa`. */
export interface ChildArea {
  readonly start: bigint;
  readonly last: bigint;
  readonly gpa: Gpa;
  readonly prot: Prot;
}

/** A child ioasid (IOASID_CREATE_NESTING): software-nested or bound, never both. */
export class IoasidChild extends IommufdObject {
  readonly kind = 'ioasid_child';
  readonly areas: ChildArea[] = [];
  s1: S1 | null = null;
  /** RFC v1's fault_data list: the page requests stored for this ioasid and not answered yet, oldest first (fault-ring.ts) */
  readonly faultData: StoredFault[] = [];
  /** the shadow of the software-nested maps, made by the first attach (the child's "domain") */
  shadow: PagingDomain | null = null;

  constructor(
    readonly owner: KFile,
    readonly parent: IoasidRoot,
    /** the tag of its nested context (a DID for the guest stage-1) */
    readonly nestId: DomainId,
    private readonly iommu: IommuApi,
    private readonly alloc: Allocator,
  ) {
    super();
    parent.users++; // the parent is held until this child is destroyed
    parent.children.add(this);
  }

  get stackedOn(): IommufdObject {
    return this.parent;
  }

  override mappings() {
    return this.areas;
  }

  get context(): Context {
    if (this.s1) return stage1Context(this.nestId, this.s1, this.parent.domain);
    return this.shadow ? { kind: 'paging', domain: this.shadow } : BLOCKED;
  }

  /** The shadow entry a page of `a` should have: the parent's host page for its GPA, both stages' permissions. */
  private want(a: ChildArea, iova: bigint): { hpa: bigint; prot: Prot } | null {
    const leaf = this.parent.domain?.pt.walk(a.gpa + (iova - a.start)) ?? null;
    if (!leaf) return null;
    return { hpa: leaf.hpa, prot: { read: leaf.prot.read && a.prot.read, write: leaf.prot.write && a.prot.write } };
  }

  /** iova pages the shadow maps now (so a sync touches only pages that are or were backed, never a whole range) */
  private readonly shadowed = new Set<bigint>();

  /** The child iova pages the parent backs now: each child map cut to the parent's maps of its GPA range. */
  private backedPages(): Map<bigint, ChildArea> {
    const out = new Map<bigint, ChildArea>();
    for (const a of this.areas) {
      const gpaLast = a.gpa + (a.last - a.start);
      for (const p of this.parent.iopt.areas) {
        const from = p.start > a.gpa ? p.start : a.gpa;
        const to = p.last < gpaLast ? p.last : gpaLast;
        for (let gpa = from - (from % PAGE_SIZE); gpa <= to; gpa += PAGE_SIZE) out.set(a.start + (gpa - a.gpa), a);
      }
    }
    return out;
  }

  /** Rewrite every shadow entry that differs from what the two stages give now; each rewritten page is flushed. */
  syncShadow(): boolean {
    const shadow = this.shadow;
    if (!shadow) return true;
    const backed = this.backedPages();
    for (const iova of new Set([...backed.keys(), ...this.shadowed])) {
      const a = backed.get(iova);
      const want = a ? this.want(a, iova) : null;
      const have = shadow.pt.walk(iova);
      if (have && want && have.hpa === want.hpa && sameProt(have.prot, want.prot)) continue;
      if (!have && !want) continue;
      if (have) {
        shadow.pt.unmap(iova);
        this.shadowed.delete(iova);
        this.iommu.flushRange(shadow.id, iova >> 12n, iova >> 12n);
      }
      if (want) {
        if (!shadow.pt.map(iova, want.hpa, want.prot)) return false;
        this.shadowed.add(iova);
      }
    }
    return true;
  }

  /** Add a software-nesting map (the caller checked overlap and reserved ranges); ENOMEM leaves nothing behind. */
  map(a: ChildArea): 'ENOMEM' | null {
    let i = this.areas.length;
    while (i > 0 && this.areas[i - 1]!.start > a.start) i--; // i - 1 in range
    this.areas.splice(i, 0, a);
    if (this.syncShadow()) return null;
    this.areas.splice(this.areas.indexOf(a), 1);
    this.clear(a);
    return 'ENOMEM';
  }

  /** Drop a's pages from the shadow and its IOTLB entries. */
  private clear(a: ChildArea) {
    if (!this.shadow) return;
    for (const iova of this.shadowed) {
      if (iova < a.start || iova > a.last) continue;
      this.shadow.pt.unmap(iova);
      this.shadowed.delete(iova);
    }
    this.iommu.flushRange(this.shadow.id, a.start >> 12n, a.last >> 12n);
  }

  /** Type1 unmap of whole maps inside [start, last]: one sticking out refuses the whole call (`stuck`). */
  unmapRange(start: bigint, last: bigint): { bytes: bigint; stuck: boolean; removed: number } {
    const hit = this.areas.filter((a) => a.start <= last && start <= a.last);
    if (hit.some((a) => a.start < start || a.last > last)) return { bytes: 0n, stuck: true, removed: 0 };
    let bytes = 0n;
    for (const a of hit) {
      bytes += a.last - a.start + 1n;
      this.areas.splice(this.areas.indexOf(a), 1);
      this.clear(a);
    }
    return { bytes, stuck: false, removed: hit.length };
  }

  destroy() {
    // a request waits on an attachment, and an attached ioasid cannot go
    WARN_ON(this.faultData.length > 0, 'ioasid_child_destroy', () => `ioasid ${this.id} freed with ${this.faultData.length} page requests unanswered`);
    this.areas.length = 0;
    if (this.shadow) {
      freeDomain(this.alloc, this.shadow);
      this.iommu.flushDomain(this.shadow.id);
      this.shadow = null;
      this.shadowed.clear();
    }
    this.iommu.flushDomain(this.nestId);
    this.parent.children.delete(this);
    putUsers(this.parent);
  }
}

/** per-device-sva: a guest stage-1 bound through one device FD for one route, over a root ioasid. */
export class SvaBind extends IommufdObject {
  readonly kind = 'sva_bind';

  constructor(
    readonly parent: IoasidRoot,
    /** its own context tag: an invalidation through this device FD reaches this bind only */
    readonly ctxId: DomainId,
    readonly s1: S1,
    readonly dev: DevName,
    readonly pasid: number | null,
    private readonly iommu: IommuApi,
  ) {
    super();
    parent.users++;
  }

  get stackedOn(): IommufdObject {
    return this.parent;
  }

  get context(): Context {
    return stage1Context(this.ctxId, this.s1, this.parent.domain);
  }

  destroy() {
    this.iommu.flushDomain(this.ctxId);
    putUsers(this.parent);
  }
}

export type IoasidSpace = IoasidRoot | IoasidChild;

/** The root ioasid a target's DMA ends in (where device reserved regions apply). */
export function rootOf(o: IommufdObject): IoasidRoot | undefined {
  if (o instanceof IoasidRoot) return o;
  if (o instanceof IoasidChild || o instanceof SvaBind) return o.parent;
  return undefined;
}

/** Whether the space has had a device attached (its page table exists): ENODEV otherwise. */
export const hasDomain = (o: IoasidSpace): boolean => (o instanceof IoasidRoot ? o.domain !== null : o.shadow !== null);
