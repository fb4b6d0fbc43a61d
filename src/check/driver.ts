/**
 * A driver is what a trace runs on: the spec and one kernel, stepped in lock step, each step judged. The default
 * drives the simulated kernel (differential.ts); src/kernel/ drives Linux itself through the selftest mock. The
 * check engine, replay, shrinking and the fail_nth sweep are written against this interface only, so a
 * counterexample against either kernel is generated, shrunk, saved and replayed the same way.
 */
import type { State } from '../spec/index.js';
import type { DesignName, HwKind, KernelVersion, MachineProfile, ProfileName } from '../uapi/index.js';
import { diffStep, endOfTrace, startSides, type KernelFactory, type Sides, type StepRecord, type Violation } from './differential.js';
import type { Bindings, TraceOrigin, TraceStep } from './trace.js';

/** What a trace says about where it runs. */
export interface TraceHeader {
  readonly design: DesignName;
  readonly hardware: HwKind;
  readonly memlockPages?: number;
  readonly profile?: ProfileName | MachineProfile;
  /** absent: `upstream` */
  readonly kernel?: KernelVersion;
}

/** The part of a driver's sides the engine reads: the spec's state and each side's symbol bindings. */
export interface SidesView {
  readonly spec: State;
  readonly specSyms: Bindings;
  /** the kernel side's bindings: the ids and values that kernel handed out */
  readonly implSyms: Bindings;
}

export interface Driver<S extends SidesView = SidesView> {
  start(t: TraceHeader): S;
  /** run one step on both sides and check everything that applies (1-based `index`) */
  step(sides: S, st: TraceStep, index: number): StepRecord;
  /** the end-of-trace obligations (close everything; nothing may leak) */
  end(sides: S): Violation | null;
  /** what a trace found on this driver records of it (a Linux release) */
  origin?(): Pick<TraceOrigin, 'linux'>;
}

/** The spec and the simulated kernel (a broken one, where a test passes its factory); `probe`: translation probes after every step. */
export function simDriver(factory?: KernelFactory, probe = true): Driver<Sides> {
  return {
    start: (t) => startSides(t.design, t.hardware, t.memlockPages, factory, t.profile, t.kernel),
    step: (sides, st, index) => diffStep(sides, st, index, probe),
    end: (sides) => endOfTrace(sides, probe),
  };
}

/** A driver, or the simulated kernel a factory builds (the default one when neither is given). */
export const asDriver = (d?: Driver | KernelFactory): Driver => (typeof d === 'function' ? simDriver(d) : d ?? simDriver());
