/**
 * Records counterexamples as regression traces under counterexamples/: the shrunk trace each injected bug
 * produces (status "fixed": the real kernel must pass it), and hand-kept traces of bugs the checker found in
 * ioasid-lab itself. `npm run record-regressions` writes any that are not there yet (it never replaces a file); the
 * test suite replays every file.
 */
import { check } from '../src/check/engine.js';
import { writeCounterexample } from '../src/check/counterexample.js';
import { replay, replaySteps } from '../src/check/replay.js';
import { TRACE_SCHEMA, type Trace, type TraceStep } from '../src/check/trace.js';
import { BUGS } from '../properties/support/bugs.js';

const DIR = process.argv[2] ?? 'counterexamples';

for (const bug of BUGS) {
  const out = check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 2000, seed: 7, maxCommands: 30, timeLimitMs: 30_000, factory: bug.factory, ...(bug.memlockPages ? { memlockPages: bug.memlockPages } : {}) });
  if (!out.trace || !out.violation) throw new Error(`injected bug not found: ${bug.name}`);
  const broken = replay(out.trace, bug.factory);
  const v = broken.violation ?? out.violation;
  const t: Trace = { ...out.trace, verdict: { ...v, message: `${bug.name}: ${v.message}`, status: 'fixed' } };
  const files = writeCounterexample(DIR, t, broken);
  console.log(`${bug.name}: ${files.json}`);
}

// Found by check in the spec: closing the /dev/ioasid FD, then unbinding the last device, left the file alive.
const steps: TraceStep[] = [
  { cmd: { env: 'OPEN', path: '/dev/ioasid' }, bind: { fd: '$fd1' } },
  { cmd: { env: 'OPEN', path: '/dev/vfio/devices/vfio2' }, bind: { fd: '$fd2' } },
  { cmd: { ioctl: 'VFIO_BIND_IOASID_FD', fd: '$fd2', ioasid_fd: '$fd1' } },
  { cmd: { env: 'CLOSE', fd: '$fd1' } },
  { cmd: { ioctl: 'VFIO_UNBIND_IOASID_FD', fd: '$fd2' }, expect: 'ok' },
];
const t: Trace = {
  schema: TRACE_SCHEMA, design: 'per-device-sva', hardware: 'host-pasid-table', origin: { kind: 'check', seed: 20261126, minimality: '1-minimal' },
  verdict: { property: 'differential', step: 5, message: 'the spec kept a closed /dev/ioasid file alive after its last device unbound; the kernel released it', status: 'fixed' },
  steps,
};
console.log(`spec file release: ${writeCounterexample(DIR, t, replaySteps(t, steps)).json}`);

// Found by check in the spec: pages pinned by a new domain were ordered by their lowest IOVA in any IOAS, not in the
// IOAS being filled, so an attach whose first area (in that IOAS) is not mmapped answered ENOMEM instead of EFAULT.
const pinSteps: TraceStep[] = [
  { cmd: { env: 'OPEN', path: '/dev/iommu' }, bind: { fd: '$fd1' } },
  { cmd: { env: 'OPEN', path: '/dev/vfio/devices/vfio0' }, bind: { fd: '$fd2' } },
  { cmd: { env: 'MMAP', uva: 0x100000n, length: 0x10000n } },
  { cmd: { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, bind: { out_ioas_id: '$ioas1' } },
  { cmd: { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: '$fd2', flags: 0, iommufd: '$fd1' }, bind: { out_devid: '$dev1' } },
  { cmd: { ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 7, ioas_id: '$ioas1', __reserved: 0, user_va: 0x100000n, length: 0x10000n, iova: 0n } },
  { cmd: { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, bind: { out_ioas_id: '$ioas2' } },
  { cmd: { ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 6, ioas_id: '$ioas2', __reserved: 0, user_va: 0n, length: 0x1000n, iova: 0n } },
  { cmd: { ioctl: 'IOMMU_IOAS_COPY', fd: '$fd1', flags: 6, dst_ioas_id: '$ioas2', src_ioas_id: '$ioas1', length: 0x1000n, dst_iova: 0n, src_iova: 0n } },
  { cmd: { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd2', flags: 0, pt_id: '$ioas2', pasid: 0 }, expect: 'EFAULT' },
];
const pin: Trace = {
  schema: TRACE_SCHEMA, design: 'iommufd', hardware: 'host-pasid-table', memlockPages: 12, origin: { kind: 'check', seed: 7, minimality: '1-minimal' },
  verdict: { property: 'differential', step: 10, message: 'the spec ordered the pages a new domain pins by their IOVA in any IOAS and answered ENOMEM; the kernel fills the new domain\'s own areas in IOVA order and fails the first (not mmapped) with EFAULT', status: 'fixed' },
  steps: pinSteps,
};
console.log(`spec pin order: ${writeCounterexample(DIR, pin, replaySteps(pin, pinSteps)).json}`);
