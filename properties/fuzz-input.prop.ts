/**
 * The input layers, fuzzed: structure-aware mutations of valid trace files (replayed through the CLI) and random
 * flag vectors (run through the CLI with every output pointed into a sandbox). Whatever the input, the answer is
 * exit 2 with one printable line, or a correct verdict (exit 0 or 1 with printable output); never an exception
 * (a stack trace), and never a change to a file that existed before. A few thousand cases here; `FUZZ_RUNS=10000`
 * for more (the slowest case is printed, so a near-hang shows even when it finishes).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { listCounterexamples } from '../src/check/counterexample.js';
import { loadTrace, TraceError } from '../src/check/schema.js';
import { isPrintable, runCli, type CliRun } from './support/cli.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || 0;
const TRACE_RUNS = RUNS || 2000;
const FLAG_RUNS = RUNS || 600;

const sandbox = mkdtempSync(join(tmpdir(), 'ioasid-lab-fuzz-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/** Every file under `dir` (recursively) -> a hash of its bytes. */
function snapshot(dir: string, skip: (p: string) => boolean = () => false): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (skip(p)) continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) m.set(p, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return m;
}
/**
 * The repository's tracked files with a hash of each, and every untracked or ignored path (directories collapsed),
 * as git lists them: a change to a tracked file or a new file anywhere in the working tree shows. Without git, the
 * sources that matter most.
 */
function repoSnapshot(): Map<string, string> {
  let files: string[];
  let others: string[] = [];
  try {
    files = execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n').filter((f) => f !== '' && existsSync(f));
    others = execFileSync('git', ['ls-files', '--others', '--directory'], { encoding: 'utf8' }).split('\n').filter((f) => f !== '');
  } catch {
    files = ['README.md', 'package.json', ...listCounterexamples('counterexamples')];
  }
  return new Map([
    ...files.map((f): [string, string] => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]),
    ...others.map((f): [string, string] => [f, 'untracked']),
  ]);
}

/** The answer every input must get. */
function expectWellFormed(r: CliRun, what: string) {
  expect([0, 1, 2], what).toContain(r.code);
  for (const l of [...r.out, ...r.err]) expect(isPrintable(l), `${what}: ${JSON.stringify(l.slice(0, 200))}`).toBe(true);
  if (r.code === 2) {
    expect(r.err.length, `${what}: ${r.err.join(' | ')}`).toBeGreaterThanOrEqual(1);
    for (const l of r.err) expect(l.startsWith('ioasid-lab: '), `${what}: ${l}`).toBe(true);
  } else expect(r.err, what).toEqual([]);
}

/** Run one case; an exception out of main is the failure this test exists for (it would be a stack trace). */
function cli(argv: string[]): CliRun {
  try {
    return runCli(...argv);
  } catch (e) {
    throw new Error(`stack trace for ${JSON.stringify(argv)}: ${(e as Error).stack ?? String(e)}`);
  }
}

let slowest = { ms: 0, what: '' };
const timed = <T>(what: string, f: () => T): T => {
  const t0 = Date.now();
  const r = f();
  const ms = Date.now() - t0;
  if (ms > slowest.ms) slowest = { ms, what };
  return r;
};
afterAll(() => console.log(`fuzz-input: slowest case ${slowest.ms} ms: ${slowest.what.slice(0, 160)}`));

// ---- traces -------------------------------------------------------------------------------------------------------

