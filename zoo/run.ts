/**
 * npm run zoo: run `ioasid-lab check` at its default budget against every zoo mutant and report which were caught,
 * by which named property, after how many runs and seconds, with how long a counterexample. Each mutant is applied
 * to its own copy of src/ under out/zoo/<id>/ (shipped code is never edited) and checked in a child process, two
 * at a time. Exit 0 when the catch rate is at least the recorded baseline (zoo/baseline.json), 1 below it, 2 on
 * bad usage or a mutant that no longer applies.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMutants } from './index.js';
import { applyMutant, type Mutant } from './mutant.js';
import { parseArgs, text, UsageError, wholeNumber, type FlagSpec } from '../src/cli/args.js';
import { printable } from '../src/check/printable.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'out', 'zoo');
const BASELINE = join(ROOT, 'zoo', 'baseline.json');

interface Options {
  readonly only: string | null;
  readonly runs: number;
  readonly seed: number;
  readonly jobs: number;
  readonly json: boolean;
  readonly updateBaseline: boolean;
}

const HELP = `usage: npm run zoo -- [--only ID] [--runs N] [--seed N] [--jobs N] [--json] [--update-baseline]

Runs ioasid-lab check (default budget: 100 runs per design and hardware kind, seed 1) against every mutant of
zoo/mutants/, each on its own copy of src/ under out/zoo/. Prints one row per mutant and the catch rate; writes
out/zoo/results.md. Exit 1 when the catch rate falls below zoo/baseline.json (--update-baseline records it).
`;

/** A bad flag or a mutant that no longer applies: one line, exit 2. */
class Usage extends UsageError {}

const FLAGS: readonly FlagSpec[] = [
  { name: 'only', value: true, help: 'one mutant id' },
  { name: 'runs', value: true, help: 'check runs per design and hardware kind' },
  { name: 'seed', value: true, help: 'check seed' },
  { name: 'jobs', value: true, help: 'mutants checked at once' },
  { name: 'json', value: false, help: 'print the result as JSON' },
  { name: 'update-baseline', value: false, help: 'record the catch rate as the new baseline' },
  { name: 'help', value: false, help: 'show this help' },
];

/** The same flag layer as the ioasid-lab command (src/cli/args.ts): strict numbers, no unknown or repeated flag. */
function parse(argv: readonly string[]): Options | 'help' {
  const { flags } = parseArgs(argv, FLAGS, [{ name: 'zoo', files: null, help: '', flags: FLAGS.map((f) => f.name) }], 'zoo');
  if (flags.has('help')) return 'help';
  return {
    only: text(flags, 'only') ?? null,
    runs: wholeNumber(flags, 'runs', 100, 1, 100_000_000),
    seed: wholeNumber(flags, 'seed', 1, 0, 0xffff_ffff),
    jobs: wholeNumber(flags, 'jobs', Math.min(2, cpus().length), 1, 256),
    json: flags.has('json'),
    updateBaseline: flags.has('update-baseline'),
  };
}

export interface ZooRow {
  readonly id: string;
  readonly title: string;
  readonly class: string;
  readonly fix: string;
  readonly caught: boolean;
  /** the property that caught it, or why not */
  readonly property: string;
  readonly design: string | null;
  readonly runs: number | null;
  readonly seconds: number;
  readonly steps: number | null;
  readonly miss?: string;
}

interface CheckJson {
  readonly cells: readonly { design: string; hardware: string; ok: boolean; runs: number; ms: number; violation: { property: string; message: string } | null; counterexample: string | null }[];
}

