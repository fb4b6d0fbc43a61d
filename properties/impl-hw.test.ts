/**
 * The simulated kernel's hardware (src/impl/hw): the radix I/O page table, guest memory, the IOTLB and PASID
 * cache, and the IOMMU's routing and walks. Each test ends with a leak check: every page unmapped leaves only
 * the root table page, every flush leaves nothing cached, every destroyed table gives back all it allocated.
 */
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../src/impl/hw/guest-memory.js';
import { Iommu } from '../src/impl/hw/iommu.js';
import { IoPageTable } from '../src/impl/hw/pagetable.js';
import type { AllocKind, Allocator, Context, IoPageTableApi, PagingDomain } from '../src/impl/hw/contract.js';
import { HW_KINDS, type FaultReason, type HwKind, type Prot, type Xlate } from '../src/uapi/index.js';

/** Counts live allocations per kind; `failNth(n)` makes the n-th allocation from now fail (fail_nth). */
class CountingAlloc implements Allocator {
  live = 0;
  private calls = 0;
  private failAt = 0;

  alloc(_kind: AllocKind): boolean {
    this.calls++;
    if (this.calls === this.failAt) return false;
    this.live++;
    return true;
  }

  free(_kind: AllocKind): void {
    this.live--;
  }

  failNth(n: number): void {
    this.calls = 0;
    this.failAt = n;
  }
}

const RW: Prot = { read: true, write: true };
const RO: Prot = { read: true, write: false };
const WO: Prot = { read: false, write: true };
const hit = (hpa: bigint): Xlate => ({ kind: 'hit', hpa });
const fault = (reason: FaultReason): Xlate => ({ kind: 'fault', reason });

function table(alloc: Allocator): IoPageTable {
  const pt = IoPageTable.create(alloc);
  if (!pt) throw new Error('root allocation failed in a fixture');
  return pt;
}

/** Must succeed. */
function map(pt: IoPageTableApi, iova: bigint, hpa: bigint, prot: Prot = RW): void {
  expect(pt.map(iova, hpa, prot), `map 0x${iova.toString(16)}`).toBe(true);
}

/** The machine: one allocator, guest memory, an IOMMU and two paging domains (1, 2). */
function machine(hw: HwKind) {
  const alloc = new CountingAlloc();
  const guest = new GuestMemory();
  const iommu = new Iommu(hw, guest);
  const d1: PagingDomain = { id: 1, pt: table(alloc), dirty: null };
  const d2: PagingDomain = { id: 2, pt: table(alloc), dirty: null };
  /** Leak check: unmap everything, flush both domains, nothing cached, only roots left, then nothing at all. */
  const teardown = (...iovas: bigint[]) => {
    for (const d of [d1, d2]) for (const iova of iovas) d.pt.unmap(iova);
    iommu.flushDomain(1);
    iommu.flushDomain(2);
    expect(iommu.cached).toBe(0);
    expect([d1.pt.mapped, d1.pt.tablePages, d2.pt.mapped, d2.pt.tablePages]).toEqual([0, 1, 0, 1]);
    d1.pt.destroy();
    d2.pt.destroy();
    expect(alloc.live).toBe(0);
  };
  return { alloc, guest, iommu, d1, d2, teardown };
}

