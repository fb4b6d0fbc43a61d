/**
 * The sides of a trace on Linux: the spec, and one executor session with the files the trace opened in it. Ids
 * cross from the spec to Linux by what they refer to, not by their number: the mock device and the emulation's
 * scratch IOAS take ids the spec never hands out, so the same object often has another number in Linux. An id
 * field the spec resolves to a live object is given that object's Linux id (through the symbol that names it);
 * any other number — never allocated, destroyed, of another table — is given a number Linux never handed out
 * either, so "no such object" stays "no such object" on both sides. fd numbers need no such care: the session's
 * own descriptors sit above the trace's, so Linux numbers the trace's files exactly as the spec does.
 */
import { objKey, type ObjKey, type State } from '../spec/index.js';
import type { SidesView } from '../check/driver.js';
import type { Bindings, Sym, TraceStep } from '../check/trace.js';
import { BINDERS } from '../check/trace.js';
import type { Cmd, Result } from '../uapi/index.js';
import type { Union } from '../spec/ranges.js';
import type { MockVfio, RealFile } from './mock-vfio.js';
import type { Session } from './session.js';

export interface LinuxSides extends SidesView {
  spec: State;
  readonly specSyms: Bindings;
  readonly implSyms: Bindings;
  readonly session: Session;
  /** the session's fd table as the trace made it */
  readonly files: Map<number, RealFile>;
  readonly vfio: MockVfio;
  /** every object id Linux handed out in the session (the emulation's hidden ones too) */
  readonly returned: Set<number>;
  /** a spec object -> the symbol a step bound to it (the latest) */
  readonly objSyms: Map<ObjKey, Sym>;
  /** OPENs that succeeded: a file's serial, as the spec's FileKey counts them */
  opens: number;
  /** user memory the session has mmapped */
  mapped: Union;
  /** an iommufd of the session's own, for IOMMU_TEST_CMD checks that need no object (MD_CHECK_REFS) */
  observer: number | null;
}

/** An id Linux never handed out in this session, for a number that names no live object in the spec. */
export const unallocated = (sides: LinuxSides, n: number): number => (sides.returned.has(n) ? 0x4000_0000 + n : n);

/** The spec's table (file) an id field of `c` is looked up in: its fd's file, or for a device fd the file it is bound to. */
export function tableOf(s: State, fd: unknown): number | null {
  if (typeof fd !== 'number') return null;
  const key = s.fds[fd];
  const f = key === undefined ? undefined : s.files[key];
  if (f === undefined) return null;
  return f.kind === 'device' ? f.bound : f.key;
}

/** The Linux id for the spec's id `n` of table `table` (the spec state before the step decides what it refers to). */
export function linuxId(sides: LinuxSides, before: State, table: number | null, n: number): number {
  if (table !== null && before.objects[objKey(table, n)] !== undefined) {
    const sym = sides.objSyms.get(objKey(table, n));
    const v = sym === undefined ? undefined : sides.implSyms.get(sym);
    if (v !== undefined) return v;
  }
  return unallocated(sides, n);
}

/** The table a step's output ids belong to: BIND's is the iommufd it binds to, the rest their fd's. */
export function outputTable(s: State, c: Cmd): number | null {
  if ('ioctl' in c && c.ioctl === 'VFIO_DEVICE_BIND_IOMMUFD') return tableOf(s, c.iommufd);
  return 'fd' in c ? tableOf(s, c.fd) : null;
}

/** Output fields that name an object (compared by what they refer to; OPEN's fd is compared as a number). */
export const isIdOutput = (cmdName: string, field: string): boolean => BINDERS[cmdName]?.[field] !== undefined && BINDERS[cmdName]?.[field] !== 'fd';

/** After the spec took a step: remember which spec objects its binds name. */
export function rememberBinds(sides: LinuxSides, st: TraceStep, specCmd: Cmd, r: Result<unknown>, after: State) {
  if (!st.bind || !r.ok) return;
  const name = 'ioctl' in specCmd ? specCmd.ioctl : 'env' in specCmd ? specCmd.env : '';
  const table = outputTable(after, specCmd);
  if (table === null) return;
  const out = r.out as Record<string, unknown>;
  for (const [field, sym] of Object.entries(st.bind)) {
    const v = out[field];
    if (typeof v === 'number' && isIdOutput(name, field)) sides.objSyms.set(objKey(table, v), sym);
  }
}
