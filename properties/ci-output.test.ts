/**
 * CI-native output of `check`: --shard i/n deals the (cell, chunk) units out so that the shards of a command line run
 * exactly what one run of it runs, and --junit writes JUnit XML (checked here by an XML parser, not by string
 * matching) with one case per design, hardware kind and property.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { checkArgs, runCheck } from '../src/cli/check-cmd.js';
import { CHECKED_PROPERTIES } from '../src/check/junit.js';
import { BUGS } from './support/bugs.js';

const dir = () => mkdtempSync(join(tmpdir(), 'ioasid-lab-ci-'));

/** `ioasid-lab ARGS`: exit code, stdout, stderr. */
function cli(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

interface JsonCell { readonly design: string; readonly hardware: string; readonly chunks: number[] | null; readonly runs: number; readonly steps: number }
interface JsonRun { readonly cells: JsonCell[]; readonly coverage: { readonly design: string; readonly rules: number; readonly unreached: { rule: string }[] }[] }

/** How many rules a run left unreached, per design. */
const unreachedCount = (r: JsonRun) => new Map(r.coverage.map((c) => [c.design, c.unreached.length]));

describe('check --shard i/n', () => {
  const base = ['check', '--design', 'rfc-v1', '--runs', '250', '--seed', '4', '--workers', '1', '--json'];
  const run = (...extra: string[]): JsonRun => {
    const r = cli(...base, '--out', dir(), ...extra);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as JsonRun;
  };

  it('the shards of a run, together, run exactly its chunks: the same runs and steps per cell, the same rules reached', () => {
    const whole = run();
    const shards = [run('--shard', '1/3'), run('--shard', '2/3'), run('--shard', '3/3')];
    // 2 hardware kinds x 3 chunks (100, 100, 50 runs), dealt round-robin
    expect(shards.map((s) => s.cells.map((c) => `${c.hardware}:${c.chunks?.join(',')}`))).toEqual([
      ['host-pasid-table:0', 'guest-pasid-table:0'], ['host-pasid-table:1', 'guest-pasid-table:1'], ['host-pasid-table:2', 'guest-pasid-table:2'],
    ]);
    for (const c of whole.cells) {
      const parts = shards.flatMap((s) => s.cells.filter((x) => x.hardware === c.hardware));
      expect(parts.reduce((n, x) => n + x.runs, 0), c.hardware).toBe(c.runs);
      expect(parts.reduce((n, x) => n + x.steps, 0), c.hardware).toBe(c.steps);
    }
    // a rule is reached by the whole run exactly when some shard reaches it
    const unreached = (r: JsonRun) => new Set(r.coverage[0]!.unreached.map((u) => u.rule));
    const byNone = [...unreached(shards[0]!)].filter((rule) => shards.every((s) => unreached(s).has(rule)));
    expect(byNone.sort()).toEqual([...unreached(whole)].sort());
    expect(unreachedCount(whole).get('rfc-v1')).toBe(byNone.length);
  });

  it('a shard with nothing to run (more shards than chunks) runs no cell and says so', () => {
    const r = cli('check', '--design', 'iommufd', '--hardware', 'host-pasid-table', '--runs', '50', '--workers', '1', '--out', dir(), '--shard', '2/2');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^shard 2\/2: 0 of 1 chunks of 100 runs$/m);
  });

  it.each([['0/2'], ['3/2'], ['1/0'], ['x'], ['1/2/3'], ['01/2']])('--shard %s is a usage error: one line, exit 2', (v) => {
    const r = cli('check', '--runs', '1', '--out', dir(), '--shard', v);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ioasid-lab: --shard '.*': expected i\/n with 1 <= i <= n \(e\.g\. 1\/4\)$/);
  });
});