describe('hw: I/O page table', () => {
  it('map, walk and unmap at level boundaries allocate and free exactly the table pages each level needs', () => {
    const alloc = new CountingAlloc();
    const pt = table(alloc);
    expect(pt.tablePages).toBe(1);

    // Last page of the first leaf table, then the first page of the second: a new leaf table only
    map(pt, 0x1ff000n, 0xa000n);
    expect(pt.tablePages).toBe(4);
    map(pt, 0x200000n, 0xb000n, RO);
    expect(pt.tablePages).toBe(5);
    // Last page below 2^42 (root index 7, every lower index 511), then 2^39 (root index 1): three levels each
    map(pt, 0x3fffffff000n, 0xc000n);
    expect(pt.tablePages).toBe(8);
    map(pt, 1n << 39n, 0xd000n);
    expect(pt.tablePages).toBe(11);
    expect(pt.mapped).toBe(4);
    expect(alloc.live).toBe(11);

    // Walk finds the page holding any byte of it, and nothing next to it
    expect(pt.walk(0x1ff000n)).toEqual({ hpa: 0xa000n, prot: RW, dirty: false });
    expect(pt.walk(0x1fffffn)).toEqual({ hpa: 0xa000n, prot: RW, dirty: false });
    expect(pt.walk(0x200123n)).toEqual({ hpa: 0xb000n, prot: RO, dirty: false });
    expect(pt.walk(0x3fffffffabcn)?.hpa).toBe(0xc000n);
    expect(pt.walk(1n << 39n)?.hpa).toBe(0xd000n);
    for (const empty of [0x1fe000n, 0x201000n, 0x3ffffffe000n, 0x40000000000n, (1n << 39n) - 0x1000n, (1n << 39n) + 0x1000n, 0n])
      expect(pt.walk(empty), `0x${empty.toString(16)}`).toBeNull();

    // Unmap fails if nothing is mapped there
    expect(pt.unmap(0x1fe000n)).toBe(false);
    expect(pt.tablePages).toBe(11);

    // Unmap frees the leaf table left empty but keeps the shared upper levels
    expect(pt.unmap(0x1ff000n)).toBe(true);
    expect(pt.walk(0x1ff000n)).toBeNull();
    expect(pt.tablePages).toBe(10);
    expect(pt.unmap(0x1ff000n)).toBe(false);
    expect(pt.unmap(0x200000n)).toBe(true);
    expect(pt.tablePages).toBe(7);
    expect(pt.unmap(0x3fffffff000n)).toBe(true);
    expect(pt.tablePages).toBe(4);
    expect(pt.walk(1n << 39n)?.hpa).toBe(0xd000n);
    expect(pt.unmap(1n << 39n)).toBe(true);

    // Leak check
    expect([pt.mapped, pt.tablePages, alloc.live]).toEqual([0, 1, 1]);
    pt.destroy();
    expect(alloc.live).toBe(0);
  });

  it('re-mapping a present page overwrites its PTE and keeps only the page base', () => {
    const alloc = new CountingAlloc();
    const pt = table(alloc);
    map(pt, 0x5000n, 0x7000n, RO);
    map(pt, 0x5000n, 0x8abcn, RW);
    expect(pt.walk(0x5000n)).toEqual({ hpa: 0x8000n, prot: RW, dirty: false });
    expect([pt.mapped, pt.tablePages]).toEqual([1, 4]);
    pt.destroy();
    expect(alloc.live).toBe(0);
  });

  it('a map whose n-th table page allocation fails returns false and leaves the table unchanged', () => {
    const alloc = new CountingAlloc();
    const pt = table(alloc);
    map(pt, 0x1000n, 0x1000n);
    // 2^39 needs three new table pages: fail each of them in turn
    for (const n of [1, 2, 3]) {
      alloc.failNth(n);
      expect(pt.map(1n << 39n, 0x2000n, RW), `fail_nth=${n}`).toBe(false);
      expect([pt.mapped, pt.tablePages, alloc.live], `fail_nth=${n}`).toEqual([1, 4, 4]);
      expect(pt.walk(1n << 39n)).toBeNull();
    }
    // One level missing (a new leaf table under an existing middle level): fail its only allocation
    alloc.failNth(1);
    expect(pt.map(0x200000n, 0x3000n, RW)).toBe(false);
    expect([pt.mapped, pt.tablePages, alloc.live]).toEqual([1, 4, 4]);
    // The 4th allocation is past what the map needs: it succeeds
    alloc.failNth(4);
    map(pt, 1n << 39n, 0x2000n);
    expect([pt.mapped, pt.tablePages, alloc.live]).toEqual([2, 7, 7]);

    // Leak check
    pt.unmap(0x1000n);
    pt.unmap(1n << 39n);
    expect([pt.mapped, pt.tablePages]).toEqual([0, 1]);
    pt.destroy();
    expect(alloc.live).toBe(0);
  });

  it('a table whose root page cannot be allocated is not created', () => {
    const alloc = new CountingAlloc();
    alloc.failNth(1);
    expect(IoPageTable.create(alloc)).toBeNull();
    alloc.failNth(1);
    expect(() => new IoPageTable(alloc)).toThrow(/root/);
    expect(alloc.live).toBe(0);
  });

  it('an input address at or above 2^48 is never mapped', () => {
    const alloc = new CountingAlloc();
    const pt = table(alloc);
    for (const iova of [1n << 48n, (1n << 48n) + 0x1000n, (1n << 64n) - 0x1000n, -0x1000n]) {
      expect(pt.map(iova, 0x1000n, RW)).toBe(false);
      expect(pt.walk(iova)).toBeNull();
      expect(pt.unmap(iova)).toBe(false);
    }
    expect([pt.mapped, pt.tablePages, alloc.live]).toEqual([0, 1, 1]);
    // The last page of the aperture is an ordinary page
    map(pt, (1n << 48n) - 0x1000n, 0x9000n);
    expect(pt.walk((1n << 48n) - 1n)?.hpa).toBe(0x9000n);
    expect(pt.walk(0x1000n)).toBeNull();

    // Leak check
    pt.unmap((1n << 48n) - 0x1000n);
    expect([pt.mapped, pt.tablePages]).toEqual([0, 1]);
    pt.destroy();
    expect(alloc.live).toBe(0);
  });

  it('destroy gives back every table page, intermediate levels included', () => {
    const alloc = new CountingAlloc();
    const pt = table(alloc);
    map(pt, 0x1000n, 0x1000n);
    map(pt, 1n << 40n, 0x2000n);
    expect(alloc.live).toBe(7);
    pt.destroy();
    expect([pt.tablePages, pt.mapped, alloc.live]).toEqual([0, 0, 0]);
  });
});

