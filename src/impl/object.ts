/**
 * struct iommufd_object and the per-FD object table (ictx->objects, an xarray with XA_FLAGS_ALLOC1): ids are the
 * lowest free from 1 and are reused after destroy. `users` starts at 1 for the table's own reference and grows
 * by one for every object, attachment or driver that depends on this one; IOMMU_DESTROY succeeds only from 1.
 * @see drivers/iommu/iommufd/main.c
 */
import type { Allocator } from './hw/contract.js';
import { tick } from './hw/stamp.js';
import { WARN_ON } from './warn.js';

export abstract class IommufdObject {
  id = 0;
  /** the serial of the file whose table holds it */
  file = 0;
  /** the table's reference plus one per dependent */
  users = 1;
  abstract readonly kind: string;
  /** Release what the object holds (refcounts on others, domains, reservations). Called once, with users == 1. */
  abstract destroy(): void;
  /** An address space's mappings in IOVA order (for observe()); null for anything else. */
  mappings(): readonly { readonly start: bigint; readonly last: bigint }[] | null {
    return null;
  }
}

/**
 * refcount_dec of a dependent's hold on `o` (a HWPT on its IOAS, a device on its HWPT). Only the table's own
 * reference may be left afterwards; dropping that one here is an underflow the kernel's refcount_t WARNs about.
 */
export function putUsers(o: IommufdObject): void {
  WARN_ON(o.users <= 1, 'refcount_dec', () => `${o.kind} ${o.id}: decrement hit 0 (users ${o.users})`);
  o.users--;
}

export class ObjectTable {
  private readonly xa = new Map<number, IommufdObject>();
  /** ids of destroyed vDEVICEs, reserved (XA_ZERO_ENTRY) until the table goes: no lookup finds them, none is reused */
  private readonly zero = new Set<number>();
  /** when an object last came or went (stamp.ts) */
  stamp = 0;

  constructor(readonly file: number, private readonly alloc: Allocator) {}

  /** xa_alloc: the lowest free id; null (ENOMEM) if the allocation fails. */
  insert(o: IommufdObject): number | null {
    if (!this.alloc.alloc('object')) return null;
    let id = 1;
    while (this.xa.has(id) || this.zero.has(id)) id++;
    o.id = id;
    o.file = this.file;
    this.xa.set(id, o);
    this.stamp = tick();
    return id;
  }

  /**
   * insert, or on its failure (ENOMEM) abort: the new object releases what its constructor took and is never seen
   * (iommufd_object_abort). Whether it went in.
   */
  insertOrAbort(o: IommufdObject): boolean {
    if (this.insert(o) !== null) return true;
    o.destroy();
    return false;
  }

  get(id: number): IommufdObject | undefined {
    return this.xa.get(id);
  }

  /** iommufd_get_object with a type: a wrong kind is ENOENT like a missing id, so callers get undefined. */
  getKind<T extends IommufdObject>(id: number, ...ctors: (abstract new (...a: never[]) => T)[]): T | undefined {
    const o = this.xa.get(id);
    return o && ctors.some((c) => o instanceof c) ? (o as T) : undefined;
  }

  /** Remove and destroy; the caller checked users == 1. */
  remove(o: IommufdObject) {
    WARN_ON(this.xa.get(o.id) !== o, 'iommufd_object_remove', () => `object ${o.kind} ${o.id} is not in this table`);
    this.xa.delete(o.id);
    this.stamp = tick();
    this.alloc.free('object');
    o.destroy();
  }

  /** Destroy `o` now, whoever else holds it, and keep its id reserved (iommufd_object_tombstone_user). */
  tombstone(o: IommufdObject) {
    WARN_ON(this.xa.get(o.id) !== o, 'iommufd_object_tombstone_user', () => `object ${o.kind} ${o.id} is not in this table`);
    WARN_ON(o.users !== 1, 'iommufd_object_tombstone_user', () => `${o.kind} ${o.id} still has users (${o.users})`);
    this.xa.delete(o.id);
    this.zero.add(o.id);
    this.stamp = tick();
    this.alloc.free('object');
    o.destroy();
  }

  /** iommufd_object_remove for IOMMU_DESTROY: EBUSY unless only the table holds it. */
  destroyById(id: number): 'ENOENT' | 'EBUSY' | null {
    const o = this.xa.get(id);
    if (!o) return 'ENOENT';
    if (o.users !== 1) return 'EBUSY';
    this.remove(o);
    return null;
  }

  values(): IommufdObject[] {
    return [...this.xa.values()];
  }

  get size(): number {
    return this.xa.size;
  }

  /** iommufd_fops_release: destroy every object whose only user is the table, until none is left. */
  releaseAll() {
    while (this.xa.size > 0) {
      const leaves = [...this.xa.values()].filter((o) => o.users === 1);
      WARN_ON(leaves.length === 0, 'iommufd_fops_release', () => `${this.xa.size} objects still referenced: ${this.values().map((o) => `${o.kind} ${o.id} users=${o.users}`).join(', ')}`);
      for (const o of leaves) if (this.xa.get(o.id) === o && o.users === 1) this.remove(o);
    }
  }
}
