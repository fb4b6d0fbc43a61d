/**
 * Counterexamples are for people: every command prints as its meaning, every answer as a kernel engineer reads it,
 * and the page beside a counterexample is a numbered program with the diverging step marked and a replaying test.
 * The files land under a stable name, written whole.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listCounterexamples, writeCounterexample } from '../src/check/counterexample.js';
import type { KernelFactory } from '../src/check/differential.js';
import { counterexampleHash, counterexampleMarkdown, formatCmd, formatResult } from '../src/check/format.js';
import { replay, type ReplayOutcome } from '../src/check/replay.js';
import { loadTrace } from '../src/check/schema.js';
import { TRACE_SCHEMA, type Sym, type SymCmd, type Trace } from '../src/check/trace.js';
import { createKernel } from '../src/impl/index.js';
import { env, fd, ioasid, iommu, vfio, U64_MAX, type Cmd } from '../src/uapi/index.js';

/** A command as a trace holds it: built with the uapi constructors, references replaced by symbols. */
const sym = (c: Cmd, refs: Readonly<Record<string, Sym>> = {}): SymCmd => ({ ...c, ...refs });
const F0 = fd(0);

describe('formatCmd prints a command as its meaning', () => {
  const rows: readonly (readonly [string, SymCmd])[] = [
    // iommufd: maps, flags decoded, lengths in units, the kernel-chosen IOVA left out
    ['IOMMU_IOAS_MAP $fd1 ioas=$ioas1 iova=0x1000 len=4K user_va=0x100000 RW FIXED', sym(iommu.map(F0, 0, 0x1000n, 0x1000n, 0x100000n), { fd: '$fd1', ioas_id: '$ioas1' })],
    ['IOMMU_IOAS_MAP $fd1 ioas=$ioas1 len=2M user_va=0x200000 READ', sym(iommu.map(F0, 0, null, 0x200000n, 0x200000n, 4), { fd: '$fd1', ioas_id: '$ioas1' })],
    ['IOMMU_IOAS_MAP $fd1 ioas=$ioas1 iova=0x1000 len=0x1001 user_va=0x100000 (no READ/WRITE) FIXED unknown_flags=0x8 __reserved=0x1',
      { ...sym(iommu.map(F0, 0, 0x1000n, 0x1001n, 0x100000n, 8), { fd: '$fd1', ioas_id: '$ioas1' }), __reserved: 1 }],
    ['IOMMU_IOAS_UNMAP $fd1 ioas=$ioas1 iova=0x0 len=U64_MAX', sym(iommu.unmap(F0, 0, 0n, U64_MAX), { fd: '$fd1', ioas_id: '$ioas1' })],
    ['IOMMU_IOAS_COPY $fd1 dst=$ioas2 src=$ioas1 src_iova=0x1000 len=8K RW', sym(iommu.copy(F0, 0, null, 0, 0x1000n, 0x2000n), { fd: '$fd1', dst_ioas_id: '$ioas2', src_ioas_id: '$ioas1' })],
    ['IOMMU_IOAS_ALLOW_IOVAS $fd1 ioas=$ioas1 allowed=[0x1000..0x1fff, 0x100000..0x1fffff]',
      sym(iommu.allowIovas(F0, 0, [{ start: 0x1000n, last: 0x1fffn }, { start: 0x100000n, last: 0x1fffffn }]), { fd: '$fd1', ioas_id: '$ioas1' })],
    ['IOMMU_IOAS_IOVA_RANGES $fd1 ioas=$ioas1 num_iovas=16', sym(iommu.iovaRanges(F0, 0), { fd: '$fd1', ioas_id: '$ioas1' })],
    ['IOMMU_HWPT_ALLOC $fd1 dev=$dev1 pt=$ioas1 NEST_PARENT', sym(iommu.hwptAlloc(F0, 0, 0, 1), { fd: '$fd1', dev_id: '$dev1', pt_id: '$ioas1' })],
    ['IOMMU_HWPT_ALLOC $fd1 dev=$dev1 pt=$hwpt1 data=VTD_S1 pgtbl_addr=0x2000',
      sym(iommu.hwptAlloc(F0, 0, 0, 0, { type: 'IOMMU_HWPT_DATA_VTD_S1', pgtbl_addr: 0x2000n }), { fd: '$fd1', dev_id: '$dev1', pt_id: '$hwpt1' })],
    ['IOMMU_HWPT_ALLOC $fd1 dev=$dev1 pt=$ioas1 FAULT_ID_VALID ALLOC_PASID unknown_flags=0x10 fault_id=7', sym(iommu.hwptAlloc(F0, 0, 0, 4 | 8 | 16, null, 7), { fd: '$fd1', dev_id: '$dev1', pt_id: '$ioas1' })],
    ['IOMMU_HWPT_INVALIDATE $fd1 hwpt=$hwpt2 data=VTD_S1 entries=[all, addr=0x1000 npages=2]',
      sym(iommu.invalidate(F0, 0, [{ scope: 'all' }, { scope: 'range', addr: 0x1000n, npages: 2n }]), { fd: '$fd1', hwpt_id: '$hwpt2' })],
    ['IOMMU_DESTROY $fd1 id=$ioas1', sym(iommu.destroy(F0, 0), { fd: '$fd1', id: '$ioas1' })],
    ['IOMMU_DESTROY fd=3 id=0', sym(iommu.destroy(fd(3), 0))],
    ['VFIO_DEVICE_BIND_IOMMUFD $fd2 iommufd=$fd1', sym(vfio.bindIommufd(F0, F0), { fd: '$fd2', iommufd: '$fd1' })],
    ['VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd2 pt=$ioas1 pasid=1', sym(vfio.attach(F0, 0, 1), { fd: '$fd2', pt_id: '$ioas1' })],
    ['VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd2 pt=$hwpt1', sym(vfio.attach(F0, 0), { fd: '$fd2', pt_id: '$hwpt1' })],
    // a PASID without its flag is not a PASID attach: printed raw, as the kernel will judge it
    ['VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd2 pt=$ioas1 flags=0x0 pasid=5', { ...sym(vfio.attach(F0, 0), { fd: '$fd2', pt_id: '$ioas1' }), pasid: 5 }],
    ['VFIO_DEVICE_DETACH_IOMMUFD_PT $fd2 pasid=1', sym(vfio.detach(F0, 1), { fd: '$fd2' })],
    // the 2021 proposals
    ['IOASID_ALLOC $fd1', sym(ioasid.alloc(F0), { fd: '$fd1' })],
    ['IOASID_MAP_DMA $fd1 ioasid=$ioasid1 iova=0x1000 size=1M vaddr=0x100000 RW', sym(ioasid.map(F0, 0, 0x1000n, 0x100000n, 0x100000n), { fd: '$fd1', ioasid: '$ioasid1' })],
    ['IOASID_REGISTER_MEMORY $fd1 vaddr=0x100000 size=6K', sym(ioasid.register(F0, 0x100000n, 0x1800n), { fd: '$fd1' })],
    ['IOASID_CREATE_NESTING $fd1 parent=$ioasid1', sym(ioasid.nest(F0, 0), { fd: '$fd1', parent_ioasid: '$ioasid1' })],
    ['IOASID_BIND_PGTABLE $fd1 ioasid=$ioasid2 format=VTD pgtbl_addr=0x2000', sym(ioasid.bindPgtable(F0, 0, 0x2000n), { fd: '$fd1', ioasid: '$ioasid2' })],
    ['IOASID_INVALIDATE_CACHE $fd1 ioasid=$ioasid2 iova=0x1000 size=4K', sym(ioasid.invalidate(F0, 0, { kind: 'range', iova: 0x1000n, size: 0x1000n }), { fd: '$fd1', ioasid: '$ioasid2' })],
    ['VFIO_BIND_IOASID_FD $fd2 ioasid_fd=$fd1', sym(vfio.bindIoasidFd(F0, F0), { fd: '$fd2', ioasid_fd: '$fd1' })],
    ['VFIO_ATTACH_IOASID $fd2 ioasid=$ioasid1 pasid=5', sym(vfio.attachIoasid(F0, 0, 5), { fd: '$fd2', ioasid: '$ioasid1' })],
    ['VFIO_DEVICE_BIND_PGTABLE $fd2 ioasid=$ioasid1 pasid=3 format=VTD pgtbl_addr=0x2000', sym(vfio.bindPgtable(F0, 0, 0x2000n, 3), { fd: '$fd2', ioasid: '$ioasid1' })],
    ['VFIO_DEVICE_BIND_PASID_TABLE $fd2 ioasid=$ioasid1 format=SMMUV3 pasid_table_addr=0x5000', sym(vfio.bindPasidTable(F0, 0, 0x5000n), { fd: '$fd2', ioasid: '$ioasid1' })],
    ['VFIO_DEVICE_INVALIDATE_CACHE $fd2 pasid=3 all', sym(vfio.invalidate(F0, 3), { fd: '$fd2' })],
    ['VFIO_DEVICE_BIND_SVA $fd3 pasid=3', sym(vfio.bindSva(F0, 3), { fd: '$fd3' })],
    ['VFIO_DEVICE_UNBIND_SVA $fd3 pasid=3 flags=0x1', sym(vfio.unbindSva(F0, 3, 1), { fd: '$fd3' })],
    // environment actions
    ['OPEN /dev/iommu', sym(env.open('/dev/iommu'))],
    ['CLOSE $fd2', sym(env.close(F0), { fd: '$fd2' })],
    ['MMAP uva=0x100000 len=1G', sym(env.mmap(0x100000n, 1n << 30n))],
    ['MUNMAP uva=0x101000 len=8K', sym(env.munmap(0x101000n, 0x2000n))],
    ['DMA dev1 read 0x1000', sym(env.dma('dev1', null, 0x1000n))],
    ['DMA dev1 pasid 5 write 0x200010', sym(env.dma('dev1', 5, 0x200010n, 'write'))],
    ['GUEST_WRITE_PGTABLE table=0x2000 iova=0x200000 -> 0x3000', sym(env.writePte(0x2000n, 0x200000n, 0x3000n))],
    ['GUEST_WRITE_PGTABLE table=0x2000 iova=0x200000 -> not-present', sym(env.writePte(0x2000n, 0x200000n, null))],
    ['GUEST_WRITE_PASID_TABLE table=0x5000 pasid=3 -> 0x2000', sym(env.writePasidEntry(0x5000n, 3, 0x2000n))],
    // a name no uapi has (a typo in a hand-written trace): every field, raw
    ['IOMMU_IOAS_MAPP fd=$fd1 ioas_id=$ioas1 iova=0x1000', { ioctl: 'IOMMU_IOAS_MAPP', fd: '$fd1', ioas_id: '$ioas1', iova: 0x1000n }],
  ];
  for (const [text, cmd] of rows) {
    it(text, () => {
      expect(formatCmd(cmd)).toBe(text);
    });
  }
});

