/**
 * A small random command generator over every design's vocabulary, for properties of the spec itself
 * (never throws, failures change nothing, invariants hold, close leaks nothing). Values come from small pools so
 * that sequences hit real objects often: fds 3..8, ids 1..5, a handful of IOVAs, lengths and guest tables,
 * plus edge values (0, U64_MAX, misaligned, wrapping).
 */
import fc from 'fast-check';
import {
  DEVICE_NAMES, U64_MAX, env, fd as asFd, ioasid, iommu, vfio, type Cmd, type Fd,
} from './vocab.js';

const fdA: fc.Arbitrary<Fd> = fc.integer({ min: 3, max: 7 }).map(asFd);
const idA = fc.integer({ min: 0, max: 5 });
const iovaA = fc.constantFrom(0n, 0x1000n, 0x2000n, 0x3000n, 0x10000n, 0x1001n, 0xfee00000n, 1n << 48n, U64_MAX - 0xfffn, U64_MAX);
const lenA = fc.constantFrom(0n, 0x1000n, 0x2000n, 0x3000n, 0x800n, U64_MAX);
const uvaA = fc.constantFrom(0x100000n, 0x101000n, 0x102000n, 0x100800n, 0n, U64_MAX - 0xfffn);
const gpaA = fc.constantFrom(0n, 0x1000n, 0x2000n, 0x10000n, 0x20000n);
const pasidA = fc.option(fc.constantFrom(1, 2, 5), { nil: null });
const flagsA = fc.constantFrom(0, 1, 2, 3, 4, 6, 7, 8, 9, 0x40);
const pathA = fc.constantFrom('/dev/iommu', '/dev/ioasid', '/dev/vfio/devices/vfio0', '/dev/vfio/devices/vfio1', '/dev/vfio/devices/vfio2', '/dev/vfio/devices/vfio3', '/dev/null');
const granA = fc.oneof(fc.constant({ kind: 'all' as const }), fc.record({ kind: fc.constant('range' as const), iova: iovaA, size: lenA }));
const dataA = fc.option(fc.record({ type: fc.constantFrom('IOMMU_HWPT_DATA_VTD_S1' as const, 'IOMMU_HWPT_DATA_ARM_SMMUV3' as const), pgtbl_addr: gpaA }), { nil: null });
const formatA = fc.constantFrom('IOASID_FORMAT_VTD' as const, 'IOASID_FORMAT_SMMUV3' as const);

type Entry = { readonly weight: number; readonly arbitrary: fc.Arbitrary<Cmd> };

