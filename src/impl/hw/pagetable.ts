/**
 * The IOMMU's I/O page table: a radix tree of 512-entry table pages, by default 4 levels with 4 KiB leaves over a
 * 48-bit input address (VT-d second-level / SMMUv3 stage-2 with a 4 KiB granule; levels index bits 47-39, 38-30,
 * 29-21, 20-12). The granule and the input width are parameters, so one tree serves every profile: the selftest
 * mock's 2 KiB pages (MOCK_IO_PAGE_SIZE, drivers/iommu/iommufd/selftest.c) and AMD's v1 table over the whole u64
 * space (6 levels, PAGE_MODE_6_LEVEL). Every table page, the root included, is one `alloc('pgtable-page')`, so
 * fail_nth reaches the middle of a map and leak checks count table pages.
 * Simplified: no huge pages (a leaf is always one granule at the last level), a PTE is an object holding the
 * granule's base and Prot instead of packed bits, and inputs past the input width are outside the aperture: they
 * are never mapped (`map`/`unmap` return false, `walk` returns null), as the walk has no bits for them.
 * Re-mapping a present page overwrites its PTE (a PTE write, clean), it is not refused.
 */
import type { Prot } from '../../uapi/index.js';
import type { Allocator, IoPageTableApi } from './contract.js';
import { tick } from './stamp.js';

/**
 * A leaf PTE: host address of the granule (its low `shift` bits clear), its permissions, and the dirty bit (VT-d
 * second-level D, AMD v1 D, SMMUv3 DBM/AP, the mock's MOCK_PFN_DIRTY_IOVA) that the IOMMU sets on a write walk of a
 * domain that records dirty pages and the driver's read_and_clear_dirty clears.
 */
export interface Pte {
  readonly hpa: bigint;
  readonly prot: Prot;
  dirty: boolean;
}

const ENTRIES = 512;
const IDX_MASK = 0x1ff;
const ROOT_TAKEN: unique symbol = Symbol('root-taken');

/** One table page: 512 slots and the count of present ones (a page whose count drops to 0 is freed). */
class TablePage<T> {
  readonly slots: (T | undefined)[] = new Array<T | undefined>(ENTRIES);
  live = 0;

  set(i: number, v: T): void {
    if (this.slots[i] === undefined) this.live++;
    this.slots[i] = v;
  }

  clear(i: number): void {
    if (this.slots[i] === undefined) return;
    this.slots[i] = undefined;
    this.live--;
  }
}

/** A table page of any level: the last level holds PTEs, every other one the table pages below it. */
type Node = TablePage<Node | Pte>;

const LEVEL_BITS = 9;
/** 512^k as a double, k = 0..6: exact, and a vpn (< 2^53) divided by it floors exactly. */
const SPAN = Array.from({ length: 7 }, (_, k) => 512 ** k);

export class IoPageTable implements IoPageTableApi {
  private root: Node = new TablePage<Node | Pte>();
  /** levels of 9 index bits above the granule: 4 cover 2^48 of input with 4 KiB pages, 6 cover the whole u64 space */
  private readonly levels: number;
  /** inputs at or past this are outside what the table can hold */
  private readonly inputLimit: bigint;
  private readonly granuleMask: bigint;
  private pages = 1;
  private leaves = 0;
  /** when a PTE last changed (stamp.ts) */
  stamp = 0;

  /**
   * Allocates the root; throws when the allocator refuses it (a caller bug: use `create` where allocation may
   * fail). `rootTaken` is module-private: only `create`, which already allocated the root, passes it. `inputBits`:
   * the input address width the IOMMU translates (48 by default; the AMD v1 table's 64).
   */
  constructor(private readonly alloc: Allocator, rootTaken?: typeof ROOT_TAKEN, readonly shift = 12n, inputBits = 48) {
    this.levels = Math.ceil((inputBits - Number(shift)) / LEVEL_BITS);
    const reach = shift + BigInt(this.levels * LEVEL_BITS);
    this.inputLimit = 1n << (reach < BigInt(inputBits) ? reach : BigInt(inputBits));
    this.granuleMask = (1n << shift) - 1n;
    if (rootTaken !== ROOT_TAKEN && !alloc.alloc('pgtable-page')) throw new Error('IoPageTable: root table page allocation failed (use IoPageTable.create)');
  }

