/**
 * FAULT queues (IOPF/PRI): IOMMU_FAULT_QUEUE_ALLOC makes a FAULT object and its fd; a HWPT allocated with
 * FAULT_ID_VALID sends the page requests of the devices attached to it there; read(2) of the fd delivers them (each with
 * a cookie), write(2) answers them. Every page request is answered exactly once (P-FAULT): by the user, by the IOMMU
 * core at once when no FAULT takes it, or by the kernel (IOMMUFD_PAGE_RESP_INVALID) when the attachment it came through
 * goes (detach, replace away, unbind, FD close) or its FAULT object is destroyed. The queue itself is derived from the
 * requests (`State.prq`): a FAULT's queue is its unanswered requests without a cookie, its response table those with one.
 *
 * Rules chosen (Linux 6.12, Debian's 6.12 tree, where upstream and the facts file are silent or differ):
 *  - A page request is a device action of its own (PAGE_REQUEST), as PRI is on the link; it reaches the FAULT of the
 *    HWPT the device's own attachment of that route goes through (on guest-pasid-table hardware a PASID request goes
 *    through the RID's nested HWPT, the core's user_pasid_table fallback). A device of a multi-device iommu group
 *    reaches no FAULT through a sibling's attachment (the kernel's handle is per group and names the first device: not
 *    modelled; such a request is answered by the core).
 *  - Each request is a group of one (LAST_PAGE, fault_count 1, as the selftest mock makes them); its PRG index is its
 *    serial modulo 512.
 *  - Cookies are the lowest free from 1 among the FAULT's read-but-unanswered requests (xa_alloc, XA_FLAGS_ALLOC1), so
 *    a cookie is reused once answered: a late duplicate response answers the newer request, as the kernel does.
 *  - read: a count that is no multiple of 40 is ESPIPE; an empty queue reads 0 bytes (it never blocks); a first group
 *    that does not fit is EINVAL (6.12.y; 6.12.0 returned 0); only whole groups are read. A copy fault is not modelled
 *    (the buffer is the trace's own).
 *  - write: a code other than SUCCESS (0) or INVALID (1), or a cookie no unanswered request has, stops the write: EINVAL
 *    when it is the first record, else the bytes before it (the records before stay answered).
 *  - Closing the fd answers nothing (iommufd_fault_fops_release drops its references only): requests wait for the
 *    attachment to go. IOMMU_DESTROY of the FAULT is EBUSY while the fd is open or a HWPT uses it.
 *  - read(2)/write(2) on a file that is not a FAULT fd is EINVAL (iommufd's fops have no read or write; a VFIO device
 *    fd's region access is not modelled).
 * @see drivers/iommu/iommufd/fault.c, device.c iommufd_hwpt_detach_device / iommufd_dev_replace_handle,
 *      io-pgfault.c find_fault_handler; selftest iommufd.c alloc_hwpt_nested, iommufd_utils.h _test_cmd_trigger_iopf
 */
import { produce, type Draft } from 'immer';
import type { EnvFaultRead, EnvFaultWrite, EnvPageRequest, IommuFaultQueueAlloc, PgFault } from '../uapi/index.js';
import { commit, reject, type Outcome } from './rule.js';
import { openFile, allocId, deviceObj, fileOfFd, hw, objKey, type Attachment, type File, type ObjKey, type PageRequest, type State } from './state.js';
import { guestPasidTable } from './translate.js';

/** IOMMUFD_PAGE_RESP_SUCCESS, IOMMUFD_PAGE_RESP_INVALID. */
export const RESP_SUCCESS = 0;
export const RESP_INVALID = 1;
/**
 * sizeof(struct iommu_hwpt_pgfault): 40 bytes, flags to cookie (include/uapi/linux/iommufd.h, 6.11 on; `addr` an
 * __aligned_u64 at byte 24 after a __u32 __reserved). A C export run on Linux 6.12 showed it: a read of 48 bytes is
 * ESPIPE there.
 */
