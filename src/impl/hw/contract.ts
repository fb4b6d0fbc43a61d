/**
 * The contract between the simulated kernel's object layer (src/impl/*.ts) and its hardware (src/impl/hw/).
 * The object layer programs the IOMMU the way a kernel driver does — domain page tables, device context
 * entries, PASID entries, IOTLB invalidation — and the hardware answers DMA by walking what was programmed,
 * through its IOTLB. Nothing here knows about ioctls, ids of the uAPI, or the spec.
 */
import type { Access, DevName, Gpa, HwKind, Prot, Xlate } from '../../uapi/index.js';

/** What an allocation is for: every page-table page, object, area, pin goes through the allocator (fail_nth). */
export type AllocKind = 'object' | 'area' | 'pages' | 'pin' | 'pgtable-page' | 'domain' | 'hw-info' | 'iova-bitmap';

/** The allocation hook: `alloc` returns false when this allocation fails (the caller unwinds and answers ENOMEM). */
export interface Allocator {
  alloc(kind: AllocKind): boolean;
  /** give one back (a freed page-table page, an unpinned page...) so leak counts balance */
  free(kind: AllocKind): void;
}

/** A domain's id as the IOMMU tags its IOTLB entries (VT-d DID / SMMU ASID+VMID). */
export type DomainId = number;

/**
 * A kernel-managed (stage-2 or single-stage) domain: a page table and its tag. `dirty`: the domain was allocated with
 * dirty tracking (the driver's dirty_ops); `recording` is the hardware's dirty update for it (VT-d SSADE in the PASID
 * entry, AMD HAD in the DTE, SMMUv3 HD in the CD, the mock's MOCK_DIRTY_TRACK): while on, a write walk sets the leaf's
 * dirty bit.
 */
export interface PagingDomain {
  readonly id: DomainId;
  readonly pt: IoPageTableApi;
  readonly dirty: { recording: boolean } | null;
}

/** A leaf entry as the IOMMU and the driver see it: the dirty bit is the one field both write. */
export interface IoPte {
  readonly hpa: bigint;
  readonly prot: Prot;
  dirty: boolean;
}

/**
 * The process's page table as the CPU walks it, which a native SVA PASID entry points the IOMMU at (VT-d's first-level
 * format is the CPU's; an SMMU CD / AMD GCR3 entry takes the mm's page table root likewise).
 */
export interface CpuPageTableApi {
  /** the leaf for the user page holding `va` (its host page and permissions), or null when nothing is mapped there */
  walk(va: bigint): { readonly hpa: bigint; readonly prot: Prot } | null;
  /** when a mapping last came or went (stamp.ts) */
  readonly stamp: number;
}

/** A device routing entry: RID context entry, or one entry of the host-owned PASID table. */
export type Context =
  | { readonly kind: 'blocked' }
  | { readonly kind: 'paging'; readonly domain: PagingDomain }
  /** one guest stage-1 page table (at GPA `s1Root`) over `parent` */
  | { readonly kind: 'nested'; readonly id: DomainId; readonly s1Root: Gpa; readonly parent: PagingDomain }
  /** RID only, guest-pasid-table hardware: the guest's PASID table at GPA `table`, walked for every request */
  | { readonly kind: 'guest-pasid-table'; readonly id: DomainId; readonly table: Gpa; readonly parent: PagingDomain }
  /** PASID only, native SVA: the process's own page table, single stage (iova = user VA), tagged `id` */
  | { readonly kind: 'sva'; readonly id: DomainId; readonly mm: CpuPageTableApi };

/** An I/O page table of one granule (4 KiB; the selftest mock's 2 KiB): a multi-level radix tree. */
export interface IoPageTableApi {
  /** log2 of the granule: 12 for 4 KiB pages, 11 for the mock's 2 KiB */
  readonly shift: bigint;
  /** map one granule iova -> hpa (both granule aligned); false if a table page could not be allocated (nothing changed) */
  map(iova: bigint, hpa: bigint, prot: Prot): boolean;
  /** unmap one granule; returns whether it was mapped; frees table pages left empty */
  unmap(iova: bigint): boolean;
  /** the leaf entry for the granule holding `iova`, or null */
  walk(iova: bigint): IoPte | null;
  /** how many leaf entries are present */
  readonly mapped: number;
  /** how many table pages are allocated (the root included) */
  readonly tablePages: number;
  /** free every table page (domain destroy); the table must not be used afterwards */
  destroy(): void;
  /** when a leaf entry last changed (stamp.ts) */
  readonly stamp: number;
}

/** The guest's own memory, as far as the IOMMU reads it: stage-1 page tables and PASID tables, keyed by GPA. */
export interface GuestMemoryApi {
  writePte(table: Gpa, vpn: bigint, gpa: Gpa | null): void;
  readPte(table: Gpa, vpn: bigint): Gpa | null;
  writePasidEntry(table: Gpa, pasid: number, pgtable: Gpa | null): void;
  readPasidEntry(table: Gpa, pasid: number): Gpa | null;
  /** when the guest last wrote an entry (stamp.ts) */
  readonly stamp: number;
}

/** A domain's geometry on this IOMMU: the input range it translates and the page size it maps (profile aperture, pgsize). */
export interface Geometry {
  readonly aperture: { readonly start: bigint; readonly last: bigint };
  /** log2 of the smallest page size (1 << __ffs(pgsize_bitmap)) */
  readonly pageShift: bigint;
}

/** One IOMMU instance serving every device of the machine. */
export interface IommuApi {
  readonly hw: HwKind;
  readonly geometry: Geometry;
  /** program a device's RID context (pasid null) or its host PASID-table entry */
  setContext(dev: DevName, pasid: number | null, ctx: Context): void;
  context(dev: DevName, pasid: number | null): Context;
  /** what one DMA does now: IOTLB first, else a walk whose result is cached */
  translate(dev: DevName, pasid: number | null, iova: bigint, access: Access): Xlate;
  /** the same answer, filling no cache (for observe()) */
  probe(dev: DevName, pasid: number | null, iova: bigint, access: Access): Xlate;
  /**
   * Invalidate every IOTLB and PASID-cache entry tagged with `id` — and, when `id` is a paging domain used as a
   * parent, every entry of the nested contexts over it (a stage-2 change invalidates their stage-1 caches too,
   * as the VT-d driver flushes nested domains when their parent changes).
   */
  flushDomain(id: DomainId): void;
  /**
   * Page-selective: invalidate `id`'s IOTLB entries for input pages [firstVpn, lastVpn] (its PASID cache stays).
   * When `id` is a parent, every entry of the nested contexts over it and their PASID-cache entries go too
   * (their input addresses are unrelated to the stage-2 range).
   */
  flushRange(id: DomainId, firstVpn: bigint, lastVpn: bigint): void;
  /** invalidate what one device route cached (on attach / detach / replace of that route) */
  flushRoute(dev: DevName, pasid: number | null): void;
  /** number of cached entries (IOTLB + PASID cache), for leak checks */
  readonly cached: number;
}