describe('check --junit FILE', () => {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' });
  type Case = { name: string; classname: string; failure?: { message: string }; skipped?: unknown };
  type Doc = { testsuites: { tests: string; failures: string; testsuite: { name: string; tests: string; failures: string; testcase: Case[] }[] } };
  const read = (file: string): Doc => {
    const text = readFileSync(file, 'utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    return parser.parse(text) as Doc;
  };

  it('a passing run: one suite per design and hardware kind, one passing case per property', () => {
    const d = dir();
    const file = join(d, 'junit.xml');
    const r = cli('check', '--design', 'rfc-v1', '--runs', '20', '--workers', '1', '--out', d, '--junit', file);
    expect(r.code, r.err).toBe(0);
    const doc = read(file);
    expect(doc.testsuites.testsuite.map((s) => s.name)).toEqual(['rfc-v1 on host-pasid-table', 'rfc-v1 on guest-pasid-table']);
    expect(doc.testsuites.tests).toBe(String(2 * CHECKED_PROPERTIES.length));
    expect(doc.testsuites.failures).toBe('0');
    for (const s of doc.testsuites.testsuite) {
      expect(s.testcase.map((c) => c.name)).toEqual([...CHECKED_PROPERTIES]);
      expect(s.testcase.filter((c) => c.failure !== undefined || c.skipped !== undefined)).toEqual([]);
    }
  });

  it('a failing run: the broken property\'s case fails naming the counterexample file, the cell\'s others are skipped', () => {
    const bug = BUGS.find((b) => b.name.startsWith('RFC v1: closing a device FD drops'))!;
    const d = dir();
    const file = join(d, 'junit.xml');
    const flags = new Map<string, string | true>([['design', 'rfc-v1'], ['hardware', 'host-pasid-table'], ['setup', 'nested'], ['runs', '2000'], ['seed', '3'], ['out', d], ['junit', file], ['workers', '1']]);
    const code = runCheck({ ...checkArgs(flags), factory: bug.factory }, () => {});
    expect(code).toBe(1);
    const suite = read(file).testsuites.testsuite[0]!;
    expect(suite.failures).toBe('1');
    const failed = suite.testcase.filter((c) => c.failure !== undefined);
    expect(failed.map((c) => c.name)).toEqual(['P-FAULT']);
    expect(failed[0]!.failure!.message).toMatch(new RegExp(`counterexample: ${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/P-FAULT/[0-9a-f]+\\.json$`));
    expect(suite.testcase.filter((c) => c.skipped !== undefined)).toHaveLength(CHECKED_PROPERTIES.length - 1);
  });

  it('replaces an earlier report, never another file: that is a usage error before any run, the file untouched', () => {
    const d = dir();
    const file = join(d, 'notes.xml');
    writeFileSync(file, '<notes>mine</notes>\n');
    const r = cli('check', '--design', 'rfc-v1', '--runs', '5', '--workers', '1', '--out', d, '--junit', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ioasid-lab: --junit .*notes\.xml exists and is not an ioasid-lab JUnit report; refusing to replace it/);
    expect(readFileSync(file, 'utf8')).toBe('<notes>mine</notes>\n');
    const report = join(d, 'junit.xml');
    expect(cli('check', '--design', 'rfc-v1', '--runs', '5', '--workers', '1', '--out', d, '--junit', report).code).toBe(0);
    expect(cli('check', '--design', 'fd-per-ioasid', '--runs', '5', '--workers', '1', '--out', d, '--junit', report).code).toBe(0);
    expect(read(report).testsuites.testsuite.map((s) => s.name)).toEqual(['fd-per-ioasid on host-pasid-table', 'fd-per-ioasid on guest-pasid-table']);
  });
});

describe('CHECKED_PROPERTIES', () => {
  it('names every property the check\'s sources can report (and nothing else)', () => {
    const sources = ['src/check/differential.ts', 'src/check/engine.ts', 'src/check/probes.ts', 'src/check/kernel-properties.ts', 'src/spec/invariants.ts']
      .map((f) => readFileSync(f, 'utf8')).join('\n');
    const named = new Set([...sources.matchAll(/'(P-[A-Z-]+|wellFormed)'/g)].map((m) => m[1]!));
    named.add('differential');
    expect([...named].sort()).toEqual([...CHECKED_PROPERTIES].sort());
  });
});
