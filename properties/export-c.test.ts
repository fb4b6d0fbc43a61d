/**
 * `ioasid-lab export --format c`: every counterexample of the merged design, every hand-written Linux trace
 * (traces/kernel/) and 20 random iommufd traces (3 more with fail_nth steps) become C programs that compile with
 * `gcc -Wall -Werror` and, linked against the recording stub (properties/c-stub.ts) in place of the kernel, issue
 * exactly the calls their trace makes — request numbers and argument bytes as src/kernel/abi.ts sends Linux — and
 * pass. A wrong answer stops the program at that step; a program that sent other bytes is stopped by the stub. The
 * uAPI definitions a program carries give way to the system's header, and a header too old for the trace is a one-line
 * #error (against Linux 6.12's real headers: properties/kernel/export-c.test.ts). `--selftest` exports compile too;
 * the 2021 designs are refused.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import { listCounterexamples } from '../src/check/counterexample.js';
import { C_MARK, cOf, cProblem } from '../src/check/export-c.js';
import { loadTrace } from '../src/check/schema.js';
import type { Trace } from '../src/check/trace.js';
import { main } from '../src/cli/main.js';
import { stubCalls, stubOf, WRAPS, type StubChange } from './c-stub.js';

const run = promisify(execFile);
const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const CFLAGS = ['-Wall', '-Werror', '-std=gnu11', '-O0'];

const load = (f: string) => loadTrace(readFileSync(f, 'utf8'), f);
const files = [...listCounterexamples('counterexamples'), ...readdirSync('traces/kernel').filter((f) => f.endsWith('.json')).map((f) => join('traces/kernel', f))];

function randomTraces(): { name: string; trace: Trace }[] {
  const out: { name: string; trace: Trace }[] = [];
  check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 20, seed: 5, maxCommands: 30, timeLimitMs: 60_000, onTrace: (t) => out.push({ name: `random ${out.length + 1}`, trace: t }) });
  const n = out.length;
  check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 3, seed: 5, maxCommands: 30, timeLimitMs: 60_000, failNth: true, onTrace: (t) => out.push({ name: `fail_nth ${out.length - n + 1}`, trace: t }) });
  return out;
}

/** Up to `k` at a time: gcc runs are independent. */
async function pool<T, R>(xs: readonly T[], k: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  await Promise.all(Array.from({ length: k }, async () => { while (next < xs.length) { const i = next++; out[i] = await f(xs[i]!); } }));
  return out;
}

interface Ran { readonly name: string; readonly code: number | null; readonly out: string; readonly steps: number }

/** The program of `t` built with the stub (and a fault in the stub's table, if asked), run. */
async function runWithStub(dir: string, name: string, t: Trace, change?: StubChange): Promise<Ran> {
  const base = join(dir, name.replace(/[^a-zA-Z0-9]+/g, '-'));
  writeFileSync(`${base}.c`, cOf(t, name));
  writeFileSync(`${base}-stub.c`, stubOf(t, change));
  try {
    await run('gcc', [...CFLAGS, '-o', base, `${base}.c`, `${base}-stub.c`, ...WRAPS]);
  } catch (e) {
    return { name, code: -1, out: `gcc: ${(e as { stderr?: string }).stderr ?? String(e)}`, steps: t.steps.length };
  }
  const r = await run(base, [], { encoding: 'utf8' }).then((x) => ({ code: 0, out: x.stdout }), (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, out: e.stdout ?? '' }));
  return { name, ...r, steps: t.steps.length };
}

/** Whether a run passed: exit 0, its last step line, and every call the trace makes made. */
function passed(r: Ran): string | null {
  if (r.code !== 0) return `${r.name}: exit ${r.code}\n${r.out.split('\n').slice(-4).join('\n')}`;
  if (!r.out.includes(`all ${r.steps} steps answered as the spec says`)) return `${r.name}: no final line`;
  const made = /stub: (\d+) of (\d+) calls made/.exec(r.out);
  if (!made || made[1] !== made[2]) return `${r.name}: ${made?.[0] ?? 'no call count'}`;
  const lines = r.out.split('\n').filter((l) => /^step \d+:/.test(l));
  return lines.length === r.steps ? null : `${r.name}: ${lines.length} step lines for ${r.steps} steps`;
}