describe('hw: guest memory', () => {
  it('a written PTE or PASID entry reads back as its page base; writing null clears it', () => {
    const g = new GuestMemory();
    g.writePte(0x10000n, 5n, 0x7123n);
    g.writePte(0x10000n, 6n, 0x8001n);
    g.writePasidEntry(0x20000n, 3, 0x30fffn);
    expect([g.readPte(0x10000n, 5n), g.readPte(0x10000n, 6n), g.readPte(0x10000n, 7n), g.readPte(0x11000n, 5n)]).toEqual([0x7000n, 0x8000n, null, null]);
    expect([g.readPasidEntry(0x20000n, 3), g.readPasidEntry(0x20000n, 0)]).toEqual([0x30000n, null]);
    g.writePte(0x10000n, 5n, null);
    g.writePasidEntry(0x20000n, 3, null);
    g.writePte(0x10000n, 6n, null);
    g.writePte(0x10000n, 9n, null); // clearing an absent entry is a no-op
    expect([g.readPte(0x10000n, 5n), g.readPasidEntry(0x20000n, 3)]).toEqual([null, null]);
  });
});

describe.each(HW_KINDS)('hw: IOTLB on %s hardware', (hw) => {
  it('a cached translation survives a page-table change until flushRange covers its page', () => {
    const { iommu, d1, teardown } = machine(hw);
    map(d1.pt, 0x1000n, 0x10000n);
    iommu.setContext('dev1', null, { kind: 'paging', domain: d1 });
    expect(iommu.translate('dev1', null, 0x1123n, 'read')).toEqual(hit(0x10123n));
    expect(iommu.cached).toBe(1);

    // The page table changes without an invalidation: the IOTLB still answers
    map(d1.pt, 0x1000n, 0x20000n);
    expect(iommu.translate('dev1', null, 0x1456n, 'write')).toEqual(hit(0x10456n));
    // A range flush beside the page keeps it; one of another domain too
    iommu.flushRange(1, 0x2n, 0xffn);
    iommu.flushRange(2, 0x0n, 0xffn);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(hit(0x10000n));
    expect(iommu.cached).toBe(1);
    // Covering the page drops it
    iommu.flushRange(1, 0x1n, 0x1n);
    expect(iommu.cached).toBe(0);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(hit(0x20000n));

    // Unmapped but cached until flushDomain
    d1.pt.unmap(0x1000n);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(hit(0x20000n));
    iommu.flushDomain(1);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(fault('no-translation'));

    teardown(0x1000n);
  });

  it('a fault is never cached; a write to a read-only cached page faults with permission', () => {
    const { iommu, d1, teardown } = machine(hw);
    iommu.setContext('dev1', null, { kind: 'paging', domain: d1 });
    expect(iommu.translate('dev1', null, 0x3000n, 'read')).toEqual(fault('no-translation'));
    expect(iommu.cached).toBe(0);
    map(d1.pt, 0x3000n, 0x30000n, RO);
    // Write miss: permission from the walk, nothing cached
    expect(iommu.translate('dev1', null, 0x3000n, 'write')).toEqual(fault('permission'));
    expect(iommu.cached).toBe(0);
    // Read fills; the write then hits the cached read-only entry
    expect(iommu.translate('dev1', null, 0x3000n, 'read')).toEqual(hit(0x30000n));
    expect(iommu.translate('dev1', null, 0x3000n, 'write')).toEqual(fault('permission'));
    expect(iommu.cached).toBe(1);
    // A write-only page refuses reads
    map(d1.pt, 0x4000n, 0x40000n, WO);
    expect(iommu.translate('dev1', null, 0x4000n, 'read')).toEqual(fault('permission'));
    expect(iommu.translate('dev1', null, 0x4000n, 'write')).toEqual(hit(0x40000n));

    teardown(0x3000n, 0x4000n);
  });

  it('flushRoute drops what one route cached and nothing else', () => {
    const { iommu, d1, teardown } = machine(hw);
    map(d1.pt, 0x1000n, 0x10000n);
    iommu.setContext('dev1', null, { kind: 'paging', domain: d1 });
    iommu.setContext('dev2', null, { kind: 'paging', domain: d1 });
    iommu.setContext('dev2', 1, { kind: 'paging', domain: d1 });
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(hit(0x10000n));
    expect(iommu.translate('dev2', null, 0x1000n, 'read')).toEqual(hit(0x10000n));
    if (hw === 'host-pasid-table') expect(iommu.translate('dev2', 1, 0x1000n, 'read')).toEqual(hit(0x10000n));
    const routes = hw === 'host-pasid-table' ? 3 : 2;
    expect(iommu.cached).toBe(routes);

    map(d1.pt, 0x1000n, 0x20000n);
    iommu.flushRoute('dev1', null);
    expect(iommu.cached).toBe(routes - 1);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(hit(0x20000n));
    expect(iommu.translate('dev2', null, 0x1000n, 'read')).toEqual(hit(0x10000n));
    // A PASID route is its own route: the RID's flush left it, its own flush drops it
    if (hw === 'host-pasid-table') {
      expect(iommu.translate('dev2', 1, 0x1000n, 'read')).toEqual(hit(0x10000n));
      iommu.flushRoute('dev2', 1);
      expect(iommu.translate('dev2', 1, 0x1000n, 'read')).toEqual(hit(0x20000n));
      expect(iommu.translate('dev2', null, 0x1000n, 'read')).toEqual(hit(0x10000n));
    }

    teardown(0x1000n);
  });

  it('flushing a parent domain drops the entries of every context nested over it', () => {
    const { iommu, guest, d1, teardown } = machine(hw);
    const nested: Context = { kind: 'nested', id: 5, s1Root: 0x200000n, parent: d1 };
    map(d1.pt, 0x200000n, 0x2000000n, RO); // the stage-1 table page
    map(d1.pt, 0x400000n, 0x4000000n); // the data page
    guest.writePte(0x200000n, 0x1n, 0x400000n);
    iommu.setContext('dev1', null, nested);
    iommu.setContext('dev2', null, { kind: 'paging', domain: d1 });
    expect(iommu.translate('dev1', null, 0x1010n, 'write')).toEqual(hit(0x4000010n));
    expect(iommu.translate('dev2', null, 0x400000n, 'read')).toEqual(hit(0x4000000n));
    expect(iommu.cached).toBe(2);

    // A range flush of the parent away from both pages still drops the nested entry (unrelated input space)
    iommu.flushRange(1, 0x100n, 0x100n);
    expect(iommu.cached).toBe(1);
    expect(iommu.translate('dev1', null, 0x1010n, 'read')).toEqual(hit(0x4000010n));
    // Flushing the nested context alone leaves the parent's own entry
    iommu.flushDomain(5);
    expect(iommu.cached).toBe(1);
    expect(iommu.translate('dev1', null, 0x1010n, 'read')).toEqual(hit(0x4000010n));
    iommu.flushDomain(1);
    expect(iommu.cached).toBe(0);

    teardown(0x200000n, 0x400000n);
  });
});

