/**
 * Records counterexamples as regression traces under counterexamples/: the shrunk trace each injected bug
 * produces (status "fixed": the real kernel must pass it), and hand-kept traces of bugs the checker found in
 * ioasid-lab itself. `npm run record-regressions` rewrites them; the test suite replays every file.
 */
import { check } from '../src/check/engine.js';
import { writeCounterexample } from '../src/check/counterexample.js';
import { replay, replaySteps } from '../src/check/replay.js';
import { TRACE_SCHEMA, type Trace, type TraceStep } from '../src/check/trace.js';
import { BUGS } from '../properties/support/bugs.js';

const DIR = process.argv[2] ?? 'counterexamples';

for (const bug of BUGS) {
  const out = check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 2000, seed: 7, maxCommands: 30, timeLimitMs: 30_000, memlockPages: 12, factory: bug.factory });
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
