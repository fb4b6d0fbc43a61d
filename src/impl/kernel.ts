/**
 * The simulated kernel, one process's view: open(path) -> fd, ioctl(cmd) -> result, close(fd), plus the
 * environment (mmap and munmap, device DMA, the guest writing its tables) reaching the hardware directly. Files are
 * reference counted (fget/fput): an fd holds its file, a bound device holds its iommufd; a file is released
 * when the last reference goes. One design front-end (src/impl/designs/) decides which ioctls exist and what
 * opening the node creates; the objects, the io_pagetable engine and the hardware are shared by all designs.
 */
import { iommuEvent, veventqRead } from './viommu.js';
import {
  minPageSize, ok, fail, type Cmd, type DesignName, type DevName, type Errno, type Ioctl, type IoctlName, type PhysDevice,
  type Result, type World,
} from '../uapi/index.js';
import type { Allocator, PagingDomain } from './hw/contract.js';
import { GuestMemory } from './hw/guest-memory.js';
import { Iommu } from './hw/iommu.js';
import { IoPageTable } from './hw/pagetable.js';
import { Mm } from './mm.js';
import type { IoPagetable } from './iopt.js';
import { ObjectTable, type IommufdObject } from './object.js';
import { mockAddReserved } from './selftest.js';
import { faultRead, faultWrite, pageRequest } from './fault.js';
import { accessCreate, accessPin, accessReplace, accessRw, accessUnpin } from './access.js';
import { memfdCreate } from './file-map.js';
import { PageRequestLog } from './hw/prq.js';
import { faultRingRead } from './fault-ring.js';
import { tick } from './hw/stamp.js';
import { KFile, type FileKind } from './kfile.js';
import { WARN_ON } from './warn.js';

export { KFile, type FileKind } from './kfile.js';

/** What a device is attached to on one route (RID when pasid is null). */
export interface Route {
  readonly pasid: number | null;
  readonly target: IommufdObject;
}

/** A physical device as VFIO and the IOMMU core see it. */
export class VfioDevice {
  /** the device FD that bound it (one at a time) */
  df: KFile | null = null;
  /** the address-space file it is bound to */
  ctx: KFile | null = null;
  /** its DEVICE object (iommufd only) */
  idev: IommufdObject | null = null;
  /** when `routes` last changed (stamp.ts) */
  stamp = 0;
  private readonly own: Route[] = [];
  constructor(readonly phys: PhysDevice) {}
  /** what the device is attached to, route by route */
  get routes(): readonly Route[] {
    return this.own;
  }
  addRoute(r: Route) {
    this.own.push(r);
    this.stamp = tick();
  }
  removeRoute(r: Route) {
    const i = this.own.indexOf(r);
    WARN_ON(i < 0, 'route', () => `${this.name} has no route on ${r.pasid === null ? 'its RID' : `pasid ${r.pasid}`} to remove`);
    this.own.splice(i, 1);
    this.stamp = tick();
  }
  get name(): DevName {
    return this.phys.name;
  }
}

export class DeviceFile extends KFile {
  readonly kind = 'device';
  /** objects the device FD owns itself (per-device-sva binds); empty in every other design */
  readonly table: ObjectTable;
  constructor(serial: number, readonly vdev: VfioDevice, alloc: Allocator, private readonly onRelease: (f: DeviceFile) => void) {
    super(serial);
    this.table = new ObjectTable(serial, alloc);
  }
  release() {
    this.onRelease(this);
  }
  override objects(): readonly IommufdObject[] {
    return this.table.values();
  }
  override get objectsStamp(): number {
    return this.table.stamp;
  }
}

export type Handler = (k: Kernel, f: KFile, c: Ioctl) => Result<unknown>;
export interface IoctlRow {
  /** the kinds of file it is issued on */
  readonly on: readonly FileKind[];
  readonly handler: Handler;
}

/** A design's front-end: its ioctl table and what its node creates. */
export interface FrontEnd {
  readonly name: DesignName;
  readonly node: string;
  /** the ioctl that grants access to a device FD (others are EINVAL before it), if the design has one */
  readonly bindIoctl: IoctlName | null;
  readonly ioctls: Partial<Record<IoctlName, IoctlRow>>;
  /** opening the node: a new address-space file (or ENOMEM) */
  openNode(k: Kernel, serial: number): KFile | Errno;
  /** release of the device FD that bound `vdev`: detach everything, unbind */
  unbind(k: Kernel, vdev: VfioDevice): void;
}

