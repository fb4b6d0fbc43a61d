/**
 * `ioasid-lab export --format vitest|c FILE… [--out DIR] [--selftest]`: trace files as vitest files
 * (src/check/export-vitest.ts) or C programs (src/check/export-c.ts). With one FILE and no --out the file goes to
 * stdout; with --out each FILE becomes DIR/<name>.test.ts or DIR/<name>.c, <name> its property and hash for a
 * counterexample (counterexamples/P-WARN/29c3d681cf.json: P-WARN-29c3d681cf.test.ts), else its base name. Every FILE
 * is read and every target checked before anything is written: a bad trace, a trace of a 2021 design for C, a target
 * that is not an earlier export, or two files with one target is exit 2 with nothing written.
 */
import { basename, dirname, join } from 'node:path';
import { writeAtomic } from '../check/files.js';
import { readTraceFile } from '../check/schema.js';
import { VITEST_MARK, vitestOf } from '../check/export-vitest.js';
import { C_MARK, cOf, cProblem } from '../check/export-c.js';
import type { Trace } from '../check/trace.js';
import { shown, text, UsageError, type Flags } from './args.js';
import { prepareOutDir, prepareOutFile } from './output.js';

/** Each format: the file a trace becomes, its first line (what --out may replace), and its text. */
const FORMATS = {
  vitest: { suffix: '.test.ts', mark: VITEST_MARK, render: (t: Trace, file: string) => vitestOf(t, file) },
  c: { suffix: '.c', mark: C_MARK, render: (t: Trace, file: string, selftest: boolean) => cOf(t, file, { selftest }) },
} as const;
type Format = keyof typeof FORMATS;
const FORMAT_NAMES = Object.keys(FORMATS) as Format[];

/** The exported file's name of a trace file. */
export function exportName(file: string, suffix = '.test.ts'): string {
  const base = basename(file).replace(/\.json$/, '');
  const property = basename(dirname(file));
  return /^[0-9a-f]{10}$/.test(base) && /^(P-[A-Z-]+|differential|wellFormed)$/.test(property) ? `${property}-${base}${suffix}` : `${base}${suffix}`;
}

export function runExport(flags: Flags, files: readonly string[], out: (s: string) => void): number {
  const name = text(flags, 'format');
  if (name === undefined) throw new UsageError(`export needs --format (${FORMAT_NAMES.join(', ')})`);
  if (!(FORMAT_NAMES as string[]).includes(name)) throw new UsageError(`--format ${shown(name)}: not a format export writes (${FORMAT_NAMES.join(', ')})`);
  const format = FORMATS[name as Format];
  const selftest = flags.has('selftest');
  if (selftest && name !== 'c') throw new UsageError('--selftest is for --format c only');
  const dir = text(flags, 'out');
  if (dir === undefined && files.length > 1) throw new UsageError(`${files.length} files: give --out DIR for their exports`);
  // read and render every file first: a bad one stops the command before anything is written
  const rendered = files.map((f) => {
    const t = readTraceFile(f);
    const problem = name === 'c' ? cProblem(t) : null;
    if (problem !== null) throw new UsageError(`${shown(f)}: ${problem}`);
    return { file: f, text: format.render(t, f, selftest) };
  });
  if (dir === undefined) {
    out(rendered[0]!.text.trimEnd()); // one file, checked above
    return 0;
  }
  prepareOutDir(dir, 'out');
  const targets = rendered.map((r) => ({ ...r, to: join(dir, exportName(r.file, format.suffix)) }));
  const seen = new Map<string, string>();
  for (const t of targets) {
    const other = seen.get(t.to);
    if (other !== undefined) throw new UsageError(`${shown(other)} and ${shown(t.file)} would both be exported to ${shown(t.to)}`);
    seen.set(t.to, t.file);
    prepareOutFile(t.to, 'out', (head) => head.startsWith(format.mark), 'an earlier export', false);
  }
  for (const t of targets) {
    writeAtomic(t.to, t.text);
    out(`${t.file} -> ${t.to}`);
  }
  return 0;
}
