/**
 * FAULT objects as iommufd keeps them: a queue of page request groups (`deliver`, FIFO) handed over by the IOMMU core's
 * fault handler, a response table keyed by cookie for the groups a read delivered, and an anonymous file whose read and
 * write move groups from one to the other and send the page responses. The kernel answers INVALID itself for the groups
 * of an attachment that goes (iommufd_auto_response_faults) and for whatever is left when the object is destroyed.
 * @see drivers/iommu/iommufd/fault.c, drivers/iommu/io-pgfault.c
 */
import { fail, ok, type HwKind, type EnvFaultRead, type EnvFaultWrite, type EnvPageRequest, type IommuFaultQueueAlloc, type PgFault, type Result } from '../uapi/index.js';
import { IommufdFile } from './iommufd-file.js';
import { postToRing } from './fault-ring.js';
import { IoasidChild } from './ioasid-objects.js';
import type { Kernel, Route, VfioDevice } from './kernel.js';
import { EventqFile, installEventq } from './eventq.js';
import { IommufdObject } from './object.js';
import { HwptNested, HwptPaging } from './objects.js';

const RESP_SUCCESS = 0;
const RESP_INVALID = 1;
const PGFAULT_SIZE = 40; // sizeof(struct iommu_hwpt_pgfault)
const RESPONSE_SIZE = 8;

/** An iopf_group of one fault, as iommufd holds it: the request, its attach handle, and its cookie once read. */
interface Group {
  readonly serial: number;
  readonly record: Omit<PgFault, 'cookie'>;
  readonly handle: Route;
}

export class FaultObj extends IommufdObject {
  readonly kind = 'fault';
  /** groups not read yet, oldest first */
  readonly deliver: Group[] = [];
  /** groups read and not answered, by cookie */
  readonly response = new Map<number, Group>();
  constructor(private readonly k: Kernel) {
    super();
  }

  /** iommufd_auto_response_faults: answer INVALID every group that came through `handle`, read or not. */
  autoRespond(handle: Route) {
    for (let i = this.deliver.length - 1; i >= 0; i--) {
      const g = this.deliver[i]!; // i in range
      if (g.handle !== handle) continue;
      this.deliver.splice(i, 1);
      this.k.prq.respond(g.serial, RESP_INVALID);
    }
    for (const [cookie, g] of [...this.response]) {
      if (g.handle !== handle) continue;
      this.response.delete(cookie);
      this.k.prq.respond(g.serial, RESP_INVALID);
    }
  }

  /** iommufd_fault_destroy: every group still here is answered INVALID. */
  destroy() {
    for (const g of this.deliver.splice(0)) this.k.prq.respond(g.serial, RESP_INVALID);
    for (const g of this.response.values()) this.k.prq.respond(g.serial, RESP_INVALID);
    this.response.clear();
  }
}

/** The FAULT fd ([iommufd-pgfault]). */
export class FaultFile extends EventqFile<FaultObj> {
  readonly kind = 'fault';
  get fault(): FaultObj {
    return this.eventq;
  }
}

/** IOMMU_FAULT_QUEUE_ALLOC (iommufd_fault_alloc). */
export function faultQueueAlloc(k: Kernel, f: IommufdFile, c: IommuFaultQueueAlloc): Result<unknown> {
  if (c.flags !== 0) return fail('EOPNOTSUPP');
  const fault = new FaultObj(k);
  if (f.table.insert(fault) === null) return fail('ENOMEM');
  const fd = installEventq(k, f, fault, (serial) => new FaultFile(serial, fault, f, k));
  return ok({ out_fault_id: fault.id, out_fault_fd: fd });
}

/**
 * A device's page request: the IOMMU core finds the attach handle of its route (a PASID request on a guest-owned PASID
 * table goes through the RID's nested domain) and, when the domain has a FAULT, queues the group there
 * (iommufd_fault_iopf_handler); otherwise it answers INVALID at once (iopf_error_response).
 */
