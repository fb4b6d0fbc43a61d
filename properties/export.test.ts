/**
 * `ioasid-lab export --format vitest`: every counterexample's export is in properties/exported/ and current (npm test
 * runs them there); 20 random iommufd traces export to vitest files that pass when vitest runs them, and an export
 * whose trace expects a wrong answer fails at exactly that step; bad input is one line and exit 2, nothing written.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import { listCounterexamples } from '../src/check/counterexample.js';
import { VITEST_MARK, vitestOf } from '../src/check/export-vitest.js';
import { loadTrace } from '../src/check/schema.js';
import { traceToJson, type Trace } from '../src/check/trace.js';
import { main } from '../src/cli/main.js';
import { exportName } from '../src/cli/export-cmd.js';

const EXPORTED = 'properties/exported';

function cli(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the counterexamples as vitest files', () => {
  const files = listCounterexamples('counterexamples');
  it('properties/exported/ holds the export of every counterexample, current (npm run exports), and nothing else', () => {
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const want = vitestOf(loadTrace(readFileSync(f, 'utf8'), f), f);
      expect(readFileSync(join(EXPORTED, exportName(f)), 'utf8'), `${f}: run npm run exports`).toBe(want);
    }
    expect(readdirSync(EXPORTED).sort()).toEqual(files.map((f) => exportName(f)).sort());
  });
});

describe('random iommufd traces, exported and run by vitest', () => {
  it('20 exports pass, and 3 with fail_nth steps; one whose trace expects a wrong answer fails at that step only', () => {
    const traces: Trace[] = [];
    const o = check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 20, seed: 11, maxCommands: 30, timeLimitMs: 60_000, onTrace: (t) => traces.push(t) });
    expect(o.ok).toBe(true);
    expect(traces).toHaveLength(20);
    // under out/ (not tracked), so the nested vitest finds this project's packages
    const dir = resolve('out', `export-test-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      traces.forEach((t, i) => writeFileSync(join(dir, `random-${i + 1}.test.ts`), vitestOf(t, `random trace ${i + 1}`)));
      // traces with fail_nth steps: replay holds such a step to failing atomically
      const injected: Trace[] = [];
      check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 3, seed: 11, maxCommands: 30, timeLimitMs: 60_000, failNth: true, onTrace: (t) => injected.push(t) });
      expect(injected.some((t) => t.steps.some((st) => st.failNth !== undefined))).toBe(true);
      injected.forEach((t, i) => writeFileSync(join(dir, `failnth-${i + 1}.test.ts`), vitestOf(t, `random trace with fail_nth ${i + 1}`)));
      // the first trace again, its 4th step held to EINVAL: the spec and the kernel both answer otherwise
      const wrong: Trace = { ...traces[0]!, steps: traces[0]!.steps.map((st, i) => (i === 3 ? { ...st, expect: 'EINVAL' as const } : st)) };
      expect(traces[0]!.steps[3]).toBeDefined();
      writeFileSync(join(dir, 'wrong.test.ts'), vitestOf(wrong, 'a trace expecting a wrong answer'));
      writeFileSync(join(dir, 'vitest.config.mts'), [
        "import { defineConfig } from 'vitest/config';",
        `export default defineConfig({ resolve: { alias: { 'ioasid-lab': ${JSON.stringify(resolve('src/api.ts'))} } }, test: { include: ['*.test.ts'], pool: 'threads' } });`,
      ].join('\n'));
      let report = '';
      try {
        execFileSync('node', [resolve('node_modules/vitest/vitest.mjs'), 'run', '--root', dir, '--reporter=json', `--outputFile=${join(dir, 'report.json')}`], { encoding: 'utf8', stdio: 'pipe' });
      } catch {
        // exit 1: the wrong export fails, as it must
      }
      report = readFileSync(join(dir, 'report.json'), 'utf8');
      const results = JSON.parse(report) as { testResults: { name: string; assertionResults: { title: string; status: string }[] }[] };
      const failed = results.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status !== 'passed').map((a) => `${f.name.split('/').pop()}: ${a.title}`));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(/^wrong\.test\.ts: step 4: .* -> EINVAL$/);
      const passed = results.testResults.filter((f) => f.name.includes('random-')).flatMap((f) => f.assertionResults);
      expect(passed.length).toBe(traces.reduce((n, t) => n + t.steps.length + 1, 0));
      expect(passed.every((a) => a.status === 'passed')).toBe(true);
      const withFailNth = results.testResults.filter((f) => f.name.includes('failnth-')).flatMap((f) => f.assertionResults);
      expect(withFailNth.length).toBe(injected.reduce((n, t) => n + t.steps.length + 1, 0));
      expect(withFailNth.every((a) => a.status === 'passed')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('ioasid-lab export', () => {
  const one = listCounterexamples('counterexamples')[0]!;
  it('one file, no --out: the vitest file on stdout', () => {
    const r = cli('export', '--format', 'vitest', one);
    expect(r.code, r.err).toBe(0);
    expect(r.out.startsWith(`${VITEST_MARK} ${one}`)).toBe(true);
  });

  it.each([
    [['export', one], /^ioasid-lab: export needs --format \(vitest, c\)$/],
    [['export', '--format', 'java', one], /^ioasid-lab: --format 'java': not a format export writes \(vitest, c\)$/],
    [['export', '--format', 'vitest', '--selftest', one], /^ioasid-lab: --selftest is for --format c only$/],
    [['export', '--format', 'vitest'], /^ioasid-lab: export needs FILE…$/],
    [['export', '--format', 'vitest', one, one], /^ioasid-lab: 2 files: give --out DIR for their exports$/],
  ])('%j: one line, exit 2', (argv, msg) => {
    const r = cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });

  it('a bad trace among the files: exit 2, and nothing is written', () => {
    const d = mkdtempSync(join(tmpdir(), 'ioasid-lab-export-'));
    const bad = join(d, 'bad.json');
    writeFileSync(bad, '{"schema": "ioasid-lab/trace@2", "steps": 3}');
    const out = join(d, 'out');
    const r = cli('export', '--format', 'vitest', '--out', out, one, bad);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('--out replaces an earlier export, never another file', () => {
    const d = mkdtempSync(join(tmpdir(), 'ioasid-lab-export-'));
    const t = loadTrace(readFileSync(one, 'utf8'), one);
    const file = join(d, 'mine.json');
    writeFileSync(file, traceToJson(t));
    writeFileSync(join(d, 'mine.test.ts'), '// my own test\n');
    const r = cli('export', '--format', 'vitest', '--out', d, file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/mine\.test\.ts exists and is not an earlier export; refusing to replace it/);
    expect(readFileSync(join(d, 'mine.test.ts'), 'utf8')).toBe('// my own test\n');
    rmSync(join(d, 'mine.test.ts'));
    expect(cli('export', '--format', 'vitest', '--out', d, file).code).toBe(0);
    expect(cli('export', '--format', 'vitest', '--out', d, file).code).toBe(0);
  });
});
