/**
 * The iommufd object kinds of the simulated kernel, each holding what it depends on by reference and counting
 * its own `users` by hand, as the kernel does: HWPT -> IOAS (+1), nested -> parent (+1), attached device ->
 * HWPT (+1), the binding driver -> DEVICE (+1). `destroy` releases exactly what the constructor took.
 * @see drivers/iommu/iommufd/ioas.c, hw_pagetable.c, device.c
 */
import type { FaultObj } from './fault.js';
import type { VdeviceObj, ViommuObj } from './viommu.js';
import type { DevName, Gpa } from '../uapi/index.js';
import type { Allocator, Context, PagingDomain } from './hw/contract.js';
import type { IoPagetable } from './iopt.js';
import { freeDomain } from './kernel.js';
import { IommufdObject, putUsers } from './object.js';

export class IoasObj extends IommufdObject {
  readonly kind = 'ioas';
  constructor(readonly iopt: IoPagetable) {
    super();
  }
  destroy() {
    this.iopt.unmapAll();
  }
  override mappings() {
    return this.iopt.areas;
  }
}

/** HWPT_PAGING: a domain mirroring `ioas`. */
export class HwptPaging extends IommufdObject {
  readonly kind = 'hwpt_paging';
  /** hwpt->fault: where the page requests of its devices go (FAULT_ID_VALID), holding a user of it */
  fault: FaultObj | null = null;
  constructor(
    readonly ioas: IoasObj,
    readonly domain: PagingDomain,
    readonly auto: boolean,
    readonly nestParent: boolean,
    readonly pasidCompat: boolean,
    private readonly alloc: Allocator,
  ) {
    super();
    ioas.users++; // the IOAS is held until this HWPT is destroyed
  }
  get context(): Context {
    return { kind: 'paging', domain: this.domain };
  }
  destroy() {
    this.ioas.iopt.removeDomain(this.domain);
    freeDomain(this.alloc, this.domain);
    putUsers(this.ioas);
    if (this.fault) putUsers(this.fault);
  }
}

/** HWPT_NESTED: a guest stage-1 (one page table, or on guest-pasid-table hardware the guest's PASID table) over `parent`. */
export class HwptNested extends IommufdObject {
  readonly kind = 'hwpt_nested';
  /** hwpt->fault, as for a paging HWPT */
  fault: FaultObj | null = null;
  constructor(
    readonly parent: HwptPaging,
    readonly domainId: number,
    readonly s1: { readonly kind: 'pgtable' | 'pasid-table'; readonly root: Gpa },
    readonly pasidCompat: boolean,
    /** the vIOMMU it was allocated on (hwpt_nested->viommu): held instead of the parent, which the vIOMMU holds */
    readonly viommu: ViommuObj | null = null,
  ) {
    super();
    if (viommu) {
      viommu.users++;
      viommu.nested.add(this);
    } else parent.users++;
  }
  get context(): Context {
    return this.s1.kind === 'pgtable'
      ? { kind: 'nested', id: this.domainId, s1Root: this.s1.root, parent: this.parent.domain }
      : { kind: 'guest-pasid-table', id: this.domainId, table: this.s1.root, parent: this.parent.domain };
  }
  destroy() {
    if (this.viommu) {
      this.viommu.nested.delete(this);
      putUsers(this.viommu);
    } else putUsers(this.parent);
    if (this.fault) putUsers(this.fault);
  }
}

export type Hwpt = HwptPaging | HwptNested;

/** DEVICE: created by VFIO bind; the driver holds one user until unbind. */
export class DeviceObj extends IommufdObject {
  readonly kind = 'device';
  /** idev->vdev: its vDEVICE, if it has one */
  vdev: VdeviceObj | null = null;
  constructor(readonly dev: DevName) {
    super();
    this.users++; // the binding driver's reference (iommufd_device_bind)
  }
  destroy() {}
}
