/**
 * Dirty tracking beyond the example tables (examples/iommufd-errnos.ts): P-DIRTY catching broken kernels — an unmap
 * refused at a split that still clears dirty bits, a read-and-clear that forgets the IOTLB flush — and the spec's own
 * P-DIRTY predicate catching a broken state; how the comparison allows a maybe-dirty page; the simulated IOMMU's dirty
 * update through a cached entry; the bitmap as the ABI reads it back.
 */
import { describe, expect, it } from 'vitest';
import { dirtyDiffers } from '../src/check/differential.js';
import { replay } from '../src/check/replay.js';
import type { Trace, TraceStep } from '../src/check/trace.js';
import { bitmapRuns } from '../src/kernel/abi.js';
import { DESIGNS, initialState, INVARIANTS, step, type State } from '../src/spec/index.js';
import { env, fd, iommu, machineOf, vfio, worldOf, type Cmd } from './support/vocab.js';
import { BUGS, withFrontEnd, wrapped } from './support/bugs.js';

const DIRTY = 2;
const PAGE = 0x1000n;

/** dev1 on a dirty-tracking HWPT 3 over IOAS 1, which maps 16 KiB at 0x100000 in two 8 KiB areas; tracking on. */
const tracked: Cmd[] = [
  env.open('/dev/iommu'), env.open('/dev/vfio/devices/vfio0'), iommu.ioasAlloc(fd(3)), vfio.bindIommufd(fd(4), fd(3)),
  env.mmap(0x10000n, 0x10000n),
  iommu.map(fd(3), 1, 0x10_0000n, 0x2000n, 0x10000n), iommu.map(fd(3), 1, 0x10_2000n, 0x2000n, 0x12000n),
  iommu.hwptAlloc(fd(3), 2, 1, DIRTY), vfio.attach(fd(4), 3), iommu.setDirtyTracking(fd(3), 3),
];
const trace = (steps: Cmd[]): Trace => ({ schema: 'ioasid-lab/trace@2', design: 'iommufd', hardware: 'host-pasid-table', profile: 'vtd', origin: { kind: 'hand' }, steps: steps.map((cmd) => ({ cmd: { ...cmd } as TraceStep['cmd'] })) });

describe('P-DIRTY catches a kernel that loses dirty bits', () => {
  it('an unmap refused at a split clears the bits of the area it kept: the next read misses the write', () => {
    const bug = BUGS.find((b) => b.name.startsWith('an unmap refused at a split'));
    if (!bug) throw new Error('the bug is listed in support/bugs.ts');
    const t = trace([...tracked,
      env.dma('dev1', null, 0x10_2000n, 'write'),
      // ends inside the second area: ENOENT after removing the first; the second stays, and so must its dirty page
      iommu.unmap(fd(3), 1, 0x10_0000n, 0x2000n + PAGE),
      iommu.getDirtyBitmap(fd(3), 3, 0x10_2000n, 0x2000n)]);
    expect(replay(t, bug.factory).violation).toEqual({
      property: 'P-DIRTY', step: 13,
      message: 'HWPT_GET_DIRTY_BITMAP.ok: pages written since their last clear are not reported dirty: 0x102000..0x102fff (the kernel reports none)',
    });
    expect(replay(t).violation).toBeNull();
  });

  it('a read-and-clear that forgets the IOTLB flush: a write through the still-cached entry sets no bit, and the next read misses it', () => {
    // the broken kernel: GET_DIRTY_BITMAP clears the PTEs' bits but never syncs the gather (iommu_iotlb_sync)
    const factory = withFrontEnd(wrapped('IOMMU_HWPT_GET_DIRTY_BITMAP', (orig) => (k, f, c) => {
      const flush = k.iommu.flushRange;
      k.iommu.flushRange = () => {};
      try {
        return orig(k, f, c);
      } finally {
        k.iommu.flushRange = flush;
      }
    }));
    const t = trace([...tracked,
      env.dma('dev1', null, 0x10_1000n, 'write'),
      iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n),
      env.dma('dev1', null, 0x10_1000n, 'write'),
      iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n)]);
    expect(replay(t, factory).violation).toEqual({
      property: 'P-DIRTY', step: 14,
      message: 'HWPT_GET_DIRTY_BITMAP.ok: pages written since their last clear are not reported dirty: 0x101000..0x101fff (the kernel reports none)',
    });
    expect(replay(t).violation).toBeNull();
  });
});

