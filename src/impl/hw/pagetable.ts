/**
 * The IOMMU's I/O page table: a 4-level radix tree of 512-entry table pages with 4 KiB leaves over a 48-bit
 * input address (VT-d second-level / SMMUv3 stage-2 with a 4 KiB granule; levels index bits 47-39, 38-30,
 * 29-21, 20-12). Every table page, the root included, is one `alloc('pgtable-page')`, so fail_nth reaches the
 * middle of a map and leak checks count table pages.
 * Simplified: no huge pages (a leaf is always one 4 KiB page at the last level), a PTE is an object holding the
 * page base and Prot instead of packed bits, and inputs at or above 2^48 are outside the aperture: they are
 * never mapped (`map`/`unmap` return false, `walk` returns null), as a 4-level walk has no bits for them.
 * Re-mapping a present page overwrites its PTE (a PTE write), it is not refused.
 */
import type { Prot } from '../../uapi/index.js';
import type { Allocator, IoPageTableApi } from './contract.js';

/** A leaf PTE: host page base (low 12 bits clear) and its permissions. */
export interface Pte {
  readonly hpa: bigint;
  readonly prot: Prot;
}

const ENTRIES = 512;
const IDX_MASK = 0x1ff;
const LEVEL_SPAN = 512; // vpn units one level index spans at the level below
const INPUT_LIMIT = 1n << 48n;
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

type L3 = TablePage<Pte>; // last level: PTEs, bits 20-12
type L2 = TablePage<L3>; // bits 29-21
type L1 = TablePage<L2>; // bits 38-30
type L0 = TablePage<L1>; // root, bits 47-39

/*
 * Level indices from the vpn as a double: a 36-bit vpn is exact in a double, and each quotient below is under
 * 2^31 before the mask, so `& IDX_MASK` is exact (one bigint shift per walk instead of four).
 */
const idx0 = (vpn: number) => Math.floor(vpn / (LEVEL_SPAN * LEVEL_SPAN * LEVEL_SPAN)) & IDX_MASK;
const idx1 = (vpn: number) => Math.floor(vpn / (LEVEL_SPAN * LEVEL_SPAN)) & IDX_MASK;
const idx2 = (vpn: number) => Math.floor(vpn / LEVEL_SPAN) & IDX_MASK;
const idx3 = (vpn: number) => vpn & IDX_MASK; // ToInt32 keeps the low 9 bits of any integer below 2^53

/** The vpn of an input address inside the aperture, or -1 for one the table cannot hold. */
function vpnOf(iova: bigint): number {
  return iova < 0n || iova >= INPUT_LIMIT ? -1 : Number(iova >> 12n);
}

export class IoPageTable implements IoPageTableApi {
  private root: L0 = new TablePage<L1>();
  private pages = 1;
  private leaves = 0;

  /**
   * Allocates the root; throws when the allocator refuses it (a caller bug: use `create` where allocation may
   * fail). `rootTaken` is module-private: only `create`, which already allocated the root, passes it.
   */
  constructor(private readonly alloc: Allocator, rootTaken?: typeof ROOT_TAKEN) {
    if (rootTaken !== ROOT_TAKEN && !alloc.alloc('pgtable-page')) throw new Error('IoPageTable: root table page allocation failed (use IoPageTable.create)');
  }

  /** A table with its root allocated, or null when that allocation fails (the caller answers ENOMEM). */
  static create(alloc: Allocator): IoPageTable | null {
    return alloc.alloc('pgtable-page') ? new IoPageTable(alloc, ROOT_TAKEN) : null;
  }

  get mapped(): number {
    return this.leaves;
  }

  get tablePages(): number {
    return this.pages;
  }

  walk(iova: bigint): Pte | null {
    const vpn = vpnOf(iova);
    if (vpn < 0) return null;
    return this.root.slots[idx0(vpn)]?.slots[idx1(vpn)]?.slots[idx2(vpn)]?.slots[idx3(vpn)] ?? null;
  }

  map(iova: bigint, hpa: bigint, prot: Prot): boolean {
    const vpn = vpnOf(iova);
    if (vpn < 0) return false;
    const i0 = idx0(vpn), i1 = idx1(vpn), i2 = idx2(vpn);
    const l1 = this.root.slots[i0];
    const l2 = l1?.slots[i1];
    const l3 = l2?.slots[i2];
    // allocate every missing level before linking any: a refusal then only returns what this call took
    const missing = l3 ? 0 : l2 ? 1 : l1 ? 2 : 3;
    for (let got = 0; got < missing; got++) {
      if (this.alloc.alloc('pgtable-page')) continue;
      for (let k = 0; k < got; k++) this.alloc.free('pgtable-page');
      return false;
    }
    this.pages += missing;
    const n1 = l1 ?? this.link(this.root, i0, new TablePage<L2>());
    const n2 = l2 ?? this.link(n1, i1, new TablePage<L3>());
    const n3 = l3 ?? this.link(n2, i2, new TablePage<Pte>());
    const i3 = idx3(vpn);
    if (n3.slots[i3] === undefined) this.leaves++;
    n3.set(i3, { hpa: hpa & ~0xfffn, prot });
    return true;
  }

  unmap(iova: bigint): boolean {
    const vpn = vpnOf(iova);
    if (vpn < 0) return false;
    const i0 = idx0(vpn), i1 = idx1(vpn), i2 = idx2(vpn), i3 = idx3(vpn);
    const l1 = this.root.slots[i0];
    const l2 = l1?.slots[i1];
    const l3 = l2?.slots[i2];
    if (!l1 || !l2 || !l3 || l3.slots[i3] === undefined) return false;
    l3.clear(i3);
    this.leaves--;
    // free table pages left empty, bottom up; the root stays (it lives as long as the domain)
    if (l3.live === 0) this.release(l2, i2);
    if (l2.live === 0) this.release(l1, i1);
    if (l1.live === 0) this.release(this.root, i0);
    return true;
  }

  destroy(): void {
    for (let k = 0; k < this.pages; k++) this.alloc.free('pgtable-page');
    this.root = new TablePage<L1>();
    this.pages = 0;
    this.leaves = 0;
  }

  private link<T>(parent: TablePage<T>, i: number, child: T): T {
    parent.set(i, child);
    return child;
  }

  private release<T>(parent: TablePage<T>, i: number): void {
    parent.clear(i);
    this.pages--;
    this.alloc.free('pgtable-page');
  }
}