export const PGFAULT_SIZE = 40;
export const RESPONSE_SIZE = 8;
/** IOMMU_PGFAULT_FLAGS_PASID_VALID, IOMMU_PGFAULT_FLAGS_LAST_PAGE. */
const PASID_VALID = 1;
const LAST_PAGE = 2;

/** IOMMU_FAULT_QUEUE_ALLOC: the object and its fd (an anonymous file, counted among the trace's files). */
export function faultQueueAlloc(s: State, f: File, c: IommuFaultQueueAlloc): Outcome {
  if (c.flags !== 0) return reject('EOPNOTSUPP', 'FAULT_QUEUE_ALLOC.EOPNOTSUPP.flags');
  return commit(s, 'FAULT_QUEUE_ALLOC.ok', (d) => {
    const id = allocId(s, f.key);
    const fault = objKey(f.key, id);
    d.objects[fault] = { kind: 'fault', file: f.key, id };
    return { out_fault_id: id, out_fault_fd: openFile(d, s, (key) => ({ kind: 'fault', key, fault })).fd };
  });
}

/**
 * The attachment a page request of (dev, pasid) comes through, if any: the device's own attachment of the route (RFC
 * v1: where the route sits on a root and a child of it, the child, which the DMA goes through), but on
 * guest-pasid-table hardware a PASID's request goes through the RID's context when that walks a guest PASID table.
 */
export function handleOf(s: State, dev: EnvPageRequest['dev'], pasid: number | null): Attachment | undefined {
  const leaf = (p: number | null) => {
    const own = s.attachments.filter((a) => a.dev === dev && a.pasid === p);
    return own.find((a) => s.objects[a.ctx]?.kind === 'ioasid_child') ?? own[0];
  };
  const rid = leaf(null);
  if (pasid !== null && hw(s) === 'guest-pasid-table' && rid && guestPasidTable(s.objects[rid.ctx])) return rid;
  return leaf(pasid);
}

/**
 * A new page request of `c` (serial, PRG index): waiting on `to` (its FAULT, or RFC v1's ioasid, and the attachment it
 * came through), or, with none, answered INVALID by the IOMMU core at once.
 */
export function newRequest(s: State, c: EnvPageRequest, devId: number, to: { fault: ObjKey; handle: Attachment } | null): PageRequest {
  const serial = s.prq.length + 1;
  return {
    serial, dev: c.dev, devId, pasid: c.pasid, grpid: serial & 0x1ff, perm: c.perm, addr: c.addr,
    fault: to?.fault ?? null, handle: to?.handle ?? null, cookie: null, answers: to === null ? [RESP_INVALID] : [],
  };
}

/** PAGE_REQUEST: queued on the FAULT of the HWPT it comes through, or answered INVALID by the core at once. */
export function pageRequest(s: State, c: EnvPageRequest): Outcome {
  const handle = handleOf(s, c.dev, c.pasid);
  const ctx = handle === undefined ? undefined : s.objects[handle.ctx];
  const fault = ctx?.kind === 'hwpt_paging' || ctx?.kind === 'hwpt_nested' ? ctx.fault : null;
  const req = newRequest(s, c, deviceObj(s, c.dev)?.id ?? 0, fault === null ? null : { fault, handle: handle! }); // a FAULT comes from the handle's HWPT
  return commit(s, fault === null ? 'PAGE_REQUEST.ok.no_handler' : 'PAGE_REQUEST.ok.queued', (d) => {
    d.prq.push(req as Draft<PageRequest>);
    return {};
  });
}

/** Whether a page request still waits for its answer. */
export const pending = (r: PageRequest) => r.answers.length === 0;

/** The FAULT fd `fd` names, or the errno of reading or writing it. */
function faultFile(s: State, fd: number, P: string): Extract<File, { kind: 'fault' }> | Outcome {
  const f = fileOfFd(s, fd as never);
  if (!f) return reject('EBADF', `${P}.EBADF.fd`);
  return f.kind === 'fault' ? f : reject('EINVAL', `${P}.EINVAL.not_fault_fd`);
}

