/**
 * FAULT queues beyond the example tables (examples/iommufd-errnos.ts): P-FAULT catching broken kernels — a close of
 * the FAULT fd that drops the page requests it holds, a write that answers a request without taking its cookie — and
 * the spec's own P-FAULT predicate catching a broken state.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import { formatCmd } from '../src/check/format.js';
import { replay } from '../src/check/replay.js';
import type { Trace, TraceStep } from '../src/check/trace.js';
import { DESIGNS, initialState, INVARIANTS, step, type State } from '../src/spec/index.js';
import { env, fd, iommu, machineOf, vfio, worldOf, type Cmd } from './support/vocab.js';
import { BUGS, withFrontEnd, withNewFile } from './support/bugs.js';
import { FaultFile } from '../src/impl/fault.js';

const FAULT_ID_VALID = 4;

/** dev1 bound (DEVICE 2) and attached to paging HWPT 4, whose page requests go to FAULT 3 (its fd 5). */
const faulting: Cmd[] = [
  env.open('/dev/iommu'), env.open('/dev/vfio/devices/vfio0'), iommu.ioasAlloc(fd(3)), vfio.bindIommufd(fd(4), fd(3)),
  iommu.faultQueueAlloc(fd(3)), iommu.hwptAlloc(fd(3), 2, 1, FAULT_ID_VALID, null, 3), vfio.attach(fd(4), 4),
];
const trace = (steps: Cmd[]): Trace => ({ schema: 'ioasid-lab/trace@2', design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' }, steps: steps.map((cmd) => ({ cmd: { ...cmd } as TraceStep['cmd'] })) });

describe('P-FAULT catches a kernel that loses or doubles page responses', () => {
  const bug = BUGS.find((b) => b.name.startsWith('closing the FAULT fd drops'));
  if (!bug) throw new Error('the bug is listed in support/bugs.ts');

  it('a close of the FAULT fd that drops its requests: the detach that should answer them answers nothing', () => {
    const t = trace([...faulting, env.pageRequest('dev1', null, 0x1000n, 2), env.faultRead(fd(5)), env.pageRequest('dev1', null, 0x2000n, 1),
      env.close(fd(5)), vfio.detach(fd(4))]);
    const v = replay(t, bug.factory).violation;
    expect(v?.property).toBe('P-FAULT');
    expect(v?.step).toBe(12);
    expect(v?.message).toMatch(/^observe\(\) differs in pageRequests: spec .*"answers":\[1\].*kernel .*"answers":\[\]/);
    expect(replay(t).violation).toBeNull();
  });

  it('check finds it and shrinks it to the few steps that show it', () => {
    const out = check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 2000, seed: 4, maxCommands: 30, timeLimitMs: 30_000, factory: bug.factory });
    expect(out.violation?.property).toBe('P-FAULT');
    expect(out.trace?.origin).toMatchObject({ minimality: '1-minimal' });
    const steps = out.trace?.steps.map((s) => formatCmd(s.cmd)) ?? [];
    expect(steps.filter((s) => /PAGE_REQUEST|CLOSE|FAULT_QUEUE_ALLOC|FAULT_ID_VALID/.test(s))).toEqual([
      'IOMMU_FAULT_QUEUE_ALLOC $fd1',
      expect.stringMatching(/^IOMMU_HWPT_ALLOC \$fd1 .*FAULT_ID_VALID.* fault_id=\$fault1/),
      'PAGE_REQUEST dev2 addr=0x0 perm=1',
      expect.stringMatching(/^CLOSE \$fd\d+$/),
    ]);
  });

  it('a write that answers without taking the cookie: the same cookie answers the request twice', () => {
    const twice = withFrontEnd(withNewFile('IOMMU_FAULT_QUEUE_ALLOC', 'out_fault_fd', (file) => {
      if (file instanceof FaultFile) file.fault.response.delete = () => true; // iommufd_fault_fops_write without the xa_erase
    }));
    const t = trace([...faulting, env.pageRequest('dev1', null, 0x1000n, 2), env.faultRead(fd(5)),
      env.faultWrite(fd(5), [{ cookie: 1, code: 0 }]), env.faultWrite(fd(5), [{ cookie: 1, code: 0 }])]);
    const v = replay(t, twice).violation;
    expect(v?.property).toBe('P-FAULT');
    expect(v?.step).toBe(11);
    expect(replay(t).violation).toBeNull();
  });
});

describe('the spec\'s P-FAULT predicate', () => {
  const run = (cmds: Cmd[]): State => cmds.reduce((s, c) => step(s, c).state, initialState(worldOf(machineOf('default', 'host-pasid-table')), DESIGNS.iommufd));
  it('holds while a request waits and once it is answered, and catches a request answered twice or waiting on nothing', () => {
    const waiting = run([...faulting, env.pageRequest('dev1', null, 0x1000n, 2), env.faultRead(fd(5))]);
    expect(INVARIANTS['P-FAULT']!(waiting)).toBeNull();
    const answered = step(waiting, env.faultWrite(fd(5), [{ cookie: 1, code: 0 }])).state;
    expect(answered.prq[0]?.answers).toEqual([0]);
    expect(INVARIANTS['P-FAULT']!(answered)).toBeNull();
    const twice: State = { ...answered, prq: answered.prq.map((r) => ({ ...r, answers: [0, 1] })) };
    expect(INVARIANTS['P-FAULT']!(twice)).toBe('page request 1 of dev1 was answered 2 times');
    const orphan: State = { ...waiting, attachments: [] };
    expect(INVARIANTS['P-FAULT']!(orphan)).toBe('page request 1 of dev1 waits, but the attachment it came through is gone');
  });
});
