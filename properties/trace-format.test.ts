/**
 * The trace file format (docs/trace-format.md, src/check/schema.ts): what `traceToJson` writes, `loadTrace` reads
 * back unchanged, for traces the checker generates on every design; every kind of bad file is rejected with its
 * own one-line message naming the file, the step and the field; the documented example is a valid trace that
 * replays as it says; the schema, the symbol resolver and the doc agree on the fields.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import type { KernelFactory } from '../src/check/differential.js';
import { createKernel } from '../src/impl/index.js';
import { replay } from '../src/check/replay.js';
import { renumber } from '../src/check/shrink.js';
import { ENV_FIELDS, ENV_NAMES, FIELD_KINDS, IOCTL_FIELDS, loadTrace, OUTPUT_FIELDS, TraceError } from '../src/check/schema.js';
import { FD_FIELDS, ID_FIELDS, TRACE_SCHEMA, traceToJson, VALUE_OUTPUTS, type Trace, type TraceStep } from '../src/check/trace.js';
import { DESIGN_NAMES, HW_KINDS, IOCTL_NAMES } from '../src/uapi/index.js';

const FILE = 'counterexamples/x.json';
const DOC = readFileSync('docs/trace-format.md', 'utf8');
/** The first ```json block of the doc. */
const docExample = (): string => {
  const m = /```json\n([\s\S]*?)```/.exec(DOC);
  if (!m?.[1]) throw new Error('docs/trace-format.md has no ```json block');
  return m[1];
};

/** The message `loadTrace` rejects `text` with (a TraceError, one line), or a test failure if it loads. */
function rejection(text: string): string {
  try {
    loadTrace(text, FILE);
  } catch (e) {
    if (!(e instanceof TraceError)) throw e;
    expect(e.message).not.toContain('\n');
    return e.message;
  }
  throw new Error('the trace loaded');
}