describe('hw: routing on host-pasid-table hardware', () => {
  it('a RID request goes through the RID context and a PASID request through its own host PASID entry', () => {
    const { iommu, d1, d2, teardown } = machine('host-pasid-table');
    map(d1.pt, 0x1000n, 0x10000n);
    map(d2.pt, 0x1000n, 0x20000n);

    // Nothing programmed: RID blocked, PASID not present
    expect(iommu.context('dev1', null)).toEqual({ kind: 'blocked' });
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(fault('blocked'));
    expect(iommu.translate('dev1', 1, 0x1000n, 'read')).toEqual(fault('no-pasid-entry'));

    iommu.setContext('dev1', null, { kind: 'paging', domain: d1 });
    iommu.setContext('dev1', 2, { kind: 'paging', domain: d2 });
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(hit(0x10000n));
    expect(iommu.translate('dev1', 2, 0x1000n, 'read')).toEqual(hit(0x20000n));
    expect(iommu.translate('dev1', 1, 0x1000n, 'read')).toEqual(fault('no-pasid-entry'));
    // Entries are per device
    expect(iommu.translate('dev2', 2, 0x1000n, 'read')).toEqual(fault('no-pasid-entry'));
    expect(iommu.translate('dev2', null, 0x1000n, 'read')).toEqual(fault('blocked'));

    // Detach: a blocked entry is not present; a blocked RID blocks
    iommu.setContext('dev1', 2, { kind: 'blocked' });
    iommu.flushRoute('dev1', 2);
    expect(iommu.translate('dev1', 2, 0x1000n, 'read')).toEqual(fault('no-pasid-entry'));
    iommu.setContext('dev1', null, { kind: 'blocked' });
    iommu.flushRoute('dev1', null);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(fault('blocked'));

    teardown(0x1000n);
  });

  it('a guest PASID table on the RID serves only RID requests (entry 0); PASID requests use host entries', () => {
    const { iommu, guest, d1, d2, teardown } = machine('host-pasid-table');
    map(d1.pt, 0x100000n, 0x1000000n, RO); // guest PASID table
    map(d1.pt, 0x200000n, 0x2000000n, RO); // stage-1 root
    map(d1.pt, 0x400000n, 0x4000000n);
    map(d2.pt, 0x1000n, 0x9000000n);
    guest.writePasidEntry(0x100000n, 0, 0x200000n);
    guest.writePasidEntry(0x100000n, 3, 0x200000n);
    guest.writePte(0x200000n, 0x1n, 0x400000n);
    iommu.setContext('dev1', null, { kind: 'guest-pasid-table', id: 7, table: 0x100000n, parent: d1 });
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(hit(0x4000000n));
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(fault('no-pasid-entry'));
    iommu.setContext('dev1', 3, { kind: 'paging', domain: d2 });
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(hit(0x9000000n));

    teardown(0x100000n, 0x200000n, 0x400000n, 0x1000n);
  });
});

