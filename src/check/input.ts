/**
 * Reading what a user hands in (a trace, a machine profile): only a regular file up to a size, so a FIFO or a
 * device never blocks and a huge file never fills memory; then the strict JSON reader (json.ts). Every problem is
 * one printable line naming the file, raised as the caller's own error class.
 */
import { readFileSync, statSync } from 'node:fs';
import { JsonError, parseJson } from './json.js';
import { printable } from './printable.js';

/** A message as one printable line (a system error's text may hold newlines). */
export const oneLine = (s: string): string => printable(s.replace(/\s*\n\s*/g, ' '));

/** How a reader names what it reads, in its refusals. */
export interface InputKind {
  /** why a non-file is refused: "a trace is a .json file" */
  readonly notFile: string;
  /** what the size is compared with: "a trace file may be (268435456)" */
  readonly tooLarge: string;
  readonly maxBytes: number;
  /** the caller's error class */
  readonly fail: (message: string) => Error;
}

/** The text of `file`, or `kind.fail` with one line: not a regular file, too large, or unreadable. */
export function readInputText(file: string, kind: InputKind): string {
  const name = printable(file);
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw kind.fail(`${name}: cannot read: ${oneLine((e as Error).message)}`);
  }
  if (!st.isFile()) throw kind.fail(`${name}: not a regular file (${kind.notFile})`);
  if (st.size > kind.maxBytes) throw kind.fail(`${name}: ${st.size} bytes is larger than ${kind.tooLarge}`);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw kind.fail(`${name}: cannot read: ${oneLine((e as Error).message)}`);
  }
}

/** `text` read strictly as JSON, or `fail` with "<source>: <what is wrong, with line and column>". */
export function parseInput(text: string, source: string, fail: (message: string) => Error): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    if (e instanceof JsonError) throw fail(`${printable(source)}: ${oneLine(e.message)}`);
    throw e;
  }
}