describe('formatResult prints an answer as the kernel gives it', () => {
  it('success, returned values in hex and units, errnos by name', () => {
    expect(formatResult({ ok: true, out: {} })).toBe('ok');
    expect(formatResult({ ok: true, out: { iova: 0x1000n } })).toBe('ok iova=0x1000');
    expect(formatResult({ ok: true, out: { length: 0x2000n } })).toBe('ok length=8K');
    expect(formatResult({ ok: true, out: { num_iovas: 1, allowed_iovas: [{ start: 0n, last: 0xfedfffffn }], out_iova_alignment: 0x1000n } }))
      .toBe('ok num_iovas=1 allowed_iovas=[0x0..0xfedfffff] out_iova_alignment=4K');
    expect(formatResult({ ok: false, errno: 'ENOENT' })).toBe('ENOENT');
    expect(formatResult({ ok: false, errno: 'EMSGSIZE', out: { num_iovas: 3 } })).toBe('EMSGSIZE num_iovas=3');
  });
  it('a value the step binds prints as its symbol', () => {
    expect(formatResult({ ok: true, out: { out_ioas_id: 1 } }, { out_ioas_id: '$ioas1' })).toBe('ok $ioas1');
    expect(formatResult({ ok: true, out: { out_ioas_id: 1 } })).toBe('ok out_ioas_id=1');
  });
  it('a DMA prints where it went, with the stale answers an un-invalidated IOTLB may give', () => {
    expect(formatResult({ ok: true, out: { xlate: { kind: 'hit', hpa: 0x100000n }, stale: [] } })).toBe('hit 0x100000');
    expect(formatResult({ ok: true, out: { xlate: { kind: 'fault', reason: 'no-translation' }, stale: [] } })).toBe('fault no-translation');
    expect(formatResult({ ok: true, out: { xlate: { kind: 'hit', hpa: 0x100000n }, stale: [{ kind: 'hit', hpa: 0x5000n }] } })).toBe('hit 0x100000 | stale hit 0x5000');
  });
});

