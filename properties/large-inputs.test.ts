/**
 * Valid but huge inputs (issue "Hardening", items 5 and 6) finish with the right verdict: each trace is replayed on
 * the spec and the simulated kernel with every differential check, meets its own expectations, and breaks nothing.
 * What keeps them fast: pins, registrations and RLIMIT_MEMLOCK accounting work on ranges (a 16 TiB registration is
 * one run of pages, not 2^32 entries), the ALLOW_IOVAS overlap check sorts once, and user memory is a merged union
 * of ranges (remapping mapped memory changes nothing). No timing asserts: vitest's timeout is the hang guard.
 */
import { describe, expect, it } from 'vitest';
import { replay, type ReplayOutcome } from '../src/check/replay.js';
import { TRACE_SCHEMA, type StepExpect, type Trace, type TraceStep } from '../src/check/trace.js';
import { observe } from '../src/spec/index.js';
import { env, fd, ioasid, iommu, vfio, IOASID_PATH, IOMMUFD_PATH, type Cmd, type DesignName, type IovaRange } from './support/vocab.js';

const TIB = 1n << 40n;
const PAGE = 0x1000n;
const DEV1 = '/dev/vfio/devices/vfio0';

const st = (cmd: Cmd, expect: StepExpect = 'ok'): TraceStep => ({ cmd: { ...cmd }, expect });
const trace = (design: DesignName, steps: TraceStep[], memlockPages?: number): Trace => ({
  schema: TRACE_SCHEMA, design, hardware: 'host-pasid-table', origin: { kind: 'hand' }, steps, ...(memlockPages === undefined ? {} : { memlockPages }),
});

/** Both sides agreed at every step and at the end (P-NOLEAK), and every step met its expectation. */
function expectClean(o: ReplayOutcome) {
  expect(o.violation).toBeNull();
  expect(o.unexpected).toEqual([]);
}

/** The spec's observation after step `n` (1-based). */
const observedAfter = (o: ReplayOutcome, n: number) => observe(o.records[n - 1]!.spec.state); // n <= steps run

describe('huge registrations: pins and RLIMIT_MEMLOCK counted on ranges', () => {
  it('rfc-v1: IOASID_REGISTER_MEMORY of 16 TiB under memlockPages 1e15 charges 2^32 pages once; a map inside charges nothing more', () => {
    const CTX = fd(3), D1 = fd(4);
    const uva = 16n * TIB, size = 16n * TIB, mapAt = uva + 8n * TIB, mapLen = 0x20_0000n;
    const t = trace('rfc-v1', [
      st(env.open(IOASID_PATH), { fd: 3 }),
      st(env.open(DEV1), { fd: 4 }),
      st(env.mmap(uva, size)),
      st(vfio.bindIoasidFd(D1, CTX)),
      st(ioasid.alloc(CTX), { ioasid: 1 }),
      st(vfio.attachIoasid(D1, 1)),
      // the registration pins and charges the whole range at once (RFC v1 §2)
      st(ioasid.register(CTX, uva, size)),
      st(ioasid.register(CTX, uva + size - PAGE, PAGE), 'EEXIST'),
      // a map inside registered memory pins its pages a second time and charges nothing
      st(ioasid.map(CTX, 1, 0n, mapLen, mapAt)),
      st(ioasid.map(CTX, 1, mapLen, PAGE, uva + size), 'EINVAL'),
      st(ioasid.unregister(CTX, uva, size), 'EBUSY'),
    ], 1e15);
    const o = replay(t);
    expectClean(o);
    const seen = observedAfter(o, 9); // the map inside the registration
    expect(seen.lockedPages).toBe(2 ** 32);
    const first = uva >> 12n, mid = mapAt >> 12n, last = (uva + size - 1n) >> 12n;
    expect(seen.pins).toEqual([
      { page: first, last: mid - 1n, holders: 1 },
      { page: mid, last: mid + (mapLen >> 12n) - 1n, holders: 2 },
      { page: mid + (mapLen >> 12n), last, holders: 1 },
    ]);
  });
});

/**
 * 100,000 allowed windows of 32 KiB, one per 64 KiB from 0x1000, in a scrambled order; the window in the middle is
 * widened to end at `widenTo(touch)`, where `touch` is where the next window starts.
 */
