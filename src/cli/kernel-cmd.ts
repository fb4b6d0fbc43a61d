/**
 * `ioasid-lab kernel build|check|replay`: Linux itself as the third side. `build` makes the guest kernel and its
 * executor (src/kernel/build.ts); `check` generates traces for design iommufd on the selftest-mock machine and runs
 * each on the spec and on the booted kernel in lock step, shrinking a disagreement against Linux and saving it;
 * `replay` runs trace files there. The spec follows the booted kernel's uAPI version unless --kernel-version says
 * otherwise. Exit codes as every command: 0 agreement, 1 a disagreement, 2 bad usage or a missing build.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check } from '../check/engine.js';
import { writeCounterexample } from '../check/counterexample.js';
import { printable } from '../check/printable.js';
import { replay } from '../check/replay.js';
import { build, BuildError, cacheRoot, latestBuild, MissingTools, type KernelBuild } from '../kernel/build.js';
import { judgeOnLinux, type LinuxJudgement } from '../kernel/judge.js';
import { LINUX_DESIGN, LINUX_LEAVE_OUT, LINUX_PROFILE, linuxDriver, type LinuxDriver } from '../kernel/linux-driver.js';
import { Vm, VmDied } from '../kernel/vm.js';
import { KERNEL_VERSIONS, type KernelVersion } from '../uapi/index.js';
import { flagLines, parseArgs, shown, text, UsageError, wholeNumber, type CommandSpec, type FlagSpec, type Flags } from './args.js';
import { DEFAULT_OUT, kernelVersionFlag } from './check-cmd.js';
import { prepareOutDir } from './output.js';
import { progress } from './progress.js';

export const KERNEL_FLAGS: readonly FlagSpec[] = [
  { name: 'source', value: true, help: 'build: a kernel tree or source tarball (default: the newest /usr/src/linux-source-*.tar.xz)' },
  { name: 'cache', value: true, help: 'where builds are kept (default: $IOASID_LAB_CACHE, else ~/.cache/ioasid-lab)' },
  { name: 'jobs', value: true, help: 'build: parallel make jobs (default 2)' },
  { name: 'runs', value: true, help: 'check: random traces (default 100)' },
  { name: 'seed', value: true, help: 'check: fast-check seed, 0 to 4294967295 (default 1)' },
  { name: 'max-commands', value: true, help: 'check: commands per trace after the set-up (default 30)' },
  { name: 'time-limit', value: true, help: 'check: seconds, also inside a run (default 600)' },
  { name: 'out', value: true, help: 'check: where disagreements go (default counterexamples/new/)' },
  { name: 'kernel-version', value: true, help: `the uAPI version the spec follows (${KERNEL_VERSIONS.join(', ')}; default: the booted kernel's)` },
  { name: 'fail-nth', value: false, help: 'check: a share of steps fail one of their allocations in Linux; replay: sweep every allocation of every step' },
  { name: 'kvm', value: false, help: 'boot with KVM (default: TCG, which needs no /dev/kvm)' },
  { name: 'json', value: false, help: 'print the result as JSON' },
  { name: 'help', value: false, help: 'show this help' },
];

export const KERNEL_COMMANDS: readonly CommandSpec[] = [
  { name: 'build', files: null, help: 'build the guest kernel (iommufd + its test device) and the executor into the cache; reused when built', flags: ['source', 'cache', 'jobs'] },
  { name: 'check', files: null, help: 'random iommufd traces on the spec and on Linux, step by step; disagreements shrunk against Linux, saved', flags: ['runs', 'seed', 'max-commands', 'time-limit', 'out', 'kernel-version', 'fail-nth', 'cache', 'kvm', 'json'] },
  { name: 'replay', files: 'FILE…', help: 'run trace files on the spec and on Linux (on the selftest-mock machine); one line each', flags: ['kernel-version', 'fail-nth', 'cache', 'kvm', 'json'] },
];

export const KERNEL_HELP = `usage: ioasid-lab kernel build|check|replay [FILE…] [flags]

${KERNEL_COMMANDS.map((c) => `  ${`${c.name}${c.files ? ` ${c.files}` : ''}`.padEnd(16)}${c.help}\n${' '.repeat(18)}flags: ${c.flags.map((f) => `--${f}`).join(' ')}`).join('\n')}

Flags:
${flagLines(KERNEL_FLAGS)}

Needs the Debian packages of docs/kernel.md (linux-source-6.12, a compiler, flex, bison, bc, libelf-dev,
libssl-dev, qemu-system-x86); \`kernel build\` names what is missing and installs nothing.
Exit codes: 0 the spec and Linux agree, 1 they disagree, 2 bad usage, no build, or a tool missing.
`;

/** The build to boot: the newest of this checkout's in the cache. */
function theBuild(flags: Flags): KernelBuild {
  const b = latestBuild(cacheRoot(text(flags, 'cache')));
  if (b === null) throw new UsageError(`no kernel build in ${cacheRoot(text(flags, 'cache'))} for this checkout (run ioasid-lab kernel build first)`);
  return b;
}

