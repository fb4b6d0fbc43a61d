/**
 * Native SVA (per-device-sva: the process's own address space on a device PASID) and MUNMAP, beyond the example
 * tables (examples/designs.ts): the CPU page table of the simulated kernel and its mmu notifiers, the union arithmetic
 * the spec's munmap uses, which designs draw MUNMAP, and a kernel whose munmap forgets the notifier, caught by the
 * differential check and shrunk to the few steps that show it.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import { formatCmd } from '../src/check/format.js';
import { envRecipesOf } from '../src/check/generate.js';
import { replay } from '../src/check/replay.js';
import type { Trace } from '../src/check/trace.js';
import { createKernel } from '../src/impl/index.js';
import { Mm } from '../src/impl/mm.js';
import { DESIGN_NAMES, DESIGNS, envNamesOf } from '../src/spec/index.js';
import { unionWithout } from '../src/spec/ranges.js';
import { defaultWorld, env, fd, vfio, IOASID_PATH } from './support/vocab.js';
import { BUGS } from './support/bugs.js';

const PAGE = 0x1000n;

describe('the simulated kernel\'s CPU page table and its mmu notifiers', () => {
  const mapped = () => {
    const mm = new Mm(64);
    mm.mmap(0x10000n, 0x17fffn); // 8 pages
    const seen: string[] = [];
    mm.register({ invalidate: (start, last) => seen.push(`0x${start.toString(16)}..0x${last.toString(16)}`) });
    return { mm, seen };
  };
  it('a walk finds a mapped page read-write at its own address, nothing elsewhere', () => {
    const { mm } = mapped();
    expect(mm.walk(0x12345n)).toEqual({ hpa: 0x12000n, prot: { read: true, write: true } });
    expect(mm.walk(0x18000n)).toBeNull();
  });
  it('munmap splits a mapping and tells every notifier what was mapped there, once', () => {
    const { mm, seen } = mapped();
    mm.munmap(0x12000n, 0x13fffn);
    expect([mm.present(0x10000n, 0x11fffn), mm.present(0x12000n, 0x12fffn), mm.present(0x14000n, 0x17fffn)]).toEqual([true, false, true]);
    mm.munmap(0x12000n, 0x14fffn); // only its last page is still mapped
    mm.munmap(0x40000n, 0x40fffn); // nothing there: no notifier runs
    expect(seen).toEqual(['0x12000..0x13fff', '0x14000..0x14fff']);
  });
  it('munmap moves the page table\'s stamp only when a mapping goes', () => {
    const { mm } = mapped();
    const before = mm.stamp;
    mm.munmap(0x40000n, 0x40fffn);
    expect(mm.stamp).toBe(before);
    mm.munmap(0x10000n, 0x10fffn);
    expect(mm.stamp).toBeGreaterThan(before);
  });
  it('a notifier unregistered is told nothing; one never registered is a kernel WARN', () => {
    const { mm, seen } = mapped();
    const n = { invalidate: () => seen.push('late') };
    mm.register(n);
    mm.unregister(n);
    mm.munmap(0x10000n, 0x10fffn);
    expect(seen).toEqual(['0x10000..0x10fff']);
    expect(() => mm.unregister(n)).toThrow(/mmu_notifier_unregister/);
  });
});

describe('the spec\'s munmap: a union of mapped ranges without one range', () => {
  const u = [{ start: 0x1000n, last: 0x4fffn }, { start: 0x8000n, last: 0x8fffn }];
  it('cuts a hole in the middle of a range', () => expect(unionWithout(u, { start: 0x2000n, last: 0x2fffn })).toEqual([{ start: 0x1000n, last: 0x1fffn }, { start: 0x3000n, last: 0x4fffn }, u[1]]));
  it('takes whole ranges and the ends of others across holes', () => expect(unionWithout(u, { start: 0x4000n, last: 0x8fffn })).toEqual([{ start: 0x1000n, last: 0x3fffn }]));
  it('a hole is left alone: the same union object', () => expect(unionWithout(u, { start: 0x5000n, last: 0x7fffn })).toBe(u));
});

describe('which designs draw MUNMAP', () => {
  it('only a design with native SVA: elsewhere no device walks the CPU page table', () => {
    for (const n of DESIGN_NAMES) {
      const d = DESIGNS[n];
      const native = d.policy.nativeSva !== 'none';
      expect([n, envRecipesOf(defaultWorld('host-pasid-table'), d).includes('MUNMAP')]).toEqual([n, native]);
      expect([n, envNamesOf(d).includes('MUNMAP')]).toEqual([n, native]);
      expect([n, d.ioctls.includes('VFIO_DEVICE_BIND_SVA')]).toEqual([n, native]);
    }
  });
});

describe('a kernel whose munmap skips the mmu notifier', () => {
  const bug = BUGS.find((b) => b.name.startsWith('munmap skips the mmu notifier'));
  if (!bug) throw new Error('the bug is listed in support/bugs.ts');
  const steps = [
    env.open(IOASID_PATH), env.open('/dev/vfio/devices/vfio1'), env.mmap(0x10_0000n, PAGE), vfio.bindIoasidFd(fd(4), fd(3)),
    vfio.bindSva(fd(4), 3), env.dma('dev2', 3, 0x10_0000n), env.munmap(0x10_0000n, PAGE), env.dma('dev2', 3, 0x10_0000n),
  ].map((cmd) => ({ cmd: { ...cmd } }));
  const trace = (hardware: Trace['hardware']): Trace => ({ schema: 'ioasid-lab/trace@2', design: 'per-device-sva', hardware, origin: { kind: 'hand' }, steps });

  for (const hardware of ['host-pasid-table', 'guest-pasid-table'] as const) {
    it(`on ${hardware}: the page the CPU lost still answers through the IOTLB right after the munmap (P-INVAL); the correct kernel faults`, () => {
      expect(replay(trace(hardware), bug.factory).violation).toEqual({
        property: 'P-INVAL', step: 7, message: 'dev2 pasid 3 read at 0x100000: the kernel gives hit 0x100000, the spec allows fault no-translation',
      });
      expect(replay(trace(hardware)).violation).toBeNull();
    });
  }

  it('check --design per-device-sva --seed 7 finds it in 80 runs and shrinks it to 7 steps', () => {
    const out = check({ design: 'per-device-sva', hardware: 'host-pasid-table', runs: 2000, seed: 7, maxCommands: 30, timeLimitMs: 30_000, factory: bug.factory });
    expect(out.violation?.property).toBe('P-INVAL');
    expect(out.trace?.origin).toMatchObject({ runs: 80, minimality: '1-minimal' });
    expect(out.trace?.steps.map((s) => formatCmd(s.cmd))).toEqual([
      'OPEN /dev/ioasid',
      'OPEN /dev/vfio/devices/vfio1',
      'MMAP uva=0x40000000 len=4K',
      'VFIO_BIND_IOASID_FD $fd2 ioasid_fd=$fd1',
      'VFIO_DEVICE_BIND_SVA $fd2 pasid=3',
      'DMA dev2 pasid 3 read 0x40000000',
      'MUNMAP uva=0x40000000 len=4K',
    ]);
  });

  it('a kernel that forgets to unregister its notifier leaks it (P-NOLEAK)', () => {
    const leaky = (d: Parameters<typeof createKernel>[0], w: Parameters<typeof createKernel>[1], a: Parameters<typeof createKernel>[2]) => {
      const k = createKernel(d, w, a);
      k.mm.unregister = () => {};
      return k;
    };
    expect(replay(trace('host-pasid-table'), leaky).violation).toEqual({
      property: 'P-NOLEAK', step: 0, message: 'after every fd is closed the kernel still holds 1 mmu notifiers',
    });
  });
});