const ENTRIES: Entry[] = [
  { weight: 1, arbitrary: pathA.map(env.open) },
  { weight: 1, arbitrary: fdA.map(env.close) },
  { weight: 2, arbitrary: fc.tuple(uvaA, lenA).map(([u, l]) => env.mmap(u, l)) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...DEVICE_NAMES), pasidA, iovaA, fc.constantFrom('read' as const, 'write' as const)).map(([d, p, i, a]) => env.dma(d, p, i, a)) },
  { weight: 2, arbitrary: fc.tuple(gpaA, iovaA, fc.option(gpaA, { nil: null })).map(([t, i, g]) => env.writePte(t, i, g)) },
  { weight: 1, arbitrary: fc.tuple(gpaA, fc.constantFrom(0, 1, 2), fc.option(gpaA, { nil: null })).map(([t, p, g]) => env.writePasidEntry(t, p, g)) },
  { weight: 2, arbitrary: fdA.map((f) => iommu.ioasAlloc(f)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA).map(([f, i]) => iommu.destroy(f, i)) },
  { weight: 4, arbitrary: fc.tuple(fdA, idA, fc.option(iovaA, { nil: null }), lenA, uvaA, flagsA).map(([f, i, v, l, u, fl]) => iommu.map(f, i, v, l, u, fl & 6 ? fl : fl | 6)) },
  { weight: 2, arbitrary: fc.tuple(fdA, idA, iovaA, lenA).map(([f, i, v, l]) => iommu.unmap(f, i, v, l)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA, fc.option(iovaA, { nil: null }), idA, iovaA, lenA).map(([f, d, dv, s, sv, l]) => iommu.copy(f, d, dv, s, sv, l)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA, fc.integer({ min: 0, max: 4 })).map(([f, i, n]) => iommu.iovaRanges(f, i, n)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA, fc.array(fc.record({ start: iovaA, last: iovaA }), { maxLength: 2 })).map(([f, i, r]) => iommu.allowIovas(f, i, r)) },
  { weight: 2, arbitrary: fc.tuple(fdA, idA, idA, flagsA, dataA).map(([f, d, p, fl, data]) => iommu.hwptAlloc(f, d, p, fl, data)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA).map(([f, h]) => iommu.invalidate(f, h)) },
  { weight: 3, arbitrary: fc.tuple(fdA, fdA).map(([d, f]) => vfio.bindIommufd(d, f)) },
  { weight: 3, arbitrary: fc.tuple(fdA, idA, pasidA).map(([d, p, ps]) => vfio.attach(d, p, ps)) },
  { weight: 1, arbitrary: fc.tuple(fdA, pasidA).map(([d, ps]) => vfio.detach(d, ps)) },
  { weight: 2, arbitrary: fdA.map((f) => ioasid.alloc(f)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA).map(([f, i]) => ioasid.free(f, i)) },
  { weight: 1, arbitrary: fc.tuple(fdA, uvaA, lenA).map(([f, u, l]) => ioasid.register(f, u, l)) },
  { weight: 1, arbitrary: fc.tuple(fdA, uvaA, lenA).map(([f, u, l]) => ioasid.unregister(f, u, l)) },
  { weight: 4, arbitrary: fc.tuple(fdA, idA, iovaA, lenA, fc.oneof(uvaA, gpaA)).map(([f, i, v, l, u]) => ioasid.map(f, i, v, l, u)) },
  { weight: 2, arbitrary: fc.tuple(fdA, idA, iovaA, lenA).map(([f, i, v, l]) => ioasid.unmap(f, i, v, l)) },
  { weight: 2, arbitrary: fc.tuple(fdA, idA).map(([f, i]) => ioasid.nest(f, i)) },
  { weight: 2, arbitrary: fc.tuple(fdA, idA, gpaA, formatA).map(([f, i, g, fm]) => ioasid.bindPgtable(f, i, g, fm)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA).map(([f, i]) => ioasid.unbindPgtable(f, i)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA, gpaA, formatA).map(([f, i, g, fm]) => ioasid.bindPasidTable(f, i, g, fm)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA, granA).map(([f, i, g]) => ioasid.invalidate(f, i, g)) },
  { weight: 3, arbitrary: fc.tuple(fdA, fdA).map(([d, f]) => vfio.bindIoasidFd(d, f)) },
  { weight: 1, arbitrary: fdA.map((d) => vfio.unbindIoasidFd(d)) },
  { weight: 3, arbitrary: fc.tuple(fdA, fc.integer({ min: 0, max: 8 }), pasidA).map(([d, i, p]) => vfio.attachIoasid(d, i, p)) },
  { weight: 1, arbitrary: fc.tuple(fdA, fc.integer({ min: 0, max: 8 }), pasidA).map(([d, i, p]) => vfio.detachIoasid(d, i, p)) },
  { weight: 2, arbitrary: fc.tuple(fdA, idA, gpaA, pasidA, formatA).map(([d, i, g, p, fm]) => vfio.bindPgtable(d, i, g, p, fm)) },
  { weight: 1, arbitrary: fc.tuple(fdA, pasidA).map(([d, p]) => vfio.unbindPgtable(d, p)) },
  { weight: 1, arbitrary: fc.tuple(fdA, idA, gpaA, formatA).map(([d, i, g, fm]) => vfio.bindPasidTable(d, i, g, fm)) },
  { weight: 1, arbitrary: fc.tuple(fdA, pasidA, granA).map(([d, p, g]) => vfio.invalidate(d, p, g)) },
  { weight: 2, arbitrary: fc.tuple(fdA, pasidA, fc.constantFrom(0, 0, 1)).map(([d, p, fl]) => vfio.bindSva(d, p ?? 1 << 20, fl)) },
  { weight: 1, arbitrary: fc.tuple(fdA, pasidA).map(([d, p]) => vfio.unbindSva(d, p ?? 0)) },
  { weight: 1, arbitrary: fc.tuple(uvaA, lenA).map(([u, l]) => env.munmap(u, l)) },
];

/** Any command of any design (mostly refused: a design meets other designs' ioctls with ENOTTY). */
export const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(...ENTRIES);

/** Which ioctl (or env action) an entry produces, read off one sample. */
const nameOf = (e: Entry): string => {
  const [c] = fc.sample(e.arbitrary, { numRuns: 1, seed: 1 });
  return c === undefined ? '' : 'ioctl' in c ? c.ioctl : c.env;
};

/** Commands of one design's vocabulary plus environment actions. */
export function cmdArbFor(ioctls: readonly string[]): fc.Arbitrary<Cmd> {
  return fc.oneof(...ENTRIES.filter((e) => { const n = nameOf(e); return !n.startsWith('I') && !n.startsWith('V') || ioctls.includes(n); }));
}

/**
 * The set-up every random trace starts from, so random commands meet live objects: the design's node as fd 3,
 * three device FDs 4-6 (dev1, dev2, dev3), 64 KiB of user memory at 0x100000, one address space with dev1 on it.
 */
export function prologue(design: string, node: string): Cmd[] {
  const base = [env.open(node), env.open('/dev/vfio/devices/vfio0'), env.open('/dev/vfio/devices/vfio1'), env.open('/dev/vfio/devices/vfio2'), env.mmap(0x100000n, 0x10000n)];
  const [f3, f4, f5, f6] = [asFd(3), asFd(4), asFd(5), asFd(6)];
  if (design === 'iommufd') {
    return [...base, iommu.ioasAlloc(f3), vfio.bindIommufd(f4, f3), vfio.bindIommufd(f5, f3), vfio.bindIommufd(f6, f3),
      iommu.map(f3, 1, 0x10000n, 0x4000n, 0x100000n), vfio.attach(f4, 1)];
  }
  if (design === 'fd-per-ioasid') return [...base, vfio.attachIoasid(f4, 3)];
  return [...base, vfio.bindIoasidFd(f4, f3), vfio.bindIoasidFd(f5, f3), vfio.bindIoasidFd(f6, f3), ioasid.alloc(f3), vfio.attachIoasid(f4, 1)];
}
