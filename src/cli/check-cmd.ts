/**
 * `ioasid-lab check`: run the differential check over the chosen designs and hardware kinds, write every
 * counterexample to counterexamples/<property>/<hash>.json (+ .md), print a summary table (or --json).
 * Exit 1 when anything failed.
 */
import { check, type CheckOutcome } from '../check/engine.js';
import { writeCounterexample } from '../check/counterexample.js';
import { replay } from '../check/replay.js';
import { DEFAULT_GEN, type GenConfig } from '../check/generate.js';
import type { KernelFactory } from '../check/differential.js';
import { DESIGN_NAMES, HW_KINDS, type DesignName, type HwKind } from '../uapi/index.js';
import { UsageError } from './args.js';
import { progress } from './progress.js';

export interface CheckArgs {
  readonly designs: readonly DesignName[];
  readonly hardware: readonly HwKind[];
  readonly runs: number;
  readonly seed: number;
  readonly maxCommands: number;
  readonly timeLimitS: number;
  readonly out: string;
  readonly json: boolean;
  /** shares of deliberately bad references and of edge values among generated arguments */
  readonly gen: GenConfig;
  /** the kernel under test (not a flag: tests pass a broken one) */
  readonly factory?: KernelFactory;
}

const share = (v: string | true | undefined, name: string, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !(n >= 0 && n <= 1)) throw new UsageError(`--${name} takes a share from 0 to 1, not '${String(v)}'`);
  return n;
};

const num = (v: string | true | undefined, name: string, dflt: number, min: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} takes a whole number >= ${min}, not '${String(v)}'`);
  return n;
};

export function checkArgs(flags: ReadonlyMap<string, string | true>): CheckArgs {
  const design = flags.get('design');
  const hw = flags.get('hardware');
  if (typeof design === 'string' && !(DESIGN_NAMES as readonly string[]).includes(design)) throw new UsageError(`unknown design '${design}' (known: ${DESIGN_NAMES.join(', ')})`);
  if (typeof hw === 'string' && !(HW_KINDS as readonly string[]).includes(hw)) throw new UsageError(`unknown hardware '${hw}' (known: ${HW_KINDS.join(', ')})`);
  return {
    designs: typeof design === 'string' ? [design as DesignName] : DESIGN_NAMES,
    hardware: typeof hw === 'string' ? [hw as HwKind] : HW_KINDS,
    runs: num(flags.get('runs'), 'runs', 100, 1),
    seed: num(flags.get('seed'), 'seed', 1, 0),
    maxCommands: num(flags.get('max-commands'), 'max-commands', 30, 1),
    timeLimitS: num(flags.get('time-limit'), 'time-limit', 60, 1),
    out: typeof flags.get('out') === 'string' ? (flags.get('out') as string) : 'counterexamples',
    json: flags.has('json'),
    gen: { badShare: share(flags.get('bad-share'), 'bad-share', DEFAULT_GEN.badShare), edgeShare: share(flags.get('edge-share'), 'edge-share', DEFAULT_GEN.edgeShare) },
  };
}

interface Cell {
  readonly design: DesignName;
  readonly hardware: HwKind;
  readonly outcome: CheckOutcome;
  readonly files?: { readonly json: string; readonly md: string };
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));

export function runCheck(a: CheckArgs, out: (s: string) => void): number {
  const p = progress();
  const cells: Cell[] = [];
  const t0 = Date.now();
  for (const design of a.designs) {
    for (const hardware of a.hardware) {
      const label = `${design} on ${hardware}`;
      const outcome = check({
        design, hardware, runs: a.runs, seed: a.seed, maxCommands: a.maxCommands, timeLimitMs: a.timeLimitS * 1000, gen: a.gen, ...(a.factory ? { factory: a.factory } : {}),
        onRun: (n) => p.update(label, n, a.runs),
      });
      let files: Cell['files'];
      if (outcome.trace) files = writeCounterexample(a.out, outcome.trace, replay(outcome.trace, a.factory));
      cells.push(files ? { design, hardware, outcome, files } : { design, hardware, outcome });
      const s = outcome.stats;
      p.line(`${label}: ${s.runs} runs, ${s.steps} steps, ${outcome.ok ? 'no property broken' : `FAILED ${outcome.violation?.property}`} (${(s.ms / 1000).toFixed(1)} s)`);
    }
  }
  const failed = cells.filter((c) => !c.outcome.ok);
  if (a.json) {
    out(JSON.stringify({
      seed: a.seed, runs: a.runs, ms: Date.now() - t0,
      cells: cells.map((c) => ({
        design: c.design, hardware: c.hardware, ok: c.outcome.ok, runs: c.outcome.stats.runs, steps: c.outcome.stats.steps,
        generated: c.outcome.stats.generated, executed: c.outcome.stats.executed, ms: c.outcome.stats.ms,
        rules: c.outcome.stats.coverage.size, violation: c.outcome.violation ?? null, counterexample: c.files?.json ?? null,
        minimality: c.outcome.trace?.origin.minimality ?? null,
      })),
    }, null, 2));
  } else {
    out('');
    out(`${pad('design', 24)}${pad('hardware', 20)}${pad('runs', 7)}${pad('steps', 8)}${pad('run', 6)}${pad('rules', 7)}result`);
    for (const c of cells) {
      const s = c.outcome.stats;
      const run = `${Math.round((s.executed / Math.max(s.generated, 1)) * 100)}%`;
      const result = c.outcome.ok ? 'ok' : `FAIL ${c.outcome.violation?.property} (${c.outcome.trace?.steps.length ?? '?'} steps, ${c.outcome.trace?.origin.minimality ?? 'none'})`;
      out(`${pad(c.design, 24)}${pad(c.hardware, 20)}${pad(String(s.runs), 7)}${pad(String(s.steps), 8)}${pad(run, 6)}${pad(String(s.coverage.size), 7)}${result}`);
    }
    out('run: the share of generated commands that were run; rules: spec rule ids (ioctl x outcome) reached');
    for (const c of failed) out(`counterexample: ${c.files?.json ?? '(not written)'}  (${c.outcome.violation?.message ?? ''})`);
    out(`seed ${a.seed}; ${failed.length === 0 ? 'no property broken' : `${failed.length} of ${cells.length} failed`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return failed.length === 0 ? 0 : 1;
}
