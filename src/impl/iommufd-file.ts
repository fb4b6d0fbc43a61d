/**
 * An open /dev/iommu: one object table (struct iommufd_ctx). Its release destroys the objects leaf first
 * (iommufd_fops_release); by then no device holds the file, so nothing outside the table refers to them.
 */
import type { Allocator } from './hw/contract.js';
import { KFile } from './kernel.js';
import { ObjectTable, type IommufdObject } from './object.js';
import { IoasObj } from './objects.js';
import type { IoptPages } from './pages.js';

export class IommufdFile extends KFile {
  readonly kind = 'iommufd';
  readonly table: ObjectTable;
  /** ictx->account_mode == IOPT_PAGES_ACCOUNT_MM (IOMMU_OPTION_RLIMIT_MODE 1) */
  accountMm = false;
  constructor(serial: number, alloc: Allocator) {
    super(serial);
    this.table = new ObjectTable(serial, alloc);
  }
  release() {
    this.table.releaseAll();
  }
  override objects(): readonly IommufdObject[] {
    return this.table.values();
  }
  override get objectsStamp(): number {
    return this.table.stamp;
  }
  /** Pages pinned by a domain of an IOAS, or by an access (which pins with or without a domain). */
  override pinned(into: Set<IoptPages>) {
    for (const o of this.table.values()) if (o instanceof IoasObj) for (const a of o.iopt.areas) if (o.iopt.domains.length > 0 || a.pages.pinCount > 0) into.add(a.pages);
  }
}
