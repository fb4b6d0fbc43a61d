/**
 * The one dispatcher. Generic checks run here once, never in handlers (STYLE §1), in the kernel's order: the fd
 * is open (EBADF); a VFIO device FD not yet bound accepts only its bind (EINVAL, vfio_device_fops_unl_ioctl);
 * the design offers the ioctl (ENOTTY); it belongs to that kind of file (ENOTTY, as an ioctl a driver does not
 * know). A rejected call returns the old state object: "a failed call changes nothing" is
 * guaranteed here, except for the named partial outcomes (rule.ts).
 */
import { match, P } from 'ts-pattern';
import type { Cmd, EnvAction, Ioctl, IoctlName, Result } from '../uapi/index.js';
import { attachPt, bindIommufd, detachPt } from './device.js';
import { accessCreate, accessPin, accessReplace, accessRw, accessUnpin } from './access.js';
import { getDirtyBitmap, setDirtyTracking } from './dirty.js';
import { ioasChangeProcess, ioasMapFile, memfdCreate } from './file-map.js';
import { answerOrphans, faultQueueAlloc, faultRead, faultWrite, pageRequest } from './fault.js';
import { faultRingRead, pageResponse, ringPageRequest } from './fault-ring.js';
import { dma, guestWritePasidTable, guestWritePgtable, mmap, munmap } from './env.js';
import { close, open, reap } from './fd.js';
import { getHwInfo } from './hw-info.js';
import { hwptAlloc, hwptInvalidate } from './hwpt.js';
import { ioasAlloc, ioasAllowIovas, ioasCopy, ioasIovaRanges, ioasMap, ioasUnmap } from './ioas.js';
import * as ioasid from './ioasid.js';
import { checkExtension, getInfo } from './ioasid-info.js';
import { attachIoasid, bindIoasidFd, detachIoasid, unbindIoasidFd } from './ioasid-device.js';
import { deviceBindSva, deviceUnbindSva } from './native-sva.js';
import { objectDestroy } from './objects-ioctl.js';
import { option } from './option.js';
import { gcPages } from './objects.js';
import { mockAddReserved } from './selftest.js';
import { reject, type Outcome, type RuleId } from './rule.js';
import { fileOfFd, type File, type FileKind, type State } from './state.js';
import { iommuEvent, vdeviceAlloc, veventqAlloc, veventqRead, viommuAlloc } from './viommu.js';
import { deviceBindPasidTable, deviceBindPgtable, deviceInvalidateCache, deviceUnbindPgtable } from './sva.js';

type Handler<N extends IoctlName> = (s: State, f: never, c: Extract<Ioctl, { ioctl: N }>) => Outcome;
interface IoctlRow<N extends IoctlName> {
  /** the kinds of file the ioctl is issued on */
  readonly on: readonly FileKind[];
  readonly handler: Handler<N>;
}

const CTX = ['ioasid', 'ioasid-single'] as const;

