/**
 * ioasid-lab command line: parse arguments, run a command, print its outcome. Exit codes: 0 success, 1 a check
 * or replay failed, 2 bad usage or bad input (one line on stderr).
 */
import { DESIGN_NAMES, DESIGNS } from '../spec/index.js';
import { HW_KINDS } from '../uapi/index.js';
import { TraceError } from '../check/schema.js';
import { oneOrAll, parseArgs, UsageError, type FlagSpec } from './args.js';
import { catalogue, formatCatalogue } from './catalogue.js';
import { checkArgs, runCheck } from './check-cmd.js';
import { replayFile } from './replay-cmd.js';
import { exploreArgs, runExplore } from './explore-cmd.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'design', value: true, help: `one design (${DESIGN_NAMES.join(', ')}); default: all` },
  { name: 'hardware', value: true, help: `one hardware kind (${HW_KINDS.join(', ')}); default: all` },
  { name: 'runs', value: true, help: 'check: random traces per design and hardware kind (default 100)' },
  { name: 'seed', value: true, help: 'check: fast-check seed (default 1)' },
  { name: 'max-commands', value: true, help: 'check: commands per trace after the set-up (default 30)' },
  { name: 'time-limit', value: true, help: 'check: seconds per design and hardware kind (default 60)' },
  { name: 'out', value: true, help: 'check: where counterexamples go (default counterexamples/)' },
  { name: 'bad-share', value: true, help: 'check: share of deliberately bad ids (default 0.1)' },
  { name: 'edge-share', value: true, help: 'check: share of edge values: 0, U64_MAX, misaligned, wrapping (default 0.1)' },
  { name: 'memlock', value: true, help: 'check: RLIMIT_MEMLOCK in pages for every run (default: 65536, small in a share of runs)' },
  { name: 'no-swarm', value: false, help: 'check: every run draws from every ioctl and argument strategy (default: swarm)' },
  { name: 'coverage', value: false, help: 'check: list the spec rules and (ioctl x errno) pairs no run reached' },
  { name: 'requirement', value: true, help: 'explore: one requirement; default: all' },
  { name: 'depth', value: true, help: 'explore: calls after the set-up to search (default 16)' },
  { name: 'max-states', value: true, help: 'explore: distinct states per design and hardware kind (default 20000)' },
  { name: 'budget', value: true, help: 'explore: at most this many seconds per design and hardware kind (default 30)' },
  { name: 'html', value: true, help: 'explore: also write the self-contained HTML report to this file' },
  { name: 'json', value: false, help: 'print the result as JSON' },
  { name: 'help', value: false, help: 'show this help' },
];

const HELP = `usage: ioasid-lab [command] [flags]

Commands:
  check         random traces on the spec and the simulated kernel, every property checked;
                counterexamples shrunk to 1-minimal and written to counterexamples/ (default command)
  replay FILE…  replay trace files; a recorded failure must still fail that way, others must pass
  explore       every design x hardware kind x requirement: shortest witnesses (breadth-first search),
                the matrix, --json, --html FILE for the report with sequence diagrams
  catalogue     the design alternatives, their policy points, and the ioctls each offers

Flags:
${FLAGS.map((f) => `  --${f.name}${f.value ? ' VALUE' : ''}`.padEnd(24) + f.help).join('\n')}

Exit codes: 0 success, 1 a property broke or a replay was not as recorded, 2 bad usage or bad input.
`;

export function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  try {
    const { command, flags, rest } = parseArgs(argv, FLAGS);
    if (flags.has('help')) {
      out(HELP);
      return 0;
    }
    const cmd = command ?? 'check';
    if (cmd === 'catalogue') {
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
      const c = catalogue(oneOrAll(flags, 'design', DESIGN_NAMES).map((n) => DESIGNS[n]));
      out(flags.has('json') ? JSON.stringify(c, null, 2) : formatCatalogue(c));
      return 0;
    }
    if (cmd === 'check') {
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
      return runCheck(checkArgs(flags), out);
    }
    if (cmd === 'explore') {
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
      return runExplore(exploreArgs(flags), out);
    }
    if (cmd === 'replay') {
      if (rest.length === 0) throw new UsageError('replay needs at least one trace file');
      const js = rest.map(replayFile);
      if (flags.has('json')) out(JSON.stringify(js.map((j) => ({ file: j.file, ok: j.ok, summary: j.summary, violation: j.outcome.violation })), null, 2));
      else for (const j of js) out(`${j.ok ? 'ok  ' : 'FAIL'} ${j.file}: ${j.summary}`);
      return js.every((j) => j.ok) ? 0 : 1;
    }
    throw new UsageError(`unknown command '${cmd}' (try --help)`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof TraceError) {
      err(`ioasid-lab: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

const isMain = process.argv[1] !== undefined && /src\/cli\/main\.ts$/.test(process.argv[1]);
if (isMain) process.exitCode = main(process.argv.slice(2), (s) => console.log(s), (s) => console.error(s));
