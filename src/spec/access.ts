/**
 * ACCESS objects: in-kernel users of an IOAS (an emulated device's driver), driven as the selftests drive them through
 * the mock's test port (IOMMU_TEST_CMD): create one on an IOAS and get its fd, pin and unpin IOVA ranges, read and
 * write through them, move it to another IOAS. An access pins the user pages under its ranges whether the IOAS has a
 * domain or not, once per page object however many pinners a page has, charged like a domain's pins (pins.ts); a
 * NEEDS_PIN_PAGES access holds its IOAS to PAGE_SIZE alignment. Before an area with access pins goes (IOAS_UNMAP), the
 * kernel calls every access of the IOAS back with the area's whole range, and the selftest's callback unpins every pin
 * that meets it (a pin reaching into other areas goes whole); a partly covered area is refused first (ENOENT), its pins
 * kept. A replace revokes every pin the same way. Closing the access fd unpins everything and destroys the access.
 *
 * Rules chosen or left out (Linux 6.12, Debian's 6.12 tree):
 *  - The access fd is named in `access_fd`; a bad one is EBADFD (iommufd_access_get's fget with the wrong fops); the
 *    ioctl's own fd is the /dev/iommu it is issued on, which need not be the access's.
 *  - MOCK_FLAGS_ACCESS_SYZ and a pin's `uptr` check (EBADE) are not modelled: a pin passes uptr 0.
 *  - A callback that does not unpin is a kernel WARN (EDEADLOCK after 101 notifications): the selftest's always unpins.
 *    The kernel's try counter also adds up over adjacent areas, so an unmap of 101 adjacent separately pinned areas would
 *    WARN too (read off iopt_unmap_iova_range, never run): not modelled, no trace has that many areas.
 *  - ACCESS_RW copies through the current user VA (its fast path) or pins a page for a moment (the slow path): either
 *    way a page that is not mmapped is EFAULT; nothing stays pinned or charged.
 * @see drivers/iommu/iommufd/selftest.c iommufd_test_create_access .. iommufd_test_access_rw, device.c iommufd_access_*,
 *      io_pagetable.c iopt_unmap_iova_range; selftests iommufd.c access_pin, access_pin_unmap, access_rw, user_copy
 */
import { castDraft, produce, type Draft } from 'immer';
import {
  hasTestPort, type EnvMockAccessCreate, type EnvMockAccessPin, type EnvMockAccessReplace, type EnvMockAccessRw, type EnvMockAccessUnpin,
  type IovaRange, PAGE_SIZE,
  MOCK_ACCESS_MAX_LENGTH as MAX_LENGTH, MOCK_ACCESS_RW_SLOW_PATH as RW_SLOW, MOCK_ACCESS_RW_WRITE as RW_WRITE,
  MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES as NEEDS_PIN, MOCK_FLAGS_ACCESS_WRITE as PIN_WRITE,
} from '../uapi/index.js';
import { areaKeeps } from './iova.js';
import { fileOfPages, pinCheck } from './pins.js';
import { contiguousParts, inUnion, lastOf, overlaps } from './ranges.js';
import { commit, isRejection, reject, type Outcome, type Rejection } from './rule.js';
import { openFile, allocId, fileOfFd, keyOf, lookup, objKey, type AccessPin, type Area, type File, type ObjKey, type ObjOf, type State } from './state.js';


type AccessObj = ObjOf<'access'>;
type Port = Extract<File, { kind: 'iommufd' }>;

/** The /dev/iommu test port the op is issued on, or the errno (EBADF, ENOTTY). */
function testPort(s: State, fd: number, P: string): Port | Rejection {
  const f = fileOfFd(s, fd as never);
  if (!f) return reject('EBADF', `${P}.EBADF.fd`);
  if (f.kind !== 'iommufd' || !hasTestPort(s.world)) return reject('ENOTTY', `${P}.ENOTTY.no_test_port`);
  return f;
}

/** The access behind an access fd, or EBADFD. */
function accessOf(s: State, fd: number, P: string): AccessObj | Rejection {
  const f = fileOfFd(s, fd as never);
  const o = f?.kind === 'access' ? s.objects[f.access] : undefined;
  return o?.kind === 'access' ? o : reject('EBADFD', `${P}.EBADFD.access_fd`);
}

/** The accesses attached to `ioas`. */
export const accessesOf = (s: State, ioas: ObjKey): AccessObj[] => Object.values(s.objects).filter((o): o is AccessObj => o.kind === 'access' && o.ioas === ioas);

/** The byte of user memory an IOVA of an area holds. */
function userByte(s: State, a: Area, iova: bigint): bigint | null {
  if (a.target.kind !== 'pages') return null;
  const pg = s.pages[a.target.pages];
  return pg === undefined ? null : pg.uva + a.target.offset + (iova - a.start);
}