/** --kernel-version, else the booted kernel's own (when the version table knows it). */
const versionOf = (flags: Flags, b: KernelBuild): KernelVersion => (flags.has('kernel-version') ? kernelVersionFlag(flags) : b.kernel ?? 'upstream');

/** A driver on a fresh guest of `b` (its FIFOs and console in a private temporary directory). */
function driverOn(b: KernelBuild, flags: Flags): { driver: LinuxDriver; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-lab-vm-'));
  const driver = linuxDriver({ vm: () => new Vm({ kernel: b.bzImage, initramfs: b.initramfs, dir, accel: flags.has('kvm') ? 'kvm' : 'tcg' }) });
  return {
    driver,
    done: () => {
      driver.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function runBuild(flags: Flags, out: (s: string) => void): Promise<number> {
  const p = progress();
  const { build: b, reused } = await build({ ...(text(flags, 'source') ? { source: text(flags, 'source') } : {}), ...(text(flags, 'cache') ? { cache: text(flags, 'cache') } : {}), jobs: wholeNumber(flags, 'jobs', 2, 1, 256), say: (l) => p.line(l) });
  out(`${reused ? 'reused' : 'built'}: Linux ${b.release} (${b.kernel === null ? 'a version the spec has no uAPI table for: the spec follows upstream' : `the spec follows kernel version ${b.kernel}`})`);
  out(`  bzImage   ${b.bzImage}`);
  out(`  initramfs ${b.initramfs}`);
  return 0;
}

function runCheck(flags: Flags, out: (s: string) => void): number {
  const b = theBuild(flags);
  const kernel = versionOf(flags, b);
  const dir = text(flags, 'out') ?? DEFAULT_OUT;
  prepareOutDir(dir, 'out');
  const runs = wholeNumber(flags, 'runs', 100, 1, 100_000_000);
  const seed = wholeNumber(flags, 'seed', 1, 0, 0xffff_ffff);
  const p = progress();
  const { driver, done } = driverOn(b, flags);
  let compared = 0;
  let unobserved = 0;
  const t0 = Date.now();
  try {
    p.line(`booting Linux ${b.release}…`);
    driver.vm();
    const o = check({
      design: LINUX_DESIGN, hardware: 'host-pasid-table', profile: LINUX_PROFILE, kernel, driver, leaveOut: LINUX_LEAVE_OUT,
      runs, seed, maxCommands: wholeNumber(flags, 'max-commands', 30, 1, 100_000),
      timeLimitMs: wholeNumber(flags, 'time-limit', 600, 1, 7 * 24 * 3600) * 1000, failNth: flags.has('fail-nth'),
      onRun: (n) => p.update(`iommufd on Linux ${b.release}`, n, runs),
      onStep: (st) => void (st.impl ? compared++ : unobserved++),
    });
    const written = o.trace ? writeCounterexample(dir, o.trace, replay(o.trace, driver)) : null;
    const ms = Date.now() - t0;
    const summary = {
      linux: b.release, kernelVersion: kernel, design: LINUX_DESIGN, profile: LINUX_PROFILE, seed,
      runs: o.stats.runs, steps: o.stats.steps, compared, notObservable: unobserved, injected: o.stats.injected, disagreements: o.ok ? 0 : 1, ms,
      violation: o.violation ?? null, counterexample: written?.json ?? null, minimality: o.trace?.origin.minimality ?? null,
    };
    if (flags.has('json')) out(JSON.stringify(summary, null, 2));
    else {
      out(`Linux ${b.release}, the spec at kernel version ${kernel}, design ${LINUX_DESIGN} on ${LINUX_PROFILE}`);
      out(`${o.stats.runs} runs, ${o.stats.steps} steps: ${compared} compared with Linux, ${unobserved} it cannot answer${flags.has('fail-nth') ? `, ${o.stats.injected} with an allocation failed in Linux` : ''}`);
      out(`disagreements: ${o.ok ? 0 : 1}${o.violation ? ` — ${o.violation.property} at step ${o.violation.step}: ${o.violation.message}` : ''}`);
      if (written) out(`counterexample: ${written.json} (${o.trace?.steps.length} steps, ${o.trace?.origin.minimality})`);
      out(`time: ${(ms / 1000).toFixed(1)} s`);
    }
    return o.ok ? 0 : 1;
  } finally {
    done();
  }
}

function runReplay(flags: Flags, files: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  const b = theBuild(flags);
  const kernel = versionOf(flags, b);
  const { driver, done } = driverOn(b, flags);
  const js: LinuxJudgement[] = [];
  try {
    for (const f of files) js.push(judgeOnLinux(f, driver, kernel, b.kernel ?? 'upstream', flags.has('fail-nth')));
  } finally {
    done();
  }
  if (flags.has('json')) out(JSON.stringify({ linux: b.release, kernelVersion: kernel, files: js }, null, 2));
  else {
    const tag = { agree: 'ok  ', version: 'ok  ', disagree: 'FAIL', skipped: 'skip', 'bad-input': 'BAD ' } as const;
    for (const j of js) if (j.status !== 'bad-input') out(`${tag[j.status]} ${printable(j.file)}: ${printable(j.summary)}`);
  }
  for (const j of js) if (j.status === 'bad-input') err(`ioasid-lab: ${printable(j.summary)}`);
  return js.some((j) => j.status === 'bad-input') ? 2 : js.some((j) => j.status === 'disagree') ? 1 : 0;
}

/** `ioasid-lab kernel …`: usage errors and a missing build or tool are exit 2 with one line. */
export async function kernelMain(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const sub = argv[0];
    if (sub === '--help') {
      out(KERNEL_HELP);
      return 0;
    }
    if (sub === undefined) throw new UsageError('kernel needs a command: build, check or replay (ioasid-lab kernel --help)');
    if (!KERNEL_COMMANDS.some((c) => c.name === sub)) throw new UsageError(`unknown kernel command ${shown(sub)} (kernel commands: ${KERNEL_COMMANDS.map((c) => c.name).join(', ')})`);
    const { command, flags, rest } = parseArgs(argv, KERNEL_FLAGS, KERNEL_COMMANDS, 'check');
    if (flags.has('help')) {
      out(KERNEL_HELP);
      return 0;
    }
    if (command === 'build') return await runBuild(flags, out);
    if (command === 'check') return runCheck(flags, out);
    return runReplay(flags, rest, out, err);
  } catch (e) {
    if (e instanceof UsageError || e instanceof MissingTools) {
      err(`ioasid-lab: ${printable(e.message)}`);
      return 2;
    }
    if (e instanceof BuildError || e instanceof VmDied) {
      err(`ioasid-lab: ${printable(e.message)}`);
      return 2;
    }
    throw e;
  }
}