/** One row per ioctl: which file it is issued on and its handler (the kernel's iommufd_ioctl_ops[]). */
export const IOCTLS: { readonly [N in IoctlName]: IoctlRow<N> } = {
  IOMMU_DESTROY: { on: ['iommufd'], handler: objectDestroy },
  IOMMU_IOAS_ALLOC: { on: ['iommufd'], handler: ioasAlloc },
  IOMMU_IOAS_ALLOW_IOVAS: { on: ['iommufd'], handler: ioasAllowIovas },
  IOMMU_IOAS_COPY: { on: ['iommufd'], handler: ioasCopy },
  IOMMU_IOAS_IOVA_RANGES: { on: ['iommufd'], handler: ioasIovaRanges },
  IOMMU_IOAS_MAP: { on: ['iommufd'], handler: ioasMap },
  IOMMU_IOAS_UNMAP: { on: ['iommufd'], handler: ioasUnmap },
  IOMMU_OPTION: { on: ['iommufd'], handler: option },
  IOMMU_GET_HW_INFO: { on: ['iommufd'], handler: getHwInfo },
  IOMMU_HWPT_ALLOC: { on: ['iommufd'], handler: hwptAlloc },
  IOMMU_HWPT_INVALIDATE: { on: ['iommufd'], handler: hwptInvalidate },
  IOMMU_HWPT_SET_DIRTY_TRACKING: { on: ['iommufd'], handler: setDirtyTracking },
  IOMMU_HWPT_GET_DIRTY_BITMAP: { on: ['iommufd'], handler: getDirtyBitmap },
  IOMMU_FAULT_QUEUE_ALLOC: { on: ['iommufd'], handler: faultQueueAlloc },
  IOMMU_IOAS_MAP_FILE: { on: ['iommufd'], handler: ioasMapFile },
  IOMMU_IOAS_CHANGE_PROCESS: { on: ['iommufd'], handler: ioasChangeProcess },
  IOMMU_VIOMMU_ALLOC: { on: ['iommufd'], handler: viommuAlloc },
  IOMMU_VDEVICE_ALLOC: { on: ['iommufd'], handler: vdeviceAlloc },
  IOMMU_VEVENTQ_ALLOC: { on: ['iommufd'], handler: veventqAlloc },
  VFIO_DEVICE_BIND_IOMMUFD: { on: ['device'], handler: bindIommufd },
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: { on: ['device'], handler: attachPt },
  VFIO_DEVICE_DETACH_IOMMUFD_PT: { on: ['device'], handler: detachPt },
  IOASID_ALLOC: { on: ['ioasid'], handler: ioasid.ioasidAlloc },
  IOASID_FREE: { on: ['ioasid'], handler: ioasid.ioasidFree },
  IOASID_REGISTER_MEMORY: { on: ['ioasid'], handler: ioasid.registerMemory },
  IOASID_UNREGISTER_MEMORY: { on: ['ioasid'], handler: ioasid.unregisterMemory },
  IOASID_MAP_DMA: { on: CTX, handler: ioasid.mapDma },
  IOASID_UNMAP_DMA: { on: CTX, handler: ioasid.unmapDma },
  IOASID_CREATE_NESTING: { on: CTX, handler: ioasid.createNesting },
  IOASID_BIND_PGTABLE: { on: CTX, handler: ioasid.bindPgtable },
  IOASID_UNBIND_PGTABLE: { on: CTX, handler: ioasid.unbindPgtable },
  IOASID_BIND_PASID_TABLE: { on: CTX, handler: ioasid.bindPasidTable },
  IOASID_UNBIND_PASID_TABLE: { on: CTX, handler: ioasid.unbindPasidTable },
  IOASID_INVALIDATE_CACHE: { on: CTX, handler: ioasid.invalidateCache },
  IOASID_CHECK_EXTENSION: { on: ['ioasid'], handler: checkExtension },
  IOASID_GET_INFO: { on: ['ioasid'], handler: getInfo },
  IOASID_PAGE_RESPONSE: { on: ['ioasid'], handler: pageResponse },
  VFIO_BIND_IOASID_FD: { on: ['device'], handler: bindIoasidFd },
  VFIO_UNBIND_IOASID_FD: { on: ['device'], handler: unbindIoasidFd },
  VFIO_ATTACH_IOASID: { on: ['device'], handler: attachIoasid },
  VFIO_DETACH_IOASID: { on: ['device'], handler: detachIoasid },
  VFIO_DEVICE_BIND_PGTABLE: { on: ['device'], handler: deviceBindPgtable },
  VFIO_DEVICE_UNBIND_PGTABLE: { on: ['device'], handler: deviceUnbindPgtable },
  VFIO_DEVICE_BIND_PASID_TABLE: { on: ['device'], handler: deviceBindPasidTable },
  VFIO_DEVICE_INVALIDATE_CACHE: { on: ['device'], handler: deviceInvalidateCache },
  VFIO_DEVICE_BIND_SVA: { on: ['device'], handler: deviceBindSva },
  VFIO_DEVICE_UNBIND_SVA: { on: ['device'], handler: deviceUnbindSva },
};

export interface StepResult {
  readonly state: State;
  readonly result: Result<unknown>;
  readonly rule: RuleId;
  /** the call failed but kept part of its effect (a documented kernel exception to P-ATOMIC) */
  readonly partial: boolean;
}

/** The ioctl that grants access to a device FD in each design (vfio_device_fops_unl_ioctl: nothing else before it). */
export const BIND_IOCTLS: readonly IoctlName[] = ['VFIO_DEVICE_BIND_IOMMUFD', 'VFIO_BIND_IOASID_FD'];

