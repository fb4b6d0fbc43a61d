/**
 * Running the command line in-process, as the tests of its bad-input handling need it: exit code and the lines of
 * stdout and stderr, and the one shape every usage error must have (one printable line naming the problem).
 */
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly out: readonly string[];
  readonly err: readonly string[];
}

export function runCli(...argv: string[]): CliRun {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, (s) => out.push(...s.split('\n')), (s) => err.push(...s.split('\n')));
  return { code, out, err };
}

/** No control or format character: nothing that moves a terminal's cursor, rings it, or breaks a line. */
export const isPrintable = (s: string): boolean => !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(s);

/** Exit 2 with exactly one printable line on stderr, prefixed as all of ours are; returns that line. */
export function expectUsageError(r: CliRun, mentions?: string | RegExp): string {
  expect(r.code, r.err.join('\n')).toBe(2);
  expect(r.err).toHaveLength(1);
  const line = r.err[0]!; // length 1
  expect(line.startsWith('ioasid-lab: '), line).toBe(true);
  expect(isPrintable(line), JSON.stringify(line)).toBe(true);
  if (mentions !== undefined) expect(line).toMatch(mentions);
  return line;
}
