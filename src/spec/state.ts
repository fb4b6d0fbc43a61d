/**
 * The spec's state: files (open file descriptions) and the fd numbers that name them, objects in per-file
 * tables, attachments as relations (device, pasid|null, object), shared page storage, user and guest memory.
 * Everything else — reference counts, "busy", pins, what a DMA reaches — is derived by functions
 * (STYLE §4: a second copy of a fact is a place for the two copies to disagree).
 * Abstracted away: locks and concurrency (a call is one atomic step), byte-level argument structs, the IOMMU
 * driver's page-table layout (the spec maps ranges; src/impl walks real tables).
 */
import { isDraft, type Draft } from 'immer';
import type { DevName, Fd, Gpa, HwKind, IovaRange, Pasid, Prot, World } from '../uapi/index.js';
import type { Design } from './design.js';

/** A file is named by the serial number of the OPEN that created it (1, 2, ...), stable across fd reuse. */
export type FileKey = number;
/** An object is named by its file and its id in that file's table: "3:1". */
export type ObjKey = `${number}:${number}`;
export const objKey = (file: FileKey, id: number): ObjKey => `${file}:${id}`;

export type File =
  /** /dev/iommu: one object table multiplexing IOASes, HWPTs and devices (merged iommufd). */
  | { readonly kind: 'iommufd'; readonly key: FileKey; /** IOMMU_OPTION_RLIMIT_MODE: pins charged to the mm (1), not the user (0) */ readonly accountMm: boolean }
  /**
   * /dev/ioasid, per-VM: one table multiplexing ioasids (RFC v1 and its variants).
   * `registrations`: IOASID_REGISTER_MEMORY ranges. `sealed`: setup-only-association's "first map/bind done".
   */
  | { readonly kind: 'ioasid'; readonly key: FileKey; readonly registrations: readonly IovaRange[]; readonly sealed: boolean }
  /** fd-per-ioasid: the file is one ioasid (object id 1 in its own table). */
  | { readonly kind: 'ioasid-single'; readonly key: FileKey }
  /** A VFIO device cdev; `bound` is the iommufd / ioasid file it is bound to. */
  | { readonly kind: 'device'; readonly key: FileKey; readonly dev: DevName; readonly bound: FileKey | null }
  /** A FAULT object's fd ([iommufd-pgfault]): holds its object and the iommufd file (iommufd_ctx_get) while open. */
  | { readonly kind: 'fault'; readonly key: FileKey; readonly fault: ObjKey }
  /** The selftest's access fd ([iommufd_test_staccess]): its driver; holds its ACCESS and the iommufd file while open. */
  | { readonly kind: 'access'; readonly key: FileKey; readonly access: ObjKey }
  /** A memfd of `length` bytes (MEMFD_CREATE): held by its fds and by the pages IOAS_MAP_FILE made of it. */
  | { readonly kind: 'memfd'; readonly key: FileKey; readonly length: bigint }
  /** A vEVENTQ's fd (IOMMU_VEVENTQ_ALLOC): holds its object and the iommufd file while open, as a FAULT fd does. */
  | { readonly kind: 'veventq'; readonly key: FileKey; readonly veventq: ObjKey };

export type FileKind = File['kind'];

/** Where an area's bytes come from: shared pinned storage (user memory), or a GPA of the parent (software nesting). */
export type AreaTarget =
  | { readonly kind: 'pages'; readonly pages: number; readonly offset: bigint }
  | { readonly kind: 'gpa'; readonly gpa: Gpa };

/**
 * A paging HWPT's dirty tracking (dirty.ts): whether it is on, the IOMMU pages written since their last clear (an IOVA
 * union in normal form), and the pages a write may or may not have dirtied (a stale IOTLB entry could have served it).
 */
export interface DirtyBits {
  readonly tracking: boolean;
  readonly bits: readonly IovaRange[];
  readonly maybe: readonly IovaRange[];
}

/** One pin of an access: [iova, iova+length) of its IOAS, for writing or not. */
export interface AccessPin {
  readonly id: number;
  readonly iova: bigint;
  readonly length: bigint;
  readonly write: boolean;
}

/** One mapping made by one MAP (or COPY): [start, last] inclusive, never split (unmap takes whole areas). */
export interface Area {
  readonly start: bigint;
  readonly last: bigint;
  readonly target: AreaTarget;
  readonly prot: Prot;
}

/**
 * Shared page storage (`struct iopt_pages`): a user VA range, or (`file`) bytes of a file mapped by IOAS_MAP_FILE at
 * their host address (memfdAddress) — pinned once however many areas use it.
 */
