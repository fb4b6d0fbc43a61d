/**
 * Writing output files without ever leaving half of one: every file is written to a temporary name in its own
 * directory and renamed into place (atomic within one filesystem), and the temporary file is removed on every
 * error path. Directories are created one level at a time, so a path that cannot exist (under a regular file,
 * under /proc) fails at once with the reason instead of looping.
 */
import { closeSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** `path` with `text`, through a temporary file beside it. */
export function writeAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
}

/** Create `dir` and any missing parents, one level at a time; throws the first system error. */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(d);
      if (dirname(d) === d) break;
      continue;
    }
    if (!isDir) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
    break;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

/** Whether a file can be created in `dir` (creates and removes a probe file: the only test that is never wrong). */
export function probeWritable(dir: string): void {
  const probe = join(dir, `.${process.pid}.probe.tmp`);
  closeSync(openSync(probe, 'wx'));
  unlinkSync(probe);
}
