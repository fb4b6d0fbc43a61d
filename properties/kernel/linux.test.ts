/**
 * The spec against Linux itself (npm run test:kernel): random traces in lock step with the booted kernel, fail_nth
 * injected by Linux's own fault injection, every trace the project keeps replayed there, and a deliberately wrong
 * spec rule that Linux must catch, shrunk to the step that shows it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../src/check/engine.js';
import { counterexampleMarkdown } from '../../src/check/format.js';
import { replay } from '../../src/check/replay.js';
import { judgeOnLinux } from '../../src/kernel/judge.js';
import { LINUX_DESIGN, LINUX_LEAVE_OUT, LINUX_PROFILE, type LinuxDriver } from '../../src/kernel/linux-driver.js';
import { step } from '../../src/spec/index.js';
import { guest, theBuild } from './support.js';

const b = theBuild();
const version = b.kernel ?? 'upstream';
const base = { design: LINUX_DESIGN, hardware: 'host-pasid-table', profile: LINUX_PROFILE, kernel: version, maxCommands: 30, timeLimitMs: 300_000, leaveOut: LINUX_LEAVE_OUT } as const;
const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
const counterexamples = readdirSync('counterexamples', { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'new').flatMap((d) => files(join('counterexamples', d.name)));

describe(`Linux ${b.release} as the third side`, () => {
  let g: { driver: LinuxDriver; done: () => void };
  beforeAll(() => {
    g = guest();
  });
  afterAll(() => g.done());

  it('seed 1: a few thousand random steps, the spec and Linux agree on every one', () => {
    let compared = 0;
    const o = check({ ...base, runs: 150, seed: 1, driver: g.driver, onStep: (st) => void (st.impl && compared++) });
    expect(o.violation ?? null).toBeNull();
    expect(o.stats.steps).toBeGreaterThan(3000);
    expect(compared / o.stats.steps).toBeGreaterThan(0.8);
  });

  it('seed 2 with fail_nth: Linux fails an allocation in a share of steps; each such call fails atomically or succeeds as the spec says', () => {
    const o = check({ ...base, runs: 100, seed: 2, failNth: true, driver: g.driver });
    expect(o.violation ?? null).toBeNull();
    expect(o.stats.injected).toBeGreaterThan(50);
  });

  it('catches a deliberately wrong spec rule (an unmap of nothing answers EINVAL, not ENOENT): shrunk against Linux to the step that shows it', () => {
    const wrong: typeof step = (s, c) => {
      const r = step(s, c);
      return 'ioctl' in c && c.ioctl === 'IOMMU_IOAS_UNMAP' && !r.result.ok && r.result.errno === 'ENOENT' && !r.partial ? { ...r, result: { ok: false, errno: 'EINVAL' } } : r;
    };
    const w = guest({ step: wrong });
    try {
      const o = check({ ...base, runs: 100, seed: 3, driver: w.driver });
      expect(o.violation?.property).toBe('differential');
      expect(o.violation?.message).toMatch(/^IOAS_UNMAP\.ENOENT\.[a-z_]+: the spec answers EINVAL, Linux ENOENT$/);
      const t = o.trace!; // a failing check has its trace
      expect(t.origin.minimality).toBe('1-minimal');
      expect(t.origin.linux).toBe(b.release);
      expect(o.violation?.step).toBe(t.steps.length);
      expect(t.steps[t.steps.length - 1]?.cmd).toMatchObject({ ioctl: 'IOMMU_IOAS_UNMAP' });
      expect(t.steps.length).toBeLessThanOrEqual(4); // open, IOAS_ALLOC, the unmap (and at most one more)
      // its page reads Linux's answer as Linux's, and replays it on Linux
      const page = counterexampleMarkdown(t, replay(t, w.driver));
      expect(page).toContain(`but Linux ${b.release} answered \`ENOENT\``);
      expect(page).toMatch(/npx ioasid-lab kernel replay /);
    } finally {
      w.done();
    }
  });

  it('every iommufd trace of counterexamples/, traces/kernel/ and traces/linux/ agrees with Linux (or differs as docs/kernel.md lists)', () => {
    const all = [...counterexamples, ...files('traces/kernel'), ...files('traces/linux')];
    const js = all.map((f) => judgeOnLinux(f, g.driver, version, version, false));
    const bad = js.filter((j) => j.status === 'disagree' || j.status === 'bad-input').map((j) => `${j.file}: ${j.summary}`);
    expect(bad).toEqual([]);
    expect(js.filter((j) => j.status === 'agree').length).toBeGreaterThanOrEqual(55);
  });

  it('traces/linux/uapi-6.12.json: with the spec at upstream Linux 6.12 disagrees, and the difference is the one listed', () => {
    if (version === 'upstream') return; // a kernel the version table does not know: nothing listed to tell apart
    const j = judgeOnLinux('traces/linux/uapi-6.12.json', g.driver, 'upstream', version, false);
    expect(j.status).toBe('version');
    expect(j.summary).toMatch(/differs as listed for 6\.12 \(invalidatePaging, hwptAllocPasid, pagingFault, vfioPasid, fileMaps, viommu; docs\/kernel\.md\)/);
  });

  it('traces/kernel/fail-nth-*: every fault-injection point Linux has in every step fails atomically (the selftests\' own sweep)', () => {
    for (const f of files('traces/kernel').filter((x) => x.includes('fail-nth-'))) {
      const j = judgeOnLinux(f, g.driver, version, version, true);
      expect(j.status, j.summary).toBe('agree');
      expect(j.summary).toMatch(/fail_nth: [1-9]\d* injection points/);
    }
  });
});
