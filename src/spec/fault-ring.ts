/**
 * RFC v1's I/O page fault reporting (flow 5.6, facts §1.3): "host gets {rid,pasid,addr} → IOASID fault handler stores it,
 * posts {ioasid,addr} to a ring + eventfd → QEMU picks the device's virtual routing info (any attached device), injects
 * a virtual fault → guest responds → QEMU converts to (ioasid, response code) and calls a /dev/ioasid completion ioctl →
 * kernel completes with stored {rid,pasid}". The RFC left the uAPI "TBD" (§2: "likely shared ring + eventfd +
 * completion ioctl; data = IOASID + faulting address"); the model writes it down as:
 *  - the ring: one per per-VM /dev/ioasid FD, of entries {ioasid, addr} (RingFault), read by FAULT_RING_READ;
 *  - the completion: IOASID_PAGE_RESPONSE {ioasid, code}, an ioctl of that FD.
 * Every page request is still answered exactly once (P-FAULT), as under iommufd.
 *
 * Rules chosen where the RFC is silent:
 *  - Only a user-managed ioasid reports faults: a child with a bound guest page table or guest PASID table (RFC v1 §1:
 *    the pgtable binding protocol is "bind + IOTLB invalidation + fault handling"). A request through a kernel-managed
 *    ioasid (a root, or a software-nested child) has nothing userspace could fix; the core answers it INVALID at once,
 *    as for a domain without a fault handler.
 *  - The request goes through the device's own attachment of its route, the child where the route sits on a root and a
 *    child of it (the DMA goes through the child). On guest-pasid-table hardware a PASID's request goes through the RID's
 *    child when a guest PASID table is bound there, as its DMA does (RFC v1 §5.7). A sibling's attachment in the iommu
 *    group carries no request, as under iommufd (fault.ts).
 *  - The ring is unbounded: the RFC gives it no size, and a full ring could only answer at once, as no handler does.
 *  - A ring entry names no device and no PASID (RFC v1 §1: "the /dev/ioasid uAPI itself carries no device identity").
 *    This is the proposal's gap on AMD/ARM: one ioasid there is the guest's whole PASID table, and two requests of
 *    different PASIDs reach the ring as the same {ioasid, addr}; the guest cannot tell which address space faulted.
 *  - IOASID_PAGE_RESPONSE answers the oldest request of the ioasid the user has taken off the ring and not answered
 *    (first in, first out: the only order a completion with no cookie can name). Codes are 2021's
 *    enum iommu_page_response_code (SUCCESS 0, INVALID 1, FAILURE 2); another code is EINVAL, checked first; an
 *    unknown ioasid is ENOENT; an ioasid with no such request is EINVAL. It is not a command on the address space:
 *    it needs no attached device and a partly attached group does not block it (a blocked answer would strand a device
 *    that waits for it).
 *  - The kernel answers INVALID every request whose attachment goes (detach, the device FD's close), read or not, and
 *    the request leaves the ring; unbinding the guest table leaves requests waiting for their answer.
 *  - FAULT_RING_READ of an fd with no ring (a device FD, any FD of a design without the ring) is EINVAL; it takes up to
 *    `count` entries, oldest first, and an empty ring (or `count` 0) takes none.
 * @see ../shared/domain/iommufd-facts.md §1.3 (flow 5.6, the RFC's ioctl table, ioasid_data's fault_data list)
 */
import type { Draft } from 'immer';
import {
  IOMMU_PAGE_RESP_FAILURE, IOMMU_PAGE_RESP_INVALID, IOMMU_PAGE_RESP_SUCCESS,
  type EnvFaultRingRead, type EnvPageRequest, type IoasidPageResponse, type RingFault,
} from '../uapi/index.js';
import { handleOf, newRequest, pending } from './fault.js';
import { commit, reject, type Outcome } from './rule.js';
import { fileOfFd, keyOf, lookup, type File, type PageRequest, type State } from './state.js';

/** The `cookie` of a request taken off the ring: RFC v1 gives none, so this only marks it read. */
export const TAKEN = 0;

/** PAGE_REQUEST under RFC v1: posted to the ring of the FD of the user-managed ioasid it comes through, or answered at once. */
export function ringPageRequest(s: State, c: EnvPageRequest): Outcome {
  const handle = handleOf(s, c.dev, c.pasid);
  const ctx = handle === undefined ? undefined : s.objects[handle.ctx];
  const userManaged = ctx?.kind === 'ioasid_child' && ctx.s1 !== null;
  // the ring has no device id to report (RFC v1 §1), so the request keeps none
  const req = newRequest(s, c, 0, userManaged ? { fault: keyOf(ctx), handle: handle! } : null); // handle defined when ctx is
  return commit(s, userManaged ? 'PAGE_REQUEST.ok.ring' : 'PAGE_REQUEST.ok.no_handler', (d) => {
    d.prq.push(req as Draft<PageRequest>);
    return {};
  });
}

/** FAULT_RING_READ: up to `count` entries of the FD's ring, oldest first, each request marked taken. */
export function faultRingRead(s: State, c: EnvFaultRingRead): Outcome {
  const f: File | undefined = fileOfFd(s, c.fd);
  if (!f) return reject('EBADF', 'FAULT_RING_READ.EBADF.fd');
  // design point: faultReport — only RFC v1's per-VM FD has a ring
  if (f.kind !== 'ioasid' || s.design.policy.faultReport !== 'ioasid-ring') return reject('EINVAL', 'FAULT_RING_READ.EINVAL.no_ring');
  const posted = s.prq.flatMap((r, i) => (pending(r) && r.cookie === null && r.fault !== null && s.objects[r.fault]?.file === f.key ? [i] : []));
  const taken = posted.slice(0, c.count);
  if (taken.length === 0) return commit(s, 'FAULT_RING_READ.ok.empty', () => ({ faults: [] }));
  return commit(s, 'FAULT_RING_READ.ok', (d) => {
    const faults: RingFault[] = [];
    for (const i of taken) {
      const r = s.prq[i]!; // i indexes prq
      d.prq[i]!.cookie = TAKEN;
      faults.push({ ioasid: s.objects[r.fault!]!.id, addr: r.addr }); // a posted request has a live ioasid (P-FAULT)
    }
    return { faults };
  });
}

const CODES: readonly number[] = [IOMMU_PAGE_RESP_SUCCESS, IOMMU_PAGE_RESP_INVALID, IOMMU_PAGE_RESP_FAILURE];

/** IOASID_PAGE_RESPONSE: the user's answer to the oldest request of the ioasid it took off the ring. */
export function pageResponse(s: State, f: Extract<File, { kind: 'ioasid' }>, c: IoasidPageResponse): Outcome {
  const P = 'IOASID_PAGE_RESPONSE';
  if (!CODES.includes(c.code)) return reject('EINVAL', `${P}.EINVAL.code`);
  const o = lookup(s, f.key, c.ioasid, 'ioas', 'ioasid_child');
  if (!o) return reject('ENOENT', `${P}.ENOENT.ioasid`);
  const i = s.prq.findIndex((r) => r.fault === keyOf(o) && pending(r) && r.cookie === TAKEN);
  if (i < 0) return reject('EINVAL', `${P}.EINVAL.no_request`);
  return commit(s, `${P}.ok`, (d) => {
    d.prq[i]!.answers = [c.code]; // i indexes prq
    return {};
  });
}