export interface Pages {
  readonly uva: bigint;
  /** the file the pages are of (IOAS_MAP_FILE: pages->file, a reference on it), absent for user memory */
  readonly file?: FileKey;
  readonly length: bigint;
  /** pinned for write (the MAP had WRITEABLE); a writeable COPY of read-only pages is EPERM */
  readonly writable: boolean;
}

/** Stage-1 translation a nested context consumes: one guest page table, or a guest-owned PASID table. */
export type S1 = { readonly kind: 'pgtable'; readonly root: Gpa } | { readonly kind: 'pasid-table'; readonly root: Gpa };

/**
 * One entry of a vEVENTQ (viommu.ts): the sequence number its header got, and the vDEVICE's virtual id it reports, or
 * null for the lost-events header (at most one is queued; it holds no slot of the depth).
 */
export interface VEvent {
  readonly sequence: number;
  readonly virtId: bigint | null;
}

interface ObjBase {
  readonly file: FileKey;
  readonly id: number;
}
export type Obj =
  /**
   * A kernel-managed address space: iommufd IOAS, or an RFC root ioasid (which is also its own page table:
   * `domain` says whether that page table exists yet, i.e. a device was ever attached).
   */
  | (ObjBase & {
    readonly kind: 'ioas'; readonly areas: readonly Area[]; readonly allowed: readonly IovaRange[]; readonly domain: boolean;
    /** IOMMU_OPTION_HUGE_PAGES: !iopt->disable_large_pages (true on a new IOAS) */ readonly hugePages: boolean;
    /** ranges the selftest reserved for good (MOCK_ADD_RESERVED: iopt_reserve_iova with no owner, never removed) */
    readonly testReserved: readonly IovaRange[];
  })
  /**
   * iommufd HWPT_PAGING: a domain mirroring `ioas`. `dirty`: the driver's dirty_ops state (dirty.ts) when allocated
   * with DIRTY_TRACKING, else null.
   */
  | (ObjBase & {
    readonly kind: 'hwpt_paging'; readonly ioas: ObjKey; readonly auto: boolean; readonly nestParent: boolean; readonly pasid: boolean; readonly dirty: DirtyBits | null;
    /** the FAULT object its page requests go to (FAULT_ID_VALID), or null */ readonly fault: ObjKey | null;
  })
  /**
   * iommufd HWPT_NESTED: a user stage-1 over a NEST_PARENT paging HWPT `parent`; `pasid`: allocated with ALLOC_PASID;
   * `viommu`: allocated on that vIOMMU (which holds `parent`; the HWPT then holds the vIOMMU, not the parent), else null.
   */
  | (ObjBase & { readonly kind: 'hwpt_nested'; readonly parent: ObjKey; readonly s1: S1; readonly pasid: boolean; readonly fault: ObjKey | null; readonly viommu: ObjKey | null })
  /** iommufd VIOMMU (viommu.ts): a slice of the physical IOMMU over the nest-parent HWPT `parent`, of driver type `type`. */
  | (ObjBase & { readonly kind: 'viommu'; readonly parent: ObjKey; readonly type: number })
  /** iommufd VDEVICE: `dev` as the guest sees it behind `viommu`, by `virtId` (unique per vIOMMU; one per device). */
  | (ObjBase & { readonly kind: 'vdevice'; readonly viommu: ObjKey; readonly dev: DevName; readonly virtId: bigint })
  /**
   * iommufd VEVENTQ: the events of type `type` its vIOMMU reports, oldest first; `depth` of them at most (a lost-events
   * header besides); `sequence`: the number the next header gets (0 after INT_MAX).
   */
  | (ObjBase & { readonly kind: 'veventq'; readonly viommu: ObjKey; readonly type: number; readonly depth: number; readonly events: readonly VEvent[]; readonly sequence: number })
  /**
   * The id of a vDEVICE destroyed with its device (unbind): reserved, unusable and unremovable until the iommufd closes
   * (iommufd_device_remove_vdev: the xarray entry becomes XA_ZERO_ENTRY). Nothing looks it up; IOMMU_DESTROY is ENOENT.
   */
  | (ObjBase & { readonly kind: 'tombstone' })
  /** iommufd FAULT: a queue of page requests (fault.ts); the queue is derived from `State.prq`. */
  | (ObjBase & { readonly kind: 'fault' })
  /**
   * iommufd ACCESS (access.ts): an in-kernel user of `ioas`; `needsPin`: made with NEEDS_PIN_PAGES (it may pin, and
   * holds the IOAS to PAGE_SIZE alignment); `pins`: what it has pinned, each with the id it was given; `nextPin`: the
   * id the next pin gets (never reused).
   */
  | (ObjBase & { readonly kind: 'access'; readonly ioas: ObjKey; readonly needsPin: boolean; readonly pins: readonly AccessPin[]; readonly nextPin: number })
  /** iommufd DEVICE: created by VFIO bind, held by the binding driver. */
  | (ObjBase & { readonly kind: 'device'; readonly dev: DevName })
  /**
   * An RFC child ioasid (IOASID_CREATE_NESTING): output goes through `parent`. Either software nesting
   * (its own `areas`, iova -> parent GPA) or hardware nesting (`s1` bound), never both (rule in ioasid.ts).
   */
  | (ObjBase & { readonly kind: 'ioasid_child'; readonly parent: ObjKey; readonly areas: readonly Area[]; readonly s1: S1 | null; readonly domain: boolean })
  /** per-device-sva: a stage-1 bound through one device FD for one (device, pasid), over `parent`. */
  | (ObjBase & { readonly kind: 'sva_bind'; readonly parent: ObjKey; readonly s1: S1; readonly dev: DevName; readonly pasid: Pasid | null })
  /** per-device-sva native SVA: the process's own address space (userMem, host page = user page) bound to (dev, pasid) through the device FD. */
  | (ObjBase & { readonly kind: 'sva_mm'; readonly dev: DevName; readonly pasid: Pasid });