/** Copy src/ and apply the mutant to the copy. */
function prepare(m: Mutant): string {
  if (!m.file.startsWith('src/impl/')) throw new Usage(`${m.id}: a mutant edits src/impl/ only, not ${m.file}`);
  const dir = join(OUT, m.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  const target = join(dir, m.file);
  if (!existsSync(target)) throw new Usage(`${m.id}: no file ${m.file}`);
  const r = applyMutant(m, readFileSync(target, 'utf8'));
  if ('error' in r) throw new Usage(r.error);
  writeFileSync(target, r.text);
  return dir;
}

function runOne(m: Mutant, o: Options): Promise<ZooRow> {
  const dir = prepare(m);
  // one worker per mutant: the zoo already runs as many mutants at once as it has --jobs
  const args = ['--import', 'tsx', join(dir, 'src', 'cli', 'main.ts'), 'check', '--json', '--runs', String(o.runs), '--seed', String(o.seed), '--workers', '1', '--out', join(dir, 'counterexamples')];
  if (m.designs?.length === 1) args.push('--design', m.designs[0]!); // length checked
  const t0 = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => {
      const seconds = (Date.now() - t0) / 1000;
      const base = { id: m.id, title: m.title, class: m.class, fix: `${m.fix.commit.slice(0, 12)} ${m.fix.subject}`, seconds, ...(m.miss ? { miss: m.miss } : {}) };
      let j: CheckJson | null = null;
      try {
        j = JSON.parse(stdout) as CheckJson;
      } catch {
        j = null;
      }
      if (j === null || (code !== 0 && code !== 1)) {
        const why = stderr.trim().split('\n').find((l) => l.trim() !== '') ?? `exit ${code}`;
        done({ ...base, caught: false, property: `check did not run: ${why.slice(0, 120)}`, design: null, runs: null, steps: null });
        return;
      }
      const failed = j.cells.find((c) => !c.ok && c.violation);
      if (!failed?.violation) {
        done({ ...base, caught: false, property: 'none', design: null, runs: j.cells.reduce((n, c) => n + c.runs, 0), steps: null });
        return;
      }
      let steps: number | null = null;
      if (failed.counterexample) steps = (JSON.parse(readFileSync(failed.counterexample, 'utf8')) as { steps: unknown[] }).steps.length;
      const named = failed.violation.property !== 'internal';
      done({ ...base, caught: named, property: failed.violation.property, design: `${failed.design} / ${failed.hardware}`, runs: failed.runs, seconds: failed.ms / 1000, steps });
    });
  });
}

/** Run `f` over `xs` with at most `jobs` at a time, keeping the order of `xs` in the result. */
async function pool<T, R>(xs: readonly T[], jobs: number, f: (x: T) => Promise<R>, each: (r: R) => void): Promise<R[]> {
  const out: R[] = new Array<R>(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await f(xs[i]!); // i < length
      each(out[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  return out;
}

export function table(rows: readonly ZooRow[]): string {
  const lines = ['| # | mutant | class | re-creates (upstream fix) | caught by | runs | s | steps |', '|---|---|---|---|---|---|---|---|'];
  rows.forEach((r, i) => {
    const by = r.caught ? `\`${r.property}\` (${r.design})` : `**missed**${r.miss ? `: ${r.miss}` : ''}`;
    lines.push(`| ${i + 1} | ${r.title} | ${r.class} | ${r.fix} | ${by} | ${r.runs ?? ''} | ${r.seconds.toFixed(1)} | ${r.steps ?? ''} |`);
  });
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const o = parse(argv);
  if (o === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const all = await loadMutants();
  const mutants = o.only === null ? all : all.filter((m) => m.id === o.only);
  if (mutants.length === 0) throw new Usage(`no mutant '${printable(o.only ?? '')}'`);
  for (const m of mutants) prepare(m); // every mutant applies before anything runs
  const t0 = Date.now();
  const rows = await pool(mutants, o.jobs, (m) => runOne(m, o), (r) => {
    if (!o.json) process.stderr.write(`${r.caught ? 'caught' : 'MISSED'}  ${r.id}  ${r.property}${r.runs === null ? '' : `  ${r.runs} runs`}  ${r.seconds.toFixed(1)} s\n`);
  });
  const caught = rows.filter((r) => r.caught).length;
  const rate = caught / rows.length;
  const baseline = existsSync(BASELINE) ? (JSON.parse(readFileSync(BASELINE, 'utf8')) as { caught: number; total: number }) : null;
  const summary = `${caught} of ${rows.length} mutants caught (${(rate * 100).toFixed(0)}%) at ${o.runs} runs per design and hardware kind, seed ${o.seed}, in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
  mkdirSync(OUT, { recursive: true });
  if (o.only === null) writeFileSync(join(OUT, 'results.md'), `${table(rows)}\n\n${summary}\n`); // the whole zoo's table only
  if (o.json) process.stdout.write(`${JSON.stringify({ caught, total: rows.length, rate, runs: o.runs, seed: o.seed, rows }, null, 2)}\n`);
  else process.stdout.write(`${table(rows)}\n\n${summary}\n${o.only === null ? `written: ${relative(process.cwd(), join(OUT, 'results.md'))}\n` : ''}`);
  if (o.updateBaseline && o.only === null) writeFileSync(BASELINE, `${JSON.stringify({ caught, total: rows.length }, null, 2)}\n`);
  const floor = baseline ? baseline.caught / baseline.total : 0;
  if (o.only === null && !o.updateBaseline && rate < floor) {
    process.stderr.write(`zoo: catch rate ${(rate * 100).toFixed(0)}% is below the baseline ${(floor * 100).toFixed(0)}% (zoo/baseline.json)\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`zoo: ${printable(e instanceof Error ? e.message : String(e))}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