/** MOCK_ACCESS_CREATE: a new ACCESS on an IOAS, its fd (an anonymous file, counted among the trace's files). */
export function accessCreate(s: State, c: EnvMockAccessCreate): Outcome {
  const P = 'MOCK_ACCESS_CREATE';
  const port = testPort(s, c.fd, P);
  if (isRejection(port)) return port;
  if ((c.flags & ~NEEDS_PIN) !== 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.flags`);
  const ioas = lookup(s, port.key, c.ioas_id, 'ioas');
  if (!ioas) return reject('ENOENT', `${P}.ENOENT.ioas`);
  const needsPin = (c.flags & NEEDS_PIN) !== 0;
  // iopt_add_access raises the alignment to PAGE_SIZE: every area must keep it (iopt_check_iova_alignment)
  if (needsPin && !ioas.areas.every((a) => areaKeeps(s, a, PAGE_SIZE))) return reject('EADDRINUSE', `${P}.EADDRINUSE.alignment`);
  return commit(s, `${P}.ok`, (d) => {
    const id = allocId(s, port.key);
    const access = objKey(port.key, id);
    d.objects[access] = { kind: 'access', file: port.key, id, ioas: keyOf(ioas), needsPin, pins: [], nextPin: 0 };
    return { access_fd: openFile(d, s, (key) => ({ kind: 'access', key, access })).fd };
  });
}

/** The common front of PIN and RW: port, the selftest's length limit, flags, the access fd, length 0, overflow. */
function front(s: State, c: EnvMockAccessPin | EnvMockAccessRw, P: string, flagMask: number, pinning: boolean): { access: AccessObj; last: bigint } | Rejection {
  const port = testPort(s, c.fd, P);
  if (isRejection(port)) return port;
  if (c.length > MAX_LENGTH) return reject('ENOMEM', `${P}.ENOMEM.length`);
  if ((c.flags & ~flagMask) !== 0) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.flags`);
  const access = accessOf(s, c.access_fd, P);
  if (isRejection(access)) return access;
  if (pinning && !access.needsPin) return reject('EOPNOTSUPP', 'MOCK_ACCESS_PIN.EOPNOTSUPP.no_pin_pages');
  if (c.length === 0n) return reject('EINVAL', `${P}.EINVAL.length`);
  const last = lastOf(c.iova, c.length);
  if (last === null) return reject('EOVERFLOW', `${P}.EOVERFLOW.range`);
  return { access, last };
}

/**
 * MOCK_ACCESS_PIN (iommufd_access_pin_pages): area by area from `iova`, each must start its part on a page boundary
 * (and a part before another end on one), allow the access's direction (EPERM), and get its pages pinned (EFAULT,
 * ENOMEM: the pin of that far is checked as it is made); a range not covered to its end is ENOENT. All or nothing.
 */
export function accessPin(s: State, c: EnvMockAccessPin): Outcome {
  const P = 'MOCK_ACCESS_PIN';
  const f = front(s, c, P, PIN_WRITE, true);
  if (isRejection(f)) return f;
  const { access, last } = f;
  const ioas = s.objects[access.ioas];
  if (ioas?.kind !== 'ioas') return reject('ENOENT', `${P}.ENOENT.range`);
  const write = (c.flags & PIN_WRITE) !== 0;
  const walk = contiguousParts(ioas.areas, c.iova, last);
  for (const [i, p] of walk.parts.entries()) {
    const first = userByte(s, p.area, p.start);
    const isLast = i === walk.parts.length - 1 && walk.whole;
    // iopt_area_contig_is_aligned: the first byte on a page, and a part that is followed by another ends on one
    if (first === null || first % PAGE_SIZE !== 0n || (!isLast && (p.last + 1n) % PAGE_SIZE !== 0n)) return reject('EINVAL', `${P}.EINVAL.alignment`);
    if (write ? !p.area.prot.write : !p.area.prot.read) return reject('EPERM', `${P}.EPERM.prot`);
    // iopt_area_add_access pins this area's part now: what it pins must be mapped and within RLIMIT_MEMLOCK
    const upTo = withPin(s, access, { id: access.nextPin, iova: c.iova, length: p.last - c.iova + 1n, write });
    const bad = pinCheck(s, P)(upTo);
    if (bad) return bad;
  }
  if (!walk.whole) return reject('ENOENT', `${P}.ENOENT.range`);
  return commit(s, `${P}.ok`, (d) => {
    const a = d.objects[keyOf(access)] as Draft<AccessObj>;
    a.pins.push({ id: access.nextPin, iova: c.iova, length: c.length, write });
    a.nextPin += 1;
    return { access_pages_id: access.nextPin };
  });
}

/** `s` with one more pin on `access` (for the pin check of a part). */
const withPin = (s: State, access: AccessObj, pin: AccessPin): State =>
  produce(s, (d) => {
    (d.objects[keyOf(access)] as Draft<AccessObj>).pins.push(pin);
  });

