/**
 * The guest's RAM image as far as the IOMMU reads it: guest-owned stage-1 page tables (VT-d first-level /
 * SMMUv3 CD-referenced tables) and guest-owned PASID tables (AMD GCR3 table / SMMUv3 CD table), keyed by the
 * GPA the guest placed them at. The host never writes here; the IOMMU reads it on a walk.
 * Simplified: a stage-1 table is flat (vpn -> page base, one level) instead of a radix tree in guest pages,
 * and entries carry no permission bits; table GPAs are keys only (nothing checks that two tables overlap).
 * Written values keep only their page base (low 12 bits cleared), as a PTE or PASID entry has no room for them.
 */
import type { Gpa } from '../../uapi/index.js';
import type { GuestMemoryApi } from './contract.js';
import { tick } from './stamp.js';

const PAGE_BASE = ~0xfffn;

export class GuestMemory implements GuestMemoryApi {
  private readonly pgtables = new Map<Gpa, Map<bigint, Gpa>>();
  private readonly pasidTables = new Map<Gpa, Map<number, Gpa>>();
  /** when the guest last wrote a table entry (stamp.ts) */
  stamp = 0;

  writePte(table: Gpa, vpn: bigint, gpa: Gpa | null): void {
    write(this.pgtables, table, vpn, gpa);
    this.stamp = tick();
  }

  readPte(table: Gpa, vpn: bigint): Gpa | null {
    return this.pgtables.get(table)?.get(vpn) ?? null;
  }

  writePasidEntry(table: Gpa, pasid: number, pgtable: Gpa | null): void {
    write(this.pasidTables, table, pasid, pgtable);
    this.stamp = tick();
  }

  readPasidEntry(table: Gpa, pasid: number): Gpa | null {
    return this.pasidTables.get(table)?.get(pasid) ?? null;
  }
}

/** Set or clear one entry; a table left empty is dropped so the image holds only what the guest wrote. */
function write<K>(tables: Map<Gpa, Map<K, Gpa>>, table: Gpa, index: K, value: Gpa | null): void {
  const t = tables.get(table);
  if (value === null) {
    if (t?.delete(index) && t.size === 0) tables.delete(table);
    return;
  }
  if (t) t.set(index, value & PAGE_BASE);
  else tables.set(table, new Map([[index, value & PAGE_BASE]]));
}