  /** A table with its root allocated, or null when that allocation fails (the caller answers ENOMEM). */
  static create(alloc: Allocator, shift = 12n, inputBits = 48): IoPageTable | null {
    return alloc.alloc('pgtable-page') ? new IoPageTable(alloc, ROOT_TAKEN, shift, inputBits) : null;
  }

  /** The vpn of an input address inside the table's reach, or -1 for one it cannot hold. */
  private vpnOf(iova: bigint): number {
    return iova < 0n || iova >= this.inputLimit ? -1 : Number(iova >> this.shift);
  }

  /** The index at `level` (0: the root) of a vpn: exact, as vpn < 2^53 and each quotient is masked to 9 bits. */
  private idx(vpn: number, level: number): number {
    return Math.floor(vpn / SPAN[this.levels - 1 - level]!) & IDX_MASK; // levels <= 7
  }

  get mapped(): number {
    return this.leaves;
  }

  get tablePages(): number {
    return this.pages;
  }

  walk(iova: bigint): Pte | null {
    const vpn = this.vpnOf(iova);
    if (vpn < 0) return null;
    let node: Node | Pte | undefined = this.root;
    for (let l = 0; l < this.levels && node !== undefined; l++) node = (node as Node).slots[this.idx(vpn, l)];
    return (node as Pte | undefined) ?? null;
  }

  map(iova: bigint, hpa: bigint, prot: Prot): boolean {
    const vpn = this.vpnOf(iova);
    if (vpn < 0) return false;
    // the path of table pages that exist, from the root down
    const path: Node[] = [this.root];
    for (let l = 1; l < this.levels; l++) {
      const next = path[l - 1]!.slots[this.idx(vpn, l - 1)] as Node | undefined; // path has l entries
      if (next === undefined) break;
      path.push(next);
    }
    // allocate every missing level before linking any: a refusal then only returns what this call took
    const missing = this.levels - path.length;
    for (let got = 0; got < missing; got++) {
      if (this.alloc.alloc('pgtable-page')) continue;
      for (let k = 0; k < got; k++) this.alloc.free('pgtable-page');
      return false;
    }
    this.pages += missing;
    while (path.length < this.levels) {
      const child: Node = new TablePage<Node | Pte>();
      path[path.length - 1]!.set(this.idx(vpn, path.length - 1), child); // path is never empty
      path.push(child);
    }
    const leaf = path[this.levels - 1]!; // levels entries now
    const i = this.idx(vpn, this.levels - 1);
    if (leaf.slots[i] === undefined) this.leaves++;
    leaf.set(i, { hpa: hpa & ~this.granuleMask, prot, dirty: false });
    this.stamp = tick();
    return true;
  }

  unmap(iova: bigint): boolean {
    const vpn = this.vpnOf(iova);
    if (vpn < 0) return false;
    const path: Node[] = [this.root];
    for (let l = 1; l < this.levels; l++) {
      const next = path[l - 1]!.slots[this.idx(vpn, l - 1)] as Node | undefined; // path has l entries
      if (next === undefined) return false;
      path.push(next);
    }
    const leaf = path[this.levels - 1]!; // levels entries
    const i = this.idx(vpn, this.levels - 1);
    if (leaf.slots[i] === undefined) return false;
    leaf.clear(i);
    this.leaves--;
    this.stamp = tick();
    // free table pages left empty, bottom up; the root stays (it lives as long as the domain)
    for (let l = this.levels - 1; l > 0 && path[l]!.live === 0; l--) this.release(path[l - 1]!, this.idx(vpn, l - 1)); // l in range
    return true;
  }

  destroy(): void {
    for (let k = 0; k < this.pages; k++) this.alloc.free('pgtable-page');
    this.root = new TablePage<Node | Pte>();
    this.pages = 0;
    this.leaves = 0;
    this.stamp = tick();
  }

  private release(parent: Node, i: number): void {
    parent.clear(i);
    this.pages--;
    this.alloc.free('pgtable-page');
  }
}
