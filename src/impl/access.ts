/**
 * ACCESS objects and the selftest mock's driver of them (its access fd): iommufd_access_create/attach on an IOAS, pins
 * that pin the pages of the areas they cover (iopt_area_add_access: the same page pins a domain takes, counted on the
 * area), read and write through the IOAS, replace, and the driver's unmap callback, which unpins every pin that meets
 * the range the io_pagetable is about to drop.
 * @see drivers/iommu/iommufd/device.c iommufd_access_*, selftest.c iommufd_test_create_access .. iommufd_test_access_rw
 */
import {
  fail, hasTestPort, ok, PAGE_SIZE, U64_MAX, type EnvMockAccessCreate, type EnvMockAccessPin, type EnvMockAccessReplace,
  type EnvMockAccessRw, type EnvMockAccessUnpin, type Errno, type Result,
  MOCK_ACCESS_MAX_LENGTH as MAX_LENGTH, MOCK_ACCESS_RW_SLOW_PATH as RW_SLOW, MOCK_ACCESS_RW_WRITE as RW_WRITE,
  MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES as NEEDS_PIN, MOCK_FLAGS_ACCESS_WRITE as PIN_WRITE,
} from '../uapi/index.js';
import { IommufdFile } from './iommufd-file.js';
import type { Area } from './iopt.js';
import type { Kernel } from './kernel.js';
import { KFile } from './kfile.js';
import { IommufdObject, putUsers } from './object.js';
import { IoasObj } from './objects.js';
import type { PageRange } from './page-ranges.js';


/** What one pin holds in one area: the area's pages, the page range pinned there. */
interface PinPart {
  readonly area: Area;
  readonly range: PageRange;
}
interface Pin {
  readonly id: number;
  readonly iova: bigint;
  readonly last: bigint;
  readonly parts: readonly PinPart[];
}

export class AccessObj extends IommufdObject {
  readonly kind = 'access';
  ioas: IoasObj | null = null;
  readonly pins: Pin[] = [];
  nextPin = 0;
  constructor(readonly needsPin: boolean) {
    super();
    this.users++; // the driver's reference (iommufd_access_create)
  }

  /** The selftest's unmap callback (iommufd_test_access_unmap): unpin every pin that meets [start, last]. */
  unmap(start: bigint, last: bigint) {
    for (const p of [...this.pins]) if (p.iova <= last && start <= p.last) this.release(p);
  }

  release(p: Pin) {
    this.pins.splice(this.pins.indexOf(p), 1);
    for (const part of p.parts) unpinPart(this.ioas!, part); // a pin exists only while attached
  }

  /** iommufd_access_change_ioas to `ioas` (null: detach): pins revoked through the callback, holds moved. */
  changeIoas(ioas: IoasObj | null): Errno | null {
    const old = this.ioas;
    if (ioas === old) return null;
    if (ioas) {
      const bad = ioas.iopt.addAccess(this);
      if (bad) return bad;
      ioas.users++;
    }
    if (old) {
      this.unmap(0n, U64_MAX);
      old.iopt.removeAccess(this);
      putUsers(old);
    }
    this.ioas = ioas;
    return null;
  }

  /** iommufd_access_destroy_object */
  destroy() {
    this.changeIoas(null);
  }
}

function unpinPart(ioas: IoasObj, part: PinPart) {
  part.area.pages.unpin(part.range);
  ioas.iopt.areaAccess(part.area, -1);
}

/** The selftest's access fd: its release unpins everything and destroys the access, then lets the iommufd go. */
export class AccessFile extends KFile {
  readonly kind = 'access';
  constructor(serial: number, readonly access: AccessObj, readonly ictx: IommufdFile, private readonly k: Kernel) {
    super(serial);
  }
  release() {
    this.access.unmap(0n, U64_MAX);
    putUsers(this.access); // the driver's reference
    this.ictx.table.remove(this.access);
    this.k.fput(this.ictx);
  }
}

/** The /dev/iommu test port an op is issued on. */
function port(k: Kernel, fd: number): IommufdFile | Errno {
  const f = k.fds.get(fd);
  if (!f) return 'EBADF';
  return f instanceof IommufdFile && hasTestPort(k.world) ? f : 'ENOTTY';
}

/** iommufd_access_get: the access behind an fd with the access fops, else EBADFD. */
function accessFileOf(k: Kernel, fd: number): AccessFile | 'EBADFD' {
  const f = k.fds.get(fd);
  return f instanceof AccessFile ? f : 'EBADFD';
}

export function accessCreate(k: Kernel, c: EnvMockAccessCreate): Result<unknown> {
  const f = port(k, c.fd);
  if (typeof f === 'string') return fail(f);
  if ((c.flags & ~NEEDS_PIN) !== 0) return fail('EOPNOTSUPP');
  const access = new AccessObj((c.flags & NEEDS_PIN) !== 0);
  if (f.table.insert(access) === null) return fail('ENOMEM');
  const ioas = f.table.getKind(c.ioas_id, IoasObj);
  const bad = ioas ? access.changeIoas(ioas) : 'ENOENT';
  if (bad) {
    putUsers(access);
    f.table.remove(access);
    return fail(bad);
  }
  const serial = k.opens + 1;
  k.opens = serial;
  k.fget(f); // iommufd_ctx_get
  return ok({ access_fd: k.installFd(new AccessFile(serial, access, f, k)) });
}

