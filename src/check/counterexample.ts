/**
 * Counterexample files: `<dir>/<property>/<hash>.json` (the trace record) and the `.md` beside it (format.ts).
 * `dir` is the counterexamples directory itself (the CLI's `--out`, default `counterexamples`). The hash covers
 * design, hardware and the commands only, so finding the same counterexample again rewrites the same pair of files
 * instead of adding a copy. Each file is written to a temporary name and renamed into place: a reader (the test
 * suite, a second check run) never sees half a file; the .md goes first, so every .json has its page.
 */
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { counterexampleMarkdown, counterexamplePath } from './format.js';
import type { ReplayOutcome } from './replay.js';
import { traceToJson, type Trace } from './trace.js';

/** Write `text` to `path` through a temporary file in the same directory (rename is atomic within one filesystem). */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The path the replay snippet opens: relative to the working directory (the repository root) when inside it. */
function sourceName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split(sep).join('/');
}

/**
 * Write a counterexample and its page; returns both paths. A trace without a verdict gets the replay's
 * violation as an open one (it must keep failing this way until fixed).
 */
export function writeCounterexample(dir: string, t: Trace, outcome: ReplayOutcome): { json: string; md: string } {
  const v = outcome.violation;
  const record: Trace = t.verdict === undefined && v !== null ? { ...t, verdict: { ...v, status: 'open' } } : t;
  // counterexamplePath is `counterexamples/<property>/<hash>.json`: keep <property>/<hash>.json under `dir`
  const [, property, file] = counterexamplePath(record, outcome).split('/') as [string, string, string];
  mkdirSync(join(dir, property), { recursive: true });
  const json = join(dir, property, file);
  const md = json.replace(/\.json$/, '.md');
  writeAtomic(md, counterexampleMarkdown(record, outcome, sourceName(json)));
  writeAtomic(json, traceToJson(record));
  return { json, md };
}

/** Every `.json` under `dir` (recursively), sorted; none when `dir` does not exist. */
export function listCounterexamples(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries.filter((f) => f.endsWith('.json')).map((f) => join(dir, f)).sort();
}
