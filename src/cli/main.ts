/**
 * ioasid-lab command line: parse arguments, run a command, print its outcome. Exit codes: 0 success, 1 a check
 * or replay failed (or ioasid-lab itself failed in a worker thread: one line on stderr), 2 bad usage or bad input
 * (one printable line on stderr, nothing written).
 */
import { DESIGN_NAMES, DESIGNS } from '../spec/index.js';
import { HW_KINDS, KERNEL_VERSIONS, PROFILE_NAMES } from '../uapi/index.js';
import { TraceError } from '../check/schema.js';
import { WorkerError } from '../check/pool.js';
import { FIXTURES } from '../check/fixture.js';
import { printable } from '../check/printable.js';
import { flagLines, MAX_WORKERS, oneOrAll, parseArgs, text, UsageError, type CommandSpec, type FlagSpec, type Parsed } from './args.js';
import { catalogue, formatCatalogue } from './catalogue.js';
import { checkArgs, runCheck, runCheckOnWorkers } from './check-cmd.js';
import { runExport } from './export-cmd.js';
import { formatReplay, replayOne, replayStatus } from './replay-cmd.js';
import { EXPLORE_DEFAULTS, exploreArgs, joinCompare, runExplore, runExploreOnWorkers } from './explore-cmd.js';
import { adopt } from './adopt-cmd.js';
import { kernelMain } from './kernel-cmd.js';
import { prepareOutDir } from './output.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'design', value: true, help: `one design (${DESIGN_NAMES.join(', ')}); default: all` },
  { name: 'hardware', value: true, help: `one hardware kind (${HW_KINDS.join(', ')}); default: all` },
  { name: 'profile', value: true, help: `the machine: ${PROFILE_NAMES.join(', ')}, or a machine profile FILE.json (docs/trace-format.md); default: default, today's world. Any other fixes its hardware kind` },
  { name: 'runs', value: true, help: 'random traces per design and hardware kind (default 100)' },
  { name: 'seed', value: true, help: 'fast-check seed, 0 to 4294967295 (default 1)' },
  { name: 'max-commands', value: true, help: 'commands per trace after the set-up (default 30)' },
  { name: 'time-limit', value: true, help: 'seconds per design and hardware kind, also inside a run (default 60)' },
  { name: 'out', value: true, help: 'check: where new counterexamples go (default counterexamples/new/, not tracked); export: the directory for the exported files' },
  { name: 'bad-share', value: true, help: 'share of deliberately bad ids, 0 to 1 (default 0.1)' },
  { name: 'edge-share', value: true, help: 'share of edge values (0, U64_MAX, misaligned, wrapping), 0 to 1 (default 0.1)' },
  { name: 'memlock', value: true, help: 'RLIMIT_MEMLOCK in pages for every run (default: 65536, small in a share of runs)' },
  { name: 'kernel-version', value: true, help: `the uAPI of a kernel version both sides follow (${KERNEL_VERSIONS.join(', ')}; default upstream); iommufd only` },
  { name: 'setup', value: true, help: `check: every run starts from this set-up variant (${FIXTURES.join(', ')}; default: each run draws one the machine offers; README "Where the generator goes")` },
  { name: 'no-swarm', value: false, help: 'every run draws from every ioctl and argument strategy (default: swarm)' },
  { name: 'coverage', value: false, help: 'list the spec rules and (ioctl x errno) pairs no run reached' },
  { name: 'requirement', value: true, help: 'one requirement; default: all' },
  { name: 'depth', value: true, help: `calls after the set-up to search (default ${EXPLORE_DEFAULTS.depth})` },
  { name: 'max-states', value: true, help: `distinct states per design and hardware kind (default ${EXPLORE_DEFAULTS.maxStates}); the search stops there, deterministically` },
  { name: 'no-symmetry', value: false, help: 'tell apart states that differ only by numbering of ids, fds and files (default: one state up to renaming)' },
  { name: 'budget', value: true, help: `a safety stop: seconds per design and hardware kind (default ${EXPLORE_DEFAULTS.budgetS}); a search it stops is reported incomplete` },
  { name: 'design-file', value: true, help: 'explore: also a design variant from this module FILE (default export: { extends, name, policy, ... }); several: FILE,FILE (docs/designing.md)' },
  { name: 'requirement-file', value: true, help: 'explore: also the requirement(s) this module FILE exports by default; several: FILE,FILE (docs/designing.md)' },
  { name: 'compare', value: true, help: 'explore: --compare A B prints the cells where designs A and B differ, both traces side by side' },
  { name: 'html', value: true, help: 'also write the self-contained HTML report to this file' },
  { name: 'force', value: false, help: 'let --html replace a file that is not an ioasid-lab report' },
  { name: 'fail-nth', value: false, help: 'replay: also fail every allocation of every step in turn; check: half the steps try to fail one of their allocations. Each such call must fail atomically; nothing may leak' },
  { name: 'into', value: true, help: 'the regression set to adopt into (default counterexamples/)' },
  { name: 'workers', value: true, help: `worker threads, 1 to ${MAX_WORKERS} (default: the number of cores); 1 runs all in this thread. Results do not depend on it` },
  { name: 'shard', value: true, help: 'check: run the i-th of n shares of the work, as i/n (chunks of 100 runs of each design and hardware kind, dealt round-robin); the n shards together run exactly what one run does (docs/ci.md)' },
  { name: 'junit', value: true, help: 'check: also write the result as JUnit XML to FILE (one case per design, hardware kind and property; replaces only an earlier such report)' },
  { name: 'format', value: true, help: 'export: what each trace becomes: vitest (a test file) or c (a C program; iommufd traces only)' },
  { name: 'selftest', value: false, help: 'export --format c: devices, VFIO calls and DMA through the iommufd selftest\'s mock device (a kernel with CONFIG_IOMMUFD_TEST)' },
  { name: 'json', value: false, help: 'print the result as JSON' },
  { name: 'help', value: false, help: 'show this help' },
];