/** The simulated kernel with one bug: a fixed map at 0x2000 succeeds whatever is already there. */
const overlapsAt0x2000: KernelFactory = (d, w, a) => {
  const k = createKernel(d, w, a);
  const run = k.run.bind(k);
  k.run = (c) => ('ioctl' in c && c.ioctl === 'IOMMU_IOAS_MAP' && c.iova === 0x2000n ? { ok: true, out: { iova: 0x2000n } } : run(c));
  return k;
};

const mapAt = (iova: bigint, length: bigint): SymCmd => sym(iommu.map(F0, 0, iova, length, 0x100000n), { fd: '$fd1', ioas_id: '$ioas1' });

/** Two overlapping fixed maps: the spec says EEXIST, the broken kernel says ok. */
const overlap: Trace = {
  schema: TRACE_SCHEMA, design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' },
  steps: [
    { cmd: sym(env.open('/dev/iommu')), bind: { fd: '$fd1' } },
    { cmd: sym(env.mmap(0x100000n, 0x4000n)) },
    { cmd: sym(iommu.ioasAlloc(F0), { fd: '$fd1' }), bind: { out_ioas_id: '$ioas1' } },
    { cmd: mapAt(0x1000n, 0x2000n) },
    { cmd: mapAt(0x2000n, 0x1000n) },
  ],
};