export function pageRequest(k: Kernel, c: EnvPageRequest): Result<unknown> {
  const vdev = k.devices.get(c.dev);
  if (!vdev) return fail('ENODEV'); // a device the machine does not have (the schema names only the world's)
  const serial = k.prq.send(c.dev);
  const route = requestRoute(vdev, c.pasid, k.world.hw);
  const t = route?.target;
  // RFC v1: a child ioasid's fault handler posts to its file's ring (fault-ring.ts)
  if (route && t instanceof IoasidChild && postToRing(t, route, serial, c.addr)) return ok({});
  const fault = t instanceof HwptPaging || t instanceof HwptNested ? t.fault : null;
  if (!route || !fault) {
    k.prq.respond(serial, RESP_INVALID);
    return ok({});
  }
  const record = { flags: (c.pasid === null ? 0 : 1) | 2, dev_id: vdev.idev?.id ?? 0, pasid: c.pasid ?? 0, grpid: serial & 0x1ff, perm: c.perm, addr: c.addr };
  fault.deliver.push({ serial, record, handle: route });
  return ok({});
}

/**
 * The route a request of (vdev, pasid) comes through: the device's own (where a route sits on a root ioasid and a child
 * of it, the child), but on guest-pasid-table hardware a PASID's request goes through the RID's domain when that walks
 * a guest PASID table (the core's user_pasid_table fallback).
 */
function requestRoute(vdev: VfioDevice, pasid: number | null, hw: HwKind): Route | undefined {
  const leaf = (p: number | null) => {
    const own = vdev.routes.filter((r) => r.pasid === p);
    return own.find((r) => r.target instanceof IoasidChild) ?? own[0];
  };
  const rid = leaf(null);
  const s1 = rid?.target instanceof HwptNested || rid?.target instanceof IoasidChild ? rid.target.s1 : null;
  return pasid !== null && hw === 'guest-pasid-table' && s1?.kind === 'pasid-table' ? rid : leaf(pasid);
}

/** The FAULT file behind an fd, or the errno reading or writing it gives. */
function faultFileOf(k: Kernel, fd: number): FaultFile | 'EBADF' | 'EINVAL' {
  const f = k.fds.get(fd);
  if (!f) return 'EBADF';
  return f instanceof FaultFile ? f : 'EINVAL'; // no read/write in iommufd's fops
}

/** iommufd_fault_fops_read: whole groups, each given the lowest free cookie. */
export function faultRead(k: Kernel, c: EnvFaultRead): Result<unknown> {
  const f = faultFileOf(k, c.fd);
  if (typeof f === 'string') return fail(f);
  if (c.count % PGFAULT_SIZE !== 0) return fail('ESPIPE');
  const q = f.fault;
  const faults: PgFault[] = [];
  while (q.deliver.length > 0) {
    if ((faults.length + 1) * PGFAULT_SIZE > c.count) {
      if (faults.length === 0) return fail('EINVAL');
      break;
    }
    const g = q.deliver.shift()!; // length > 0
    let cookie = 1;
    while (q.response.has(cookie)) cookie++;
    q.response.set(cookie, g);
    faults.push({ ...g.record, cookie });
  }
  return ok({ faults });
}

/** iommufd_fault_fops_write: each response answers its cookie's group, in order, until a bad one. */
export function faultWrite(k: Kernel, c: EnvFaultWrite): Result<unknown> {
  const f = faultFileOf(k, c.fd);
  if (typeof f === 'string') return fail(f);
  let done = 0;
  for (const r of c.responses) {
    const g = r.code === RESP_SUCCESS || r.code === RESP_INVALID ? f.fault.response.get(r.cookie) : undefined;
    if (!g) return done > 0 ? ok({ written: done }) : fail('EINVAL');
    f.fault.response.delete(r.cookie);
    k.prq.respond(g.serial, r.code);
    done += RESPONSE_SIZE;
  }
  return ok({ written: done });
}

/** A route that goes: its FAULT answers the groups that came through it. */
export function respondRouteFaults(r: Route): void {
  const t = r.target;
  if ((t instanceof HwptPaging || t instanceof HwptNested) && t.fault) t.fault.autoRespond(r);
}