describe.skipIf(!hasGcc)('C exports against the recording stub (gcc)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-lab-c-'));
  const merged = files.filter((f) => cProblem(load(f)) === null);

  it('every counterexample and Linux trace of the merged design, and 23 random iommufd traces: warning-free, exactly the calls of the trace, every answer the spec\'s', async () => {
    expect(merged.length).toBeGreaterThan(50);
    const traces = [...merged.map((f) => ({ name: f, trace: load(f) })), ...randomTraces()];
    expect(traces.filter((t) => t.name.startsWith('random'))).toHaveLength(20);
    expect(traces.some((t) => t.trace.steps.some((s) => s.failNth !== undefined && t.name.startsWith('fail_nth')))).toBe(true);
    const ran = await pool(traces, 2, (t) => runWithStub(dir, t.name, t.trace));
    expect(ran.map(passed).filter((p) => p !== null)).toEqual([]);
  }, 180_000);

  it('a kernel that answers one call otherwise: the program stops at that step, exit 1', async () => {
    const f = 'counterexamples/P-WARN/29c3d681cf.json';
    // the 5th call is step 5's VFIO_DEVICE_BIND_IOMMUFD, which the spec answers ok
    const r = await runWithStub(dir, 'wrong-answer', load(f), { kind: 'answer-einval', call: 4 });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^step 5: VFIO_DEVICE_BIND_IOMMUFD \$fd2 iommufd=\$fd1 -> EINVAL, but the spec answers ok$/m);
    expect(r.out).not.toMatch(/^step 6:/m);
  });

  it('a program whose bytes are not the trace\'s: the stub stops it, exit 99', async () => {
    const f = 'counterexamples/P-INVAL/42971db1a7.json';
    const t = load(f);
    const step = t.steps.findIndex((s) => 'ioctl' in s.cmd && s.cmd.ioctl === 'IOMMU_IOAS_MAP') + 1;
    const call = stubCalls(t).findIndex((c) => c.step === step);
    expect(call).toBeGreaterThan(0);
    // byte 25 of struct iommu_ioas_map is the second byte of its length (4K: 0x10)
    const r = await runWithStub(dir, 'wrong-bytes', t, { kind: 'expect-byte', call, byte: 25 });
    expect(r.code).toBe(99);
    expect(r.out).toMatch(new RegExp(`^stub: call ${call + 1} \\(step ${step}\\): argument byte 25 is 0x10, but the trace's is 0x11$`, 'm'));
  });

  it('--selftest exports compile warning-free too (the mock stands for the VFIO cdevs and the DMA)', async () => {
    const results = await pool(merged, 2, async (f) => {
      const base = join(dir, `selftest-${f.replace(/[^a-zA-Z0-9]+/g, '-')}`);
      writeFileSync(`${base}.c`, cOf(load(f), f, { selftest: true }));
      return run('gcc', [...CFLAGS, '-c', '-o', `${base}.o`, `${base}.c`]).then(() => null, (e: { stderr?: string }) => `${f}: ${e.stderr}`);
    });
    expect(results.filter((r) => r !== null)).toEqual([]);
    // the hand-written Linux traces run on the mock profile: their DMA is asked of the mock domain
    const dma = cOf(load('traces/kernel/iommufd_ioas-area_auto_iova-mock_domain.json'), 'x', { selftest: true });
    expect(dma).toMatch(/\tmock_dma\(\d+, /);
    expect(dma).toMatch(/rc = mock_vfio_ioctl\(fd\d+, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &arg\d+, 0\);/);
  }, 120_000);

  it('the system\'s <linux/iommufd.h> is used when present; one too old for the trace is a one-line #error; -DIOASID_LAB_OWN_UAPI uses the program\'s', () => {
    const inc = join(dir, 'include', 'linux');
    mkdirSync(inc, { recursive: true });
    // a header of Linux 6.2's vintage: IOMMU_DESTROY, no IOMMU_FAULT_QUEUE_ALLOC (6.11); vfio.h without the cdev ioctls
    writeFileSync(join(inc, 'iommufd.h'), '#define IOMMU_DESTROY 0x3b80\n');
    writeFileSync(join(inc, 'vfio.h'), '#define VFIO_TYPE (\';\')\n');
    const src = join(dir, 'sys.c');
    writeFileSync(src, cOf(load('counterexamples/P-WARN/29c3d681cf.json'), 'sys'));
    const old = spawnSync('gcc', [...CFLAGS, '-I', join(dir, 'include'), '-c', '-o', join(dir, 'sys.o'), src], { encoding: 'utf8' });
    expect(old.status).not.toBe(0);
    expect(old.stderr).toMatch(/#error "the system's <linux\/iommufd\.h> or <linux\/vfio\.h> predates Linux 6\.6, which this trace's calls need: build with -DIOASID_LAB_OWN_UAPI"/);
    execFileSync('gcc', [...CFLAGS, '-I', join(dir, 'include'), '-DIOASID_LAB_OWN_UAPI', '-c', '-o', join(dir, 'sys.o'), src]);
  });
});

describe('ioasid-lab export --format c', () => {
  function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = main(argv, (s) => out.push(s), (s) => err.push(s));
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const sva = 'counterexamples/differential/a432a31b87.json';

  it('a trace of a 2021 design: one line naming why, exit 2, nothing written', () => {
    const d = mkdtempSync(join(tmpdir(), 'ioasid-lab-export-c-'));
    const r = cli('export', '--format', 'c', '--out', join(d, 'out'), 'counterexamples/P-OOPS/b3c473718b.json', sva);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ioasid-lab: '[^'\n]+': design per-device-sva never shipped: only a trace of the merged design \(iommufd\) has a uAPI a C program can call$/);
    expect(existsSync(join(d, 'out')) ? readdirSync(join(d, 'out')) : []).toEqual([]);
  });

  it('--out DIR: one program per trace, named as its vitest export; an earlier export is replaced, another file never', () => {
    const d = mkdtempSync(join(tmpdir(), 'ioasid-lab-export-c-'));
    const one = 'counterexamples/P-OOPS/b3c473718b.json';
    expect(cli('export', '--format', 'c', '--out', d, one, 'counterexamples/P-WARN/d3ca837fe5.json').code).toBe(0);
    expect(readdirSync(d).sort()).toEqual(['P-OOPS-b3c473718b.c', 'P-WARN-d3ca837fe5.c']);
    expect(readFileSync(join(d, 'P-OOPS-b3c473718b.c'), 'utf8').startsWith(`${C_MARK} ${one}`)).toBe(true);
    expect(cli('export', '--format', 'c', '--out', d, one).code).toBe(0);
    writeFileSync(join(d, 'P-OOPS-b3c473718b.c'), 'int main(void) { return 0; }\n');
    const r = cli('export', '--format', 'c', '--out', d, one);
    expect(r.code).toBe(2);
    expect(readFileSync(join(d, 'P-OOPS-b3c473718b.c'), 'utf8')).toBe('int main(void) { return 0; }\n');
  });
});
