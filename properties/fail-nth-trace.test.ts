/**
 * fail_nth in traces (`"failNth": k` on a step) and the sweep `replay --fail-nth` runs (src/check/fail-nth.ts):
 * an injected allocation failure fails the call atomically on the kernel while the spec does not take the step,
 * the trace goes on from there, and a kernel whose error path forgets a free is caught.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KernelFactory } from '../src/check/differential.js';
import { check } from '../src/check/engine.js';
import { sweepFailNth } from '../src/check/fail-nth.js';
import { counterexampleMarkdown } from '../src/check/format.js';
import { replay } from '../src/check/replay.js';
import { loadTrace, TraceError } from '../src/check/schema.js';
import { TRACE_SCHEMA, type Trace, type TraceStep } from '../src/check/trace.js';
import { createKernel } from '../src/impl/index.js';
import { runCli } from './support/cli.js';

const OPEN: TraceStep = { cmd: { env: 'OPEN', path: '/dev/iommu' }, bind: { fd: '$fd1' } };
const MMAP: TraceStep = { cmd: { env: 'MMAP', uva: 0x10_0000n, length: 0x4000n } };
const ALLOC: TraceStep = { cmd: { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, bind: { out_ioas_id: '$ioas1' } };
const MAP: TraceStep = { cmd: { ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 7, ioas_id: '$ioas1', __reserved: 0, user_va: 0x10_0000n, length: 0x2000n, iova: 0x1_0000n } };
const DEV: TraceStep[] = [
  { cmd: { env: 'OPEN', path: '/dev/vfio/devices/vfio0' }, bind: { fd: '$fd2' } },
  { cmd: { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: '$fd2', flags: 0, iommufd: '$fd1' }, bind: { out_devid: '$dev1' } },
  { cmd: { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd2', flags: 0, pt_id: '$ioas1', pasid: 0 }, bind: { pt_id: '$hwpt1' } },
];
const trace = (steps: TraceStep[]): Trace => ({ schema: TRACE_SCHEMA, design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' }, steps });
const FLOW = trace([OPEN, MMAP, ALLOC, ...DEV, MAP]);

/** A deliberately broken kernel: after an allocation fails, its error path forgets the next free. */
const forgetsAFree: KernelFactory = (d, w, a) => {
  let swallow = false;
  return createKernel(d, w, {
    alloc: (kind) => {
      const got = a.alloc(kind);
      if (!got) swallow = true;
      return got;
    },
    free: (kind) => {
      if (swallow) swallow = false;
      else a.free(kind);
    },
  });
};

describe('a step with failNth', () => {
  it('fails in the kernel with ENOMEM and changes nothing; the spec skips it, and the trace goes on in step', () => {
    const o = replay(trace([OPEN, { ...ALLOC, failNth: 1, expect: 'ENOMEM' }, { ...ALLOC, expect: { out_ioas_id: 1 } }]));
    expect(o.violation).toBeNull();
    expect(o.unexpected).toEqual([]);
    expect(o.records[1]?.injected).toBe(true);
    expect(o.records[1]?.impl).toEqual({ ok: false, errno: 'ENOMEM' });
    expect(o.records[2]?.injected).toBeUndefined();
  });
  it('past the step\'s last allocation nothing is injected and the step runs as usual', () => {
    const o = replay(trace([OPEN, { ...ALLOC, failNth: 50, expect: { out_ioas_id: 1 } }]));
    expect(o.violation).toBeNull();
    expect(o.unexpected).toEqual([]);
    expect(o.records[1]?.injected).toBeUndefined();
  });
  it('failNth is a whole number from 1', () => {
    const text = JSON.stringify({ ...FLOW, steps: [{ cmd: { env: 'OPEN', path: '/dev/iommu' }, failNth: 0 }] });
    expect(() => loadTrace(text, 'x.json')).toThrow(TraceError);
    expect(() => loadTrace(text, 'x.json')).toThrow(/step 1: failNth must be an integer from 1/);
  });
});

describe('the fail_nth sweep', () => {
  it('fails every allocation of every step in turn: each call atomic, nothing leaked', () => {
    const s = sweepFailNth(FLOW);
    expect(s.failure).toBeNull();
    expect(s.steps).toBeGreaterThanOrEqual(4); // IOAS_ALLOC, BIND, ATTACH (domain, pages), MAP
    expect(s.points).toBeGreaterThan(s.steps);
  });
  it('catches a kernel whose error path forgets to free one allocation', () => {
    expect(replay(FLOW, forgetsAFree).violation).toBeNull(); // without injection it is a correct kernel
    const s = sweepFailNth(FLOW, forgetsAFree);
    expect(s.failure?.violation.property).toMatch(/^P-(NOLEAK|ATOMIC)$/);
  });
  it('replay --fail-nth sweeps each file and says how many points it covered', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ioasid-lab-failnth-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'flow.json');
    writeFileSync(file, JSON.stringify(FLOW, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
    const r = runCli('replay', '--fail-nth', file);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out.join('\n')).toMatch(/fail_nth: \d+ injection points in \d+ steps, each failed atomically and leaked nothing/);
  });
  it('check --fail-nth injects failures into random traces, finds that kernel, and records failNth in the counterexample', () => {
    const opts = { design: 'iommufd', hardware: 'host-pasid-table', runs: 300, seed: 1, maxCommands: 30, timeLimitMs: 60_000, factory: forgetsAFree } as const;
    expect(check({ ...opts, runs: 100 }).ok).toBe(true); // without injection it never fails an allocation
    const o = check({ ...opts, failNth: true });
    expect(o.ok).toBe(false);
    expect(o.violation?.property).toMatch(/^P-(NOLEAK|ATOMIC)$/);
    expect(o.trace?.steps.some((st) => st.failNth !== undefined)).toBe(true);
    const again = replay(o.trace!, forgetsAFree); // trace: asserted above
    expect(again.violation?.property).toBe(o.violation?.property);
    expect(counterexampleMarkdown(o.trace!, again)).toMatch(/\[fail_nth [12]\] -> ENOMEM/);
    expect(check({ ...opts, failNth: true, factory: undefined }).stats.injected).toBeGreaterThan(0);
  });
});
