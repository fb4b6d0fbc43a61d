/**
 * C exports on Linux itself (npm run test:kernel): every counterexample of the merged design and every hand-written
 * Linux trace, and 20 random iommufd traces as `kernel check` draws them, exported with --selftest, built static and
 * run in the booted guest (the executor's `G` request). Every program must get the spec's answer at every step. A
 * program whose expectation is deliberately wrong stops at that step; a fail_nth program never disagrees (it either
 * follows the model's path or says it cannot, exit 3). What only a program shows — the bytes of a FAULT read, which
 * the executor serves no read for — is seen there (traces/linux/fault-read-record-size.json). And the build's own
 * installed uAPI headers answer to the table the programs' carried definitions are held to, and serve as the system
 * header a program compiles against.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../../src/check/engine.js';
import { listCounterexamples } from '../../src/check/counterexample.js';
import { cOf, cProblem } from '../../src/check/export-c.js';
import { loadTrace } from '../../src/check/schema.js';
import type { Trace } from '../../src/check/trace.js';
import { LINUX_DESIGN, LINUX_LEAVE_OUT, LINUX_PROFILE } from '../../src/kernel/linux-driver.js';
import { GUEST_CFLAGS, runPrograms, type ProgramRun } from '../../src/kernel/programs.js';
import { onLinux } from '../../src/kernel/judge.js';
import { theBuild } from './support.js';
import { disagreements, LINUX_612, probeSource, runProbe } from '../support/c-uapi-table.js';
import { TEST_PORT_UAPI } from '../../src/check/c-uapi.js';

const run = promisify(execFile);
const b = theBuild();
const version = b.kernel ?? 'upstream';
const dir = mkdtempSync(join(tmpdir(), 'ioasid-lab-c-linux-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** Export (with `edit` applied to the C, if given), build static, and run them all in one guest. */
async function runOnLinux(traces: readonly { name: string; trace: Trace; edit?: (c: string) => string }[]): Promise<ProgramRun[]> {
  const programs = [];
  for (const t of traces) {
    const c = cOf(onLinux(t.trace, version), t.name, { selftest: true });
    const src = join(dir, `${t.name}.c`);
    writeFileSync(src, t.edit ? t.edit(c) : c);
    await run('gcc', [...GUEST_CFLAGS, '-o', join(dir, t.name), src]);
    programs.push({ name: t.name, binary: readFileSync(join(dir, t.name)) });
  }
  return runPrograms(b, programs);
}

const stepsOf = (traces: readonly { name: string; trace: Trace }[], name: string) => traces.find((t) => t.name === name)!.trace.steps.length;
const passedAll = (r: ProgramRun, steps: number) => r.code === 0 && r.output.includes(`all ${steps} steps answered as the spec says`);
const tail = (r: ProgramRun) => `${r.name}: exit ${r.code ?? r.how}\n${r.output.trim().split('\n').slice(-3).join('\n')}\n${r.log.filter((l) => /WARN|BUG|Oops/.test(l)).join('\n')}`;
const safe = (f: string) => f.replace(/[^A-Za-z0-9]+/g, '-');