/** The checks PIN and RW share, in the selftest's order. */
function front(k: Kernel, c: EnvMockAccessPin | EnvMockAccessRw, flagMask: number, pin: boolean): { access: AccessObj; last: bigint } | Errno {
  const f = port(k, c.fd);
  if (typeof f === 'string') return f;
  if (c.length > MAX_LENGTH) return 'ENOMEM';
  if ((c.flags & ~flagMask) !== 0) return 'EOPNOTSUPP';
  const af = accessFileOf(k, c.access_fd);
  if (typeof af === 'string') return af;
  if (pin && !af.access.needsPin) return 'EOPNOTSUPP';
  if (c.length === 0n) return 'EINVAL';
  const last = c.iova + c.length - 1n;
  if (last > U64_MAX) return 'EOVERFLOW';
  return { access: af.access, last };
}

/** iommufd_access_pin_pages: area by area; on any failure what was pinned is let go. */
export function accessPin(k: Kernel, c: EnvMockAccessPin): Result<unknown> {
  const fr = front(k, c, PIN_WRITE, true);
  if (typeof fr === 'string') return fail(fr);
  const { access, last } = fr;
  const ioas = access.ioas;
  if (!ioas) return fail('ENOENT');
  const write = (c.flags & PIN_WRITE) !== 0;
  const walk = ioas.iopt.contiguousParts(c.iova, last);
  const done: PinPart[] = [];
  const undo = (e: Errno) => {
    for (const p of done) unpinPart(ioas, p);
    return fail(e);
  };
  for (const [i, p] of walk.parts.entries()) {
    const first = p.area.pages.uva + p.area.offset + (p.start - p.area.start);
    const final = i === walk.parts.length - 1 && walk.whole;
    if (first % PAGE_SIZE !== 0n || (!final && (p.last + 1n) % PAGE_SIZE !== 0n)) return undo('EINVAL');
    if (write ? !p.area.prot.write : !p.area.prot.read) return undo('EPERM');
    const range = { first: first >> 12n, last: (first + (p.last - p.start)) >> 12n };
    const bad = p.area.pages.pin(range);
    if (bad) return undo(bad);
    ioas.iopt.areaAccess(p.area, 1);
    done.push({ area: p.area, range });
  }
  if (!walk.whole) return undo('ENOENT');
  const id = access.nextPin++;
  access.pins.push({ id, iova: c.iova, last, parts: done });
  return ok({ access_pages_id: id });
}

export function accessUnpin(k: Kernel, c: EnvMockAccessUnpin): Result<unknown> {
  const f = port(k, c.fd);
  if (typeof f === 'string') return fail(f);
  const af = accessFileOf(k, c.access_fd);
  if (typeof af === 'string') return fail(af);
  const p = af.access.pins.find((x) => x.id === c.pages_id);
  if (!p) return fail('ENOENT');
  af.access.release(p);
  return ok({});
}

/**
 * iommufd_access_rw: area by area, the direction and the memory behind it (user memory mapped, a file's pages inside
 * the file: iopt_pages_rw_slow pins them for the copy); nothing stays pinned.
 */
export function accessRw(k: Kernel, c: EnvMockAccessRw): Result<unknown> {
  const fr = front(k, c, RW_WRITE | RW_SLOW, false);
  if (typeof fr === 'string') return fail(fr);
  const ioas = fr.access.ioas;
  if (!ioas) return fail('ENOENT');
  const write = (c.flags & RW_WRITE) !== 0;
  const walk = ioas.iopt.contiguousParts(c.iova, fr.last);
  for (const p of walk.parts) {
    if (write ? !p.area.prot.write : !p.area.prot.read) return fail('EPERM');
    const from = p.area.pages.uva + p.area.offset + (p.start - p.area.start);
    const first = from - (from % PAGE_SIZE);
    const last = (from + (p.last - p.start)) | (PAGE_SIZE - 1n);
    const missing = p.area.pages.missing(first, last);
    if (missing) return fail(missing);
  }
  return walk.whole ? ok({}) : fail('ENOENT');
}

export function accessReplace(k: Kernel, c: EnvMockAccessReplace): Result<unknown> {
  const f = port(k, c.fd);
  if (typeof f === 'string') return fail(f);
  const af = accessFileOf(k, c.access_fd);
  if (typeof af === 'string') return fail(af);
  // the IOAS is looked up in the access's own context
  const ioas = af.ictx.table.getKind(c.ioas_id, IoasObj);
  if (!ioas) return fail('ENOENT');
  const bad = af.access.changeIoas(ioas);
  return bad ? fail(bad) : ok({});
}
