/**
 * The spec as oracle for paths the example tables do not reach: each case's expectations are computed by the
 * spec, then the simulated kernel must give the same results and the same observe() after every step
 * (software-nested children following parent changes, registration after pins, close orders, per-device binds,
 * guest PASID tables under tracked children, group members on parent and child).
 */
import { describe, it } from 'vitest';
import { DESIGNS, initialState, step } from '../src/spec/index.js';
import { defaultWorld, env, fd, ioasid, vfio, IOASID_PATH, type Cmd, type DesignName, type HwKind, type Xlate } from './support/vocab.js';
import type { Example, Expect } from './support/example.js';
import { runOnImpl } from './support/run-impl.js';

function oracle(name: string, design: DesignName, cmds: Cmd[], hw: HwKind = 'host-pasid-table', memlockPages?: number): Example {
  let s = initialState(defaultWorld(hw, memlockPages), DESIGNS[design]);
  const steps = cmds.map((cmd) => {
    const r = step(s, cmd);
    s = r.state;
    let e: Expect;
    if (r.partial && !r.result.ok) e = { partial: r.result.errno };
    else if (!r.result.ok) e = r.result.errno;
    else if ('env' in cmd && cmd.env === 'DMA') {
      const o = r.result.out as { xlate: Xlate; stale: Xlate[] };
      const stale = o.stale.map((x) => (x.kind === 'hit' ? x.hpa : x.reason));
      e = o.xlate.kind === 'hit' ? { hit: o.xlate.hpa, stale } : { fault: o.xlate.reason, stale };
    } else e = { out: r.result.out as Record<string, unknown> };
    return { cmd, expect: e };
  });
  return memlockPages === undefined ? { name, design, hw, steps } : { name, design, hw, memlockPages, steps };
}

const UVA = 0x4000_0000n, RAM = 0x10_0000n, UVA2 = 0x6000_0000n;
const CTX = fd(3), D1 = fd(4), D2 = fd(5);
const vm = (): Cmd[] => [env.open(IOASID_PATH), env.open('/dev/vfio/devices/vfio0'), env.open('/dev/vfio/devices/vfio1'), env.mmap(UVA, RAM), env.mmap(UVA2, RAM),
  vfio.bindIoasidFd(D1, CTX), vfio.bindIoasidFd(D2, CTX), ioasid.alloc(CTX)];
const dma = (dev: 'dev1' | 'dev2' | 'dev3' | 'dev4', pasid: number | null, iova: bigint, access: 'read' | 'write' = 'read'): Cmd => ({ env: 'DMA', dev, pasid, iova, access });

