/**
 * Counterexample files: `<dir>/<property>/<hash>.json` (the trace record) and the `.md` beside it (format.ts).
 * `dir` is where `check --out` points: by default `counterexamples/new/`, outside the tracked regression set
 * (`ioasid-lab adopt` moves a trace into it). The hash covers everything that changes a verdict — design,
 * hardware, RLIMIT_MEMLOCK, every command and bind — so finding the same counterexample again (from another seed,
 * with other answers) finds its own file and writes nothing. A file is never replaced: when the name holds
 * anything but that same counterexample, the trace gets the next free name (`<hash>-2.json`). Each file is written to a temporary name and renamed into place (files.ts); the .md goes
 * first, so every .json has its page.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ensureDir, writeAtomic } from './files.js';
import { counterexampleHash, counterexampleMarkdown, counterexamplePath } from './format.js';
import { loadTrace, TraceError } from './schema.js';
import type { ReplayOutcome } from './replay.js';
import { traceToJson, type Trace } from './trace.js';

/** The subdirectory of the regression set where `check` puts what it finds (not replayed as regressions). */
export const NEW_DIR = 'new';

/** The path the replay snippet opens: relative to the working directory (the repository root) when inside it. */
function sourceName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split(sep).join('/');
}

const readIfExists = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
};

/** Whether a file's text is the counterexample `t` (the same hash key), whatever its origin and answers. */
function sameCounterexample(text: string, file: string, t: Trace): boolean {
  try {
    return counterexampleHash(loadTrace(text, file)) === counterexampleHash(t);
  } catch (e) {
    if (e instanceof TraceError) return false; // not a trace at all: certainly not this one
    throw e;
  }
}

export interface Written {
  readonly json: string;
  readonly md: string;
  /** false: the same trace was already there, nothing was written */
  readonly written: boolean;
}

/**
 * Write a counterexample and its page under `dir`; returns both paths. A trace without a verdict gets the
 * replay's violation as an open one (it must keep failing this way until fixed).
 */
export function writeCounterexample(dir: string, t: Trace, outcome: ReplayOutcome): Written {
  const v = outcome.violation;
  const record: Trace = t.verdict === undefined && v !== null ? { ...t, verdict: { ...v, status: 'open' } } : t;
  // counterexamplePath is `counterexamples/<property>/<hash>.json`: keep <property>/<hash> under `dir`
  const [, property, file] = counterexamplePath(record, outcome).split('/') as [string, string, string];
  ensureDir(join(dir, property));
  const text = traceToJson(record);
  for (let n = 1; ; n++) {
    const json = join(dir, property, n === 1 ? file : file.replace(/\.json$/, `-${n}.json`));
    const md = json.replace(/\.json$/, '.md');
    const held = readIfExists(json);
    if (held !== null && !sameCounterexample(held, json, record)) continue; // another trace's file: never replaced
    if (held === null && existsSync(md)) continue; // a page without its trace: not ours to replace either
    if (!existsSync(md)) writeAtomic(md, counterexampleMarkdown(record, outcome, sourceName(json)));
    if (held === null) writeAtomic(json, text);
    return { json, md, written: held === null };
  }
}

/** Every `.json` under `dir` (recursively, but not `dir/new/`: new finds are not regressions yet), sorted; none when `dir` does not exist. */
export function listCounterexamples(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries.filter((f) => f.endsWith('.json') && f.split(sep)[0] !== NEW_DIR).map((f) => join(dir, f)).sort();
}