/** The lowest cookie from 1 no read-but-unanswered request of `fault` holds. */
function freeCookie(prq: readonly PageRequest[], fault: ObjKey): number {
  const used = new Set(prq.filter((r) => r.fault === fault && pending(r) && r.cookie !== null).map((r) => r.cookie));
  let c = 1;
  while (used.has(c)) c++;
  return c;
}

/** read(2) of a FAULT fd: whole requests, oldest first, each given a cookie. */
export function faultRead(s: State, c: EnvFaultRead): Outcome {
  const f = faultFile(s, c.fd, 'FAULT_READ');
  if (f.kind !== 'fault') return f;
  const key = f.fault;
  if (c.count % PGFAULT_SIZE !== 0) return reject('ESPIPE', 'FAULT_READ.ESPIPE.count');
  const queued = s.prq.map((r, i) => ({ r, i })).filter(({ r }) => r.fault === key && pending(r) && r.cookie === null);
  if (queued.length === 0) return commit(s, 'FAULT_READ.ok.empty', () => ({ faults: [] }));
  if (c.count < PGFAULT_SIZE) return reject('EINVAL', 'FAULT_READ.EINVAL.no_room');
  const taken = queued.slice(0, c.count / PGFAULT_SIZE);
  return commit(s, 'FAULT_READ.ok', (d) => {
    const faults: PgFault[] = [];
    for (const { r, i } of taken) {
      const cookie = freeCookie(d.prq as readonly PageRequest[], key);
      d.prq[i]!.cookie = cookie; // i indexes prq
      faults.push({ flags: (r.pasid === null ? 0 : PASID_VALID) | LAST_PAGE, dev_id: r.devId, pasid: r.pasid ?? 0, grpid: r.grpid, perm: r.perm, addr: r.addr, cookie });
    }
    return { faults };
  });
}

/** write(2) of page responses: each answers the request its cookie names, in order, until a bad one. */
export function faultWrite(s: State, c: EnvFaultWrite): Outcome {
  const f = faultFile(s, c.fd, 'FAULT_WRITE');
  if (f.kind !== 'fault') return f;
  const key = f.fault;
  if (c.responses.length === 0) return commit(s, 'FAULT_WRITE.ok.empty', () => ({ written: 0 }));
  // the answers the records give, in order, until the first a kernel refuses
  const answered = new Map<number, number>(); // prq index -> code
  let stop: 'code' | 'cookie' | null = null;
  for (const r of c.responses) {
    if (r.code !== RESP_SUCCESS && r.code !== RESP_INVALID) stop = 'code';
    else {
      const i = s.prq.findIndex((q, j) => q.fault === key && pending(q) && !answered.has(j) && q.cookie === r.cookie);
      if (i === -1) stop = 'cookie';
      else answered.set(i, r.code);
    }
    if (stop !== null) break;
  }
  if (answered.size === 0) return stop === 'code' ? reject('EINVAL', 'FAULT_WRITE.EINVAL.code') : reject('EINVAL', 'FAULT_WRITE.EINVAL.cookie');
  return commit(s, stop === null ? 'FAULT_WRITE.ok' : 'FAULT_WRITE.ok.stopped', (d) => {
    for (const [i, code] of answered) d.prq[i]!.answers = [code]; // i indexes prq
    return { written: answered.size * RESPONSE_SIZE };
  });
}

const sameAttachment = (a: Attachment, b: Attachment) => a.dev === b.dev && a.pasid === b.pasid && a.ctx === b.ctx;

/**
 * The kernel's own answers after a call (iommufd_auto_response_faults, iommufd_fault_destroy): every unanswered request
 * whose attachment is gone or whose FAULT is gone gets INVALID. The same state object when there is none.
 */
export function answerOrphans(s: State): State {
  const orphan = (r: PageRequest) => pending(r) && r.fault !== null && (s.objects[r.fault] === undefined || r.handle === null || !s.attachments.some((a) => sameAttachment(a, r.handle!)));
  if (!s.prq.some(orphan)) return s;
  return produce(s, (d) => {
    for (const [i, r] of s.prq.entries()) if (orphan(r)) d.prq[i]!.answers = [RESP_INVALID]; // i indexes prq
  });
}
