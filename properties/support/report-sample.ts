/**
 * A small hand-made explorer report for the report page's tests: two designs, one hardware kind, two requirements,
 * one cell of each verdict plus a witness whose OPEN path is an HTML injection attempt.
 */
import { compare, EXPLORE_SCHEMA, type ExploreReport } from '../../src/explore/index.js';
import { TRACE_SCHEMA, type Sym, type SymCmd, type Trace, type TraceStep } from '../../src/check/trace.js';
import { env, fd, ioasid, iommu, vfio, type Cmd, type DesignName, type Errno } from '../../src/uapi/index.js';

const sym = (c: Cmd, refs: Readonly<Record<string, Sym>> = {}): SymCmd => ({ ...c, ...refs });
const F0 = fd(0);
const ok = (cmd: SymCmd, out: unknown, rule: string, bind?: Readonly<Record<string, Sym>>): TraceStep =>
  ({ cmd, ...(bind ? { bind } : {}), spec: { result: { ok: true, out }, rule } });
const fails = (cmd: SymCmd, errno: Errno, rule: string): TraceStep => ({ cmd, spec: { result: { ok: false, errno }, rule } });

export const MALICIOUS_PATH = '/dev/<script>alert(1)</script>';

const trace = (design: DesignName, steps: readonly TraceStep[], extra: Partial<Trace> = {}): Trace =>
  ({ schema: TRACE_SCHEMA, design, hardware: 'host-pasid-table', origin: { kind: 'explore', minimality: 'shortest' }, steps, ...extra });

/** iommufd reaches DMA through a mapped IOAS in 3 steps. */
const iommufdWitness = trace('iommufd', [
  ok(sym(env.open('/dev/iommu')), { fd: 3 }, 'OPEN.ok', { fd: '$fd1' }),
  ok(sym(iommu.ioasAlloc(F0), { fd: '$fd1' }), { out_ioas_id: 1 }, 'IOAS_ALLOC.ok', { out_ioas_id: '$ioas1' }),
  ok(sym(env.dma('dev1', null, 0x1000n)), { xlate: { kind: 'hit', hpa: 0x100000n }, stale: [] }, 'DMA.ok'),
]);

/** rfc-v1's witness opens a path with markup in it: it must print as text. */
const rfcWitness = trace('rfc-v1', [
  fails(sym(env.open(MALICIOUS_PATH)), 'ENOENT', 'OPEN.ENOENT.path'),
  ok(sym(ioasid.alloc(F0), { fd: '$fd1' }), { ioasid: 1 }, 'IOASID_ALLOC.ok', { ioasid: '$ioasid1' }),
]);

/** rfc-v1 breaks P-OWNER in 4 steps: one per lane kind (self-note, FD, device FD, guest memory). */
const rfcCounterexample = trace('rfc-v1', [
  ok(sym(env.open('/dev/ioasid')), { fd: 3 }, 'OPEN.ok', { fd: '$fd1' }),
  ok(sym(ioasid.alloc(F0), { fd: '$fd1' }), { ioasid: 1 }, 'IOASID_ALLOC.ok', { ioasid: '$ioasid1' }),
  fails(sym(vfio.bindIoasidFd(F0, F0), { fd: '$fd2', ioasid_fd: '$fd1' }), 'EBADF', 'VFIO_BIND_IOASID_FD.EBADF.fd'),
  ok(sym(env.writePte(0x2000n, 0x1000n, 0x5000n)), {}, 'GUEST_WRITE_PGTABLE.ok'),
], { verdict: { property: 'P-OWNER', step: 4, message: 'dev1 reaches page 0x5000 that fd2 owns', status: 'open' } });

const BASE: ExploreReport = {
  schema: EXPLORE_SCHEMA,
  depth: 4,
  maxStates: 1000,
  designs: [{ name: 'iommufd', title: 'iommufd as merged (/dev/iommu)', leftOut: [] }, { name: 'rfc-v1', title: 'RFC v1 /dev/ioasid', leftOut: [] }],
  hardware: ['host-pasid-table'],
  requirements: [
    { name: 'R-DMA', kind: 'capability', title: 'a device DMAs through a user map', description: 'Seed M1: map user memory, attach, DMA hits it.' },
    { name: 'P-OWNER', kind: 'safety', title: 'no DMA into pages another FD owns', description: 'Properties: a device reaches only pages of its own FD.' },
    { name: 'R-SVA', kind: 'capability', title: 'a PASID walks a guest table', description: 'Seed M3: guest SVA.' },
  ],
  cells: [
    { design: 'iommufd', hardware: 'host-pasid-table', requirement: 'R-DMA', verdict: 'witness', length: 3, trace: iommufdWitness, minimality: 'shortest', depth: 4, states: 120, ms: 7 },
    { design: 'iommufd', hardware: 'host-pasid-table', requirement: 'P-OWNER', verdict: 'unreachable', stop: 'complete', depth: 4, states: 900, ms: 31 },
    { design: 'rfc-v1', hardware: 'host-pasid-table', requirement: 'R-DMA', verdict: 'witness', length: 2, trace: rfcWitness, minimality: 'shortest', depth: 4, states: 80, ms: 5 },
    { design: 'rfc-v1', hardware: 'host-pasid-table', requirement: 'P-OWNER', verdict: 'counterexample', length: 4, trace: rfcCounterexample, minimality: '1-minimal', depth: 4, states: 400, ms: 12 },
    { design: 'iommufd', hardware: 'host-pasid-table', requirement: 'R-SVA', verdict: 'bounded', stop: 'states', depth: 3, states: 1000, ms: 40 },
    { design: 'rfc-v1', hardware: 'host-pasid-table', requirement: 'R-SVA', verdict: 'incomplete', stop: 'time', depth: 2, states: 650, ms: 30_000 },
  ],
};

/** The sample with `--compare iommufd rfc-v1`: they differ on R-DMA (3 vs 2 steps) and P-OWNER (holds vs ✘ 4). */
export const SAMPLE_REPORT: ExploreReport = { ...BASE, comparison: compare(BASE, 'iommufd', 'rfc-v1') };
