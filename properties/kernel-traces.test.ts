/**
 * traces/kernel/: the kernel's own selftests (tools/testing/selftests/iommu/iommufd.c, iommufd_fail_nth.c) written
 * as traces, step for step, each naming its TEST_F and fixture variant and run on the selftest mock's machine.
 * Every expectation is what the real kernel answers there. Each file replays on the spec and the simulated kernel;
 * the fail-nth-* files are also swept with fail_nth, as iommufd_fail_nth.c does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepFailNth } from '../src/check/fail-nth.js';
import { replay } from '../src/check/replay.js';
import { loadTrace } from '../src/check/schema.js';
import type { Trace } from '../src/check/trace.js';
import { createKernel } from '../src/impl/index.js';
import { judge } from '../src/cli/replay-cmd.js';
import type { KernelFactory } from '../src/check/differential.js';

const DIR = 'traces/kernel';
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const traces: readonly [string, Trace][] = files.map((f) => [f, loadTrace(readFileSync(join(DIR, f), 'utf8'), join(DIR, f))]);

const hasAssert = (t: Trace) => t.steps.some((s) => 'assert' in s.cmd);
const text = (t: Trace) => JSON.stringify(t.steps, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
/** A value the kernel chose (an automatic IOVA) bound to a symbol and named by a later step. */
const usesBoundIova = (t: Trace) => t.steps.some((s, i) => Object.entries(s.bind ?? {}).some(([f, sym]) => (f === 'iova' || f === 'dst_iova') && text({ ...t, steps: t.steps.slice(i + 1) }).includes(`"${sym}"`)));
/** The mock's geometry decides an answer: its 2 KiB alignment, its aperture, or a reserved range of its test port. */
const usesMock = (t: Trace) => t.profile === 'selftest-mock' && /0x800"|"0x1000000"|"0x7fffffff"|MOCK_ADD_RESERVED/.test(text(t));
const checksFailureOutputs = (t: Trace) => t.steps.some((s) => typeof s.expect === 'object' && 'errno' in s.expect && s.expect.out !== undefined);

describe('traces/kernel: the iommufd selftests as traces', () => {
  it('at least 25 of them, each naming its selftest, TEST_F and fixture variant', () => {
    expect(traces.length).toBeGreaterThanOrEqual(25);
    for (const [f, t] of traces) expect(t.origin.source ?? '', f).toMatch(/^tools\/testing\/selftests\/iommu\/iommufd(_fail_nth)?\.c (TEST_F\(\w+, \w+\)|\w+)/);
  });
  it('what they exercise: assertions, bound IOVAs, the mock geometry, failed-call outputs, fail_nth', () => {
    const n = (p: (t: Trace) => boolean) => traces.filter(([, t]) => p(t)).length;
    expect(n(hasAssert)).toBeGreaterThanOrEqual(8);
    expect(n(usesBoundIova)).toBeGreaterThanOrEqual(5);
    expect(n(usesMock)).toBeGreaterThanOrEqual(5);
    expect(n(checksFailureOutputs)).toBeGreaterThanOrEqual(2);
    expect(files.filter((f) => f.startsWith('fail-nth-')).length).toBeGreaterThanOrEqual(1);
  });
  for (const [f, t] of traces) {
    it(`${f} replays as the kernel answers, on the spec and on the simulated kernel`, () => {
      const j = judge(f, t, replay(t));
      expect(j.summary).toMatch(/^ok/);
    });
  }
  for (const [f, t] of traces.filter(([name]) => name.startsWith('fail-nth-'))) {
    it(`${f}: every allocation of every step failed in turn, each call atomic, nothing leaked`, () => {
      const sweep = sweepFailNth(t);
      expect(sweep.failure ?? null).toBeNull();
      expect(sweep.points).toBeGreaterThan(0);
    });
  }
  it('they can fail: a kernel that ignores its IOMMU\'s 2 KiB pages (maps as if they were 4 KiB) breaks several', () => {
    const fourK: KernelFactory = (d, w, a) => createKernel(d, { ...w, iommu: { ...w.iommu, pgsizeBitmap: 0x1000n } }, a);
    const failed = traces.filter(([f, t]) => !judge(f, t, replay(t, fourK)).ok).map(([f]) => f);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed.some((f) => f.includes('iova_ranges-mock_domain'))).toBe(true);
  });
});

/**
 * traces/linux/: where `ioasid-lab kernel check` (or a C export run there) found the spec answering otherwise than Linux, the case written
 * small, with Linux's answers as expectations; each now replays on the spec and the simulated kernel (and on Linux
 * itself under npm run test:kernel).
 */
describe('traces/linux: what Linux answered where the spec used to differ', () => {
  const LDIR = 'traces/linux';
  const linux = readdirSync(LDIR).filter((f) => f.endsWith('.json')).sort().map((f): [string, Trace] => [f, loadTrace(readFileSync(join(LDIR, f), 'utf8'), join(LDIR, f))]);
  it('each names the Linux release and what it answered, on the machine Linux ran it on', () => {
    expect(linux.length).toBeGreaterThanOrEqual(5);
    for (const [f, t] of linux) {
      expect(t.origin.linux, f).toMatch(/^\d+\.\d+\.\d+/);
      expect(t.origin.source, f).toMatch(/(ioasid-lab kernel check|export --format c).*Linux/);
      expect(t.profile, f).toBe('selftest-mock');
    }
  });
  for (const [f, t] of linux) {
    it(`${f} replays as Linux answers, on the spec and on the simulated kernel`, () => {
      expect(judge(f, t, replay(t)).summary).toMatch(/^ok/);
    });
  }
  it('they can fail: the spec at upstream answers otherwise than 6.12 in uapi-6.12.json', () => {
    const [f, t] = linux.find(([n]) => n === 'uapi-6.12.json')!; // listed above
    const { kernel: _k, ...upstream } = t;
    expect(judge(f, upstream, replay(upstream)).ok).toBe(false);
  });
});
