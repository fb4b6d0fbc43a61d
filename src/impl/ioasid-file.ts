/**
 * The address-space files of the 2021 designs. The per-VM /dev/ioasid file (rfc-v1, setup-only-association,
 * per-device-sva) is an object table of ioasids plus the memory registrations (IOASID_REGISTER_MEMORY: charged
 * once to RLIMIT_MEMLOCK, so pins inside them charge nothing more) and, for setup-only-association, `sealed`
 * after the first map or bind. Under fd-per-ioasid a file *is* one ioasid (object id 1 of its own table); a child
 * file made by IOASID_CREATE_NESTING holds its parent's file open. Release destroys the table leaf first.
 * Simplified: a registration checks the range is mapped (EFAULT) and is charged as a whole; the pages themselves
 * are pinned by the maps that use them.
 */
import { PAGE_SIZE, type IovaRange } from '../uapi/index.js';
import type { RingEntry } from './fault-ring.js';
import { IoPagetable } from './iopt.js';
import { userAccounting } from './ioas.js';
import { IoasidChild, IoasidRoot, type IoasidSpace } from './ioasid-objects.js';
import { KFile, type Kernel } from './kernel.js';
import { ObjectTable, type IommufdObject } from './object.js';
import type { Accounting, IoptPages } from './pages.js';


/** Pin users of roots that have a page table: what the file keeps pinned. */
function pinnedBy(table: ObjectTable, into: Set<IoptPages>) {
  for (const o of table.values()) if (o instanceof IoasidRoot && o.domain) for (const a of o.iopt.areas) into.add(a.pages);
}

/** The per-VM /dev/ioasid file. */
export class IoasidCtxFile extends KFile {
  readonly kind = 'ioasid';
  readonly table: ObjectTable;
  readonly registrations: IovaRange[] = [];
  /** setup-only-association: the first successful map or bind ended the set-up phase */
  sealed = false;
  /** pins of this file's maps leave registered pages uncharged: the registration charged them */
  readonly acct: Accounting;

  /** RFC v1's fault ring (fault-ring.ts): the requests posted and not taken yet, oldest first; null where the design has none */
  readonly ring: RingEntry[] | null;

  constructor(serial: number, private readonly k: Kernel, readonly setupOnly: boolean, faultRing: boolean) {
    super(serial);
    this.ring = faultRing ? [] : null;
    this.table = new ObjectTable(serial, k.alloc);
    this.acct = { mm: k.mm, pool: 'user', registered: () => this.registrations.map((r) => ({ first: r.start >> 12n, last: r.last >> 12n })) };
  }

  /** design point: association — the first map or bind seals a setup-only FD against new associations */
  seal() {
    if (this.setupOnly) this.sealed = true;
  }

  /**
   * Charge a new registration (the caller checked it is aligned and overlaps no other). Maps of this file already
   * pinned inside it hand their charge of those pages over to it, so a page stays charged once per holder that is
   * not a registered map (ENOMEM past RLIMIT_MEMLOCK, nothing changed then).
   */
  register(reg: IovaRange): 'EFAULT' | 'ENOMEM' | null {
    if (!this.k.mm.present(reg.start, reg.last)) return 'EFAULT'; // the registration pins the range
    const pinned = new Set<IoptPages>();
    pinnedBy(this.table, pinned);
    const pages = { first: reg.start >> 12n, last: reg.last >> 12n };
    const handover = [...pinned].reduce((n, p) => n + p.chargedIn(pages), 0);
    const delta = Number((reg.last - reg.start + 1n) / PAGE_SIZE) - handover;
    if (delta > 0 && !this.k.mm.charge(delta, 'user')) return 'ENOMEM';
    if (delta < 0) this.k.mm.uncharge(-delta, 'user');
    for (const p of pinned) p.handOver(pages); // uncharged by the registration from now on, not by p's unpin
    this.registrations.push(reg);
    this.k.mm.pinsChanged();
    return null;
  }

  /** Drop registration `i`; the caller checked no map of the file uses its pages. */
  unregister(i: number) {
    const [reg] = this.registrations.splice(i, 1);
    this.k.mm.pinsChanged();
    if (reg) this.k.mm.uncharge(Number((reg.last - reg.start + 1n) / PAGE_SIZE), 'user');
  }

  release() {
    this.table.releaseAll();
    for (const r of this.registrations) this.k.mm.uncharge(Number((r.last - r.start + 1n) / PAGE_SIZE), 'user');
    this.registrations.length = 0;
    this.k.mm.pinsChanged();
  }

  override objects(): readonly IommufdObject[] {
    return this.table.values();
  }

  override get objectsStamp(): number {
    return this.table.stamp;
  }

  override pinned(into: Set<IoptPages>, regs: { start: bigint; last: bigint }[]) {
    pinnedBy(this.table, into);
    regs.push(...this.registrations);
  }
}

/** fd-per-ioasid: the file is one ioasid (id 1 of its table). */
export class IoasidSingleFile extends KFile {
  readonly kind = 'ioasid-single';
  readonly table: ObjectTable;
  readonly acct: Accounting;

  private constructor(serial: number, private readonly k: Kernel, readonly parentFile: IoasidSingleFile | null) {
    super(serial);
    this.table = new ObjectTable(serial, k.alloc);
    this.acct = userAccounting(k);
  }

  /** Opening /dev/ioasid: a file and the root ioasid it stands for (seed step 1), or ENOMEM. */
  static openRoot(k: Kernel, serial: number): IoasidSingleFile | 'ENOMEM' {
    const f = new IoasidSingleFile(serial, k, null);
    const root = new IoasidRoot(f, new IoPagetable(k.iommu, k.alloc), k.alloc);
    return f.table.insert(root) === null ? 'ENOMEM' : f;
  }

  /** IOASID_CREATE_NESTING on `parentFile`: a new file whose ioasid is a child of its root; it holds the parent's file. */
  static nest(k: Kernel, serial: number, parentFile: IoasidSingleFile, parent: IoasidRoot): IoasidSingleFile | 'ENOMEM' {
    const f = new IoasidSingleFile(serial, k, parentFile);
    const child = new IoasidChild(f, parent, k.newContextId(), k.iommu, k.alloc);
    if (!f.table.insertOrAbort(child)) return 'ENOMEM';
    k.fget(parentFile); // released with this file
    return f;
  }

  /** Its one ioasid; undefined only after release. */
  get space(): IoasidSpace | undefined {
    return this.table.getKind<IoasidSpace>(1, IoasidRoot, IoasidChild);
  }

  release() {
    this.table.releaseAll();
    if (this.parentFile) this.k.fput(this.parentFile);
  }

  override objects(): readonly IommufdObject[] {
    return this.table.values();
  }

  override get objectsStamp(): number {
    return this.table.stamp;
  }

  override pinned(into: Set<IoptPages>) {
    pinnedBy(this.table, into);
  }
}

export type IoasidAsFile = IoasidCtxFile | IoasidSingleFile;