describe(`C exports on Linux ${b.release} (--selftest)`, () => {
  it('every counterexample and Linux trace (traces/kernel/, traces/linux/) of the merged design, and 20 random traces: every step answered as the spec says', async () => {
    const kept = [...listCounterexamples('counterexamples'), ...['traces/kernel', 'traces/linux'].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)))];
    const traces = kept.map((f) => ({ name: safe(f), trace: loadTrace(readFileSync(f, 'utf8'), f) })).filter((t) => cProblem(t.trace) === null);
    check({
      design: LINUX_DESIGN, hardware: 'host-pasid-table', profile: LINUX_PROFILE, kernel: version, leaveOut: LINUX_LEAVE_OUT,
      runs: 20, seed: 7, maxCommands: 30, timeLimitMs: 120_000, onTrace: (t) => traces.push({ name: `random-${traces.length}`, trace: t }),
    });
    expect(traces.length).toBeGreaterThanOrEqual(60 + 20);
    const runs = await runOnLinux(traces);
    expect(runs.filter((r) => !passedAll(r, stepsOf(traces, r.name))).map(tail)).toEqual([]);
  }, 300_000);

  it('a program whose expectation is wrong stops at that step, exit 1; one with fail_nth steps never disagrees (it follows the model or says it cannot, exit 3)', async () => {
    const f = 'traces/kernel/iommufd_ioas-area_auto_iova-mock_domain.json';
    const base = { name: 'wrong-expectation', trace: loadTrace(readFileSync(f, 'utf8'), f) };
    // step 3 is an IOAS_ALLOC Linux answers ok: the program is told to expect EINVAL there
    const wrong = { ...base, edit: (c: string) => c.replace(/answer\(3, ("[^"]*"), rc, 0\);/, 'answer(3, $1, rc, EINVAL);') };
    expect(wrong.edit(cOf(onLinux(base.trace, version), base.name, { selftest: true }))).toMatch(/answer\(3, "[^"]*", rc, EINVAL\);/);
    const withFailNth: { name: string; trace: Trace }[] = [];
    check({
      design: LINUX_DESIGN, hardware: 'host-pasid-table', profile: LINUX_PROFILE, kernel: version, leaveOut: LINUX_LEAVE_OUT,
      runs: 5, seed: 5, maxCommands: 30, timeLimitMs: 120_000, failNth: true, onTrace: (t) => withFailNth.push({ name: `fail-nth-${withFailNth.length}`, trace: t }),
    });
    expect(withFailNth.some((t) => t.trace.steps.some((s) => s.failNth !== undefined))).toBe(true);
    const runs = await runOnLinux([wrong, ...withFailNth]);
    expect(runs[0]!.code).toBe(1);
    expect(runs[0]!.output).toMatch(/^step 3: IOMMU_IOAS_ALLOC \$fd1 -> ok, but the spec answers EINVAL$/m);
    expect(runs[0]!.output).not.toMatch(/^step 4:/m);
    for (const r of runs.slice(1)) {
      expect([0, 3], tail(r)).toContain(r.code);
      if (r.code === 3) expect(r.output).toMatch(/the rest of the trace cannot follow\n$/);
    }
  }, 300_000);

  it('traces/linux/fault-read-record-size.json, which only a program shows: a FAULT read is in records of 40 bytes', async () => {
    const f = 'traces/linux/fault-read-record-size.json';
    const [r] = await runOnLinux([{ name: 'fault-read', trace: loadTrace(readFileSync(f, 'utf8'), f) }]);
    expect(r!.code, tail(r!)).toBe(0);
    expect(r!.output).toMatch(/^step 3: FAULT_READ \$fd2 count=40 -> ok$/m);
    expect(r!.output).toMatch(/^step 4: FAULT_READ \$fd2 count=48 -> ESPIPE$/m);
  }, 120_000);
});

/** The build's tree: its installed uAPI headers, and iommufd_test.h where its source is kept. */
const kernelDir = dirname(dirname(dirname(dirname(dirname(b.bzImage))))); // <dir>/build/arch/x86/boot/bzImage
const include = join(kernelDir, 'build', 'usr', 'include');
const testHeader = join(kernelDir, 'src', 'drivers', 'iommu', 'iommufd', 'iommufd_test.h');

describe.skipIf(version !== '6.12')(`Linux ${b.release}'s own uAPI headers${version === '6.12' ? '' : ' (skipped: the table is of 6.12)'}`, () => {
  it('give the table\'s 6.12 values (properties/support/c-uapi-table.ts): every size, offset, request number and constant', () => {
    const testPort = existsSync(testHeader) ? `#include "${testHeader}"` : TEST_PORT_UAPI;
    const prelude = ['#include <linux/types.h>', '#include <linux/iommufd.h>', '#include <linux/vfio.h>', testPort].join('\n');
    expect(disagreements(LINUX_612, runProbe(probeSource(prelude, LINUX_612), ['-isystem', include]))).toEqual([]);
  });

  it('as the system\'s header: a trace of 6.12\'s calls compiles against it; one with a 6.14 call is the one-line #error', async () => {
    const build = (t: Trace, name: string) => {
      const src = join(dir, `${name}.c`);
      writeFileSync(src, cOf(t, name));
      return run('gcc', ['-Wall', '-Werror', '-std=gnu11', '-isystem', include, '-c', '-o', join(dir, `${name}.o`), src]).then(() => '', (e: { stderr?: string }) => e.stderr ?? String(e));
    };
    const f = 'counterexamples/P-INVAL/42971db1a7.json';
    expect(await build(loadTrace(readFileSync(f, 'utf8'), f), 'system-612')).toBe('');
    const g = 'traces/kernel/iommufd_ioas-alloc_hwpt_nested-fault_queue-mock.json';
    const t = loadTrace(readFileSync(g, 'utf8'), g);
    const newer: Trace = { ...t, steps: [...t.steps, { cmd: { ioctl: 'IOMMU_IOAS_CHANGE_PROCESS', fd: 3, __reserved: 0 } }] };
    expect(await build(newer, 'system-614')).toMatch(/#error "the system's <linux\/iommufd\.h> or <linux\/vfio\.h> predates Linux 6\.14, which this trace's calls need: build with -DIOASID_LAB_OWN_UAPI"/);
  });
});