describe('the spec\'s P-DIRTY predicate', () => {
  const run = (cmds: Cmd[]): State => cmds.reduce((s, c) => step(s, c).state, initialState(worldOf(machineOf('vtd', 'host-pasid-table')), DESIGNS.iommufd));
  it('holds on a state with dirty pages, and catches bits left on a page the IOAS no longer maps', () => {
    const s = run([...tracked, env.dma('dev1', null, 0x10_3000n, 'write')]);
    expect(INVARIANTS['P-DIRTY']!(s)).toBeNull();
    // a broken unmap: the area goes, its HWPT's bit stays
    const hwpt = s.objects['1:3'];
    const ioas = s.objects['1:1'];
    if (hwpt?.kind !== 'hwpt_paging' || hwpt.dirty === null || ioas?.kind !== 'ioas') throw new Error('set-up');
    expect(hwpt.dirty.bits).toEqual([{ start: 0x10_3000n, last: 0x10_3fffn }]);
    const broken: State = { ...s, objects: { ...s.objects, '1:1': { ...ioas, areas: ioas.areas.slice(0, 1) } } };
    expect(INVARIANTS['P-DIRTY']!(broken)).toBe('hwpt 1:3 has dirty bits over 0x103000..0x103fff, which its IOAS 1:1 does not map');
  });
});

describe('the comparison of a dirty bitmap', () => {
  const r = (start: bigint, last: bigint) => ({ start, last });
  it('every dirty page must be reported, nothing outside the dirty and maybe-dirty pages may be', () => {
    const spec = { dirty: [r(0x1000n, 0x1fffn)], maybe: [r(0x3000n, 0x3fffn)] };
    expect(dirtyDiffers(spec, { dirty: [r(0x1000n, 0x1fffn)] })).toBeNull();
    expect(dirtyDiffers(spec, { dirty: [r(0x1000n, 0x1fffn), r(0x3000n, 0x3fffn)] })).toBeNull();
    expect(dirtyDiffers(spec, { dirty: [] })).toMatch(/^pages written since their last clear are not reported dirty: 0x1000..0x1fff/);
    expect(dirtyDiffers(spec, { dirty: [r(0x1000n, 0x2fffn)] })).toMatch(/^pages no device wrote since their last clear are reported dirty: 0x1000..0x2fff/);
  });
});

describe('the simulated IOMMU\'s dirty update', () => {
  it('a write through an IOTLB entry a read made walks again and sets the bit', () => {
    const t = trace([...tracked,
      env.dma('dev1', null, 0x10_1000n, 'read'), // fills the IOTLB, sets nothing
      env.dma('dev1', null, 0x10_1000n, 'write'), // hits that entry: must still dirty the page
      iommu.getDirtyBitmap(fd(3), 3, 0x10_0000n, 0x4000n)]);
    const out = replay(t);
    expect(out.violation).toBeNull();
    expect(out.records.at(-1)?.impl).toEqual({ ok: true, out: { dirty: [{ start: 0x10_1000n, last: 0x10_1fffn }] } });
  });
});

describe('the bitmap as read back from user memory', () => {
  it('bit i covers page_size bytes from iova (its lowest set bit), little-endian bytes, adjacent bits merged', () => {
    const buf = Buffer.from([0b1000_0110, 0b0000_0001]);
    expect(bitmapRuns(buf, 0x10_0000n, 0x1000n)).toEqual([{ start: 0x10_1000n, last: 0x10_2fffn }, { start: 0x10_7000n, last: 0x10_8fffn }]);
    // 0x1800: one bit per 2 KiB, as the kernel's 1 << __ffs(page_size)
    expect(bitmapRuns(Buffer.from([1]), 0x10_0000n, 0x1800n)).toEqual([{ start: 0x10_0000n, last: 0x10_07ffn }]);
  });
});
