/**
 * Access objects beyond the example tables: the unmap rule — an unmap over pinned pages calls every access back and
 * must see the pins go — with a broken driver whose callback never unpins caught as the kernel's WARN (P-WARN), by
 * a hand trace and by check; and the pins an access holds without any domain, counted and charged once per page.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import type { KernelFactory } from '../src/check/differential.js';
import { replay } from '../src/check/replay.js';
import type { Trace, TraceStep } from '../src/check/trace.js';
import { AccessFile } from '../src/impl/access.js';
import { createKernel } from '../src/impl/index.js';
import { DESIGNS, initialState, observe, step } from '../src/spec/index.js';
import { env, fd, iommu, machineOf, worldOf, type Cmd } from './support/vocab.js';

/** An access whose driver ignores unmap requests: its pins stay, so the io_pagetable asks again and again. */
const deaf: KernelFactory = (d, w, a) => {
  const k = createKernel(d, w, a);
  const run = k.run.bind(k);
  k.run = (c) => {
    const r = run(c);
    const f = r.ok && 'env' in c && c.env === 'MOCK_ACCESS_CREATE' ? k.fds.get((r.out as { access_fd: number }).access_fd) : undefined;
    if (f instanceof AccessFile) f.access.unmap = () => {};
    return r;
  };
  return k;
};

/** 64 KiB of user memory mapped at 16 MiB in two 32 KiB areas of IOAS 1, and an access that may pin on it (fd 4). */
const setUp: Cmd[] = [
  env.mmap(0x10000n, 0x10000n), env.open('/dev/iommu'), iommu.ioasAlloc(fd(3)),
  iommu.map(fd(3), 1, 0x100_0000n, 0x8000n, 0x10000n), iommu.map(fd(3), 1, 0x100_8000n, 0x8000n, 0x18000n),
  env.accessCreate(fd(3), 1, 1),
];
const trace = (steps: Cmd[]): Trace => ({
  schema: 'ioasid-lab/trace@2', design: 'iommufd', hardware: 'host-pasid-table', profile: 'selftest-mock', origin: { kind: 'hand' },
  steps: steps.map((cmd) => ({ cmd: { ...cmd } as TraceStep['cmd'] })),
});

describe('an unmap over an access\'s pins', () => {
  it('the selftest\'s callback unpins and the unmap goes through; a driver that never unpins is the kernel\'s WARN', () => {
    const t = trace([...setUp, env.accessPin(fd(3), fd(4), 0x100_1000n, 0x2000n), iommu.unmap(fd(3), 1, 0x100_0000n, 0x8000n)]);
    expect(replay(t).violation).toBeNull();
    expect(replay(t, deaf).violation).toEqual({
      property: 'P-WARN', step: 8,
      message: 'WARNING in iopt_unmap_iova_range: area 0x1000000..0x1007fff: the accesses do not respond to unmap requests (EDEADLOCK)',
    });
  });

  it('check on the selftest mock finds the deaf driver', () => {
    const out = check({ design: 'iommufd', hardware: 'host-pasid-table', profile: 'selftest-mock', runs: 2000, seed: 3, maxCommands: 30, timeLimitMs: 30_000, factory: deaf });
    expect(out.violation?.property).toBe('P-WARN');
    expect(out.trace?.origin.minimality).toBe('1-minimal');
  });
});

describe('pins without a domain', () => {
  it('pin the user pages under the range, once per page however many pins, charged to RLIMIT_MEMLOCK', () => {
    const s = [...setUp, env.accessPin(fd(3), fd(4), 0x100_1000n, 0x2000n), env.accessPin(fd(3), fd(4), 0x100_2000n, 0x1000n, 1)]
      .reduce((x, c) => step(x, c).state, initialState(worldOf(machineOf('selftest-mock', 'host-pasid-table')), DESIGNS.iommufd));
    expect(observe(s).pins).toEqual([{ page: 0x11n, last: 0x12n, holders: 1 }]);
    expect(observe(s).lockedPages).toBe(2);
  });
});
