import type { Access, Fd, Gpa, IoasId, Iova, Pasid, Uva } from './types.js';
import type { DevName } from './world.js';

/**
 * Environment actions: what happens around the ioctls. A process opens and closes files and maps user
 * memory; a device issues DMA; a guest writes its own stage-1 page tables and PASID table in guest memory.
 * They are design-neutral: the same action means the same thing under every design.
 */
export interface EnvOpen { readonly env: 'OPEN'; /** /dev/iommu, /dev/ioasid or a VFIO cdev node */ readonly path: string }
export interface EnvClose { readonly env: 'CLOSE'; readonly fd: Fd }
/** mmap of anonymous memory: user pages [uva, uva+length) exist from now on (host page = uva page). */
export interface EnvMmap { readonly env: 'MMAP'; readonly uva: Uva; readonly length: bigint }
/**
 * munmap(2): the CPU's page table loses [uva, uva+length) — those user pages leave the process's address space. A
 * page already pinned stays pinned (a pin holds the page) and keeps backing the mappings made of it; a later pin of
 * that memory fails as for memory never mapped; a device walking the CPU page table (native SVA) no longer reaches it.
 */
export interface EnvMunmap { readonly env: 'MUNMAP'; readonly uva: Uva; readonly length: bigint }
/** A device issues one DMA; `pasid: null` is a request without PASID (routed by RID). */
export interface EnvDma { readonly env: 'DMA'; readonly dev: DevName; readonly pasid: Pasid | null; readonly iova: Iova; readonly access: Access }
/** The guest writes one entry of a stage-1 page table rooted at `table` (GPA): iova page -> gpa page, or clears it. */
export interface EnvGuestWritePgtable { readonly env: 'GUEST_WRITE_PGTABLE'; readonly table: Gpa; readonly iova: Iova; readonly gpa: Gpa | null }
/** The guest writes one entry of the PASID table it owns (guest-pasid-table hardware): pasid -> stage-1 root, or clears it. */
export interface EnvGuestWritePasidTable { readonly env: 'GUEST_WRITE_PASID_TABLE'; readonly table: Gpa; readonly pasid: Pasid; readonly pgtable: Gpa | null }

/**
 * The selftest mock's IOMMU_TEST_OP_ADD_RESERVED (IOMMU_TEST_CMD on /dev/iommu): reserve [start, start+length) of
 * an IOAS for good, as a device reserved region would (drivers/iommu/iommufd/selftest.c iommufd_test_add_reserved).
 * Only a kernel with CONFIG_IOMMUFD_TEST has it: on any profile but `selftest-mock` it is ENOTTY.
 */
export interface EnvMockAddReserved { readonly env: 'MOCK_ADD_RESERVED'; readonly fd: Fd; readonly ioas_id: IoasId; readonly start: Iova; readonly length: bigint }

/**
 * A device's PRI page request (PCIe Page Request Interface): after a translation it could not use, a device with ATS
 * and PRI asks the IOMMU to make `addr` present with `perm` (IOMMU_PGFAULT_PERM_READ 1, WRITE 2, EXEC 4, PRIV 8) and
 * waits for the page response. A message of its own, as on the link: a DMA never sends one by itself. On the selftest
 * mock it is IOMMU_TEST_OP_TRIGGER_IOPF.
 */
export interface EnvPageRequest { readonly env: 'PAGE_REQUEST'; readonly dev: DevName; readonly pasid: Pasid | null; readonly addr: Iova; readonly perm: number }
/** read(2) of a FAULT fd: `count` bytes, whole struct iommu_hwpt_pgfault records (40 bytes each). */
export interface EnvFaultRead { readonly env: 'FAULT_READ'; readonly fd: Fd; readonly count: number }
/** One struct iommu_hwpt_page_response: the cookie a read returned and IOMMUFD_PAGE_RESP_SUCCESS (0) or _INVALID (1). */
export interface PageResponse { readonly cookie: number; readonly code: number }
/** write(2) of page responses to a FAULT fd (8 bytes each). */
export interface EnvFaultWrite { readonly env: 'FAULT_WRITE'; readonly fd: Fd; readonly responses: readonly PageResponse[] }

/**
 * RFC v1's fault ring (flow 5.6: the IOASID fault handler "posts {ioasid,addr} to a ring + eventfd"): take up to `count`
 * entries off the ring of the /dev/ioasid FD `fd`, oldest first. The ring is shared memory in the proposal; the model
 * reads it through the kernel, as a read(2) would, so an entry whose request the kernel has answered is gone from it.
 */