function ioctlOutcome(s: State, c: Ioctl): Outcome {
  // sys_ioctl resolves the fd first; then the driver behind it decides what it knows
  const f: File | undefined = fileOfFd(s, c.fd);
  if (!f) return reject('EBADF', `${c.ioctl}.EBADF.fd`);
  const bind = s.design.ioctls.find((i) => BIND_IOCTLS.includes(i));
  if (f.kind === 'device' && f.bound === null && bind !== undefined && c.ioctl !== bind) return reject('EINVAL', `${c.ioctl}.EINVAL.device_not_bound`);
  if (!s.design.ioctls.includes(c.ioctl)) return reject('ENOTTY', `${c.ioctl}.ENOTTY.not_in_design`);
  const row = IOCTLS[c.ioctl] as IoctlRow<IoctlName>;
  if (!row.on.includes(f.kind)) return reject('ENOTTY', `${c.ioctl}.ENOTTY.wrong_file`);
  return (row.handler as (s: State, f: File, c: Ioctl) => Outcome)(s, f, c);
}

const envOutcome = (s: State, c: EnvAction): Outcome =>
  match(c)
    .with({ env: 'OPEN' }, (x) => open(s, x))
    .with({ env: 'CLOSE' }, (x) => close(s, x))
    .with({ env: 'MMAP' }, (x) => mmap(s, x))
    .with({ env: 'MUNMAP' }, (x) => munmap(s, x))
    .with({ env: 'DMA' }, (x) => dma(s, x))
    .with({ env: 'GUEST_WRITE_PGTABLE' }, (x) => guestWritePgtable(s, x))
    .with({ env: 'GUEST_WRITE_PASID_TABLE' }, (x) => guestWritePasidTable(s, x))
    .with({ env: 'MOCK_ADD_RESERVED' }, (x) => mockAddReserved(s, x))
    // design point: faultReport — RFC v1's ring, else iommufd's FAULT queues (a design with neither has no HWPT to find one on)
    .with({ env: 'PAGE_REQUEST' }, (x) => (s.design.policy.faultReport === 'ioasid-ring' ? ringPageRequest(s, x) : pageRequest(s, x)))
    .with({ env: 'FAULT_READ' }, (x) => faultRead(s, x))
    .with({ env: 'FAULT_WRITE' }, (x) => faultWrite(s, x))
    .with({ env: 'FAULT_RING_READ' }, (x) => faultRingRead(s, x))
    .with({ env: 'MOCK_ACCESS_CREATE' }, (x) => accessCreate(s, x))
    .with({ env: 'MOCK_ACCESS_PIN' }, (x) => accessPin(s, x))
    .with({ env: 'MOCK_ACCESS_UNPIN' }, (x) => accessUnpin(s, x))
    .with({ env: 'MOCK_ACCESS_RW' }, (x) => accessRw(s, x))
    .with({ env: 'MOCK_ACCESS_REPLACE' }, (x) => accessReplace(s, x))
    .with({ env: 'MEMFD_CREATE' }, (x) => memfdCreate(s, x))
    .with({ env: 'IOMMU_EVENT' }, (x) => iommuEvent(s, x))
    .with({ env: 'VEVENTQ_READ' }, (x) => veventqRead(s, x))
    .exhaustive();

/**
 * What follows every call that changed something: page storage no area uses any more is dropped (gcPages), then files
 * nothing holds any more are released (reap: a memfd whose last file map went, a device FD's bound iommufd, and what
 * each release leaves unused in turn), then the kernel answers the page requests whose attachment or FAULT went
 * (answerOrphans). The same state object when there is nothing to do.
 */
function settle(before: State, after: State): State {
  const collected = reap(after.objects === before.objects ? after : gcPages(after));
  return collected.attachments === before.attachments && collected.objects === before.objects ? collected : answerOrphans(collected);
}

/** step(state, cmd) -> { state, result, rule }. Pure; never throws for user input. */
export function step(s: State, c: Cmd): StepResult {
  const o = match(c)
    .with({ env: P.string }, (x) => envOutcome(s, x as EnvAction))
    .with({ ioctl: P.string }, (x) => ioctlOutcome(s, x as Ioctl))
    .exhaustive();
  switch (o.kind) {
    case 'ok':
      return { state: o.state === s ? s : settle(s, o.state), result: { ok: true, out: o.out }, rule: o.rule, partial: false };
    case 'fail':
      return { state: s, result: o.out === undefined ? { ok: false, errno: o.errno } : { ok: false, errno: o.errno, out: o.out }, rule: o.rule, partial: false };
    case 'partial':
      return { state: settle(s, o.state), result: o.out === undefined ? { ok: false, errno: o.errno } : { ok: false, errno: o.errno, out: o.out }, rule: o.rule, partial: true };
  }
}