// A small valid hand-written trace, as plain JSON values, for the bad-input cases to spoil one field at a time.
const OPEN = { cmd: { env: 'OPEN', path: '/dev/iommu' }, bind: { fd: '$fd1' }, expect: 'ok' };
const ALLOC = { cmd: { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, bind: { out_ioas_id: '$ioas1' } };
const MAP = { ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 7, ioas_id: '$ioas1', __reserved: 0, user_va: '0x100000', length: '0x1000', iova: '0x10000' };
const MMAP = { cmd: { env: 'MMAP', uva: '0x100000', length: '0x4000' } };
const traceText = (steps: readonly unknown[], top: Readonly<Record<string, unknown>> = {}): string =>
  JSON.stringify({ schema: TRACE_SCHEMA, design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' }, steps, ...top });
const without = (o: Readonly<Record<string, unknown>>, field: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== field));

describe('trace format: round trip', () => {
  // Every step the checker generates (edge values, bad references, recorded results) must survive the file.
  for (const design of DESIGN_NAMES) {
    for (const hardware of HW_KINDS) {
      it(`traceToJson then loadTrace gives the same trace: generated steps of ${design} on ${hardware} (seed 11)`, () => {
        const steps: TraceStep[] = [];
        check({ design, hardware, runs: 4, seed: 11, maxCommands: 25, timeLimitMs: 20_000, probe: false, onStep: (st) => void steps.push(st) });
        expect(steps.length).toBeGreaterThan(10);
        const t: Trace = {
          schema: TRACE_SCHEMA, design, hardware, memlockPages: 12,
          origin: { kind: 'check', seed: 11, path: '3:0:1', runs: 4, shrinks: 2, minimality: '1-minimal' },
          verdict: { property: 'differential', step: steps.length, message: 'the spec answers EBUSY, the kernel ok {}', status: 'open' },
          steps,
        };
        expect(loadTrace(traceToJson(t), 'generated.json')).toEqual(t);
      });
    }
  }

  it('u64 values come back as bigint, including values past U64_MAX; references stay numbers or symbols', () => {
    const t: Trace = {
      schema: TRACE_SCHEMA, design: 'iommufd', hardware: 'guest-pasid-table', origin: { kind: 'hand' },
      steps: [
        { cmd: { ioctl: 'IOMMU_IOAS_UNMAP', fd: '$fd1', ioas_id: 0, iova: 0n, length: (1n << 64n) - 1n }, expect: { length: 0n } },
        { cmd: { env: 'DMA', dev: 'dev1', pasid: null, iova: 1n << 64n, access: 'write' }, expect: 'EINVAL' },
        { cmd: { env: 'GUEST_WRITE_PGTABLE', table: 0x2000n, iova: 0x200000n, gpa: null } },
        { cmd: { ioctl: 'IOMMU_HWPT_ALLOC', fd: -1, flags: 0, dev_id: '$dev1', pt_id: '$ioas1', __reserved: 0, data_type: 'IOMMU_HWPT_DATA_NONE', data: null, fault_id: 0 } },
      ],
    };
    const back = loadTrace(traceToJson(t), 'hand.json');
    expect(back).toEqual(t);
    expect(back.steps[1]?.cmd.iova).toBe(1n << 64n);
  });
});

describe('trace format: a bad file is one line naming the file, the step and the field', () => {
  it('not JSON', () => {
    expect(rejection('{"schema": "ioasid-lab/trace@1",}')).toBe(`${FILE}: not JSON: unexpected '}' at line 1 column 33`);
    expect(rejection('{"schema": "ioasid-lab/trace@1"')).toBe(`${FILE}: not JSON: unexpected end of input at line 1 column 32`);
  });

  it('a wrong schema string', () => {
    expect(rejection(traceText([OPEN], { schema: 'ioasid-lab/trace@3' }))).toBe(`${FILE}: schema must be one of ioasid-lab/trace@1, ioasid-lab/trace@2, not "ioasid-lab/trace@3"`);
  });

  it('a version 1 file still loads and replays as it always did; what only @2 may say is refused in it, by name', () => {
    const v1 = traceText([OPEN], { schema: 'ioasid-lab/trace@1' });
    expect(loadTrace(v1, FILE).schema).toBe('ioasid-lab/trace@1');
    expect(rejection(traceText([OPEN], { schema: 'ioasid-lab/trace@1', profile: 'vtd' }))).toBe(`${FILE}: profile needs schema "ioasid-lab/trace@2" (this file says ioasid-lab/trace@1)`);
    expect(rejection(traceText([OPEN], { schema: 'ioasid-lab/trace@1', origin: { kind: 'hand', source: 'x' } }))).toMatch(/origin.source needs schema/);
    // commands added to @2 since: munmap and native SVA
    const munmap = { cmd: { env: 'MUNMAP', uva: '0x100000', length: '0x1000' } };
    expect(loadTrace(traceText([OPEN, MMAP, munmap]), FILE).steps).toHaveLength(3);
    expect(rejection(traceText([OPEN, MMAP, munmap], { schema: 'ioasid-lab/trace@1' }))).toBe(`${FILE}: MUNMAP needs schema "ioasid-lab/trace@2" (this file says ioasid-lab/trace@1)`);
    const bindSva = { cmd: { ioctl: 'VFIO_DEVICE_BIND_SVA', fd: 4, flags: 0, pasid: 3 } };
    expect(rejection(traceText([OPEN, bindSva], { schema: 'ioasid-lab/trace@1', design: 'per-device-sva' }))).toBe(`${FILE}: VFIO_DEVICE_BIND_SVA needs schema "ioasid-lab/trace@2" (this file says ioasid-lab/trace@1)`);
  });

  it('a kernel version: a known one loads with the Linux release a find came from; an unknown one, one in a @1 file, or one on a design that never shipped is refused', () => {
    const t = loadTrace(traceText([OPEN, ALLOC], { kernel: '6.12', origin: { kind: 'check', linux: '6.12.118' } }), FILE);
    expect([t.kernel, t.origin.linux]).toEqual(['6.12', '6.12.118']);
    expect(replay(t).violation).toBeNull();
    expect(rejection(traceText([OPEN], { kernel: '5.4' }))).toBe(`${FILE}: kernel must be a kernel version whose uAPI the trace follows (upstream, 6.12), not "5.4"`);
    expect(rejection(traceText([OPEN], { kernel: '6.12', design: 'rfc-v1' }))).toBe(`${FILE}: kernel 6.12: design rfc-v1 never shipped, a kernel version applies to a merged design only`);
    expect(rejection(traceText([OPEN], { schema: 'ioasid-lab/trace@1', kernel: '6.12' }))).toBe(`${FILE}: kernel needs schema "ioasid-lab/trace@2" (this file says ioasid-lab/trace@1)`);
  });

  it('an unknown design', () => {
    expect(rejection(traceText([OPEN], { design: 'vfio-type1' }))).toBe(`${FILE}: design must be one of iommufd, rfc-v1, fd-per-ioasid, per-device-sva, setup-only-association, not "vfio-type1"`);
  });

  it('an unknown ioctl name', () => {
    expect(rejection(traceText([OPEN, ALLOC, { cmd: { ...MAP, ioctl: 'IOMMU_IOAS_MAPP' } }]))).toBe(`${FILE}: step 3: cmd.ioctl must be an ioctl name (IOCTL_NAMES in src/uapi/command.ts), not "IOMMU_IOAS_MAPP"`);
  });

  it('a u64 given as a number', () => {
    expect(rejection(traceText([OPEN, ALLOC, { cmd: { ...MAP, iova: 65536 } }]))).toBe(`${FILE}: step 3: cmd.iova must be a 0x... hex string or a symbol like $iova1, not 65536`);
  });

  it('a bad symbol in bind', () => {
    expect(rejection(traceText([OPEN, { ...ALLOC, bind: { out_ioas_id: 'ioas1' } }]))).toBe(`${FILE}: step 2: bind.out_ioas_id must be a symbol like $ioas1 ($, a lowercase kind, a number), not "ioas1"`);
  });

  it('IOMMU_IOAS_MAP without length', () => {
    expect(rejection(traceText([OPEN, ALLOC, { cmd: without(MAP, 'length') }]))).toBe(`${FILE}: step 3: cmd.length is missing (IOMMU_IOAS_MAP takes fd, flags, ioas_id, __reserved, user_va, length, iova)`);
  });

  it('a bad errno in expect', () => {
    expect(rejection(traceText([{ ...OPEN, expect: 'EWOULDBLOCK' }]))).toBe(
      `${FILE}: step 1: expect must be "ok", an errno (EPERM, ENOENT, EBADF, ENOMEM, EFAULT, EBUSY, EEXIST, ENODEV, EINVAL, ENOTTY, ENOSPC, E2BIG, EOVERFLOW, EBADFD, EMSGSIZE, EOPNOTSUPP, EADDRINUSE, ESRCH, EINTR, EIO, ENXIO, EAGAIN, EACCES, EMFILE, ERANGE, ENOSYS, ENODATA, ETIMEDOUT, ESPIPE), an object of returned values, or {"errno", "out"}: a failure and what it wrote back, not "EWOULDBLOCK"`,
    );
  });

  it('a misspelt field of a command', () => {
    expect(rejection(traceText([OPEN, ALLOC, { cmd: { ...MAP, lenght: '0x1000' } }]))).toBe(`${FILE}: step 3: cmd.lenght is not a known field (IOMMU_IOAS_MAP takes fd, flags, ioas_id, __reserved, user_va, length, iova)`);
  });

  it('a command that names neither an ioctl nor an env action', () => {
    expect(rejection(traceText([{ cmd: { path: '/dev/iommu' } }]))).toBe(`${FILE}: step 1: cmd.ioctl is missing (a command names an "ioctl" or an "env" action)`);
  });

  it('an fd reference that is neither a number nor a symbol', () => {
    expect(rejection(traceText([OPEN, ALLOC, { cmd: { ...MAP, fd: 'fd1' } }]))).toBe(`${FILE}: step 3: cmd.fd must be an fd number or a symbol like $fd1, not "fd1"`);
  });

  it('a nested u64 given as a number', () => {
    const allow = { ioctl: 'IOMMU_IOAS_ALLOW_IOVAS', fd: '$fd1', ioas_id: '$ioas1', __reserved: 0, allowed_iovas: [{ start: '0x0', last: 4095 }] };
    expect(rejection(traceText([OPEN, ALLOC, { cmd: allow }]))).toBe(`${FILE}: step 3: cmd.allowed_iovas[0].last must be a 0x... hex string or a symbol like $iova1, not 4095`);
  });

  it('a verdict past the last step', () => {
    expect(rejection(traceText([OPEN], { verdict: { property: 'P-NOLEAK', step: 2, message: 'm', status: 'open' } }))).toBe(`${FILE}: verdict.step must be at most 1 (the number of steps), not 2`);
  });

  it('null is accepted exactly where the uAPI has it (DMA without PASID, a cleared PTE, no HWPT data)', () => {
    expect(loadTrace(traceText([OPEN, MMAP, { cmd: { env: 'DMA', dev: 'dev2', pasid: null, iova: '0x0', access: 'read' } }, { cmd: { env: 'GUEST_WRITE_PGTABLE', table: '0x2000', iova: '0x0', gpa: null } }]), FILE).steps).toHaveLength(4);
    expect(rejection(traceText([OPEN, { cmd: { ...MAP, iova: null } }]))).toBe(`${FILE}: step 2: cmd.iova must be a 0x... hex string or a symbol like $iova1, not null`);
  });
});

describe('trace format: the documented example', () => {
  it('the first ```json block of docs/trace-format.md is a valid trace', () => {
    const t = loadTrace(docExample(), 'docs/trace-format.md');
    expect(t.design).toBe('iommufd');
    expect(t.steps.length).toBeGreaterThanOrEqual(4);
    expect(t.steps.length).toBeLessThanOrEqual(6);
  });

  it('it replays as it says: every expectation met on both sides, no property broken', () => {
    const o = replay(loadTrace(docExample(), 'docs/trace-format.md'));
    expect(o.unexpected).toEqual([]);
    expect(o.violation).toBeNull();
  });
});

describe('trace format: the schema, the resolver and the doc agree', () => {
  const all = [...Object.values(IOCTL_FIELDS), ...Object.values(ENV_FIELDS)].map((f): Readonly<Record<string, unknown>> => f);
  const fieldsOfKind = (kind: unknown) => new Set(all.flatMap((f) => Object.entries(f).filter(([, v]) => v === kind).map(([k]) => k)));

  it('one row per ioctl and per environment action', () => {
    expect(Object.keys(IOCTL_FIELDS).sort()).toEqual([...IOCTL_NAMES].sort());
    expect(ENV_NAMES).toEqual(['OPEN', 'CLOSE', 'MMAP', 'MUNMAP', 'DMA', 'GUEST_WRITE_PGTABLE', 'GUEST_WRITE_PASID_TABLE', 'MOCK_ADD_RESERVED',
      'MOCK_ACCESS_CREATE', 'MOCK_ACCESS_PIN', 'MOCK_ACCESS_UNPIN', 'MOCK_ACCESS_RW', 'MOCK_ACCESS_REPLACE', 'PAGE_REQUEST', 'FAULT_READ', 'FAULT_RING_READ', 'FAULT_WRITE', 'MEMFD_CREATE',
      'IOMMU_EVENT', 'VEVENTQ_READ']);
  });

  it('a field may hold a symbol exactly when replay resolves it (FD_FIELDS, ID_FIELDS)', () => {
    expect([...fieldsOfKind(FIELD_KINDS.fdRef)].sort()).toEqual([...FD_FIELDS].sort());
    expect([...fieldsOfKind(FIELD_KINDS.idRef)].sort()).toEqual([...ID_FIELDS].sort());
  });

  it('the doc lists every command with its fields, in order', () => {
    const rows: [string, Readonly<Record<string, unknown>>][] = [...Object.entries(IOCTL_FIELDS), ...Object.entries(ENV_FIELDS)];
    for (const [name, fields] of rows) {
      const row = DOC.split('\n').find((l) => l.includes(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      const listed = [...(row ?? '').split(/(?<!\\)\|/)[3]!.matchAll(/(?:^ |, )`(\w+)`/g)].map((m) => m[1]); // 3: the fields column
      expect(listed, name).toEqual(Object.keys(fields));
    }
  });
});

describe('trace format: a failed call\'s written-back outputs in expect ({ "errno", "out" })', () => {
  const IOAS_ALLOC = { ...ALLOC, expect: 'ok' };
  // no device: the whole address space is one allowed range, so num_iovas 0 is one too few
  const ranges = (num: number, expectation: unknown) => ({ cmd: { ioctl: 'IOMMU_IOAS_IOVA_RANGES', fd: '$fd1', ioas_id: '$ioas1', num_iovas: num, __reserved: 0 }, expect: expectation });
  it('an EMSGSIZE that writes back the needed num_iovas replays as expected; a wrong count is reported', () => {
    const good = replay(loadTrace(traceText([OPEN, IOAS_ALLOC, ranges(0, { errno: 'EMSGSIZE', out: { num_iovas: 1 } })]), FILE));
    expect(good.violation).toBeNull();
    expect(good.unexpected).toEqual([]);
    const wrong = replay(loadTrace(traceText([OPEN, IOAS_ALLOC, ranges(0, { errno: 'EMSGSIZE', out: { num_iovas: 2 } })]), FILE));
    expect(wrong.unexpected.map((u) => u.message)).toEqual([
      'IOMMU_IOAS_IOVA_RANGES: expected num_iovas=2 written back with EMSGSIZE, got 1',
      'IOMMU_IOAS_IOVA_RANGES: expected num_iovas=2 written back with EMSGSIZE, got 1',
    ]);
    const other = replay(loadTrace(traceText([OPEN, IOAS_ALLOC, ranges(1, { errno: 'EMSGSIZE' })]), FILE));
    expect(other.unexpected[0]?.message).toBe('IOMMU_IOAS_IOVA_RANGES: expected EMSGSIZE, got ok');
  });
  it('the differential check compares what a failure wrote back: a kernel that reports the wrong count is caught', () => {
    const t = loadTrace(traceText([OPEN, IOAS_ALLOC, ranges(0, 'EMSGSIZE')]), FILE);
    expect(replay(t).violation).toBeNull();
    const wrongCount: KernelFactory = (d, w, a) => {
      const k = createKernel(d, w, a);
      const run = k.run.bind(k);
      k.run = (c) => {
        const r = run(c);
        return !r.ok && r.errno === 'EMSGSIZE' ? { ...r, out: { num_iovas: 7 } } : r;
      };
      return k;
    };
    expect(replay(t, wrongCount).violation).toMatchObject({ property: 'differential', step: 3 });
  });
  it('a failure expectation is a closed record with a known errno', () => {
    expect(rejection(traceText([OPEN, ranges(0, { errno: 'EFOO' })]))).toMatch(/step 2: expect\.errno must be one of .*, not "EFOO"/);
    expect(rejection(traceText([OPEN, ranges(0, { errno: 'EMSGSIZE', outs: {} })]))).toMatch(/step 2: expect\.outs is not a known field \(a failure expectation has errno and maybe out\)/);
  });
});

describe('trace format: bound values (an IOVA the kernel chose, bound to a symbol and used later)', () => {
  const IOAS_ALLOC = { ...ALLOC, expect: 'ok' };
  const autoMap = { cmd: { ...MAP, flags: 6 }, bind: { iova: '$iova1' }, expect: 'ok' }; // READ | WRITE, no FIXED_IOVA
  const unmap = (iova: unknown, expectation: unknown) => ({ cmd: { ioctl: 'IOMMU_IOAS_UNMAP', fd: '$fd1', ioas_id: '$ioas1', iova, length: '0x1000' }, expect: expectation });
  it('a map binds the IOVA it was given; an unmap there and an expectation naming it both resolve, on each side', () => {
    const t = loadTrace(traceText([OPEN, MMAP, IOAS_ALLOC, autoMap,
      { cmd: { ioctl: 'IOMMU_IOAS_COPY', fd: '$fd1', flags: 6, dst_ioas_id: '$ioas1', src_ioas_id: '$ioas1', length: '0x1000', dst_iova: '0x0', src_iova: '$iova1' }, bind: { dst_iova: '$iova2' }, expect: 'ok' },
      unmap('$iova2', { length: '0x1000' }),
      unmap('$iova1', { length: '0x1000' }),
      unmap('$iova1', 'ENOENT'),
    ]), FILE);
    const o = replay(t);
    expect(o.violation).toBeNull();
    expect(o.unexpected).toEqual([]);
    // the chosen IOVA is what the symbol means: the unmap went to it (an unbound symbol would have meant 0)
    expect((o.records[6]!.cmd as { iova: bigint }).iova).toBe((o.records[3]!.spec.result as { out: { iova: bigint } }).out.iova);
  });
  it('an expectation naming a bound value must match it', () => {
    const t = loadTrace(traceText([OPEN, MMAP, IOAS_ALLOC, autoMap, { cmd: { ...MAP, flags: 6 }, expect: { iova: '$iova1' } }]), FILE);
    expect(replay(t).unexpected.map((u) => u.message)[0]).toMatch(/^IOMMU_IOAS_MAP: expected iova="0x[0-9a-f]+", got "0x[0-9a-f]+"$/);
  });
  it('a symbol nothing bound stands for 0 in a u64 field', () => {
    const o = replay(loadTrace(traceText([OPEN, MMAP, IOAS_ALLOC, unmap('$iova7', 'ENOENT')]), FILE));
    expect((o.records[3]!.cmd as { iova: bigint }).iova).toBe(0n);
    expect(o.unexpected).toEqual([]);
  });
  it('bind takes only outputs of the command; a u64 field takes hex or a symbol', () => {
    expect(rejection(traceText([OPEN, MMAP, IOAS_ALLOC, { ...autoMap, bind: { out_iova: '$iova1' } }]))).toBe(`${FILE}: step 4: bind.out_iova is not an output of IOMMU_IOAS_MAP (it outputs iova)`);
    expect(rejection(traceText([OPEN, MMAP, IOAS_ALLOC, unmap('$', 'ok')]))).toBe(`${FILE}: step 4: cmd.iova must be a 0x... hex string or a symbol like $iova1, not "$"`);
  });
});

describe('trace format: an expectation names only outputs its command has', () => {
  it('a misspelt output in expect, or in a failure\'s out, is refused at load with the outputs listed', () => {
    expect(rejection(traceText([OPEN, { ...ALLOC, expect: { out_ioas: 1 } }]))).toBe(`${FILE}: step 2: expect.out_ioas is not an output of IOMMU_IOAS_ALLOC (it returns out_ioas_id)`);
    const ranges = { ioctl: 'IOMMU_IOAS_IOVA_RANGES', fd: '$fd1', ioas_id: '$ioas1', num_iovas: 0, __reserved: 0 };
    expect(rejection(traceText([OPEN, ALLOC, { cmd: ranges, expect: { errno: 'EMSGSIZE', out: { num_iova: 1 } } }]))).toBe(
      `${FILE}: step 3: expect.out.num_iova is not an output of IOMMU_IOAS_IOVA_RANGES (it returns num_iovas, allowed_iovas, out_iova_alignment)`,
    );
    expect(rejection(traceText([OPEN, { cmd: { env: 'MMAP', uva: '0x100000', length: '0x1000' }, expect: { iova: '0x0' } }]))).toMatch(/MMAP \(it returns nothing\)$/);
  });
  it('every value a step may bind is an output of its command', () => {
    for (const [name, fields] of Object.entries(VALUE_OUTPUTS)) for (const f of fields) expect(Object.keys(OUTPUT_FIELDS[name as keyof typeof OUTPUT_FIELDS]), name).toContain(f);
  });
});

describe('trace format: symbols after shrinking', () => {
  it('renumbering names bound symbols in binding order and never gives an unbound one the name of a bound one', () => {
    // the step that bound $fd1 was shrunk away: $fd1 means "never opened" (-1) and must not become the renamed $fd2
    const steps: TraceStep[] = [
      { cmd: { env: 'OPEN', path: '/dev/vfio/devices/vfio0' }, bind: { fd: '$fd2' } },
      { cmd: { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: '$fd2', flags: 0, iommufd: '$fd1' } },
    ];
    const r = renumber(steps);
    expect(r[0]?.bind).toEqual({ fd: '$fd1' });
    expect(r[1]?.cmd).toMatchObject({ fd: '$fd1', iommufd: '$fd2' });
    const t: Trace = { schema: TRACE_SCHEMA, design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' }, steps };
    expect(replay(t).records[1]?.spec.rule).toBe(replay({ ...t, steps: r }).records[1]?.spec.rule); // the same meaning: BIND_IOMMUFD.EINVAL.negative_fd
  });
});
