/**
 * Bad input, case by case: every reproducer of the hardening issue gives exit 2 and one printable line naming
 * the problem, nothing a user owns is overwritten, and no input hangs. (The classes behind them — the strict JSON
 * reader, the flag layer, output paths checked first, never-replacing writes — are fuzzed in fuzz-input.prop.ts.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkArgs } from '../src/cli/check-cmd.js';
import { writeCounterexample } from '../src/check/counterexample.js';
import { check } from '../src/check/engine.js';
import { replay } from '../src/check/replay.js';
import { loadTrace, TraceError } from '../src/check/schema.js';
import { excerpt, printable } from '../src/check/printable.js';
import { expectUsageError, isPrintable, runCli } from './support/cli.js';
import { BUGS } from './support/bugs.js';

const sandbox = mkdtempSync(join(tmpdir(), 'ioasid-lab-hardening-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));
let n = 0;
/** A new file in the sandbox holding `text` (raw bytes allowed). */
const file = (text: string | Buffer, name = `t${++n}.json`): string => {
  const p = join(sandbox, name);
  writeFileSync(p, text);
  return p;
};

const OPEN = { cmd: { env: 'OPEN', path: '/dev/iommu' }, bind: { fd: '$fd1' }, expect: 'ok' };
const ALLOC = { cmd: { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, bind: { out_ioas_id: '$ioas1' }, expect: 'ok' };
const DESTROY = { cmd: { ioctl: 'IOMMU_DESTROY', fd: '$fd1', id: '$ioas1' }, expect: 'ok' };
const traceOf = (steps: readonly unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ schema: 'ioasid-lab/trace@1', design: 'iommufd', hardware: 'host-pasid-table', origin: { kind: 'hand' }, ...extra, steps });
const replayText = (text: string | Buffer) => runCli('replay', file(text));

describe('a valid trace still replays (the baseline the rejections below differ from)', () => {
  it('open, alloc, destroy: exit 0', () => {
    const r = replayText(traceOf([OPEN, ALLOC, DESTROY]));
    expect(r.code, r.err.join('\n')).toBe(0);
  });
});

describe('1. nesting that would exhaust the stack: one line, exit 2', () => {
  it('3000 levels in a free-form expect', () => {
    const deep = `${'['.repeat(3000)}1${']'.repeat(3000)}`;
    const text = traceOf([OPEN]).replace('"expect":"ok"', `"expect":{"out":${deep}}`);
    expectUsageError(replayText(text), /nested deeper than 64 levels at line 1 column \d+/);
  });
  it('20,000 brackets in spec.result.out, and the message never stringifies all of it', () => {
    const deep = `${'['.repeat(20000)}${']'.repeat(20000)}`;
    expectUsageError(replayText(traceOf([{ ...OPEN, spec: { result: { ok: true, out: 'X' }, rule: 'r' } }]).replace('"X"', deep)), /nested deeper/);
    let v: unknown = 1;
    for (let i = 0; i < 20000; i++) v = [v];
    expect(excerpt(v).length).toBeLessThanOrEqual(40);
  });
});