function windows(widenTo: (touch: bigint) => bigint): IovaRange[] {
  const n = 100_000;
  const start = (i: number) => BigInt(i) * 0x1_0000n + 0x1000n;
  const window = (i: number): IovaRange => ({ start: start(i), last: i === n / 2 ? widenTo(start(i + 1)) : start(i) + 0x7fffn });
  // input position p holds window p * 7919 mod n (7919 is prime to n): windows i and i + 1 sit far apart in the input
  return Array.from({ length: n }, (_, p) => window((p * 7919) % n));
}

/** IOMMUFD (fd 3), IOAS 1, user memory mmapped at 0x10_0000. */
const ioasSetup = (): TraceStep[] => [st(env.open(IOMMUFD_PATH), { fd: 3 }), st(iommu.ioasAlloc(fd(3)), { out_ioas_id: 1 }), st(env.mmap(0x10_0000n, 0x10_0000n))];
const IOMMUFD = fd(3);

describe('IOMMU_IOAS_ALLOW_IOVAS with 100,000 ranges', () => {
  it('disjoint ranges (two of them touching) are accepted; automatic IOVAs then come from them', () => {
    const o = replay(trace('iommufd', [
      ...ioasSetup(),
      st(iommu.allowIovas(IOMMUFD, 1, windows((touch) => touch - 1n))),
      // the lowest window takes a page; no 32 KiB window holds 64 KiB at its alignment
      st(iommu.map(IOMMUFD, 1, null, PAGE, 0x10_0000n), { iova: 0x1000n }),
      st(iommu.map(IOMMUFD, 1, null, 0x1_0000n, 0x10_0000n), 'ENOSPC'),
    ]));
    expectClean(o);
    expect(o.records[3]!.spec.rule).toBe('IOAS_ALLOW_IOVAS.ok');
  });

  it('ranges of which two overlap by one byte fail with EINVAL (IOAS_ALLOW_IOVAS.EINVAL.overlap) and change nothing', () => {
    const o = replay(trace('iommufd', [
      ...ioasSetup(),
      st(iommu.allowIovas(IOMMUFD, 1, windows((touch) => touch)), 'EINVAL'),
      // still unrestricted: 64 KiB fits at its own alignment
      st(iommu.map(IOMMUFD, 1, null, 0x1_0000n, 0x10_0000n), { iova: 0x1_0000n }),
    ]));
    expectClean(o);
    expect(o.records[3]!.spec.rule).toBe('IOAS_ALLOW_IOVAS.EINVAL.overlap');
  });
});

describe('many MMAPs: each costs the same however many came before', () => {
  const N = 50_000;
  it(`${2 * N} MMAPs (${N} of the same 1 MiB, then ${N} that grow one mapping page by page) leave user memory that pins`, () => {
    const base = 0x1000_0000n;
    const o = replay(trace('iommufd', [
      st(env.open(IOMMUFD_PATH), { fd: 3 }),
      st(env.open(DEV1), { fd: 4 }),
      ...Array.from({ length: N }, () => st(env.mmap(0x10_0000n, 0x10_0000n))),
      ...Array.from({ length: N }, (_, i) => st(env.mmap(base + BigInt(i) * PAGE, PAGE))),
      st(iommu.ioasAlloc(IOMMUFD), { out_ioas_id: 1 }),
      st(vfio.bindIommufd(fd(4), IOMMUFD)),
      st(vfio.attach(fd(4), 1)),
      // pinning needs mapped memory: 256 pages across 256 of the grown mapping's MMAPs pin; the page past it does not
      st(iommu.map(IOMMUFD, 1, 0x10_0000n, 0x10_0000n, 0x10_0000n)),
      st(iommu.map(IOMMUFD, 1, 0x100_0000n, 0x10_0000n, base + BigInt(N - 256) * PAGE)),
      st(iommu.map(IOMMUFD, 1, 0x1000_0000n, PAGE, base + BigInt(N) * PAGE), 'EFAULT'),
      // a page mapped just below joins it from the other side
      st(env.mmap(base - PAGE, PAGE)),
      st(iommu.map(IOMMUFD, 1, 0x1000_0000n, 2n * PAGE, base - PAGE)),
    ]));
    expectClean(o);
    expect(observedAfter(o, o.records.length).lockedPages).toBe(256 + 256 + 2);
  });
});
