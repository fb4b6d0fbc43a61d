import type { Access, Pasid } from './types.js';
import type { Xlate } from './env.js';
import type { DevName } from './world.js';

/**
 * The design-neutral view every design maps to (DESIGN.md "the one idea"): what DMA does, what is pinned and
 * by whom, and which objects are alive and who owns them. The spec and the simulated kernel each compute one;
 * requirements and properties only ever look at this.
 */

/**
 * A file is named by the serial number of the OPEN that created it (1, 2, ...): unlike an fd number it is never
 * reused, and it stays meaningful after close while something still holds the file (deferred release).
 */
export type FileName = number;

export interface ObjectView {
  readonly file: FileName;
  readonly id: number;
  /** design vocabulary: ioas, hwpt_paging, hwpt_nested, device, ioasid, ioasid_child, sva_bind */
  readonly kind: string;
}

/** What an assertion may ask of one object, computed only when asked (observe() stays cheap on every step). */
export interface ObjectDetail {
  /**
   * The kernel's obj->users: 1 for the table's own reference, plus one per dependent (a HWPT on its IOAS, a child
   * on its parent, an attached route, the binding driver of a DEVICE); IOMMU_DESTROY succeeds only at 1.
   */
  readonly users: number;
  /** An address space's mappings in IOVA order, [start, last] inclusive (IOAS areas, a child's software maps); absent otherwise. */
  readonly areas?: readonly { readonly start: bigint; readonly last: bigint }[];
}

export interface AttachmentView {
  readonly dev: DevName;
  readonly pasid: Pasid | null;
  readonly file: FileName;
  /** the object DMA goes through */
  readonly id: number;
}

/**
 * Pinned user pages as maximal runs of equal holder count, in page order: one entry per run, so a registration
 * of terabytes is one entry, not one per page.
 */
export interface PinView {
  /** first user page number of the run (uva >> 12); host memory is the user page itself */
  readonly page: bigint;
  /** last user page number of the run (inclusive) */
  readonly last: bigint;
  /** how many holders pin each page of it: each pinning storage object and each registration counts once */
  readonly holders: number;
}

/**
 * A device's page request (PRI) and the page responses it got: every request is answered exactly once (P-FAULT), by
 * the user through the FAULT fd, or by the kernel (INVALID) when nothing takes it or its attachment or queue goes.
 */
export interface PageRequestView {
  /** the n-th page request of the trace, from 1 */
  readonly serial: number;
  readonly dev: DevName;
  /** the response codes the device received, in order (IOMMUFD_PAGE_RESP_SUCCESS 0, INVALID 1) */
  readonly answers: readonly number[];
}

/**
 * The parts of an observation a step can change, each compared on its own: a checker compares after a step only
 * the parts either side says the step touched (and every part at the end of a trace).
 */
export const OBS_PARTS = ['files', 'objects', 'attachments', 'pins', 'pageRequests'] as const;
export type ObsPart = (typeof OBS_PARTS)[number];

export interface Observation {
  readonly files: readonly { readonly file: FileName; readonly kind: string; readonly fds: readonly number[] }[];
  readonly objects: readonly ObjectView[];
  readonly attachments: readonly AttachmentView[];
  readonly pins: readonly PinView[];
  readonly pageRequests: readonly PageRequestView[];
  /** pages charged to RLIMIT_MEMLOCK */
  readonly lockedPages: number;
  /** what a DMA would do now; `stale` lists other answers a not-yet-invalidated IOTLB may give */
  readonly translate: (dev: DevName, pasid: Pasid | null, iova: bigint, access: Access) => { readonly xlate: Xlate; readonly stale: readonly Xlate[] };
  /** users and areas of the object `id` of file `file`, or null when there is none */
  readonly detail: (file: FileName, id: number) => ObjectDetail | null;
}
