/**
 * RFC v1's I/O page fault path (flow 5.6) as its sample object model would keep it: the IOASID fault handler stores each
 * request on the ioasid's `fault_data` list ({rid, pasid} as the route it came through) and posts {ioasid, addr} to the
 * per-VM file's ring; the user takes entries off the ring and answers with IOASID_PAGE_RESPONSE (ioasid, code), which
 * completes the oldest request of that ioasid it has taken. Only a child with a bound guest table has the handler; the
 * core answers every other request at once. When a route goes, the requests it carried are answered INVALID and leave
 * the ring (the device must not wait for an answer nobody can send any more).
 * @see ../shared/domain/iommufd-facts.md §1.3 (flow 5.6; ioasid_data's fault_data list)
 */
import { fail, ok, type EnvFaultRingRead, type IoasidPageResponse, type Result, type RingFault } from '../uapi/index.js';
import { IoasidCtxFile } from './ioasid-file.js';
import { IoasidChild, IoasidRoot } from './ioasid-objects.js';
import type { Kernel, Route } from './kernel.js';
import { WARN_ON } from './warn.js';

const RESP_INVALID = 1;
/** enum iommu_page_response_code of 2021: SUCCESS, INVALID, FAILURE */
const LAST_CODE = 2;

/** One request an ioasid stored: the route it came through stands for the {rid, pasid} the completion needs. */
export interface StoredFault {
  readonly serial: number;
  readonly route: Route;
  readonly addr: bigint;
  /** taken off the ring by the user, so a completion may answer it */
  taken: boolean;
}

/** An entry of the ring: the request and the ioasid that stored it. */
export interface RingEntry {
  readonly child: IoasidChild;
  readonly fault: StoredFault;
}

/**
 * The IOASID fault handler: store a request that came through `route` on the child and post it to the child's file's
 * ring. False when the child has no handler (no guest table bound, or a file without a ring): the core answers then.
 */
export function postToRing(child: IoasidChild, route: Route, serial: number, addr: bigint): boolean {
  const ring = child.owner instanceof IoasidCtxFile ? child.owner.ring : null;
  if (child.s1 === null || ring === null) return false;
  const fault: StoredFault = { serial, route, addr, taken: false };
  child.faultData.push(fault);
  ring.push({ child, fault });
  return true;
}

/** FAULT_RING_READ: take up to `count` entries off the file's ring. */
export function faultRingRead(k: Kernel, c: EnvFaultRingRead): Result<unknown> {
  const f = k.fds.get(c.fd);
  if (!f) return fail('EBADF');
  if (!(f instanceof IoasidCtxFile) || f.ring === null) return fail('EINVAL');
  const faults: RingFault[] = [];
  while (faults.length < c.count && f.ring.length > 0) {
    const e = f.ring.shift()!; // length > 0
    e.fault.taken = true;
    faults.push({ ioasid: e.child.id, addr: e.fault.addr });
  }
  return ok({ faults });
}

/** IOASID_PAGE_RESPONSE: complete the oldest taken request of the ioasid with the user's code. */
export function pageResponse(k: Kernel, f: IoasidCtxFile, c: IoasidPageResponse): Result<unknown> {
  if (!Number.isInteger(c.code) || c.code < 0 || c.code > LAST_CODE) return fail('EINVAL');
  const o = f.table.getKind<IoasidRoot | IoasidChild>(c.ioasid, IoasidRoot, IoasidChild);
  if (!o) return fail('ENOENT');
  const stored = o instanceof IoasidChild ? o.faultData : []; // a root is kernel-managed: it stores no request
  const i = stored.findIndex((x) => x.taken);
  if (i < 0) return fail('EINVAL');
  const [done] = stored.splice(i, 1);
  k.prq.respond(done!.serial, c.code); // splice of a found index
  return ok({});
}

/** A route that goes: the requests it carried are answered INVALID, taken or still on the ring. */
export function respondRingFaults(k: Kernel, r: Route): void {
  const child = r.target;
  if (!(child instanceof IoasidChild) || child.faultData.length === 0) return;
  const ring = child.owner instanceof IoasidCtxFile ? child.owner.ring : null;
  for (let i = child.faultData.length - 1; i >= 0; i--) {
    const x = child.faultData[i]!; // i in range
    if (x.route !== r) continue;
    child.faultData.splice(i, 1);
    if (ring && !x.taken) {
      const j = ring.findIndex((e) => e.fault === x);
      WARN_ON(j < 0, 'ioasid_fault_ring', () => `request ${x.serial} of ioasid ${child.id} is neither taken nor on the ring`);
      ring.splice(j, 1);
    }
    k.prq.respond(x.serial, RESP_INVALID);
  }
}