export type ObjKind = Obj['kind'];
export type ObjOf<K extends ObjKind> = Extract<Obj, { kind: K }>;

/** (device, pasid | null) routed through `ctx`. `pasid: null` is the RID. */
export interface Attachment {
  readonly dev: DevName;
  readonly pasid: Pasid | null;
  readonly ctx: ObjKey;
}

/** A guest table entry that the IOTLB of `ctx` may still hold: the value it had before the guest changed it. */
export interface StaleEntry {
  readonly ctx: ObjKey;
  readonly table: Gpa;
  readonly kind: 'pte' | 'pasid';
  /** iova page number (pte) or pasid */
  readonly index: bigint;
  readonly value: bigint | null;
}

/**
 * One PRI page request a device sent (fault.ts, fault-ring.ts), and what became of it. `fault`: the FAULT object it was
 * queued on, or under RFC v1 the ioasid whose FD's ring it was posted to (null: no handler took it, the IOMMU core
 * answered at once); `handle`: the attachment it came through (its going answers it); `cookie`: given by the read that
 * delivered it, null while still queued (RFC v1's ring gives none: fault-ring.ts TAKEN); `answers`: the response codes
 * the device got.
 */
export interface PageRequest {
  readonly serial: number;
  readonly dev: DevName;
  /** the iommufd DEVICE id a read reports (the handle's device); 0 under RFC v1, whose ring names no device */
  readonly devId: number;
  readonly pasid: Pasid | null;
  readonly grpid: number;
  readonly perm: number;
  readonly addr: bigint;
  readonly fault: ObjKey | null;
  readonly handle: Attachment | null;
  readonly cookie: number | null;
  readonly answers: readonly number[];
}

export interface State {
  readonly world: World;
  readonly design: Design;
  /** OPENs so far: the next file is `opens + 1`. */
  readonly opens: number;
  readonly fds: Readonly<Record<number, FileKey>>;
  readonly files: Readonly<Record<FileKey, File>>;
  readonly objects: Readonly<Record<ObjKey, Obj>>;
  readonly attachments: readonly Attachment[];
  readonly pages: Readonly<Record<number, Pages>>;
  readonly nextPages: number;
  /** mmapped user memory: a union in normal form (sorted, disjoint, never adjacent; see ranges.ts `Union`) */
  readonly userMem: readonly IovaRange[];
  /** guest stage-1 page tables: table root -> iova page -> gpa page base */
  readonly guestPgtables: Readonly<Record<string, Readonly<Record<string, Gpa>>>>;
  /** guest-owned PASID tables: table root -> pasid -> stage-1 table root */
  readonly guestPasidTables: Readonly<Record<string, Readonly<Record<number, Gpa>>>>;
  readonly stale: readonly StaleEntry[];
  /** every page request so far, in the order the devices sent them */
  readonly prq: readonly PageRequest[];
}

