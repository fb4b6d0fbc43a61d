/**
 * Example sequences as data: each step is a command and what must come back. Ids and fds are concrete because
 * both the spec and the kernel hand them out deterministically (lowest free object id from 1, lowest free fd
 * from 3), so the same table runs unchanged against any implementation of the uAPI.
 */
import { machineOf, worldOf, type Cmd, type DesignName, type Errno, type FaultReason, type HwKind, type KernelVersion, type ProfileName, type World } from '../../src/uapi/index.js';

export type Expect =
  | 'ok'
  | Errno
  /** success whose output has (at least) these fields */
  | { readonly out: Readonly<Record<string, unknown>> }
  /** a failure that still wrote back these outputs (IOVA_RANGES' needed num_iovas, HWPT_INVALIDATE's entry_num) */
  | { readonly errno: Errno; readonly out: Readonly<Record<string, unknown>> }
  /** a failure that kept part of its effect (iommufd range unmap), maybe writing back these outputs */
  | { readonly partial: Errno; readonly out?: Readonly<Record<string, unknown>> }
  /** DMA reaching this host physical address (user VA) */
  | { readonly hit: bigint; readonly stale?: readonly (bigint | FaultReason)[] }
  /** DMA faulting for this reason */
  | { readonly fault: FaultReason; readonly stale?: readonly (bigint | FaultReason)[] };

export interface ExampleStep {
  readonly cmd: Cmd;
  readonly expect: Expect;
  /** the rule id the spec must name for this step (optional) */
  readonly rule?: string;
}

export interface Example {
  /** reads as a rule: "IOMMU_DESTROY of an IOAS with an attached device fails with EBUSY" */
  readonly name: string;
  readonly design: DesignName;
  readonly hw?: HwKind;
  /** the machine (default: today's world on `hw`); a built-in other than default needs its own `hw` */
  readonly profile?: ProfileName;
  readonly memlockPages?: number;
  /** the uAPI level both sides follow (default upstream) */
  readonly kernelVersion?: KernelVersion;
  readonly steps: readonly ExampleStep[];
}

/** The world an example runs in. */
export const worldOfExample = (ex: Example): World => worldOf(machineOf(ex.profile, ex.hw ?? 'host-pasid-table'), ex.memlockPages, ex.kernelVersion);

/** Shorthand for a step. */
export const st = (cmd: Cmd, expect: Expect = 'ok', rule?: string): ExampleStep => (rule === undefined ? { cmd, expect } : { cmd, expect, rule });
