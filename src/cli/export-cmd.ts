/**
 * `ioasid-lab export --format vitest FILE… [--out DIR]`: trace files as vitest files (src/check/export-vitest.ts). With
 * one FILE and no --out the file goes to stdout; with --out each FILE becomes DIR/<name>.test.ts, <name> its property
 * and hash for a counterexample (counterexamples/P-WARN/29c3d681cf.json: P-WARN-29c3d681cf.test.ts), else its base
 * name. Every FILE is read and every target checked before anything is written: a bad trace, a target that is not an
 * earlier export, or two files with one target is exit 2 with nothing written.
 */
import { basename, dirname, join } from 'node:path';
import { writeAtomic } from '../check/files.js';
import { readTraceFile } from '../check/schema.js';
import { VITEST_MARK, vitestOf } from '../check/export-vitest.js';
import { shown, text, UsageError, type Flags } from './args.js';
import { prepareOutDir, prepareOutFile } from './output.js';

const FORMATS = ['vitest'] as const;

/** The test file name of a trace file. */
export function exportName(file: string): string {
  const base = basename(file).replace(/\.json$/, '');
  const property = basename(dirname(file));
  return /^[0-9a-f]{10}$/.test(base) && /^(P-[A-Z-]+|differential|wellFormed)$/.test(property) ? `${property}-${base}.test.ts` : `${base}.test.ts`;
}

export function runExport(flags: Flags, files: readonly string[], out: (s: string) => void): number {
  const format = text(flags, 'format');
  if (format === undefined) throw new UsageError(`export needs --format (${FORMATS.join(', ')})`);
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format ${shown(format)}: not a format export writes (${FORMATS.join(', ')})`);
  const dir = text(flags, 'out');
  if (dir === undefined && files.length > 1) throw new UsageError(`${files.length} files: give --out DIR for their exports`);
  // read and render every file first: a bad one stops the command before anything is written
  const rendered = files.map((f) => ({ file: f, text: vitestOf(readTraceFile(f), f) }));
  if (dir === undefined) {
    out(rendered[0]!.text.trimEnd()); // one file, checked above
    return 0;
  }
  prepareOutDir(dir, 'out');
  const targets = rendered.map((r) => ({ ...r, to: join(dir, exportName(r.file)) }));
  const seen = new Map<string, string>();
  for (const t of targets) {
    const other = seen.get(t.to);
    if (other !== undefined) throw new UsageError(`${shown(other)} and ${shown(t.file)} would both be exported to ${shown(t.to)}`);
    seen.set(t.to, t.file);
    prepareOutFile(t.to, 'out', (head) => head.startsWith(VITEST_MARK), 'an earlier export', false);
  }
  for (const t of targets) {
    writeAtomic(t.to, t.text);
    out(`${t.file} -> ${t.to}`);
  }
  return 0;
}