const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'check', files: null,
    help: 'random traces on the spec and the simulated kernel, every property checked; counterexamples\nshrunk to 1-minimal and written to counterexamples/new/ (the default command)',
    flags: ['design', 'hardware', 'profile', 'runs', 'seed', 'max-commands', 'time-limit', 'out', 'bad-share', 'edge-share', 'memlock', 'kernel-version', 'setup', 'no-swarm', 'coverage', 'fail-nth', 'workers', 'shard', 'junit', 'json'],
  },
  {
    name: 'replay', files: 'FILE…',
    help: 'replay trace files; a recorded failure must still fail that way, others must pass;\none line per file: ok, FAIL, or the one-line error of a file that is not a valid trace',
    flags: ['fail-nth', 'json'],
  },
  {
    name: 'adopt', files: 'FILE…',
    help: 'move counterexamples check wrote into the regression set (counterexamples/<property>/),\nwhich the test suite replays; only traces that replay as recorded',
    flags: ['into'],
  },
  {
    name: 'explore', files: null,
    help: 'every design x hardware kind x requirement: shortest witnesses and counterexamples\n(breadth-first search), the matrix, --json, --html FILE for the report with sequence diagrams',
    flags: ['design', 'hardware', 'profile', 'requirement', 'depth', 'max-states', 'budget', 'no-symmetry', 'design-file', 'requirement-file', 'compare', 'html', 'force', 'workers', 'json'],
  },
  {
    name: 'export', files: 'FILE…',
    help: 'trace files as test files: --format vitest writes a vitest file per trace that replays it through the\nlibrary API and asserts every step; --format c a standalone C program that issues the calls on /dev/iommu\nand checks every answer against the spec\'s (one FILE: stdout; --out DIR: DIR/<name>.test.ts or DIR/<name>.c)',
    flags: ['format', 'out', 'selftest'],
  },
  { name: 'catalogue', files: null, help: 'the design alternatives, their policy points, and the ioctls each offers', flags: ['design', 'json'] },
];

/** `kernel` has commands of its own (kernel-cmd.ts): listed here for --help, parsed there. */
const KERNEL_LINE = `  ${'kernel …'.padEnd(16)}Linux itself as a third side: kernel build | check | replay FILE… (ioasid-lab kernel --help)`;