const seeds: readonly unknown[] = listCounterexamples('counterexamples').slice(0, 8).map((f) => JSON.parse(readFileSync(f, 'utf8')) as unknown);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** Every path into a JSON value (containers and leaves), up to `max` of them. */
function paths(v: unknown, max = 400): Path[] {
  const out: Path[] = [];
  const walk = (x: unknown, p: Path) => {
    if (out.length >= max) return;
    out.push(p);
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, [...p, i]));
    else if (typeof x === 'object' && x !== null) for (const [k, y] of Object.entries(x)) walk(y, [...p, k]);
  };
  walk(v, []);
  return out;
}
const clone = <T>(v: T): T => structuredClone(v);
function setAt(root: Json, p: Path, f: (old: Json) => Json | undefined): Json {
  if (p.length === 0) return f(root) ?? null;
  const parent = p.slice(0, -1).reduce<Json>((x, k) => (x as Record<string | number, Json>)[k]!, root);
  const k = p[p.length - 1]!; // length > 0
  const nv = f((parent as Record<string | number, Json>)[k]!);
  if (Array.isArray(parent)) {
    if (nv === undefined) parent.splice(Number(k), 1);
    else parent[Number(k)] = nv;
  } else if (typeof parent === 'object' && parent !== null) {
    if (nv === undefined) delete parent[k];
    else parent[k] = nv;
  }
  return root;
}

/** Values a field should never hold, and some it may. */
const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, 0, -1, 1.5, 2 ** 53 - 1, -(2 ** 31), '', '0x', '0xffffffffffffffff', '0x10000000000000000', '$fd1', '$ioas99', '$', 'ok', 'EBUSY', [], {}, 'IOMMU_DESTROY', 'OPEN', '\u001b[31m', 'a\nb'),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** Mutations of the parsed value (structure-aware), then of the text (what no value can hold). */
type Mutation = { kind: 'value'; at: number; op: 'replace' | 'delete' | 'add-key' | 'dup-step' | 'nest'; value: Json; key: string } | { kind: 'text'; op: 'truncate' | 'dup-key' | 'big-int' | 'overflow' | 'control' | 'deep' | 'garbage'; at: number; bytes: string };
const mutationA: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('value' as const), at: fc.nat(), op: fc.constantFrom('replace' as const, 'delete' as const, 'add-key' as const, 'dup-step' as const, 'nest' as const), value: oddValue, key: fc.constantFrom('fd', 'bind', 'expect', 'out_ioas', 'x', 'memlockPages', 'verdict', '__proto__') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('text' as const), op: fc.constantFrom('truncate' as const, 'dup-key' as const, 'big-int' as const, 'overflow' as const, 'control' as const, 'deep' as const, 'garbage' as const), at: fc.nat(), bytes: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }) }) },
);