describe('2, 3, 9. flags are strict: a number is decimal digits in range, a share 0 to 1, nothing empty, nothing twice', () => {
  const quick = ['--design', 'iommufd', '--hardware', 'host-pasid-table', '--runs', '2', '--max-commands', '5'];
  it('--kernel-version 6.12 runs iommufd on 6.12\'s uAPI and leaves the designs that never shipped out, saying why', () => {
    const r = runCli('check', '--hardware', 'host-pasid-table', '--runs', '5', '--max-commands', '5', '--kernel-version', '6.12', '--json', '--out', join(sandbox, 'cx'));
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = JSON.parse(r.out.join('\n')) as { cells: { design: string }[]; skipped: { design: string; why: string }[] };
    expect(j.cells.map((c) => c.design)).toEqual(['iommufd']);
    expect(j.skipped).toContainEqual({ design: 'rfc-v1', why: 'never shipped: --kernel-version 6.12 applies to a merged design only' });
  });
  it('--edge-share and --bad-share take any share from 0 to 1 (0.5 used to crash the generator)', () => {
    for (const s of ['0', '0.5', '.75', '1']) {
      for (const flag of ['--edge-share', '--bad-share']) expect(runCli('check', ...quick, flag, s, '--out', join(sandbox, 'cx')).code).toBe(0);
    }
  });
  it.each([
    [['check', '--max-commands', '1e21'], /--max-commands takes a whole number from 1 to 100000, not '1e21'/],
    [['check', '--seed', ''], /--seed needs a value, not an empty one/],
    [['check', '--seed='], /--seed needs a value, not an empty one/],
    [['check', '--bad-share', ''], /--bad-share needs a value/],
    [['check', '--runs=5=6'], /--runs takes a whole number .* not '5=6'/],
    [['check', '--runs', '0x10'], /not '0x10'/],
    [['check', '--runs', '1e3'], /not '1e3'/],
    [['check', '--runs', ' 7'], /not ' 7'/],
    [['check', '--runs', '-5'], /not '-5'/],
    [['check', '--seed', '4294967296'], /--seed takes a whole number from 0 to 4294967295/],
    [['check', '--edge-share', '1.5'], /--edge-share takes a share from 0 to 1, not '1.5'/],
    [['check', '--edge-share', 'NaN'], /not 'NaN'/],
    [['check', '--out', ''], /--out needs a value/],
    [['explore', '--html', ''], /--html needs a value/],
    [['explore', '--html='], /--html needs a value/],
    [['explore', '--runs', '-5'], /--runs is not a flag of explore/],
    [['catalogue', '--hardware', 'nope'], /--hardware is not a flag of catalogue/],
    [['replay', 'x.json', '--seed', '3'], /--seed is not a flag of replay/],
    [['check', '--seed', '1', '--seed', '2'], /--seed is given twice/],
    [['check', '--json=yes'], /--json takes no value/],
    [['check', '--nope'], /unknown flag --nope/],
    [['check', '-h'], /unknown flag '-h'/],
    [['nope'], /unknown command 'nope'/],
    [['check', 'extra'], /check takes no arguments/],
    [['replay'], /replay needs FILE/],
    [['check', '--design', 'x\u001b[31m'], /unknown design 'x\\u001b\[31m'/],
    [['check', '--kernel-version', '5.4'], /unknown kernel version '5.4' \(known: upstream, 6.12\)/],
    [['check', '--design', 'rfc-v1', '--kernel-version', '6.12'], /--kernel-version 6.12: design rfc-v1 never shipped, a kernel version applies to a merged design only/],
    [['explore', '--kernel-version', '6.12'], /--kernel-version is not a flag of explore/],
  ])('%j', (argv, message) => {
    expectUsageError(runCli(...argv), message);
  });
});

describe('4, 11. output paths are checked before any work, and a file that is not ours is never replaced', () => {
  it('check --out onto a file, or under one: exit 2 at once, the file untouched', () => {
    const f = file('precious', 'notes.txt');
    expectUsageError(runCli('check', '--out', f), /--out .*notes\.txt cannot be used as a directory to write into \(ENOTDIR\)/);
    expectUsageError(runCli('check', '--out', join(f, 'sub')), /ENOTDIR/);
    expect(readFileSync(f, 'utf8')).toBe('precious');
  });
  it('check --out under /proc fails at once instead of looping in mkdir', () => {
    if (!existsSync('/proc/self')) return;
    expectUsageError(runCli('check', '--out', '/proc/ioasid-lab-nothing/x'), /--out \/proc\/ioasid-lab-nothing\/x cannot be used/);
  });
  it('explore --html onto a directory, onto README.md, onto a device: exit 2 before the search, nothing left behind', () => {
    const dir = join(sandbox, 'htmldir');
    mkdirSync(dir, { recursive: true });
    expectUsageError(runCli('explore', '--html', dir), /is a directory, not a file/);
    const readme = readFileSync('README.md', 'utf8');
    expectUsageError(runCli('explore', '--html', 'README.md'), /--html README\.md exists and is not an ioasid-lab report; refusing to replace it \(--force replaces it\)/);
    expect(readFileSync('README.md', 'utf8')).toBe(readme);
    if (existsSync('/dev/null')) expectUsageError(runCli('explore', '--html', '/dev/null', '--force'), /not a regular file/);
    expect(readdirSync(dir)).toEqual([]);
  });
  it('explore --html replaces its own report, and with --force anything else; no temporary file remains', () => {
    const dir = mkdtempSync(join(sandbox, 'html-'));
    const page = join(dir, 'r.html');
    const small = ['--design', 'iommufd', '--hardware', 'host-pasid-table', '--depth', '1', '--max-states', '50'];
    expect(runCli('explore', ...small, '--html', page).code).toBe(0);
    expect(runCli('explore', ...small, '--html', page).code).toBe(0); // its own report: replaced
    const notes = join(dir, 'notes.html');
    writeFileSync(notes, '<p>mine</p>');
    expectUsageError(runCli('explore', ...small, '--html', notes), /refusing to replace it/);
    expect(readFileSync(notes, 'utf8')).toBe('<p>mine</p>');
    expect(runCli('explore', ...small, '--html', notes, '--force').code).toBe(0);
    expect(readFileSync(notes, 'utf8')).toContain('<meta name="generator" content="ioasid-lab">');
    expect(readdirSync(dir).sort()).toEqual(['notes.html', 'r.html']);
  });
});

