/**
 * ioasid-lab command line. Exit codes: 0 success, 1 a check failed, 2 bad usage or bad input.
 */
import { DESIGN_NAMES, DESIGNS, designByName } from '../spec/index.js';
import { parseArgs, UsageError, type FlagSpec } from './args.js';
import { catalogue, formatCatalogue } from './catalogue.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'design', value: true, help: `only this design (${DESIGN_NAMES.join(', ')})` },
  { name: 'json', value: false, help: 'print the result as JSON' },
  { name: 'help', value: false, help: 'show this help' },
];

const HELP = `usage: ioasid-lab [catalogue] [--design NAME] [--json]

Commands:
  catalogue   the design alternatives, their policy points, and the ioctls each offers (default)

Flags:
${FLAGS.map((f) => `  --${f.name}${f.value ? ' VALUE' : ''}`.padEnd(22) + f.help).join('\n')}
`;

export function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  try {
    const { command, flags } = parseArgs(argv, FLAGS);
    if (flags.has('help')) {
      out(HELP);
      return 0;
    }
    const cmd = command ?? 'catalogue';
    if (cmd !== 'catalogue') throw new UsageError(`unknown command '${cmd}' (try --help)`);
    const name = flags.get('design');
    const chosen = typeof name === 'string' ? designByName(name) : undefined;
    if (typeof name === 'string' && !chosen) throw new UsageError(`unknown design '${name}' (known: ${DESIGN_NAMES.join(', ')})`);
    const c = catalogue(chosen ? [chosen] : DESIGN_NAMES.map((n) => DESIGNS[n]));
    out(flags.has('json') ? JSON.stringify(c, null, 2) : formatCatalogue(c));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`ioasid-lab: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

const isMain = process.argv[1] !== undefined && /src\/cli\/main\.ts$/.test(process.argv[1]);
if (isMain) process.exitCode = main(process.argv.slice(2), (s) => console.log(s), (s) => console.error(s));