export function initialState(world: World, design: Design): State {
  return {
    world, design, opens: 0, fds: {}, files: {}, objects: {}, attachments: [], pages: {}, nextPages: 1,
    userMem: [], guestPgtables: {}, guestPasidTables: {}, stale: [], prq: [],
  };
}

export const hw = (s: State): HwKind => s.world.hw;

// ---- lookups -------------------------------------------------------------------------------------------

export function fileOfFd(s: State, fd: Fd): File | undefined {
  const key = s.fds[fd];
  return key === undefined ? undefined : s.files[key];
}

/** iommufd_get_object: by id and kind; a wrong kind is ENOENT like an absent id (facts §2.1). */
export function lookup<K extends ObjKind>(s: State, file: FileKey, id: number, ...kinds: K[]): ObjOf<K> | undefined {
  const o = s.objects[objKey(file, id)];
  return o && (kinds as ObjKind[]).includes(o.kind) ? (o as ObjOf<K>) : undefined;
}

export const keyOf = (o: Obj): ObjKey => objKey(o.file, o.id);

export function objectsOf(s: State, file: FileKey): Obj[] {
  return Object.values(s.objects).filter((o) => o.file === file);
}

/** xa_alloc with XA_FLAGS_ALLOC1: the lowest free id from 1 (facts §2.1). */
export function allocId(s: State, file: FileKey): number {
  let id = 1;
  while (s.objects[objKey(file, id)]) id++;
  return id;
}

/** The fds naming each file, in fd order; computed once per fd table (tables are immutable; a draft's is not kept). */
const fdsOfTable = new WeakMap<State['fds'], ReadonlyMap<FileKey, readonly number[]>>();
export function fdsByFile(fds: State['fds']): ReadonlyMap<FileKey, readonly number[]> {
  const known = fdsOfTable.get(fds);
  if (known !== undefined) return known;
  const out = new Map<FileKey, number[]>();
  // an integer-keyed record lists its keys in ascending order
  for (const [fd, key] of Object.entries(fds)) {
    const l = out.get(key);
    if (l) l.push(Number(fd));
    else out.set(key, [Number(fd)]);
  }
  if (!isDraft(fds)) fdsOfTable.set(fds, out);
  return out;
}

/** The lowest free fd number from 3 (0-2 are stdio), as POSIX open() does. */
export function allocFd(s: State): Fd {
  let n = 3;
  while (s.fds[n] !== undefined) n++;
  return n as Fd;
}

/**
 * A new open file, inside the draft of a step that began from `s`: the next file key, `make`'s file under it, named by
 * the lowest free fd.
 */
export function openFile(d: Draft<State>, s: State, make: (key: FileKey) => File): { readonly fd: Fd; readonly key: FileKey } {
  const fd = allocFd(s);
  const key = (d.opens += 1);
  d.fds[fd] = key;
  d.files[key] = make(key) as Draft<File>;
  return { fd, key };
}

/** The object an object's own fd (a FAULT's, an access's, a vEVENTQ's) stands for. */
export const objectOfFile = (f: Extract<File, { kind: 'fault' | 'access' | 'veventq' }>): ObjKey => (f.kind === 'fault' ? f.fault : f.kind === 'access' ? f.access : f.veventq);

/** Each world's devices by name (worlds are immutable). */
const devicesOf = new WeakMap<World, ReadonlyMap<DevName, World['devices'][number]>>();

export function physDevice(s: State, dev: DevName) {
  let m = devicesOf.get(s.world);
  if (m === undefined) devicesOf.set(s.world, (m = new Map(s.world.devices.map((d) => [d.name, d]))));
  const d = m.get(dev);
  if (!d) throw new Error(`world has no ${dev}`); // a bug in the trace generator, not user input
  return d;
}

export function deviceFileOf(s: State, dev: DevName): (File & { kind: 'device' }) | undefined {
  return Object.values(s.files).find((f): f is File & { kind: 'device' } => f.kind === 'device' && f.dev === dev && f.bound !== null);
}

/** The iommufd DEVICE object of a bound device. */
export function deviceObj(s: State, dev: DevName): ObjOf<'device'> | undefined {
  return Object.values(s.objects).find((o): o is ObjOf<'device'> => o.kind === 'device' && o.dev === dev);
}

export const attachmentsOf = (s: State, ctx: ObjKey): Attachment[] => s.attachments.filter((a) => a.ctx === ctx);
export const attachmentOf = (s: State, dev: DevName, pasid: Pasid | null): Attachment[] =>
  s.attachments.filter((a) => a.dev === dev && a.pasid === pasid);