/** MOCK_ACCESS_UNPIN (DESTROY_ACCESS_PAGES): a pin id this access has; one never given or revoked is ENOENT. */
export function accessUnpin(s: State, c: EnvMockAccessUnpin): Outcome {
  const P = 'MOCK_ACCESS_UNPIN';
  const port = testPort(s, c.fd, P);
  if (isRejection(port)) return port;
  const access = accessOf(s, c.access_fd, P);
  if (isRejection(access)) return access;
  if (!access.pins.some((p) => p.id === c.pages_id)) return reject('ENOENT', `${P}.ENOENT.id`);
  return commit(s, `${P}.ok`, (d) => {
    const a = d.objects[keyOf(access)] as Draft<AccessObj>;
    a.pins = castDraft(access.pins.filter((p) => p.id !== c.pages_id));
    return {};
  });
}

/**
 * MOCK_ACCESS_RW (iommufd_access_rw): area by area the direction (EPERM) and the memory behind it: user memory must be
 * mapped (EFAULT); a file map's bytes go through iopt_pages_rw_slow, whose pfn reader pins the file's pages for the
 * copy, so a page past the end of the file is EINVAL. A hole is ENOENT.
 */
export function accessRw(s: State, c: EnvMockAccessRw): Outcome {
  const P = 'MOCK_ACCESS_RW';
  const f = front(s, c, P, RW_WRITE | RW_SLOW, false);
  if (isRejection(f)) return f;
  const ioas = s.objects[f.access.ioas];
  if (ioas?.kind !== 'ioas') return reject('ENOENT', `${P}.ENOENT.range`);
  const write = (c.flags & RW_WRITE) !== 0;
  const walk = contiguousParts(ioas.areas, c.iova, f.last);
  for (const p of walk.parts) {
    if (write ? !p.area.prot.write : !p.area.prot.read) return reject('EPERM', `${P}.EPERM.prot`);
    const from = userByte(s, p.area, p.start);
    const range: IovaRange | null = from === null ? null : { start: from - (from % PAGE_SIZE), last: ((from + (p.last - p.start)) | (PAGE_SIZE - 1n)) };
    const file = p.area.target.kind === 'pages' ? fileOfPages(s, p.area.target.pages) : null;
    if (file !== null) {
      if (range === null || !inUnion(range, [file])) return reject('EINVAL', `${P}.EINVAL.file_range`);
    } else if (range === null || !inUnion(range, s.userMem)) return reject('EFAULT', `${P}.EFAULT.copy`);
  }
  if (!walk.whole) return reject('ENOENT', `${P}.ENOENT.range`);
  return commit(s, `${P}.ok`, () => ({}));
}

/** MOCK_ACCESS_REPLACE: to another IOAS of the access's own file; the same one changes nothing; every pin is revoked. */
export function accessReplace(s: State, c: EnvMockAccessReplace): Outcome {
  const P = 'MOCK_ACCESS_REPLACE';
  const port = testPort(s, c.fd, P);
  if (isRejection(port)) return port;
  const access = accessOf(s, c.access_fd, P);
  if (isRejection(access)) return access;
  const ioas = lookup(s, access.file, c.ioas_id, 'ioas');
  if (!ioas) return reject('ENOENT', `${P}.ENOENT.ioas`);
  if (keyOf(ioas) === access.ioas) return commit(s, `${P}.ok.same`, () => ({}));
  if (access.needsPin && !ioas.areas.every((a) => areaKeeps(s, a, PAGE_SIZE))) return reject('EADDRINUSE', `${P}.EADDRINUSE.alignment`);
  return commit(s, `${P}.ok`, (d) => {
    const a = d.objects[keyOf(access)] as Draft<AccessObj>;
    a.ioas = keyOf(ioas);
    a.pins = [];
    return {};
  });
}

/**
 * iommufd_access_notify_unmap before area [start, last] of `ioas` goes: every access of the IOAS drops the pins that
 * meet the range (the selftest's iommufd_test_access_unmap).
 */
export function revokePins(d: Draft<State>, ioas: ObjKey, r: IovaRange): void {
  for (const o of Object.values(d.objects)) {
    if (o.kind !== 'access' || o.ioas !== ioas) continue;
    const kept = o.pins.filter((p) => !overlaps({ start: p.iova, last: p.iova + p.length - 1n }, r));
    if (kept.length !== o.pins.length) o.pins = kept;
  }
}

/** The user page ranges an access's pins hold, with the pages object each is of (for pins.ts). */
export function accessPinnedPages(s: State, access: AccessObj): { pages: number; range: IovaRange }[] {
  const ioas = s.objects[access.ioas];
  if (ioas?.kind !== 'ioas') return [];
  const out: { pages: number; range: IovaRange }[] = [];
  for (const p of access.pins) {
    const last = p.iova + p.length - 1n;
    for (const part of contiguousParts(ioas.areas, p.iova, last).parts) {
      const from = userByte(s, part.area, part.start);
      if (from === null || part.area.target.kind !== 'pages') continue;
      out.push({ pages: part.area.target.pages, range: { start: from >> 12n, last: (from + (part.last - part.start)) >> 12n } });
    }
  }
  return out;
}