describe('hw: routing on guest-pasid-table hardware', () => {
  /** dev1's RID points at the guest PASID table at 0x100000 over domain 1; PASID 0 (RID) -> root A, 3 -> root B. */
  function guestTable() {
    const m = machine('guest-pasid-table');
    const { guest, iommu, d1 } = m;
    map(d1.pt, 0x100000n, 0x1000000n, RO); // the guest PASID table
    map(d1.pt, 0x200000n, 0x2000000n, RO); // stage-1 root A
    map(d1.pt, 0x300000n, 0x3000000n, RO); // stage-1 root B
    map(d1.pt, 0x400000n, 0x4000000n);
    map(d1.pt, 0x500000n, 0x5000000n);
    guest.writePasidEntry(0x100000n, 0, 0x200000n);
    guest.writePasidEntry(0x100000n, 3, 0x300000n);
    guest.writePte(0x200000n, 0x1n, 0x400000n);
    guest.writePte(0x300000n, 0x1n, 0x500000n);
    iommu.setContext('dev1', null, { kind: 'guest-pasid-table', id: 7, table: 0x100000n, parent: d1 });
    const pages = [0x100000n, 0x200000n, 0x300000n, 0x400000n, 0x500000n, 0x1000n];
    return { ...m, teardown: () => m.teardown(...pages) };
  }

  it('every request is looked up in the guest table: the RID in entry 0, a PASID in its entry', () => {
    const { iommu, teardown } = guestTable();
    expect(iommu.translate('dev1', null, 0x1010n, 'read')).toEqual(hit(0x4000010n));
    expect(iommu.translate('dev1', 0, 0x1010n, 'write')).toEqual(hit(0x4000010n));
    expect(iommu.translate('dev1', 3, 0x1010n, 'read')).toEqual(hit(0x5000010n));
    expect(iommu.translate('dev1', 4, 0x1010n, 'read')).toEqual(fault('no-pasid-entry'));
    // Two PASID-cache entries (0 and 3; the RID shares entry 0) and three translations
    expect(iommu.cached).toBe(5);
    teardown();
  });

  it('host PASID entries are ignored once the guest table is bound to the RID', () => {
    const { iommu, d2, teardown } = guestTable();
    map(d2.pt, 0x1000n, 0x9000000n);
    iommu.setContext('dev1', 3, { kind: 'paging', domain: d2 });
    iommu.setContext('dev1', 4, { kind: 'paging', domain: d2 });
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(hit(0x5000000n));
    expect(iommu.translate('dev1', 4, 0x1000n, 'read')).toEqual(fault('no-pasid-entry'));
    // Unbinding the guest table (RID back to a paging domain) brings the host entries back; the RID's flush
    // drops what every request served through the guest table cached, PASID cache included
    iommu.setContext('dev1', null, { kind: 'paging', domain: d2 });
    iommu.flushRoute('dev1', 3);
    expect(iommu.cached).toBe(2);
    iommu.flushRoute('dev1', null);
    expect(iommu.cached).toBe(0);
    expect(iommu.translate('dev1', 4, 0x1000n, 'read')).toEqual(hit(0x9000000n));
    teardown();
  });

  it('a cached PASID entry stays stale across a range flush until flushDomain of the context', () => {
    const { iommu, guest, teardown } = guestTable();
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(hit(0x5000000n));
    // The guest points PASID 3 at root A; the range flush drops the translation, not the PASID cache
    guest.writePasidEntry(0x100000n, 3, 0x200000n);
    iommu.flushRange(7, 0x1n, 0x1n);
    expect(iommu.cached).toBe(1);
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(hit(0x5000000n));
    iommu.flushDomain(7);
    expect(iommu.cached).toBe(0);
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(hit(0x4000000n));
    // A cleared entry faults and caches nothing
    guest.writePasidEntry(0x100000n, 3, null);
    iommu.flushDomain(7);
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(fault('no-pasid-entry'));
    expect(iommu.cached).toBe(0);
    teardown();
  });

  it('a range flush of the parent drops the guest table context translations and PASID cache, whatever the range', () => {
    const { iommu, guest, teardown } = guestTable();
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(hit(0x5000000n));
    expect(iommu.cached).toBe(2);
    guest.writePasidEntry(0x100000n, 3, 0x200000n);
    iommu.flushRange(1, 0xfffn, 0xfffn);
    expect(iommu.cached).toBe(0);
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(hit(0x4000000n));
    teardown();
  });

  it('a guest PASID table the parent does not map for reads is unreachable, before any entry is read', () => {
    const { iommu, guest, d1, teardown } = guestTable();
    guest.writePasidEntry(0x100000n, 3, null); // would be no-pasid-entry if the table were read
    map(d1.pt, 0x100000n, 0x1000000n, WO);
    expect(iommu.translate('dev1', 3, 0x1000n, 'read')).toEqual(fault('stage1-table-unreachable'));
    d1.pt.unmap(0x100000n);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(fault('stage1-table-unreachable'));
    expect(iommu.cached).toBe(0);
    // The stage-1 root behind a present entry is checked too
    map(d1.pt, 0x100000n, 0x1000000n, RO);
    d1.pt.unmap(0x200000n);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(fault('stage1-table-unreachable'));
    expect(iommu.cached).toBe(1); // entry 0 reached the PASID cache before the root was found unreachable
    teardown();
  });
});