export interface EnvFaultRingRead { readonly env: 'FAULT_RING_READ'; readonly fd: Fd; readonly count: number }
/** One entry of RFC v1's fault ring: the ioasid (of the FD the ring belongs to) and the faulting address, nothing more. */
export interface RingFault { readonly ioasid: number; readonly addr: bigint }

/**
 * The selftest mock's access objects (IOMMU_TEST_CMD on /dev/iommu, drivers/iommu/iommufd/selftest.c): an in-kernel user
 * of an IOAS, as an emulated device's driver is, driven through an fd of its own. CREATE_ACCESS makes one on an IOAS
 * (`flags` 1: MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) and returns its fd; the other ops name that fd (`access_fd`).
 * Only a kernel with CONFIG_IOMMUFD_TEST has them: on any profile but `selftest-mock` they are ENOTTY.
 */
/**
 * memfd_create(2) and ftruncate(2) to `length` bytes: an anonymous file whose pages IOMMU_IOAS_MAP_FILE maps. Its bytes
 * have host addresses of their own (memfdAddress), apart from every mmap: no user VA is needed to map them.
 */
export interface EnvMemfdCreate { readonly env: 'MEMFD_CREATE'; readonly length: bigint }
/** The most bytes a memfd of the model holds (64 GiB: each file has a host address window of that size). */
export const MEMFD_MAX = 1n << 36n;
/** The host address of byte `offset` of the memfd that is file `file` (the trace's file serial). */
export const memfdAddress = (file: number, offset: bigint): bigint => (1n << 56n) + (BigInt(file) << 36n) + offset;

/** The selftest's access flags (drivers/iommu/iommufd/iommufd_test.h). */
export const MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1;
export const MOCK_FLAGS_ACCESS_WRITE = 1;
export const MOCK_ACCESS_RW_WRITE = 1;
export const MOCK_ACCESS_RW_SLOW_PATH = 4;
/** The selftest refuses a pin or a read/write of more than 16 MiB before anything else (its own buffers). */
export const MOCK_ACCESS_MAX_LENGTH = 16n << 20n;
export interface EnvMockAccessCreate { readonly env: 'MOCK_ACCESS_CREATE'; readonly fd: Fd; readonly ioas_id: IoasId; readonly flags: number }
/** IOMMU_TEST_OP_ACCESS_PAGES: pin [iova, iova+length) (`flags` 1: MOCK_FLAGS_ACCESS_WRITE); returns the pin's id. */
export interface EnvMockAccessPin { readonly env: 'MOCK_ACCESS_PIN'; readonly fd: Fd; readonly access_fd: Fd; readonly iova: Iova; readonly length: bigint; readonly flags: number }
/** IOMMU_TEST_OP_DESTROY_ACCESS_PAGES: unpin the pin `pages_id` of the access. */
export interface EnvMockAccessUnpin { readonly env: 'MOCK_ACCESS_UNPIN'; readonly fd: Fd; readonly access_fd: Fd; readonly pages_id: number }
/** IOMMU_TEST_OP_ACCESS_RW: read or write (`flags` 1: MOCK_ACCESS_RW_WRITE; 4: MOCK_ACCESS_RW_SLOW_PATH) through the access. */
export interface EnvMockAccessRw { readonly env: 'MOCK_ACCESS_RW'; readonly fd: Fd; readonly access_fd: Fd; readonly iova: Iova; readonly length: bigint; readonly flags: number }
/** IOMMU_TEST_OP_ACCESS_REPLACE_IOAS: move the access to another IOAS of its own iommufd. */
export interface EnvMockAccessReplace { readonly env: 'MOCK_ACCESS_REPLACE'; readonly fd: Fd; readonly access_fd: Fd; readonly ioas_id: IoasId }

/**
 * The IOMMU records an event for `dev` (SMMUv3: an event-queue record such as F_TRANSLATION or C_BAD_CD of a stage-1
 * it walks for the device): a message of the hardware's own, as PAGE_REQUEST is. Where the device is attached to a
 * nested HWPT of a vIOMMU that has a vDEVICE for it, the kernel forwards it to the vIOMMU's vEVENTQ (the guest's event
 * queue); otherwise it only logs it.
 */
export interface EnvIommuEvent { readonly env: 'IOMMU_EVENT'; readonly dev: DevName }
/** read(2) of a vEVENTQ fd: `count` bytes of whole events (an 8-byte header, then the event's data). */
export interface EnvVeventqRead { readonly env: 'VEVENTQ_READ'; readonly fd: Fd; readonly count: number }
/**
 * One event as a vEVENTQ read returns it: struct iommufd_vevent_header (flags, sequence), then, unless it is the
 * lost-events header (flags IOMMU_VEVENTQ_FLAG_LOST_EVENTS, no data), the event's data, of which the model keeps the
 * virtual id of the vDEVICE it names (SMMUv3: the vSID the kernel writes over the physical SID).
 */
