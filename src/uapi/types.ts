/**
 * Scalar vocabulary: branded ids, u64 addresses as bigint, and the constants of the uAPI.
 * Addresses are bigint because wrap-around at U64_MAX is part of the contract (P-OVERFLOW).
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A file descriptor number in the process's fd table (lowest free number from 3, as POSIX). */
export type Fd = Brand<number, 'Fd'>;
/** An object id inside one iommufd / ioasid FD (xarray id, allocated from 1). */
export type ObjId = Brand<number, 'ObjId'>;
export type IoasId = Brand<number, 'IoasId'>;
export type HwptId = Brand<number, 'HwptId'>;
export type DevId = Brand<number, 'DevId'>;
/** An ioasid number (RFC v1 / fd-per-ioasid / per-device-sva / setup-only designs). */
export type Ioasid = Brand<number, 'Ioasid'>;
/** An id accepted where the kernel takes "any pt_id": an IOAS or a HWPT. */
export type PtId = IoasId | HwptId;

export const fd = (n: number): Fd => n as Fd;
export const objId = <T extends ObjId | IoasId | HwptId | DevId | Ioasid>(n: number): T => n as T;

/** I/O virtual address, user virtual address, guest physical address: u64 values. */
export type Iova = bigint;
export type Uva = bigint;
export type Gpa = bigint;
/** A PASID; `null` in an argument means "the RID" (no PASID). */
export type Pasid = number;

export const PAGE_SHIFT = 12n;
export const PAGE_SIZE = 1n << PAGE_SHIFT;
export const U64_MAX = (1n << 64n) - 1n;
/** ULONG_MAX on a 64-bit kernel. */
export const ULONG_MAX = U64_MAX;
/** PCIe PASIDs are 20 bits wide. */
export const PASID_MAX = (1 << 20) - 1;

/** An inclusive IOVA range, as the kernel's `struct iommu_iova_range` and interval trees keep them. */
export interface IovaRange {
  readonly start: bigint;
  readonly last: bigint;
}

/** Read or write access of a DMA. */
export type Access = 'read' | 'write';

/** Memory protection of a mapping. */
export interface Prot {
  readonly read: boolean;
  readonly write: boolean;
}
