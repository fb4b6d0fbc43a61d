/**
 * A file as the simulated kernel refcounts it (struct file: fget/fput), the base of every kind: an address-space FD, a
 * VFIO device FD, and the anonymous files some objects hand out (a FAULT's, the selftest's access fd). Kept apart from
 * kernel.ts so an object module can define its file without importing the kernel.
 */
import type { IommufdObject } from './object.js';
import type { IoptPages } from './pages.js';

export type FileKind = 'iommufd' | 'ioasid' | 'ioasid-single' | 'device' | 'fault' | 'access' | 'memfd' | 'veventq';

export abstract class KFile {
  /** references: the fds naming it, plus holders (a bound device, an association) */
  refs = 0;
  abstract readonly kind: FileKind;
  constructor(readonly serial: number) {}
  /** the last reference went: release everything the file owns */
  abstract release(): void;
  /** the objects of its table, for observe() */
  objects(): readonly IommufdObject[] {
    return [];
  }
  /** every pages object its address spaces use, and its registrations, for observe() */
  pinned(_into: Set<IoptPages>, _regs: { start: bigint; last: bigint }[]) {}
  /** when its object table last changed (stamp.ts); 0: it has none */
  get objectsStamp(): number {
    return 0;
  }
}

