/**
 * `ioasid-lab adopt FILE...`: move counterexamples `check` wrote (by default under counterexamples/new/, which
 * the test suite does not replay) into the regression set, `counterexamples/<property>/`, which it does. A trace
 * is adopted only if it replays as it records (an open verdict still fails that way); its page moves with it. No
 * file in the regression set is replaced: a name already taken by another trace gives the next free name.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeCounterexample } from '../check/counterexample.js';
import { printable } from '../check/printable.js';
import { replay } from '../check/replay.js';
import { readTraceFile } from '../check/schema.js';
import type { Trace } from '../check/trace.js';
import { judge } from './replay-cmd.js';

export interface Adopted {
  readonly file: string;
  /** where it now is; null when it did not replay as recorded */
  readonly to: string | null;
  readonly summary: string;
}

export function adopt(files: readonly string[], into: string): Adopted[] {
  // every file loads before anything moves: one bad file stops the whole command with nothing changed; a file
  // named twice is adopted once
  const unique = [...new Map(files.map((f) => [resolve(f), f])).values()];
  const traces: [string, Trace][] = unique.map((f) => [f, readTraceFile(f)]);
  return traces.map(([file, t]) => {
    const outcome = replay(t);
    const j = judge(file, t, outcome);
    if (!j.ok) return { file, to: null, summary: `not adopted: it does not replay as recorded: ${j.summary}` };
    const w = writeCounterexample(into, t, outcome);
    if (resolve(w.json) !== resolve(file)) {
      unlinkSync(file);
      const md = file.replace(/\.json$/, '.md');
      if (md !== file && existsSync(md) && resolve(md) !== resolve(w.md)) unlinkSync(md);
    }
    return { file, to: w.json, summary: w.written ? `adopted as ${printable(w.json)}` : `already in the regression set as ${printable(w.json)}` };
  });
}