describe.each(HW_KINDS)('hw: nested walks on %s hardware', (hw) => {
  it('stage 1 then stage 2, with faults in walk order: table root, guest PTE, stage-2 page, permission', () => {
    const { iommu, guest, d1, teardown } = machine(hw);
    iommu.setContext('dev1', null, { kind: 'nested', id: 5, s1Root: 0x200000n, parent: d1 });
    guest.writePte(0x200000n, 0x1n, 0x400000n);

    // The stage-1 root is not mapped in stage 2, or mapped write-only: unreachable
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(fault('stage1-table-unreachable'));
    map(d1.pt, 0x200000n, 0x2000000n, WO);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(fault('stage1-table-unreachable'));
    map(d1.pt, 0x200000n, 0x2000000n, RO);
    // No guest PTE for that page
    expect(iommu.translate('dev1', null, 0x2000n, 'read')).toEqual(fault('stage1-not-present'));
    // A guest PTE pointing at a GPA stage 2 does not map
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(fault('no-translation'));
    // Stage 2 read-only: reads hit, writes fault with permission
    map(d1.pt, 0x400000n, 0x4000000n, RO);
    expect(iommu.translate('dev1', null, 0x1fffn, 'write')).toEqual(fault('permission'));
    expect(iommu.cached).toBe(0);
    expect(iommu.translate('dev1', null, 0x1fffn, 'read')).toEqual(hit(0x4000fffn));
    expect(iommu.translate('dev1', null, 0x1000n, 'write')).toEqual(fault('permission'));
    expect(iommu.cached).toBe(1);

    // The guest changes its PTE: stale until its own range flush
    map(d1.pt, 0x500000n, 0x5000000n);
    guest.writePte(0x200000n, 0x1n, 0x500000n);
    expect(iommu.translate('dev1', null, 0x1000n, 'read')).toEqual(hit(0x4000000n));
    iommu.flushRange(5, 0x1n, 0x1n);
    expect(iommu.translate('dev1', null, 0x1000n, 'write')).toEqual(hit(0x5000000n));

    guest.writePte(0x200000n, 0x1n, null);
    teardown(0x200000n, 0x400000n, 0x500000n);
  });
});