function mutate(seed: unknown, ms: readonly Mutation[]): string {
  let v = clone(seed) as Json;
  let text: string | null = null;
  for (const m of ms) {
    if (m.kind === 'value') {
      if (text !== null) continue;
      const ps = paths(v);
      const p = ps[m.at % ps.length]!; // ps has at least the root
      if (m.op === 'replace') v = setAt(v, p, () => m.value);
      else if (m.op === 'delete') v = setAt(v, p, () => undefined);
      else if (m.op === 'add-key') v = setAt(v, p, (o) => (typeof o === 'object' && o !== null && !Array.isArray(o) ? { ...o, [m.key]: m.value } : o));
      else if (m.op === 'nest') v = setAt(v, p, (o) => [o]);
      else v = setAt(v, p, (o) => (Array.isArray(o) && o.length > 0 ? [...o, ...o] : o));
    } else {
      text ??= JSON.stringify(v, null, m.at % 2 === 0 ? 2 : undefined);
      const i: number = m.at % Math.max(text.length, 1);
      if (m.op === 'truncate') text = text.slice(0, i);
      else if (m.op === 'dup-key') text = text.replace(/"design":\s*"[^"]*"/, (s) => `${s}, ${s}`);
      else if (m.op === 'big-int') text = text.replace(/(:\s*)(\d+)/, '$19007199254740993');
      else if (m.op === 'overflow') text = text.replace(/(:\s*)(\d+)/, '$11e400');
      else if (m.op === 'control') text = text.slice(0, i) + m.bytes + text.slice(i);
      else if (m.op === 'deep') {
        // deep nesting as the first field of the first step's record (or of the file, when there is no step)
        const nest = `${'['.repeat(10 + (m.at % 20000))}${']'.repeat(10 + (m.at % 20000))}`;
        const at = text.indexOf('"cmd"');
        text = at >= 0 ? `${text.slice(0, at)}"expect": {"out": ${nest}}, ${text.slice(at)}` : `[${nest}, ${text}]`;
      }
      else text = text.slice(0, i) + m.bytes.replace(/[^{}[\],:"]/g, '{') + text.slice(i);
    }
  }
  return text ?? JSON.stringify(v);
}

type Cli = (argv: string[]) => CliRun;
const tally = (codes: Map<number, number>, c: number) => codes.set(c, (codes.get(c) ?? 0) + 1);

/** The trace property, for any command line (the real one, or a deliberately broken one below). */
function traceProperty(run: Cli, dir: string, codes: Map<number, number>) {
  return fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(mutationA, { minLength: 1, maxLength: 4 }), (si, ms) => {
    const f = join(dir, 'case.json');
    const text = mutate(seeds[si], ms);
    writeFileSync(f, text);
    const r = timed(`replay ${JSON.stringify(ms)}`, () => run(['replay', f]));
    tally(codes, r.code);
    expectWellFormed(r, JSON.stringify(ms));
    if (r.code === 2) expect(r.err, JSON.stringify(ms)).toHaveLength(1);
    // the verdict agrees with the library: a file the CLI judged loads, one it refused does not
    let loads = true;
    try {
      loadTrace(text, f);
    } catch (e) {
      if (!(e instanceof TraceError)) throw e;
      loads = false;
    }
    expect(loads, JSON.stringify(ms)).toBe(r.code !== 2);
  });
}

/** Old behaviours the layers replaced, each a CLI the property must catch. */
const BROKEN: readonly { readonly name: string; readonly cli: Cli }[] = [
  {
    name: 'the file\'s bytes echoed into the error line (no printable excerpts)',
    cli: (argv) => {
      const r = cli(argv);
      return r.code === 2 ? { ...r, err: [`ioasid-lab: ${readFileSync(argv[1]!, 'latin1').slice(0, 80)}`] } : r; // argv is ['replay', file]
    },
  },
  {
    name: 'JSON.parse with a recursive reviver (deep nesting overflows the stack: a stack trace)',
    cli: (argv) => {
      const text = readFileSync(argv[1]!, 'utf8'); // argv is ['replay', file]
      const depth = (x: unknown): number => (typeof x === 'object' && x !== null ? 1 + Math.max(0, ...Object.values(x).map(depth)) : 0);
      try {
        if (depth(JSON.parse(text)) > 1000) throw new RangeError('Maximum call stack size exceeded');
      } catch (e) {
        if (e instanceof RangeError) throw e;
      }
      return cli(argv);
    },
  },
  {
    name: 'duplicate keys accepted (the last one wins)',
    cli: (argv) => {
      const text = readFileSync(argv[1]!, 'utf8'); // argv is ['replay', file]
      try {
        const t = JSON.parse(text) as unknown;
        writeFileSync(argv[1]!, JSON.stringify(t));
      } catch {
        // not JSON at all: the real reader says so
      }
      return cli(argv);
    },
  },
];

describe('fuzzed trace files: exit 2 with one printable line per bad file, or a correct verdict', () => {
  const dir = join(sandbox, 'traces');
  mkdirSync(dir, { recursive: true });
  it(`${TRACE_RUNS} mutations of valid traces, replayed; no stack trace, no file changed`, () => {
    expect(seeds.length).toBeGreaterThan(0);
    const before = repoSnapshot();
    const codes = new Map<number, number>();
    fc.assert(traceProperty(cli, dir, codes), { numRuns: TRACE_RUNS, seed: 20261128 });
    expect(repoSnapshot()).toEqual(before);
    console.log(`fuzz-input traces: exit codes ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    // the mutations reach both sides: valid traces that replay, and bad ones
    expect(codes.get(2) ?? 0).toBeGreaterThan(TRACE_RUNS / 4);
    expect((codes.get(0) ?? 0) + (codes.get(1) ?? 0)).toBeGreaterThan(TRACE_RUNS / 20);
  });
  for (const b of BROKEN) {
    it(`catches a deliberately broken reader: ${b.name}`, () => {
      const out = fc.check(traceProperty(b.cli, dir, new Map()), { numRuns: 2000, seed: 20261128 });
      expect(out.failed).toBe(true);
    });
  }
});

// ---- flags --------------------------------------------------------------------------------------------------------

const COMMANDS = ['check', 'replay', 'adopt', 'explore', 'catalogue'] as const;
/** Every flag but --force, whose purpose is to replace a file that is not ours (hardening.test.ts tests it). */
const FLAG_NAMES = ['design', 'hardware', 'profile', 'runs', 'seed', 'max-commands', 'time-limit', 'out', 'bad-share', 'edge-share', 'memlock', 'no-swarm', 'coverage', 'requirement', 'depth', 'max-states', 'budget', 'html', 'into', 'fail-nth', 'json', 'help', 'nope'] as const;
/** Flags a command may be given with a large value: the fuzzer gives them small ones or bad ones. */
const BOUNDED: Readonly<Record<string, string>> = { runs: '1', 'max-commands': '3', 'time-limit': '1', depth: '1', 'max-states': '20', budget: '1' };

describe('fuzzed flag vectors: exit 2 with one printable line, or the command runs; nothing outside the sandbox changes', () => {
  /** The flag property, for any command line (the real one, or a deliberately broken one below). */
  const box = join(sandbox, 'flags');
  const flagProperty = (run: Cli, codes: Map<number, number>) => {
    mkdirSync(box, { recursive: true });
    // what a user owns, inside the sandbox: must never change
    const precious = join(box, 'precious');
    mkdirSync(precious, { recursive: true });
    writeFileSync(join(precious, 'notes.txt'), 'mine');
    writeFileSync(join(precious, 'page.html'), '<p>mine</p>');
    writeFileSync(join(precious, 'README.md'), '# mine');
    const preciousBefore = snapshot(precious);
    // a trace adopt may move: a fresh copy of a regression trace for every case, never the tracked file itself
    const trace = join(box, 'found.json');
    const traceText = readFileSync(listCounterexamples('counterexamples')[0]!, 'utf8'); // the set is not empty (counterexamples.test.ts)
    const values: fc.Arbitrary<string> = fc.oneof(
      fc.constantFrom('', ' ', '0', '1', '2', '3', '-1', '0x10', '1e3', ' 7', '5=6', '0.5', '.5', '1.0', '2', 'NaN', 'Infinity', '4294967295', '4294967296', '99999999999999999999',
        'iommufd', 'rfc-v1', 'host-pasid-table', 'guest-pasid-table', 'vtd', 'selftest-mock', 'profiles/vtd-39bit.json', 'nope', '--', '-', '\u001b[31m', 'a\nb', '/proc/x/y', '/dev/null', '/dev/zero',
        precious, join(precious, 'notes.txt'), join(precious, 'page.html'), join(precious, 'README.md'), join(precious, 'notes.txt', 'x'), join(box, 'out'), join(box, 'r.html'), 'README.md'),
      fc.string({ maxLength: 8 }),
    );
    const token: fc.Arbitrary<string[]> = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...FLAG_NAMES), values, fc.boolean()).map(([f, v, inline]) => (inline ? [`--${f}=${v}`] : [`--${f}`, v])) },
      { weight: 2, arbitrary: fc.constantFrom(...FLAG_NAMES).map((f) => [`--${f}`]) },
      { weight: 1, arbitrary: fc.constantFrom('-h', '-', 'x.json', trace, '/dev/zero', join(precious, 'notes.txt')).map((a) => [a]) },
    );
    return fc.property(fc.option(fc.constantFrom(...COMMANDS), { nil: undefined }), fc.array(token, { maxLength: 6 }), (cmd, tokens) => {
        writeFileSync(trace, traceText);
        // an output path relative to the working directory (the repository) lands in the sandbox instead, except
        // README.md, kept to show a tracked file is refused
        const boxed = (v: string) => (v === '' || v === 'README.md' || isAbsolute(v) ? v : join(box, 'cwd', v));
        const argv = [...(cmd ? [cmd] : []), ...tokens.map((t) => {
          const m = /^--(out|html|into)(?:=(.*))?$/s.exec(t[0]!); // a token has at least one element
          if (!m) return t;
          return m[2] !== undefined ? [`--${m[1]}=${boxed(m[2])}`] : t.length > 1 ? [t[0]!, boxed(t[1]!)] : t;
        }).flat()];
        // keep runs short and every write inside the sandbox: bounded flags and output paths are added when absent
        const command = cmd ?? 'check';
        const has = (f: string) => argv.some((a) => a === `--${f}` || a.startsWith(`--${f}=`));
        const add: string[] = [];
        const takes: Readonly<Record<string, readonly string[]>> = { check: ['runs', 'max-commands', 'time-limit', 'design', 'hardware', 'out'], explore: ['depth', 'max-states', 'budget', 'design', 'hardware'], adopt: ['into'] };
        for (const f of takes[command] ?? []) {
          if (has(f)) continue;
          if (f === 'out') add.push('--out', join(box, 'out'));
          else if (f === 'into') add.push('--into', join(box, 'set'));
          else if (f === 'design') add.push('--design', 'iommufd');
          else if (f === 'hardware') add.push('--hardware', 'host-pasid-table');
          else add.push(`--${f}`, BOUNDED[f]!); // every other name in takes is in BOUNDED
        }
        // a large value given for a bounded flag would make a long run, not a wrong one: cap it
        const capped = argv.map((a, i) => (i > 0 && BOUNDED[argv[i - 1]!.slice(2)] && /^[0-9]{2,}$/.test(a) ? '2' : a.replace(/^--(runs|max-commands|time-limit|depth|max-states|budget)=[0-9]{2,}$/, '--$1=2')));
        const full = [...capped, ...add];
        const r = timed(JSON.stringify(full), () => run(full));
        tally(codes, r.code);
        expectWellFormed(r, JSON.stringify(full));
        // one line; a replay of several files has one per bad file
        if (r.code === 2 && command !== 'replay') expect(r.err, JSON.stringify(full)).toHaveLength(1);
        const now = snapshot(precious); // new files may appear (--into or --out pointed there); none that was there changes
        for (const [p, h] of preciousBefore) expect(now.get(p), `${p} after ${JSON.stringify(full)}`).toBe(h);
      });
  };

  it(`${FLAG_RUNS} flag vectors`, () => {
    const before = repoSnapshot();
    const codes = new Map<number, number>();
    fc.assert(flagProperty(cli, codes), { numRuns: FLAG_RUNS, seed: 20261128 });
    expect(repoSnapshot()).toEqual(before);
    console.log(`fuzz-input flags: exit codes ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    // both sides are reached: vectors that run a command, and vectors refused
    expect(codes.get(2) ?? 0).toBeGreaterThan(FLAG_RUNS / 4);
    expect(codes.get(0) ?? 0).toBeGreaterThan(FLAG_RUNS / 20);
  });

  it('catches a deliberately broken command line: an output path written without looking at what is there', () => {
    const broken: Cli = (argv) => {
      // every --html, --out or --into value inside the sandbox is written over, file or not (what the checks prevent)
      argv.forEach((a, i) => {
        const m = /^--(html|out|into)(?:=(.*))?$/s.exec(a);
        const path = m ? (m[2] ?? argv[i + 1]) : undefined;
        if (path === undefined || !path.startsWith(box)) return; // only ever inside the sandbox
        try {
          writeFileSync(path, '<!-- report -->');
        } catch {
          // a directory, a device: the real command refuses it
        }
      });
      return cli(argv);
    };
    expect(fc.check(flagProperty(broken, new Map()), { numRuns: FLAG_RUNS * 4, seed: 20261128 }).failed).toBe(true);
  });
});