describe('6. nothing hangs: devices and FIFOs are refused, the time limit holds inside a run', () => {
  it('replay /dev/zero, a directory, a FIFO: exit 2, one line, at once', () => {
    if (existsSync('/dev/zero')) expectUsageError(runCli('replay', '/dev/zero'), /\/dev\/zero: not a regular file/);
    expectUsageError(runCli('replay', sandbox), /not a regular file/);
    const fifo = join(sandbox, 'fifo.json');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo on this machine
    }
    expectUsageError(runCli('replay', fifo), /fifo\.json: not a regular file/);
  });
  it('--time-limit stops a run of 100,000 commands part way (it used to be checked only between runs)', () => {
    // a clock that passes the limit after 200 reads: deterministic, whatever the machine's speed
    let reads = 0;
    const now = () => (++reads > 200 ? 1e15 : 0);
    // seed 2: a run whose drawn length is in the tens of thousands (how many commands a run draws is part of the draw)
    const o = check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 1, seed: 2, maxCommands: 100_000, timeLimitMs: 60_000, now });
    expect(o.ok).toBe(true);
    expect(o.stats.runs).toBe(1);
    expect(o.stats.generated).toBeGreaterThan(1000);
    expect(o.stats.executed).toBeLessThan(200);
  });
});

describe('7, 8, 10, 13. the trace reader: closed binds, no duplicate keys, exact integers, messages that say what is wrong', () => {
  it('a bind key the command does not output', () => {
    const bad = { ...ALLOC, bind: { out_ioas: '$ioas1' } };
    expectUsageError(replayText(traceOf([OPEN, bad, DESTROY])), /step 2: bind\.out_ioas is not an output of IOMMU_IOAS_ALLOC \(it outputs out_ioas_id\)/);
    expectUsageError(replayText(traceOf([OPEN, { ...DESTROY, bind: { id: '$ioas1' } }])), /IOMMU_DESTROY \(it outputs nothing to bind\)/);
  });
  it('a key given twice', () => {
    const text = traceOf([OPEN]).replace('"design":"iommufd"', '"design":"iommufd","design":"rfc-v1"');
    expectUsageError(replayText(text), /key "design" given twice at line 1 column \d+/);
  });
  it('ids and fds past 2^53, and numbers that overflow', () => {
    expectUsageError(replayText(traceOf([OPEN, { ...DESTROY, cmd: { ...DESTROY.cmd, id: 1 } }]).replace('"id":1', '"id":9007199254740993')), /integer 9007199254740993 is past 2\^53/);
    expectUsageError(replayText(traceOf([OPEN]).replace('"schema"', '"memlockPages":1e400,"schema"')), /number 1e400 is out of range/);
  });
  it('a step that is not an object is named as the step', () => {
    expectUsageError(replayText(traceOf([OPEN, 5])), /step 2 must be an object with a "cmd" or an "assert", not 5/);
  });
  it('raw control bytes in the file are never echoed; a file name with a newline stays one line', () => {
    const line = expectUsageError(replayText(Buffer.from('\u001b[2J\u0007\u0000', 'latin1')), /not JSON: unexpected control character 0x1b/);
    expect(line).not.toMatch(/\u001b/);
    const evil = file('{', 'evil\nname\u001b[31m.json');
    expectUsageError(runCli('replay', evil), /evil\\nname\\x1b\[31m\.json: not JSON/);
    expect(isPrintable(printable('a\u202eb'))).toBe(true);
  });
  it('a replay of many files reports each and exits with the worst status', () => {
    const good = file(traceOf([OPEN, ALLOC, DESTROY]));
    const failing = file(traceOf([OPEN, { ...ALLOC, expect: 'EBUSY' }]));
    const bad = file('{"schema": 1}');
    const r = runCli('replay', good, bad, failing);
    expect(r.code).toBe(2);
    expect(r.out.map((l) => l.slice(0, 4))).toEqual(['ok  ', 'FAIL']);
    expect(r.err).toHaveLength(1);
    expect(runCli('replay', good, failing).code).toBe(1);
    expect(runCli('replay', good).code).toBe(0);
    const j = runCli('replay', '--json', good, bad);
    expect((JSON.parse(j.out.join('\n')) as { status: string }[]).map((x) => x.status)).toEqual(['ok', 'bad-input']);
  });
  it('loadTrace itself throws only TraceError on a bad file', () => {
    expect(() => loadTrace('[', 'x.json')).toThrow(TraceError);
  });
});

describe('12. check writes new finds outside the regression set; adopt moves one in, never replacing anything', () => {
  it('the default --out is counterexamples/new, which the test suite does not replay and git ignores', () => {
    expect(checkArgs(new Map()).out).toBe(join('counterexamples', 'new'));
    expect(readFileSync('.gitignore', 'utf8').split('\n')).toContain('counterexamples/new/');
  });
  it('adopt moves a found trace (and its page) into <into>/<property>/; one that does not replay as recorded stays', () => {
    const bug = BUGS[0]!; // support/bugs.ts: the kernel passes what the broken one failed
    const o = check({ design: 'iommufd', hardware: 'host-pasid-table', runs: 300, seed: 1, maxCommands: 30, timeLimitMs: 30_000, factory: bug.factory });
    expect(o.trace).toBeDefined();
    const found = join(sandbox, 'adopt', 'new');
    const into = join(sandbox, 'adopt', 'set');
    // found against the broken kernel: against the real one it no longer fails as recorded, so it is not adopted
    const open = writeCounterexample(found, o.trace!, replay(o.trace!, bug.factory)); // defined: asserted above
    const refused = runCli('adopt', open.json, '--into', into);
    expect(refused.code).toBe(1);
    expect(existsSync(open.json)).toBe(true);
    // the same trace, recorded as fixed (a regression), is adopted: moved with its page
    const fixedText = readFileSync(open.json, 'utf8').replace('"status": "open"', '"status": "fixed"');
    const fixed = file(fixedText, 'fixed.json');
    const r = runCli('adopt', fixed, '--into', into);
    expect(r.code, r.out.join('\n')).toBe(0);
    expect(existsSync(fixed)).toBe(false);
    const to = /adopted as (\S+)/.exec(r.out.join('\n'))?.[1];
    expect(to && readFileSync(to, 'utf8')).toBe(fixedText);
    // adopting the same counterexample again replaces nothing
    const again = file(fixedText, 'again.json');
    expect(runCli('adopt', again, '--into', into).out.join('\n')).toMatch(/already in the regression set/);
    expect(readFileSync(to!, 'utf8')).toBe(fixedText); // to: matched above
    // the same file named twice is adopted once (found by the flag fuzzer: the second move used to crash)
    const twice = file(fixedText.replace('"fixed"', '"fixed" '), 'twice.json');
    const t2 = runCli('adopt', twice, twice, '--into', into);
    expect(t2.code, t2.err.join('\n')).toBe(0);
    expect(t2.out).toHaveLength(1);
    // a bad file: exit 2, nothing moved
    expectUsageError(runCli('adopt', file('nope'), again, '--into', into), /not JSON/);
  });
});
