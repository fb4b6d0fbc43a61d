/**
 * ioasid-lab as a library: `import { step, initialState, designs, check, replay, explore } from 'ioasid-lab'`
 * (docs/api.md). Everything here is a stable name; anything else under src/ may change between versions.
 *
 * - The spec: `initialState(world, design)` and `step(state, cmd)` (pure: a new state, the result, the rule id),
 *   `observe(state)`, `checkInvariants(state)`, the design values (`designs`, `designByName`).
 * - The machine: `defaultWorld(hardware)`, `worldOf(machine, memlockPages, kernelVersion)`, `machineOf(profile, hardware)`.
 * - Commands: the builders `iommu`, `vfio`, `ioasid`, `env` (one function per ioctl or environment action), `fd(n)`.
 * - The simulated kernel: `createKernel(design, world)`, whose `run(cmd)` answers as the spec's step does.
 * - The check: `check(options)` (random traces, every property, a shrunk counterexample on failure), `replay(trace)`,
 *   `loadTrace(json, source)` and `traceToJson(trace)` (the trace file format, docs/trace-format.md).
 * - The explorer: `explore(designs, hardware, options)`, `requirements`.
 */
export { step, initialState, observe, checkInvariants, noLeak, DESIGNS as designs, designByName, DESIGN_NAMES } from './spec/index.js';
export type { State, Design, DesignName, Policy, StepResult, Violation } from './spec/index.js';
export { defaultWorld, worldOf, machineOf, HW_KINDS, PROFILE_NAMES, iommu, vfio, ioasid, env, fd, ok, fail } from './uapi/index.js';
export type { Cmd, Ioctl, EnvAction, Result, Errno, World, HwKind, ProfileName, Observation } from './uapi/index.js';
export { createKernel } from './impl/index.js';
export type { Kernel } from './impl/index.js';
export { check } from './check/engine.js';
export type { CheckOptions, CheckOutcome, CheckStats } from './check/engine.js';
export { replay } from './check/replay.js';
export { loadTrace } from './check/schema.js';
export { traceToJson } from './check/trace.js';
export type { Trace } from './check/trace.js';
export { explore, REQUIREMENTS as requirements } from './explore/index.js';
export type { ExploreReport, Requirement } from './explore/index.js';
