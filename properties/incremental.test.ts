/**
 * Incremental observation: after a step only the parts of the observation either side touched are compared (the
 * spec by which of its tables are new objects, the kernel by the stamps its structures keep), and the whole
 * observation is compared at the end of every trace. These tests show what that keeps: a kernel bug that changes a
 * part of the observation without stamping it — so no step's comparison looks there — is still caught, at the end
 * of the trace; the same bug stamped is caught at the very step.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import { replay } from '../src/check/replay.js';
import { TRACE_SCHEMA, type Trace, type TraceStep } from '../src/check/trace.js';
import { createKernel, type Allocator } from '../src/impl/index.js';
import { tick } from '../src/impl/hw/stamp.js';
import type { KernelFactory } from '../src/check/differential.js';
import { env, fd, iommu, IOMMUFD_PATH, type Cmd, type DesignName, type World } from './support/vocab.js';

/**
 * A kernel whose every successful IOMMU_IOAS_MAP also names the iommufd with a second fd, 99, written straight into
 * the fd table: the files part of its observation changes. `stamped`: the bug at least records that the fd table
 * changed (as installFd does); otherwise it goes round the stamps, so no step says it touched the files.
 */
function sneakyFd(stamped: boolean): KernelFactory {
  return (d: DesignName, w: World, a: Allocator) => {
    const k = createKernel(d, w, a);
    const run = k.run.bind(k);
    k.run = (c: Cmd) => {
      const r = run(c);
      if (r.ok && 'ioctl' in c && c.ioctl === 'IOMMU_IOAS_MAP' && !k.fds.has(99)) {
        k.fds.set(99, k.fds.get(c.fd)!); // MAP ran on an open fd
        if (stamped) k.filesStamp = tick();
      }
      return r;
    };
    return k;
  };
}

const st = (cmd: Cmd): TraceStep => ({ cmd: { ...cmd } });
const IOMMUFD = fd(3);
const trace: Trace = {
  schema: TRACE_SCHEMA, design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' },
  steps: [
    st(env.open(IOMMUFD_PATH)),
    st(iommu.ioasAlloc(IOMMUFD)),
    st(env.mmap(0x10_0000n, 0x1_0000n)),
    st(iommu.map(IOMMUFD, 1, 0x1000n, 0x1000n, 0x10_0000n)),
    st(iommu.ioasAlloc(IOMMUFD)),
    st(iommu.unmap(IOMMUFD, 1, 0x1000n, 0x1000n)),
  ],
};

describe('incremental observation', () => {
  it('a bug in a part no step touched is caught by the whole comparison at the end of the trace', () => {
    const o = replay(trace, sneakyFd(false));
    // every step agreed: the MAP touched the pins, not the files, on both sides as far as either side said
    expect(o.records.map((r) => r.violation)).toEqual(trace.steps.map(() => null));
    expect(o.violation?.property).toBe('differential');
    expect(o.violation?.step).toBe(0);
    expect(o.violation?.message).toMatch(/^at the end of the trace: observe\(\) differs in files: .*"fds":\[3\].*"fds":\[3,99\]/);
  });

  it('the same bug, stamped, is caught at the step that made it', () => {
    const o = replay(trace, sneakyFd(true));
    expect(o.violation).toMatchObject({ property: 'differential', step: 4 });
    expect(o.violation?.message).toMatch(/^observe\(\) differs in files: /);
  });

  it('the correct kernel agrees everywhere, end of trace included', () => {
    expect(replay(trace).violation).toBeNull();
  });

  it('check finds the unstamped bug in random traces and shrinks it to a MAP', () => {
    const out = check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 500, seed: 5, maxCommands: 20, timeLimitMs: 60_000, factory: sneakyFd(false) });
    expect(out.ok).toBe(false);
    expect(out.violation?.property).toBe('differential');
    expect(out.violation?.message).toMatch(/differs in files/);
    expect(out.trace?.origin.minimality).toBe('1-minimal');
    expect(out.trace?.steps.some((s) => 'ioctl' in s.cmd && s.cmd.ioctl === 'IOMMU_IOAS_MAP')).toBe(true);
  });
});