const CASES: Example[] = [];
for (const design of ['rfc-v1', 'setup-only-association'] as const) {
  CASES.push(oracle(`${design}: software-nested child follows parent unmap/remap/prot`, design, [
    ...vm(), vfio.attachIoasid(D1, 1), vfio.attachIoasid(D2, 1),
    ioasid.map(CTX, 1, 0n, RAM, UVA), ioasid.nest(CTX, 1), vfio.attachIoasid(D1, 2),
    ioasid.map(CTX, 2, 0x20_0000n, 0x4000n, 0x3000n), dma('dev1', null, 0x20_0010n), dma('dev1', null, 0x20_1010n, 'write'),
    ioasid.unmap(CTX, 1, 0n, RAM), dma('dev1', null, 0x20_0010n), dma('dev2', null, 0x3010n),
    ioasid.map(CTX, 1, 0n, 0x4000n, UVA2, 1), dma('dev1', null, 0x20_0010n), dma('dev1', null, 0x20_0010n, 'write'),
    ioasid.map(CTX, 1, 0x4000n, 0x4000n, UVA2 + 0x4000n), dma('dev1', null, 0x20_1010n), dma('dev1', null, 0x20_1010n, 'write'),
    ioasid.unmap(CTX, 2, 0x20_0000n, 0x1000n), ioasid.unmap(CTX, 2, 0x20_0000n, 0x4000n), dma('dev1', null, 0x20_1010n),
    ioasid.map(CTX, 2, 0x20_0000n, 0x1000n, 0x8000n, 1), dma("dev1", null, 0x20_0010n), ioasid.map(CTX, 2, 0x30_0000n, 0x1000n, 0x2000n, 1), dma("dev1", null, 0x30_0010n, "write"), dma("dev1", null, 0x30_0010n),
    vfio.detachIoasid(D1, 1), vfio.detachIoasid(D1, 2), dma('dev1', null, 0x20_0010n), ioasid.free(CTX, 1), ioasid.free(CTX, 2), ioasid.free(CTX, 1),
    env.close(D2), ioasid.free(CTX, 1),
  ]));
}
CASES.push(oracle('rfc-v1: register after pins hands the charge over; double maps; unregister', 'rfc-v1', [
  ...vm(), ioasid.alloc(CTX), vfio.attachIoasid(D1, 1), vfio.attachIoasid(D2, 2),
  ioasid.map(CTX, 1, 0n, RAM, UVA), ioasid.map(CTX, 2, 0n, RAM / 2n, UVA),
  ioasid.register(CTX, UVA, RAM / 4n), ioasid.register(CTX, UVA + RAM / 4n, RAM), ioasid.register(CTX, UVA2, RAM),
  ioasid.map(CTX, 2, RAM, 0x1000n, UVA2 + RAM - 0x1000n), ioasid.map(CTX, 2, 2n * RAM, 0x2000n, UVA2 + RAM - 0x1000n),
  ioasid.unregister(CTX, UVA, RAM / 4n), ioasid.unmap(CTX, 1, 0n, RAM), ioasid.unregister(CTX, UVA, RAM / 4n),
  ioasid.unmap(CTX, 2, 0n, RAM / 2n), ioasid.unregister(CTX, UVA, RAM / 4n), ioasid.unregister(CTX, UVA2, RAM),
  ioasid.unmap(CTX, 2, RAM, 0x1000n), ioasid.unregister(CTX, UVA2, RAM), ioasid.register(CTX, UVA, 0x1000n),
], 'host-pasid-table', 800));
CASES.push(oracle('rfc-v1: register over limit', 'rfc-v1', [
  ...vm(), ioasid.alloc(CTX), vfio.attachIoasid(D1, 1), vfio.attachIoasid(D2, 2),
  ioasid.map(CTX, 1, 0n, RAM, UVA), ioasid.map(CTX, 2, 0n, RAM, UVA2), ioasid.register(CTX, UVA, 2n * RAM), ioasid.register(CTX, UVA, RAM),
  ioasid.register(CTX, UVA2, RAM), ioasid.map(CTX, 1, RAM, 0x1000n, UVA2),
], 'host-pasid-table', 520));
CASES.push(oracle('fd-per-ioasid: close orders, nested files', 'fd-per-ioasid', [
  env.open(IOASID_PATH), env.open('/dev/vfio/devices/vfio0'), env.mmap(UVA, RAM), vfio.attachIoasid(fd(4), 3),
  ioasid.map(CTX, 0, 0n, RAM, UVA), ioasid.nest(CTX, 0), ioasid.nest(CTX, 0), vfio.attachIoasid(fd(4), 5), vfio.attachIoasid(fd(4), 6, 3),
  ioasid.map(fd(5), 0, 0x40_0000n, 0x2000n, 0x1000n), dma('dev1', null, 0x40_0010n), env.close(CTX), env.close(fd(5)), dma('dev1', null, 0x40_0010n),
  env.open(IOASID_PATH), ioasid.unmap(fd(6), 0, 0n, 0x1000n), ioasid.nest(fd(6), 0), env.writePte(0x1_0000n, 0x20_0000n, 0x3000n),
  ioasid.bindPgtable(fd(6), 0, 0x1_0000n), dma('dev1', 3, 0x20_0010n), env.writePte(0x1_0000n, 0x20_0000n, 0x5000n), dma('dev1', 3, 0x20_0010n),
  ioasid.invalidate(fd(6), 0, { kind: 'range', iova: 0x20_0000n, size: 0x1000n }), dma('dev1', 3, 0x20_0010n),
  env.close(fd(4)), dma('dev1', 3, 0x20_0010n), env.close(fd(6)),
]));
CASES.push(oracle('per-device-sva: free/unbind/close with binds', 'per-device-sva', [
  ...vm(), vfio.attachIoasid(D1, 1), vfio.attachIoasid(D2, 1), ioasid.map(CTX, 1, 0n, RAM, UVA),
  env.writePte(0x1_0000n, 0x20_0000n, 0x3000n), vfio.bindPgtable(D1, 1, 0x1_0000n, 5), vfio.bindPgtable(D1, 1, 0x1_0000n), dma('dev1', null, 0x20_0010n),
  ioasid.free(CTX, 1), vfio.detachIoasid(D1, 1), vfio.unbindIoasidFd(D1), vfio.attachIoasid(D1, 1, 7), vfio.bindPgtable(D1, 1, 0x1_0000n, 7),
  vfio.invalidate(D1, 9), vfio.invalidate(D1, 5, { kind: 'range', iova: 0n, size: 0n }), env.writePte(0x1_0000n, 0x20_0000n, 0x5000n),
  dma('dev1', 5, 0x20_0010n), dma('dev1', 7, 0x20_0010n), vfio.invalidate(D1, 7), dma('dev1', 7, 0x20_0010n), dma('dev1', 5, 0x20_0010n),
  vfio.unbindPgtable(D1), dma('dev1', null, 0x20_0010n), ioasid.unmap(CTX, 1, 0n, RAM), dma('dev1', 5, 0x20_0010n), env.close(D1), ioasid.alloc(CTX), ioasid.free(CTX, 1),
]));
CASES.push(oracle('rfc-v1 gpt: unbind the PASID table under a tracked child; reattach', 'rfc-v1', [
  ...vm(), vfio.attachIoasid(D1, 1), ioasid.map(CTX, 1, 0n, RAM, UVA), ioasid.nest(CTX, 1), vfio.attachIoasid(D1, 2), ioasid.nest(CTX, 1),
  vfio.attachIoasid(D1, 3, 5), env.writePasidEntry(0x2_0000n, 5, 0x1_0000n), env.writePte(0x1_0000n, 0x20_0000n, 0x3000n),
  ioasid.bindPasidTable(CTX, 2, 0x2_0000n), ioasid.bindPgtable(CTX, 3, 0x1_0000n, 'IOASID_FORMAT_SMMUV3'), dma('dev1', 5, 0x20_0010n), dma('dev1', null, 0x20_0010n),
  env.writePte(0x1_0000n, 0x20_0000n, 0x5000n), dma('dev1', 5, 0x20_0010n), ioasid.unbindPasidTable(CTX, 2), dma('dev1', 5, 0x20_0010n),
  env.writePte(0x1_0000n, 0x20_0000n, 0x6000n), dma('dev1', 5, 0x20_0010n), ioasid.invalidate(CTX, 3), dma('dev1', 5, 0x20_0010n),
  ioasid.unbindPgtable(CTX, 3), dma('dev1', 5, 0x20_0010n), ioasid.bindPasidTable(CTX, 2, 0x2_0000n), dma('dev1', 5, 0x20_0010n),
  vfio.detachIoasid(D1, 2), dma('dev1', 7, 0x20_0010n), vfio.detachIoasid(D1, 1), vfio.detachIoasid(D1, 3, 5), vfio.detachIoasid(D1, 1),
], 'guest-pasid-table'));
CASES.push(oracle('rfc-v1: group of dev3/dev4 on parent and child; reserved conflicts', 'rfc-v1', [
  env.open(IOASID_PATH), env.open('/dev/vfio/devices/vfio2'), env.open('/dev/vfio/devices/vfio3'), env.mmap(UVA, RAM),
  vfio.bindIoasidFd(fd(4), CTX), vfio.bindIoasidFd(fd(5), CTX), ioasid.alloc(CTX), ioasid.alloc(CTX),
  vfio.attachIoasid(fd(4), 1), vfio.attachIoasid(fd(5), 2), vfio.attachIoasid(fd(5), 1), ioasid.map(CTX, 1, 0n, RAM, UVA),
  ioasid.map(CTX, 1, 0xfee0_0000n, 0x1000n, UVA), ioasid.nest(CTX, 1), vfio.attachIoasid(fd(4), 3), dma('dev4', null, 0x1010n), dma('dev3', null, 0x1010n),
  ioasid.map(CTX, 3, 0n, 0x1000n, 0x1000n), vfio.detachIoasid(fd(5), 1), ioasid.map(CTX, 1, RAM, 0x1000n, UVA), vfio.attachIoasid(fd(4), 1, 3),
  vfio.detachIoasid(fd(4), 1), vfio.detachIoasid(fd(4), 3), dma('dev4', null, 0x1010n), vfio.detachIoasid(fd(4), 1), vfio.attachIoasid(fd(5), 2),
  ioasid.map(CTX, 2, 0xfee0_0000n, 0x1000n, UVA), ioasid.map(CTX, 2, 0xfef0_0000n, 0x1000n, UVA), vfio.detachIoasid(fd(5), 2), vfio.attachIoasid(fd(5), 2),
  ioasid.unmap(CTX, 2, 0xfef0_0000n, 0x1000n), vfio.attachIoasid(fd(5), 2), ioasid.map(CTX, 2, 0xfef0_0000n, 0x1000n, UVA),
]));

describe('simulated kernel vs spec oracle', () => {
  for (const ex of CASES) it(ex.name, () => runOnImpl(ex));
});