describe('counterexampleMarkdown reads as a program', () => {
  it('a differential failure: numbered steps with rule ids, the diverging step marked with both answers, a replaying test', () => {
    const outcome = replay(overlap, overlapsAt0x2000);
    expect(outcome.violation).toMatchObject({ property: 'differential', step: 5 });
    const md = counterexampleMarkdown(overlap, outcome).split('\n');
    expect(md.slice(0, 14)).toEqual([
      '# differential at step 5: iommufd on host-pasid-table',
      '',
      'Written by hand; 5 steps.',
      '',
      '**What broke:** IOAS_MAP.EEXIST.overlap: the spec answers EEXIST, the kernel ok {"iova":"0x2000"}.',
      '',
      '```text',
      '   1. OPEN /dev/iommu -> ok $fd1  [OPEN.ok.ioasid_fd]',
      '   2. MMAP uva=0x100000 len=16K -> ok  [MMAP.ok]',
      '   3. IOMMU_IOAS_ALLOC $fd1 -> ok $ioas1  [IOAS_ALLOC.ok]',
      '   4. IOMMU_IOAS_MAP $fd1 ioas=$ioas1 iova=0x1000 len=8K user_va=0x100000 RW FIXED -> ok iova=0x1000  [IOAS_MAP.ok.fixed]',
      '>> 5. IOMMU_IOAS_MAP $fd1 ioas=$ioas1 iova=0x2000 len=4K user_va=0x100000 RW FIXED -> EEXIST, kernel: ok iova=0x2000  [IOAS_MAP.EEXIST.overlap]',
      '```',
      '',
    ]);
    expect(md).toContain(
      'At step 5 (`IOMMU_IOAS_MAP $fd1 ioas=$ioas1 iova=0x2000 len=4K user_va=0x100000 RW FIXED`) the spec expects `EEXIST` by rule IOAS_MAP.EEXIST.overlap, but the kernel answered `ok iova=0x2000`.',
    );
    const snippet = md.slice(md.indexOf('```ts'));
    expect(snippet).toEqual([
      '```ts',
      "import { readFileSync } from 'node:fs';",
      "import { expect, it } from 'vitest';",
      "import { replay } from '../src/check/replay.js';",
      "import { loadTrace } from '../src/check/schema.js';",
      '',
      "it('differential at step 5: iommufd on host-pasid-table (counterexamples/differential/8b4ef017b9.json)', () => {",
      "  const file = 'counterexamples/differential/8b4ef017b9.json';",
      "  const outcome = replay(loadTrace(readFileSync(file, 'utf8'), file));",
      "  expect(outcome.violation).toMatchObject({ property: 'differential', step: 5 });",
      '});',
      '```',
      '',
    ]);
  });

  it('a failure at the end of the trace: the answers recorded in the trace, then the end marked', () => {
    const t: Trace = {
      schema: TRACE_SCHEMA, design: 'rfc-v1', hardware: 'guest-pasid-table', memlockPages: 12,
      origin: { kind: 'check', seed: 7, path: '3:1', runs: 40, shrinks: 12, minimality: '1-minimal' },
      steps: [
        { cmd: sym(env.open('/dev/ioasid')), bind: { fd: '$fd1' }, spec: { result: { ok: true, out: { fd: 3 } }, rule: 'OPEN.ok' }, impl: { result: { ok: true, out: { fd: 3 } } } },
        { cmd: sym(ioasid.alloc(F0), { fd: '$fd1' }), bind: { ioasid: '$ioasid1' }, spec: { result: { ok: true, out: { ioasid: 1 } }, rule: 'IOASID_ALLOC.ok' }, impl: { result: { ok: true, out: { ioasid: 1 } } } },
        { cmd: sym(env.dma('dev1', null, 0x1000n)), spec: { result: { ok: true, out: { xlate: { kind: 'fault', reason: 'blocked' }, stale: [] } }, rule: 'DMA.fault' },
          impl: { result: { ok: true, out: { xlate: { kind: 'fault', reason: 'blocked' } } } } },
      ],
    };
    const outcome: ReplayOutcome = { records: [], violation: { property: 'P-NOLEAK', step: 0, message: 'ioasid 1 of file 1 is left after close' }, unexpected: [] };
    const md = counterexampleMarkdown(t, outcome, 'counterexamples/P-NOLEAK/x.json').split('\n');
    expect(md.slice(0, 12)).toEqual([
      '# P-NOLEAK at the end of the trace: rfc-v1 on guest-pasid-table',
      '',
      'Found by check (seed 7, path 3:1, 40 runs, 12 shrinks, 1-minimal, RLIMIT_MEMLOCK 12 pages); 3 steps.',
      '',
      '**What broke:** Ioasid 1 of file 1 is left after close.',
      '',
      '```text',
      '   1. OPEN /dev/ioasid -> ok $fd1  [OPEN.ok]',
      '   2. IOASID_ALLOC $fd1 -> ok $ioasid1  [IOASID_ALLOC.ok]',
      '   3. DMA dev1 read 0x1000 -> fault blocked  [DMA.fault]',
      '>>    end of trace: every fd closed  [P-NOLEAK]',
      '```',
    ]);
    expect(md).toContain('Expected P-NOLEAK to hold once every fd is closed at the end of the trace; actually ioasid 1 of file 1 is left after close.');
    expect(md).toContain("  expect(outcome.violation).toMatchObject({ property: 'P-NOLEAK', step: 0 });");
  });
});