/** Give back a domain made by Kernel.newDomain (its page table and its allocation). */
export function freeDomain(alloc: Allocator, d: PagingDomain) {
  d.pt.destroy();
  alloc.free('domain');
}

/** An allocator that never fails. */
export const PLENTY: Allocator = { alloc: () => true, free: () => {} };

export class Kernel {
  readonly mm: Mm;
  readonly guest = new GuestMemory();
  readonly iommu: Iommu;
  readonly devices = new Map<DevName, VfioDevice>();
  /** the devices' page requests and the responses they got (PRI) */
  readonly prq = new PageRequestLog();
  readonly fds = new Map<number, KFile>();
  private readonly live = new Set<KFile>();
  /** when the fd table or the set of live files last changed (stamp.ts) */
  filesStamp = 0;
  /** successful opens so far: a new file's serial is opens + 1 */
  opens = 0;
  private nextDomainId = 1;
  private nextPages = 1;

  constructor(readonly fe: FrontEnd, readonly world: World, readonly alloc: Allocator = PLENTY) {
    this.mm = new Mm(world.memlockPages);
    // the IOMMU's geometry is what its driver reports for a domain (profile aperture and pgsize_bitmap)
    const pageShift = BigInt(minPageSize(world.iommu.pgsizeBitmap).toString(2).length - 1);
    this.iommu = new Iommu(world.hw, this.guest, { aperture: world.iommu.aperture, pageShift });
    for (const d of world.devices) this.devices.set(d.name, new VfioDevice(d));
  }

  // ---- files ------------------------------------------------------------------------------------------------

  fget(f: KFile) {
    f.refs++;
  }

  fput(f: KFile) {
    WARN_ON(f.refs <= 0, 'fput', () => `file ${f.serial} has no references`);
    if (--f.refs > 0) return;
    this.live.delete(f);
    this.filesStamp = tick();
    f.release();
  }

