/**
 * Assertion steps (src/check/assert.ts): each query answered by the spec and by the simulated kernel from their
 * own observe(); a wrong expectation is reported per side like an unexpected result; the two sides' answers are
 * compared, so a kernel whose state drifts from the spec's is caught at the assertion that looks.
 */
import { describe, expect, it } from 'vitest';
import { replay } from '../src/check/replay.js';
import { loadTrace, TraceError } from '../src/check/schema.js';
import { traceToJson } from '../src/check/trace.js';
import { judge } from '../src/cli/replay-cmd.js';
import { BUGS } from './support/bugs.js';

const MAP = (uva: string, len: string) => ({ cmd: { ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 6, ioas_id: '$ioas1', __reserved: 0, user_va: uva, length: len, iova: '0x0' }, bind: { iova: '$iova1' } });
const SETUP = [
  { cmd: { env: 'OPEN', path: '/dev/iommu' }, bind: { fd: '$fd1' } },
  { cmd: { env: 'OPEN', path: '/dev/vfio/devices/vfio0' }, bind: { fd: '$fd2' } },
  { cmd: { env: 'MMAP', uva: '0x10000000', length: '0x10000' } },
  { cmd: { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, bind: { out_ioas_id: '$ioas1' } },
  { cmd: { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: '$fd2', flags: 0, iommufd: '$fd1' }, bind: { out_devid: '$dev1' } },
  { cmd: { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd2', flags: 0, pt_id: '$ioas1', pasid: 0 }, bind: { pt_id: '$hwpt1' } },
];
const traceOf = (steps: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ schema: 'ioasid-lab/trace@2', design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' }, ...extra, steps });
const judged = (text: string, factory?: Parameters<typeof replay>[1]) => {
  const t = loadTrace(text, 'x.json');
  return judge('x.json', t, replay(t, factory));
};

describe('assertion steps', () => {
  const asserts = [
    { assert: { query: 'PINS', uva: '0x10000000', length: '0x2000' }, expect: { holders: 1, locked_pages: 2 } },
    { assert: { query: 'PINS', uva: '0x10000000', length: '0x4000' }, expect: { holders: -1 } },
    { assert: { query: 'PINS', uva: '0x10004000', length: '0x1000' }, expect: { holders: 0 } },
    { assert: { query: 'AREAS', fd: '$fd1', ioas_id: '$ioas1' }, expect: { areas: [{ iova: '$iova1', length: '0x2000' }] } },
    { assert: { query: 'OBJECT', fd: '$fd1', id: '$ioas1' }, expect: { kind: 'ioas', users: 2 } },
    { assert: { query: 'OBJECT', fd: '$fd1', id: '$hwpt1' }, expect: { kind: 'hwpt_paging', users: 2 } },
    { assert: { query: 'OBJECT', fd: '$fd1', id: 77 }, expect: { kind: null, users: 0 } },
    { assert: { query: 'ATTACHED', dev: 'dev1', pasid: null }, expect: { pt_id: '$hwpt1' } },
    { assert: { query: 'ATTACHED', dev: 'dev2', pasid: null }, expect: { pt_id: null } },
    { assert: { query: 'DMA', dev: 'dev1', pasid: null, iova: '$iova1', access: 'write' }, expect: { hpa: '0x10000000', fault: null } },
    { assert: { query: 'DMA', dev: 'dev2', pasid: null, iova: '$iova1', access: 'read' }, expect: { hpa: null, fault: 'blocked' } },
  ];
  it('PINS, AREAS, OBJECT, ATTACHED and DMA answer on both sides as the state is (bound symbols inside expect)', () => {
    expect(judged(traceOf([...SETUP, MAP('0x10000000', '0x2000'), ...asserts])).summary).toBe(`ok (${SETUP.length + 1 + asserts.length} steps)`);
  });
  it('a wrong expectation is reported for each side, naming the query and the value', () => {
    const j = judged(traceOf([...SETUP, MAP('0x10000000', '0x2000'), { assert: { query: 'OBJECT', fd: '$fd1', id: '$ioas1' }, expect: { users: 3 } }]));
    expect(j.ok).toBe(false);
    expect(j.summary).toBe('step 8 (spec): ASSERT OBJECT: expected users=3, got 2; step 8 (kernel): ASSERT OBJECT: expected users=3, got 2');
  });
  it('the two sides are compared: a kernel that drops an IOAS reference on unmap answers OBJECT users differently', () => {
    const bug = BUGS.find((b) => b.name.startsWith('IOAS_UNMAP puts the IOAS'))!; // in support/bugs.ts
    const steps = [...SETUP, MAP('0x10000000', '0x1000'),
      { cmd: { ioctl: 'IOMMU_IOAS_UNMAP', fd: '$fd1', ioas_id: '$ioas1', iova: '$iova1', length: '0x1000' } },
      { assert: { query: 'OBJECT', fd: '$fd1', id: '$ioas1' }, expect: { kind: 'ioas' } }];
    const j = judged(traceOf(steps), bug.factory);
    expect(j.ok).toBe(false);
    expect(j.outcome.violation?.property).toBe('differential');
    expect(j.summary).toMatch(/ASSERT OBJECT: the spec answers \{"kind":"ioas","users":2\}, the kernel \{"kind":"ioas","users":1\}/);
    expect(judged(traceOf(steps)).ok).toBe(true);
  });
  it('an assertion is a closed record: unknown query, missing field, unknown output, no expect', () => {
    const bad = (a: unknown, m: RegExp) => expect(() => loadTrace(traceOf([...SETUP, a]), 'x.json')).toThrow(m);
    bad({ assert: { query: 'NOPE' }, expect: {} }, /step 7: assert.query must be a query \(PINS, OBJECT, ATTACHED, AREAS, DMA\), not "NOPE"/);
    bad({ assert: { query: 'PINS', uva: '0x0' }, expect: {} }, /step 7: assert.length is missing \(PINS takes uva, length\)/);
    bad({ assert: { query: 'PINS', uva: '0x0', length: '0x1000' }, expect: { holder: 1 } }, /step 7: expect.holder is not an output of ASSERT PINS \(it returns holders, locked_pages\)/);
    bad({ assert: { query: 'PINS', uva: '0x0', length: '0x1000' } }, /step 7: expect is missing/);
    expect(() => loadTrace(traceOf([{ assert: { query: 'PINS', uva: '0x0', length: '0x1000' }, expect: {} }]).replace('trace@2', 'trace@1'), 'x.json')).toThrow(TraceError);
  });
  it('round trip: an assertion step is written back as it was read', () => {
    const t = loadTrace(traceOf([...SETUP, ...asserts]), 'x.json');
    expect(loadTrace(traceToJson(t), 'y.json')).toEqual(t);
    expect(traceToJson(t)).toContain('"assert": {\n        "query": "PINS"');
  });
});