export interface VEventRecord { readonly flags: number; readonly sequence: number; readonly virt_id: bigint | null }

export type EnvAction = EnvOpen | EnvClose | EnvMmap | EnvMunmap | EnvDma | EnvGuestWritePgtable | EnvGuestWritePasidTable | EnvMockAddReserved
  | EnvPageRequest | EnvFaultRead | EnvFaultWrite | EnvFaultRingRead
  | EnvMockAccessCreate | EnvMockAccessPin | EnvMockAccessUnpin | EnvMockAccessRw | EnvMockAccessReplace | EnvMemfdCreate
  | EnvIommuEvent | EnvVeventqRead;

/** struct iommu_hwpt_pgfault as a FAULT fd's read returns it (length is always 0, __reserved 0: not shown). */
export interface PgFault {
  /** IOMMU_PGFAULT_FLAGS_PASID_VALID 1 | IOMMU_PGFAULT_FLAGS_LAST_PAGE 2 */
  readonly flags: number;
  readonly dev_id: number;
  readonly pasid: number;
  readonly grpid: number;
  readonly perm: number;
  readonly addr: bigint;
  readonly cookie: number;
}
export type EnvName = EnvAction['env'];

/** What one DMA does now: reach a host physical address, or fault (with the level that refused it). */
export type Xlate =
  | { readonly kind: 'hit'; readonly hpa: bigint }
  | { readonly kind: 'fault'; readonly reason: FaultReason };

/** Whether two answers of a DMA are the same: the same host address, or the same fault. */
export const sameXlate = (a: Xlate, b: Xlate): boolean => (a.kind === 'hit' ? b.kind === 'hit' && a.hpa === b.hpa : b.kind === 'fault' && a.reason === b.reason);

/** A DMA's answer on one line: `hit 0x101000`, `fault no-translation`. */
export const xlateLine = (x: Xlate): string => (x.kind === 'hit' ? `hit 0x${x.hpa.toString(16)}` : `fault ${x.reason}`);

export type FaultReason =
  | 'blocked' // device not bound/attached: DMA is blocked
  | 'no-translation' // stage-2 / kernel-managed map has nothing at that address
  | 'permission' // the mapping does not allow this access
  | 'no-pasid-entry' // no context for that PASID
  | 'stage1-not-present' // the guest's stage-1 table has no entry
  | 'stage1-table-unreachable'; // the guest table itself is not mapped in stage-2

export interface EnvOut {
  OPEN: { readonly fd: Fd };
  CLOSE: Record<string, never>;
  MMAP: Record<string, never>;
  MUNMAP: Record<string, never>;
  /** `stale`: other answers the IOTLB may still legally give because the guest changed a table it has not invalidated yet. */
  DMA: { readonly xlate: Xlate; readonly stale: readonly Xlate[] };
  GUEST_WRITE_PGTABLE: Record<string, never>;
  GUEST_WRITE_PASID_TABLE: Record<string, never>;
  MOCK_ADD_RESERVED: Record<string, never>;
  PAGE_REQUEST: Record<string, never>;
  /** the records read (whole groups, in queue order): the bytes read are 40 per record */
  FAULT_READ: { readonly faults: readonly PgFault[] };
  /** the bytes taken: a write stops at the first bad record and returns what it did before it (an error only if nothing) */
  FAULT_WRITE: { readonly written: number };
  /** the entries taken off the ring, oldest first */
  FAULT_RING_READ: { readonly faults: readonly RingFault[] };
  MOCK_ACCESS_CREATE: { readonly access_fd: Fd };
  /** the pin's id: per access, from 0 */
  MOCK_ACCESS_PIN: { readonly access_pages_id: number };
  MOCK_ACCESS_UNPIN: Record<string, never>;
  MOCK_ACCESS_RW: Record<string, never>;
  MOCK_ACCESS_REPLACE: Record<string, never>;
  MEMFD_CREATE: { readonly fd: Fd };
  /** where the event went: to a vEVENTQ (`veventq`: its id), or only to the host's log (null) */
  IOMMU_EVENT: { readonly veventq: number | null };
  /** the events read, oldest first (whole events only: the bytes read are 8 per header plus each event's data) */
  VEVENTQ_READ: { readonly events: readonly VEventRecord[] };
}