const indent = (s: string, n: number) => s.split('\n').join(`\n${' '.repeat(n)}`);
const HELP = `usage: ioasid-lab [command] [FILE…] [flags]

Commands:
${COMMANDS.map((c) => `  ${`${c.name}${c.files ? ` ${c.files}` : ''}`.padEnd(16)}${indent(c.help, 18)}\n${' '.repeat(18)}flags: ${c.flags.map((f) => `--${f}`).join(' ') || 'none'}`).join('\n')}
${KERNEL_LINE}

Flags:
${flagLines(FLAGS)}

A value is given as --flag VALUE or --flag=VALUE; numbers are decimal digits, shares decimals from 0 to 1.
Exit codes: 0 success, 1 a property broke or a replay was not as recorded (or a worker thread failed: one
line on stderr), 2 bad usage or bad input (one line on stderr; nothing is written).
`;

/** A parsed command, in this thread. */
function run({ command, flags, rest }: Parsed, out: (s: string) => void, err: (s: string) => void): number {
  if (flags.has('help')) {
    out(HELP);
    return 0;
  }
  switch (command) {
    case 'catalogue': {
      const c = catalogue(oneOrAll(flags, 'design', DESIGN_NAMES).map((n) => DESIGNS[n]));
      out(flags.has('json') ? JSON.stringify(c, null, 2) : formatCatalogue(c));
      return 0;
    }
    case 'check':
      return runCheck(checkArgs(flags), out);
    case 'explore':
      return runExplore(exploreArgs(flags), out);
    case 'replay': {
      // each file judged on its own: ok and FAIL lines on stdout, a bad file's one line on stderr
      const rs = rest.map((f) => replayOne(f, flags.has('fail-nth')));
      if (flags.has('json')) out(formatReplay(rs, true));
      else {
        const judged = rs.filter((r) => r.status !== 'bad-input');
        if (judged.length > 0) out(formatReplay(judged, false));
      }
      for (const r of rs) if (r.status === 'bad-input') err(`ioasid-lab: ${printable(r.message)}`); // with --json too
      return replayStatus(rs);
    }
    case 'export':
      return runExport(flags, rest, out);
    case 'adopt': {
      const into = text(flags, 'into') ?? 'counterexamples';
      prepareOutDir(into, 'into');
      const as = adopt(rest, into);
      for (const a of as) out(`${a.to ? 'ok  ' : 'FAIL'} ${printable(a.file)}: ${a.summary}`);
      return as.every((a) => a.to !== null) ? 0 : 1;
    }
  }
  throw new UsageError(`unknown command '${command}'`); // parseArgs returns only known commands
}

/** An error's one line and exit code: 2 for what a user caused, 1 for a worker thread's failure; others are bugs. */
function failure(e: unknown, err: (s: string) => void): number {
  if (e instanceof UsageError || e instanceof TraceError || e instanceof WorkerError) {
    err(`ioasid-lab: ${printable(e.message)}`);
    return e instanceof WorkerError ? 1 : 2;
  }
  throw e;
}

/**
 * Run a command other than `kernel`, synchronously, in this thread: check and explore run their units one after
 * another whatever --workers says (their results do not depend on it); cli() spreads them over worker threads.
 */
export function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  try {
    if (argv[0] === 'kernel') throw new UsageError('the kernel commands build and boot a kernel and finish asynchronously: run them through cli()');
    return run(parseArgs(joinCompare(argv), FLAGS, COMMANDS, 'check'), out, err);
  } catch (e) {
    return failure(e, err);
  }
}

/**
 * The command line: every command; check and explore on --workers threads, `kernel` ones (they build and boot a
 * kernel) asynchronously too.
 */
export async function cli(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (argv[0] === 'kernel') return kernelMain(argv.slice(1), out, err);
  try {
    const p = parseArgs(joinCompare(argv), FLAGS, COMMANDS, 'check');
    if (p.flags.has('help')) return run(p, out, err);
    if (p.command === 'check') return await runCheckOnWorkers(checkArgs(p.flags), out);
    if (p.command === 'explore') return await runExploreOnWorkers(exploreArgs(p.flags), out);
    return run(p, out, err);
  } catch (e) {
    return failure(e, err);
  }
}

const isMain = process.argv[1] !== undefined && /src\/cli\/main\.ts$/.test(process.argv[1]);
if (isMain) process.exitCode = await cli(process.argv.slice(2), (s) => console.log(s), (s) => console.error(s));