  /** Install a new file at the lowest free fd from 3. */
  installFd(f: KFile): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, f);
    this.live.add(f);
    this.filesStamp = tick();
    this.fget(f);
    return fd;
  }

  open(path: string): Result<{ fd: number }> {
    const vdev = [...this.devices.values()].find((d) => d.phys.path === path);
    if (!vdev && path !== this.fe.node) return fail('ENOENT');
    const serial = this.opens + 1;
    const f = vdev ? new DeviceFile(serial, vdev, this.alloc, (df) => this.releaseDeviceFile(df)) : this.fe.openNode(this, serial);
    if (typeof f === 'string') return fail(f);
    this.opens = serial;
    return ok({ fd: this.installFd(f) });
  }

  private releaseDeviceFile(df: DeviceFile) {
    if (df.vdev.df === df) this.fe.unbind(this, df.vdev);
  }

  close(fd: number): Result<Record<string, never>> {
    const f = this.fds.get(fd);
    if (!f) return fail('EBADF');
    this.fds.delete(fd);
    this.filesStamp = tick();
    this.fput(f);
    return ok({});
  }

  // ---- ioctl dispatch -------------------------------------------------------------------------------------

  ioctl(c: Ioctl): Result<unknown> {
    const f = this.fds.get(c.fd);
    if (!f) return fail('EBADF');
    // vfio_device_fops_unl_ioctl: an unbound device FD takes nothing but its bind
    if (f instanceof DeviceFile && f.vdev.df !== f && this.fe.bindIoctl !== null && c.ioctl !== this.fe.bindIoctl) return fail('EINVAL');
    const row = this.fe.ioctls[c.ioctl];
    if (!row || !row.on.includes(f.kind)) return fail('ENOTTY');
    return row.handler(this, f, c);
  }

  /** One trace step: an ioctl or an environment action. */
  run(c: Cmd): Result<unknown> {
    if ('ioctl' in c) return this.ioctl(c);
    switch (c.env) {
      case 'OPEN':
        return this.open(c.path);
      case 'CLOSE':
        return this.close(c.fd);
      case 'MMAP':
      case 'MUNMAP': {
        const last = c.uva + c.length - 1n;
        if (c.length === 0n || last >= 1n << 64n || c.uva % 4096n !== 0n || c.length % 4096n !== 0n) return fail('EINVAL');
        if (c.env === 'MMAP') this.mm.mmap(c.uva, last);
        else this.mm.munmap(c.uva, last);
        return ok({});
      }
      case 'DMA':
        return ok({ xlate: this.iommu.translate(c.dev, c.pasid, c.iova, c.access), stale: [] });
      case 'GUEST_WRITE_PGTABLE':
        this.guest.writePte(c.table, c.iova >> 12n, c.gpa);
        return ok({});
      case 'GUEST_WRITE_PASID_TABLE':
        this.guest.writePasidEntry(c.table, c.pasid, c.pgtable);
        return ok({});
      case 'MOCK_ADD_RESERVED':
        return mockAddReserved(this, c);
      case 'PAGE_REQUEST':
        return pageRequest(this, c);
      case 'FAULT_READ':
        return faultRead(this, c);
      case 'FAULT_WRITE':
        return faultWrite(this, c);
      case 'FAULT_RING_READ':
        return faultRingRead(this, c);
      case 'MOCK_ACCESS_CREATE':
        return accessCreate(this, c);
      case 'MOCK_ACCESS_PIN':
        return accessPin(this, c);
      case 'MOCK_ACCESS_UNPIN':
        return accessUnpin(this, c);
      case 'MOCK_ACCESS_RW':
        return accessRw(this, c);
      case 'MOCK_ACCESS_REPLACE':
        return accessReplace(this, c);
      case 'IOMMU_EVENT':
        return iommuEvent(this, c);
      case 'VEVENTQ_READ':
        return veventqRead(this, c);
      case 'MEMFD_CREATE':
        return memfdCreate(this, c);
    }
  }

  // ---- shared services --------------------------------------------------------------------------------------

  /** A new paging domain with an empty page table, or null (ENOMEM). */
  /**
   * A paging domain; `dirty`: with dirty_ops. The driver's domain_alloc_user leaves the hardware's dirty update off
   * until set_dirty_tracking, except SMMUv3's, which turns HD on at allocation and never off (arm_smmu_domain_finalise
   * with IO_PGTABLE_QUIRK_ARM_HD; its set_dirty_tracking does nothing).
   */
  newDomain(dirty = false): PagingDomain | null {
    if (!this.alloc.alloc('domain')) return null;
    const { aperture, pageShift } = this.iommu.geometry;
    const pt = IoPageTable.create(this.alloc, pageShift, Math.max(48, aperture.last.toString(2).length)); // the input width the aperture needs
    if (!pt) {
      this.alloc.free('domain');
      return null;
    }
    return { id: this.nextDomainId++, pt, dirty: dirty ? { recording: this.dirtyAlwaysOn } : null };
  }

  /** SMMUv3 records dirty pages from allocation on, whatever SET_DIRTY_TRACKING says. */
  get dirtyAlwaysOn(): boolean {
    return this.world.iommu.hwInfoType === 'IOMMU_HW_INFO_TYPE_ARM_SMMUV3';
  }

  /**
   * A new domain added to `iopt` (iopt_table_add_domain: aperture, alignment, pin, fill), or the errno; a domain
   * that cannot be added is freed again.
   */
  newDomainOn(iopt: IoPagetable, dirty = false): PagingDomain | Errno {
    const d = this.newDomain(dirty);
    if (!d) return 'ENOMEM';
    const bad = iopt.addDomain(d);
    if (!bad) return d;
    freeDomain(this.alloc, d);
    return bad;
  }

  /** A tag for a context that is not a paging domain (nested, per-device bind). */
  newContextId(): number {
    return this.nextDomainId++;
  }

  pagesSerial(): number {
    return this.nextPages++;
  }

  /** Devices of `dev`'s iommu group, itself included. */
  groupOf(dev: VfioDevice): VfioDevice[] {
    return [...this.devices.values()].filter((d) => d.phys.group === dev.phys.group);
  }

  /** Every file not yet released, in open order. */
  files(): KFile[] {
    return [...this.live].sort((a, b) => a.serial - b.serial);
  }
}
