/**
 * Output paths are checked before any work starts, so a run of many minutes never ends in "cannot write": a
 * directory is created (one level at a time) and proven writable with a probe file; a file's directory likewise,
 * and an existing file is replaced only when it is a report this tool wrote (or with --force). A path that cannot
 * be used is a usage error: one line, exit 2, nothing written.
 */
import { lstatSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir, probeWritable } from '../check/files.js';
import { printable } from '../check/printable.js';
import { UsageError } from './args.js';

const reason = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? (e instanceof Error ? e.message : String(e));
};

/** Make `dir` exist and be writable, or refuse with a UsageError naming `flag`. */
export function prepareOutDir(dir: string, flag: string): void {
  try {
    ensureDir(dir);
    probeWritable(dir);
  } catch (e) {
    throw new UsageError(`--${flag} ${printable(dir)} cannot be used as a directory to write into (${reason(e)})`);
  }
}

/** The first `n` bytes of a regular file, as text. */
function head(path: string, n: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Make `file` writable as an output: its directory exists and takes new files, and the file is absent or a regular
 * file `ours(head)` recognises — anything else only with `force` (and never a directory or a device).
 */
export function prepareOutFile(file: string, flag: string, ours: (head: string) => boolean, what: string, force: boolean): void {
  const name = printable(file);
  let st;
  try {
    st = lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw new UsageError(`--${flag} ${name} cannot be written (${reason(e)})`);
  }
  if (st) {
    if (st.isDirectory()) throw new UsageError(`--${flag} ${name} is a directory, not a file`);
    if (!st.isFile()) throw new UsageError(`--${flag} ${name} is not a regular file; refusing to replace it`);
    let mine = false;
    try {
      mine = ours(head(file, 4096));
    } catch {
      mine = false; // unreadable: not known to be ours
    }
    if (!mine && !force) throw new UsageError(`--${flag} ${name} exists and is not ${what}; refusing to replace it (--force replaces it)`);
  }
  prepareOutDir(dirname(file), flag);
}