describe('writeCounterexample files a counterexample under a stable name', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'ioasid-lab-cx-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('writes <property>/<hash>.json and the .md beside it, the same name for the same trace, nothing half-written', () => {
    const dir = tempDir();
    const outcome = replay(overlap, overlapsAt0x2000);
    const first = writeCounterexample(dir, overlap, outcome);
    expect(counterexampleHash(overlap)).toBe('8b4ef017b9');
    expect(first).toEqual({ json: join(dir, 'differential', '8b4ef017b9.json'), md: join(dir, 'differential', '8b4ef017b9.md'), written: true });
    // found again, with other results and another origin: the same files, left as they were
    const before = readFileSync(first.json, 'utf8');
    const again = writeCounterexample(dir, { ...overlap, origin: { kind: 'check', seed: 9 } }, outcome);
    expect(again).toEqual({ ...first, written: false });
    expect(readFileSync(first.json, 'utf8')).toBe(before);
    expect(readdirSync(join(dir, 'differential')).sort()).toEqual(['8b4ef017b9.json', '8b4ef017b9.md']);
    // one more step is another counterexample
    const longer: Trace = { ...overlap, steps: [...overlap.steps, { cmd: sym(env.dma('dev1', null, 0x1000n)) }] };
    const other = writeCounterexample(dir, longer, outcome);
    expect(other.json).not.toBe(first.json);
    expect(listCounterexamples(dir)).toEqual([first.json, other.json].sort());
    expect(listCounterexamples(join(dir, 'nothing-here'))).toEqual([]);
  });

  it('never replaces a file: another RLIMIT_MEMLOCK is another name; a name holding something else gives the next name', () => {
    const dir = tempDir();
    const outcome = replay(overlap, overlapsAt0x2000);
    expect(counterexampleHash({ ...overlap, memlockPages: 16 })).not.toBe(counterexampleHash(overlap));
    const first = writeCounterexample(dir, overlap, outcome);
    // a hand-edited file under that name (say, a verdict set to fixed and a memlock added): kept, byte for byte
    const edited = readFileSync(first.json, 'utf8').replace('"design"', '"memlockPages": 16,\n  "design"');
    writeFileSync(first.json, edited);
    const second = writeCounterexample(dir, overlap, outcome);
    expect(second.json).toBe(join(dir, 'differential', '8b4ef017b9-2.json'));
    expect(second.written).toBe(true);
    expect(readFileSync(first.json, 'utf8')).toBe(edited);
    // not a trace at all under the name: kept too
    writeFileSync(second.json, 'notes');
    expect(writeCounterexample(dir, overlap, outcome).json).toBe(join(dir, 'differential', '8b4ef017b9-3.json'));
    expect(readFileSync(second.json, 'utf8')).toBe('notes');
  });

  it('new finds under <dir>/new/ are not part of the regression set listCounterexamples returns', () => {
    const dir = tempDir();
    const outcome = replay(overlap, overlapsAt0x2000);
    const kept = writeCounterexample(dir, overlap, outcome);
    writeCounterexample(join(dir, 'new'), overlap, outcome);
    expect(listCounterexamples(dir)).toEqual([kept.json]);
  });

  it('the JSON loads back as the same trace, with the violation as an open verdict; the .md replays that file', () => {
    const dir = tempDir();
    const outcome = replay(overlap, overlapsAt0x2000);
    const { json, md } = writeCounterexample(dir, overlap, outcome);
    const back = loadTrace(readFileSync(json, 'utf8'), json);
    expect(back.steps.map((s) => s.cmd)).toEqual(overlap.steps.map((s) => s.cmd));
    expect(back.verdict).toEqual({ property: 'differential', step: 5, message: outcome.violation?.message, status: 'open' });
    const page = readFileSync(md, 'utf8');
    expect(page.split('\n')[0]).toBe('# differential at step 5: iommufd on host-pasid-table');
    expect(page).toContain(`  const file = '${json}';`);
  });
});
