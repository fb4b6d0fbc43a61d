/**
 * `ioasid-lab export --format c`: an iommufd trace as a standalone C program that opens /dev/iommu and the VFIO
 * cdevs, issues every ioctl with the real struct layouts (the bytes src/kernel/abi.ts sends Linux in `kernel check`),
 * takes the ids the kernel returns into the variables the trace's symbols name, compares each answer with the
 * spec's, prints one line per step and exits 1 at the first disagreement.
 *
 * What the program compares, and why no more: the errno (0 for success) of every call; every returned value the
 * spec computes (an IOVA the kernel chose, an unmap's length, IOVA ranges, hardware info, dirty bits, a failure's
 * written-back count); never an id or an fd number, which are the kernel's to choose (they are only carried to the
 * steps that use them). fail_nth steps arm /proc/thread-self/fail-nth for their call: the spec's answers after one
 * assume the injected failure fired exactly where it fired in the simulated kernel, so a kernel whose allocations
 * differ there leaves the program's path (exit 3), which is no disagreement with the spec.
 *
 * The uAPI definitions: the system's <linux/iommufd.h> and <linux/vfio.h> when the compiler finds them (too old for a
 * call the trace makes: a one-line #error), else — or with -DIOASID_LAB_OWN_UAPI — the ones the program carries
 * (src/check/c-uapi.ts, from the newest upstream header). What a program cannot do — a device's DMA,
 * a guest writing its tables, a page request — is a comment, or with `--selftest` what the selftest's mock device
 * offers for it (src/check/export-c-selftest.ts). Only the merged design has a uAPI a program can call.
 */
import { DESIGNS, initialState, objKey, step, type ObjKey, type State } from '../spec/index.js';
import { PGFAULT_SIZE } from '../spec/fault.js';
import { HW_INFO, IOMMUFD_PATH, isIommufdNode, machineOf, worldOf, type Cmd, type EnvAction, type IommufdCmd, type Result } from '../uapi/index.js';
import { encodeIommufd, encodeTestPort, encodeVfio, field, isTestPortAction, LAYOUTS, NEWER_LAYOUTS, runsBitmap, TEST_OPS, type Layout, type RawIoctl } from '../kernel/abi.js';
import { isIdOutput, outputTable, tableOf } from '../kernel/linux-sides.js';
import { isStdio } from '../kernel/linux-run.js';
import { isAssertCmd } from './assert.js';
import { formatCmd } from './format.js';
import { replay } from './replay.js';
import { BINDERS, Bindings, FD_FIELDS, ID_FIELDS, isSym, stepName, type Sym, type Trace, type TraceStep } from './trace.js';
import { IOMMUFD_UAPI, TEST_PORT_UAPI, VFIO_CDEV_UAPI } from './c-uapi.js';
import { cstr, ctext, lit } from './c-source.js';
import { MOCK_PROFILE, selftestDma, SELFTEST_PRELUDE } from './export-c-selftest.js';

/** The first line of every exported program: what `export --out` may replace. */
export const C_MARK = '/* ioasid-lab export --format c';

export interface COptions {
  /** device files, VFIO calls and DMA through the selftest's mock device (a kernel with CONFIG_IOMMUFD_TEST) */
  readonly selftest?: boolean;
  /** the trace's machine is the selftest's mock (set by cOf) */
  readonly onMock?: boolean;
}

/** Why a trace has no C program, or null. */
export function cProblem(t: Trace): string | null {
  return DESIGNS[t.design].status === 'merged' ? null : `design ${t.design} never shipped: only a trace of the merged design (iommufd) has a uAPI a C program can call`;
}

type IommufdIoctl = IommufdCmd['ioctl'];

/** The argument struct of each call. */
const STRUCT_OF: Readonly<Record<IommufdIoctl, string>> = {
  IOMMU_DESTROY: 'iommu_destroy', IOMMU_IOAS_ALLOC: 'iommu_ioas_alloc', IOMMU_IOAS_ALLOW_IOVAS: 'iommu_ioas_allow_iovas', IOMMU_IOAS_COPY: 'iommu_ioas_copy',
  IOMMU_IOAS_IOVA_RANGES: 'iommu_ioas_iova_ranges', IOMMU_IOAS_MAP: 'iommu_ioas_map', IOMMU_IOAS_UNMAP: 'iommu_ioas_unmap', IOMMU_OPTION: 'iommu_option',
  IOMMU_HWPT_ALLOC: 'iommu_hwpt_alloc', IOMMU_GET_HW_INFO: 'iommu_hw_info', IOMMU_HWPT_SET_DIRTY_TRACKING: 'iommu_hwpt_set_dirty_tracking',
  IOMMU_HWPT_GET_DIRTY_BITMAP: 'iommu_hwpt_get_dirty_bitmap', IOMMU_HWPT_INVALIDATE: 'iommu_hwpt_invalidate', IOMMU_FAULT_QUEUE_ALLOC: 'iommu_fault_alloc',
  IOMMU_IOAS_MAP_FILE: 'iommu_ioas_map_file', IOMMU_IOAS_CHANGE_PROCESS: 'iommu_ioas_change_process', IOMMU_VIOMMU_ALLOC: 'iommu_viommu_alloc',
  IOMMU_VDEVICE_ALLOC: 'iommu_vdevice_alloc', IOMMU_VEVENTQ_ALLOC: 'iommu_veventq_alloc',
  VFIO_DEVICE_BIND_IOMMUFD: 'vfio_device_bind_iommufd', VFIO_DEVICE_ATTACH_IOMMUFD_PT: 'vfio_device_attach_iommufd_pt', VFIO_DEVICE_DETACH_IOMMUFD_PT: 'vfio_device_detach_iommufd_pt',
};

/**
 * The first Linux release whose header has each call as the program fills it in, and a macro that release's header
 * defines (a struct that grew counts from the release it reached its present fields: HWPT_ALLOC's fault_id is 6.11).
 */
const SINCE: Readonly<Record<IommufdIoctl, readonly [release: string, macro: string]>> = {
  IOMMU_DESTROY: ['6.2', 'IOMMU_DESTROY'], IOMMU_IOAS_ALLOC: ['6.2', 'IOMMU_DESTROY'], IOMMU_IOAS_ALLOW_IOVAS: ['6.2', 'IOMMU_DESTROY'],
  IOMMU_IOAS_COPY: ['6.2', 'IOMMU_DESTROY'], IOMMU_IOAS_IOVA_RANGES: ['6.2', 'IOMMU_DESTROY'], IOMMU_IOAS_MAP: ['6.2', 'IOMMU_DESTROY'],
  IOMMU_IOAS_UNMAP: ['6.2', 'IOMMU_DESTROY'], IOMMU_OPTION: ['6.2', 'IOMMU_DESTROY'],
  VFIO_DEVICE_BIND_IOMMUFD: ['6.6', 'VFIO_DEVICE_BIND_IOMMUFD'], VFIO_DEVICE_ATTACH_IOMMUFD_PT: ['6.6', 'VFIO_DEVICE_BIND_IOMMUFD'], VFIO_DEVICE_DETACH_IOMMUFD_PT: ['6.6', 'VFIO_DEVICE_BIND_IOMMUFD'],
  IOMMU_GET_HW_INFO: ['6.7', 'IOMMU_HWPT_SET_DIRTY_TRACKING'], IOMMU_HWPT_SET_DIRTY_TRACKING: ['6.7', 'IOMMU_HWPT_SET_DIRTY_TRACKING'],
  IOMMU_HWPT_GET_DIRTY_BITMAP: ['6.7', 'IOMMU_HWPT_SET_DIRTY_TRACKING'], IOMMU_HWPT_INVALIDATE: ['6.8', 'IOMMU_HWPT_INVALIDATE'],
  IOMMU_HWPT_ALLOC: ['6.11', 'IOMMU_FAULT_QUEUE_ALLOC'], IOMMU_FAULT_QUEUE_ALLOC: ['6.11', 'IOMMU_FAULT_QUEUE_ALLOC'],
  IOMMU_IOAS_MAP_FILE: ['6.14', 'IOMMU_IOAS_MAP_FILE'], IOMMU_VDEVICE_ALLOC: ['6.14', 'IOMMU_VIOMMU_ALLOC'],
  IOMMU_IOAS_CHANGE_PROCESS: ['6.14', 'IOMMU_IOAS_CHANGE_PROCESS'], IOMMU_VEVENTQ_ALLOC: ['6.15', 'IOMMU_VEVENTQ_ALLOC'],
  // data_len and data_uptr: the struct as the newest header has it
  IOMMU_VIOMMU_ALLOC: ['6.16', 'IOMMU_HW_QUEUE_ALLOC'],
};

const release = (r: string) => r.split('.').map(Number) as [number, number];
const newer = (a: string, b: string) => { const [x, y] = release(a); const [u, v] = release(b); return x !== u ? x > u : y > v; };

/** A struct field whose trace argument has another name. */
const ARG_OF: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  IOMMU_IOAS_MAP_FILE: { fd: 'file_fd' },
  MOCK_ADD_RESERVED: { id: 'ioas_id', 'add_reserved.start': 'start', 'add_reserved.length': 'length' },
  MOCK_ACCESS_CREATE: { id: 'ioas_id' },
  MOCK_ACCESS_PIN: { id: 'access_fd', 'access_pages.iova': 'iova', 'access_pages.length': 'length' },
  MOCK_ACCESS_UNPIN: { id: 'access_fd', 'destroy_access_pages.access_pages_id': 'pages_id' },
  MOCK_ACCESS_RW: { id: 'access_fd', 'access_rw.iova': 'iova', 'access_rw.length': 'length' },
  MOCK_ACCESS_REPLACE: { id: 'access_fd', 'access_replace_ioas.ioas_id': 'ioas_id' },
};

/** Where a returned value is in the argument, when not at a field of its own name. */
const OUT_AT: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  MOCK_ACCESS_CREATE: { access_fd: 'create_access.out_access_fd' },
  MOCK_ACCESS_PIN: { access_pages_id: 'access_pages.out_access_pages_id' },
};

const LAYOUT_BY_NAME: Readonly<Record<string, Layout>> = { ...LAYOUTS, ...NEWER_LAYOUTS };

/** A symbol's C variable. */
const cvar = (s: Sym) => s.slice(1);

/** What the spec says of one step, walked in order (the spec alone: a trace's verdict step is no end here). */
export interface Walked {
  readonly st: TraceStep;
  /** the command in the spec's numbers (null: an assertion, whose query is `query`) */
  readonly cmd: Cmd | null;
  readonly query?: Record<string, unknown>;
  /** the spec's answer; null for an assertion, or a fail_nth step whose injected failure fired in the model */
  readonly result: Result<unknown> | null;
  /** the step's injected allocation failure fired in the simulated kernel (the spec did not take the step) */
  readonly injected: boolean;
  /** the spec's rule for the step (null where it took none) */
  readonly rule: string | null;
  readonly before: State;
  readonly after: State;
  /** each live spec object the trace has a symbol for, by its key: the symbol (the latest a step bound to it) */
  readonly objSyms: ReadonlyMap<ObjKey, Sym>;
}

export function walk(t: Trace): Walked[] {
  // where the simulated kernel's injected failures fired: only a trace with fail_nth steps needs it replayed
  const hasFailNth = t.steps.some((st) => st.failNth !== undefined);
  const injected = new Set(hasFailNth ? replay(t).records.flatMap((r, i) => (r.injected ? [i] : [])) : []);
  let state = initialState(worldOf(machineOf(t.profile, t.hardware), t.memlockPages, t.kernel), DESIGNS[t.design]);
  const syms = new Bindings();
  const objSyms = new Map<ObjKey, Sym>();
  return t.steps.map((st, i) => {
    const before = state;
    const known = new Map(objSyms);
    if (isAssertCmd(st.cmd)) return { st, cmd: null, query: syms.resolve(st.cmd) as unknown as Record<string, unknown>, result: null, injected: false, rule: null, before, after: before, objSyms: known };
    const cmd = syms.resolve(st.cmd);
    if (injected.has(i)) return { st, cmd, result: null, injected: true, rule: null, before, after: before, objSyms: known };
    const r = step(state, cmd);
    state = r.state;
    syms.bind(st, r.result);
    // the objects this step's binds name, by their spec key (an id is looked up in its fd's table, BIND's in the iommufd's)
    const table = outputTable(state, cmd);
    if (r.result.ok && table !== null) {
      for (const [f, sym] of Object.entries(st.bind ?? {})) {
        const v = (r.result.out as Record<string, unknown>)[f];
        if (typeof v === 'number' && isIdOutput(stepName(st.cmd), f)) objSyms.set(objKey(table, v), sym);
      }
    }
    return { st, cmd, result: r.result, injected: false, rule: r.rule, before, after: state, objSyms: known };
  });
}

/** The C type of a symbol: an fd, an object id, or a returned u64 value. */
function symbolTypes(t: Trace): Map<Sym, 'int' | '__u32' | '__u64'> {
  const types = new Map<Sym, 'int' | '__u32' | '__u64'>();
  const note = (s: unknown, ty: 'int' | '__u32' | '__u64') => { if (isSym(s) && !types.has(s)) types.set(s, ty); };
  for (const st of t.steps) {
    const name = stepName(st.cmd);
    for (const [f, s] of Object.entries(st.bind ?? {})) {
      const kind = BINDERS[name]?.[f];
      note(s, kind === undefined ? '__u64' : kind === 'fd' ? 'int' : '__u32');
    }
    for (const [f, v] of Object.entries(st.cmd)) {
      note(v, (FD_FIELDS as readonly string[]).includes(f) ? 'int' : (ID_FIELDS as readonly string[]).includes(f) ? '__u32' : '__u64');
    }
  }
  return types;
}

/** One step's C, and what its program needs. */
interface Emitted {
  readonly lines: readonly string[];
  readonly since?: readonly [string, string];
  readonly testPort?: boolean;
}

/** A trace's symbol at the argument field `f`, if the trace gave one there. */
function symAt(st: TraceStep, name: string, f: string): Sym | null {
  const v = (st.cmd as Record<string, unknown>)[ARG_OF[name]?.[f] ?? f];
  return isSym(v) ? v : null;
}

/**
 * The C of each fd and id argument of a step, as `kernel check` gives them to Linux (src/kernel/linux-sides.ts): an fd
 * is the number the spec has (the program's files are numbered as the spec numbers them), by its variable where the
 * trace names it by an fd's symbol; an id that names a live object is that object's id as the kernel returned it (the
 * variable of the symbol bound to it); any other id is the spec's number — with --selftest, where the mock's own
 * objects take ids the spec never hands out, a number this kernel never returned either (`unallocated`), so "no such
 * object" stays "no such object".
 */
function refExprs(w: Walked, types: ReadonlyMap<Sym, string>, selftest: boolean): Map<string, string> {
  const out = new Map<string, string>();
  const sym = w.st.cmd as Record<string, unknown>;
  const spec = w.cmd as unknown as Record<string, unknown>;
  for (const f of FD_FIELDS) {
    if (typeof spec[f] !== 'number') continue;
    const s = sym[f];
    out.set(f, isSym(s) && types.get(s) === 'int' ? cvar(s) : String(spec[f]));
  }
  const table = spec.ioctl === 'VFIO_DEVICE_BIND_IOMMUFD' ? null : tableOf(w.before, spec.fd);
  for (const f of ID_FIELDS) {
    const n = spec[f];
    if (typeof n !== 'number') continue;
    const live = table !== null && w.before.objects[objKey(table, n)] !== undefined ? w.objSyms.get(objKey(table, n)) : undefined;
    out.set(f, live !== undefined ? cvar(live) : selftest ? `unallocated(${n})` : lit(n));
  }
  return out;
}

/** The declaration of `arg<n>`: every field set that is not zero, fds and ids as `refs` has them, buffers by their address. */
function declareArg(n: number, struct: string, raw: RawIoctl, st: TraceStep, refs: ReadonlyMap<string, string>, name: string): string[] {
  const L = LAYOUT_BY_NAME[struct];
  if (L === undefined) throw new Error(`no layout for struct ${struct}`);
  const lines: string[] = [];
  const inits: string[] = [];
  raw.bufs.forEach((b, k) => {
    if (b.data === null) return;
    const bytes = [...b.data].map((x) => `0x${x.toString(16).padStart(2, '0')}`);
    // input buffers carry their bytes; a buffer the kernel fills starts zeroed
    const body = b.data.some((x) => x !== 0) ? ` = {\n${chunks(bytes, 12).map((row) => `\t\t${row.join(', ')},`).join('\n')}\n\t}` : '';
    lines.push(`\tstatic __u8 arg${n}_buf${k}[${b.data.length}] __attribute__((aligned(8)))${body};`);
  });
  // a struct with a union (iommu_test_cmd): only the member its op uses, one designator per byte
  const member = struct === 'iommu_test_cmd' ? `${(Object.entries(TEST_OPS).find(([, v]) => v === Number(field(L, raw.arg, 'op')))?.[0] ?? '').toLowerCase()}.` : null;
  for (const [f, [off]] of Object.entries(L.fields)) {
    if (member !== null && f.includes('.') && !f.startsWith(member)) continue;
    const buf = raw.bufs.findIndex((b) => b.at === off);
    const ref = refs.get(ARG_OF[name]?.[f] ?? f);
    const v = field(L, raw.arg, f);
    if (f === 'size' || f === 'argsz') inits.push(`.${f} = sizeof(arg${n})`);
    else if (member !== null && f === 'op') inits.push(`.op = IOMMU_TEST_OP_${member.slice(0, -1).toUpperCase()}`);
    else if (f === 'flags' && MAP_FLAGS_OF.has(name) && BigInt(v) !== 0n) inits.push(`.flags = ${mapFlags(Number(v))}`);
    else if (buf >= 0) { if (raw.bufs[buf]!.data !== null) inits.push(`.${f} = (uintptr_t)arg${n}_buf${buf}`); }
    else if (ref !== undefined) { if (ref !== '0' || BigInt(v) !== 0n) inits.push(`.${f} = ${ref}`); }
    else if (symAt(st, name, f) !== null) inits.push(`.${f} = ${cvar(symAt(st, name, f)!)}`); // a value a step returned (an IOVA)
    else {
      const v = field(L, raw.arg, f);
      if (BigInt(v) !== 0n) inits.push(`.${f} = ${lit(v)}`);
    }
  }
  lines.push(`\tstruct ${struct} arg${n} = {`, ...inits.map((i) => `\t\t${i},`), '\t};');
  return lines;
}

/** Calls whose flags are enum iommufd_ioas_map_flags. */
const MAP_FLAGS_OF: ReadonlySet<string> = new Set(['IOMMU_IOAS_MAP', 'IOMMU_IOAS_COPY', 'IOMMU_IOAS_MAP_FILE']);
const MAP_FLAG_NAMES = [[1, 'IOMMU_IOAS_MAP_FIXED_IOVA'], [2, 'IOMMU_IOAS_MAP_WRITEABLE'], [4, 'IOMMU_IOAS_MAP_READABLE']] as const;
/** IOAS_MAP's flags by name, bits the enum has not as a number. */
function mapFlags(v: number): string {
  const names = MAP_FLAG_NAMES.filter(([bit]) => (v & bit) !== 0).map(([, name]) => name);
  const rest = v & ~7;
  return [...names, ...(rest !== 0 ? [lit(rest >>> 0)] : [])].join(' | ');
}

const chunks = <T>(xs: readonly T[], k: number): T[][] => Array.from({ length: Math.ceil(xs.length / k) }, (_, i) => xs.slice(i * k, i * k + k));

/** The struct field a call returns value `key` in. */
export const outField = (name: string, key: string): string => OUT_AT[name]?.[key] ?? key;

/** The layout of a struct the program fills in. */
export const layoutOf = (struct: string): Layout | undefined => LAYOUT_BY_NAME[struct];

/** The argument struct of a step's call (null: the step's call has none). */
export function structOf(c: Cmd): string | null {
  if ('ioctl' in c) return STRUCT_OF[c.ioctl as IommufdIoctl] ?? null;
  return 'env' in c && isTestPortAction(c) ? 'iommu_test_cmd' : null;
}

/** The C expression of returned value `key` of step `n`. */
function outExpr(n: number, name: string, key: string): string {
  if (name === 'OPEN' || name === 'MEMFD_CREATE') return 'rc';
  return `arg${n}.${outField(name, key)}`;
}

/**
 * What the program checks of the values a call returned (or wrote back with its errno), beside the errno: every value
 * the spec computes, never an id or fd the kernel chose. Binds are assignments, after the checks.
 */
function checkOutputs(n: number, name: string, out: Record<string, unknown>, st: TraceStep, raw: RawIoctl | null, c: Cmd): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(out)) {
    if (BINDERS[name]?.[k] !== undefined) continue; // an id or fd: the kernel's to choose
    if (k === 'maybe') continue; // the dirty bits the spec allows either way: part of the bitmap's check
    if (name === 'FAULT_READ' && k === 'faults' && Array.isArray(v)) lines.push(`\tsame(${n}, "bytes read", (__u64)rc, ${v.length * PGFAULT_SIZE});`);
    else if (name === 'FAULT_WRITE' && k === 'written') lines.push(`\tsame(${n}, "bytes written", (__u64)rc, ${lit(v as number)});`);
    else if (typeof v === 'number' || typeof v === 'bigint') lines.push(`\tsame(${n}, ${cstr(k)}, ${outExpr(n, name, k)}, ${lit(v)});`);
    else if (typeof v === 'string' && k === 'out_data_type' && v in HW_INFO) lines.push(`\tsame(${n}, ${cstr(k)}, ${outExpr(n, name, k)}, ${HW_INFO[v as keyof typeof HW_INFO].value}); /* ${v} */`);
    else if (k === 'allowed_iovas' && Array.isArray(v) && raw !== null) {
      // the ranges the caller's array had room for (none without one)
      const fit = Math.min(v.length, (raw.bufs[0]?.data?.length ?? 0) / 16);
      for (let i = 0; i < fit; i++) {
        const r = v[i] as { start: bigint; last: bigint };
        lines.push(`\tsame(${n}, "allowed_iovas[${i}].start", ((struct iommu_iova_range *)arg${n}_buf0)[${i}].start, ${lit(r.start)});`);
        lines.push(`\tsame(${n}, "allowed_iovas[${i}].last", ((struct iommu_iova_range *)arg${n}_buf0)[${i}].last, ${lit(r.last)});`);
      }
    } else if (k === 'dirty' && raw !== null && 'ioctl' in c && c.ioctl === 'IOMMU_HWPT_GET_DIRTY_BITMAP') lines.push(...dirtyChecks(n, out, c, raw));
    else lines.push(`\t/* ${k}: not compared (${ctext(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x)).slice(0, 80))}) */`);
  }
  for (const [k, sym] of Object.entries(st.bind ?? {})) if (k in out) lines.push(`\t${cvar(sym)} = ${outExpr(n, name, k)};`);
  return lines;
}

type Runs = readonly { readonly start: bigint; readonly last: bigint }[];

/** The dirty bitmap's check: each bit the spec sets set, each it leaves clear clear, the bits it allows either way (`maybe`) not looked at. */
function dirtyChecks(n: number, out: Record<string, unknown>, c: Extract<Cmd, { ioctl: 'IOMMU_HWPT_GET_DIRTY_BITMAP' }>, raw: RawIoctl): string[] {
  const buf = raw.bufs[0]?.data;
  if (!buf) return [];
  const want = runsBitmap((out.dirty ?? []) as Runs, c.iova, c.page_size, buf.length);
  const care = Buffer.from(runsBitmap((out.maybe ?? []) as Runs, c.iova, c.page_size, buf.length).map((b) => ~b & 0xff));
  const hexes = (b: Buffer) => chunks([...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`), 12).map((r) => `\t\t${r.join(', ')},`).join('\n');
  // only as far as the last byte that is not "all clear": past it every bit must be clear
  let end = buf.length;
  while (end > 0 && want[end - 1] === 0 && care[end - 1] === 0xff) end--;
  return [
    `\tstatic const __u8 want${n}[${Math.max(end, 1)}] = {\n${hexes(want.subarray(0, Math.max(end, 1)))}\n\t};`,
    `\tstatic const __u8 care${n}[${Math.max(end, 1)}] = {\n${hexes(care.subarray(0, Math.max(end, 1)))}\n\t};`,
    `\tsame_bits(${n}, arg${n}_buf0, ${buf.length}, want${n}, care${n}, ${Math.max(end, 1)});`,
  ];
}

/**
 * fds 0 to 2 are the program's stdio: taken, so the trace's first file is fd 3 as in the spec, but no file of the
 * trace's. A call on one is answered as the spec's world has it, EBADF, without asking the kernel (as `kernel check`,
 * whose isStdio this is).
 */
const stdioCall = (fd: string) => `\terrno = EBADF, rc = -1; /* fd ${fd} is the program's stdio, no file of the trace's */`;

/** Whether the spec's fd `fd` is a VFIO device file before the step. */
function isDeviceFile(s: State, fd: unknown): boolean {
  const key = typeof fd === 'number' ? s.fds[fd] : undefined;
  return key !== undefined && s.files[key]?.kind === 'device';
}

/**
 * The call of an ioctl step, fail_nth armed before it. With --selftest a call on a device file goes to the mock's VFIO
 * emulation, which arms fail_nth on the call that does the work.
 */
function ioctlCall(n: number, w: Walked, fd: string, req: string, selftest: boolean): string[] {
  if (selftest && isDeviceFile(w.before, (w.cmd as { fd?: unknown }).fd)) return [`\trc = mock_vfio_ioctl(${fd}, ${req}, &arg${n}, ${w.st.failNth ?? 0});`];
  return [...arm(w), `\trc = ioctl(${fd}, ${req}, &arg${n});`];
}

/**
 * The answer check of a call whose result is in `rc` (and errno), then its returned values. `armed`: fail_nth was armed
 * for the call (an ioctl step with failNth; as `kernel check`, a program arms it for ioctls only).
 */
function answerLines(n: number, w: Walked, name: string, raw: RawIoctl | null, armed = false): string[] {
  const what = cstr(formatCmd(w.st.cmd));
  if (w.injected) return [armed ? `\tinjected(${n}, ${what}, rc, fail_nth_fired());` : `\tcannot_follow(${n}, ${what});`];
  const r = w.result!;
  const lines = armed ? [`\tnot_injected(${n}, ${what}, fail_nth_fired());`] : [];
  lines.push(`\tanswer(${n}, ${what}, rc, ${r.ok ? '0' : r.errno});`);
  const out = r.out as Record<string, unknown> | undefined;
  if (out && typeof out === 'object') lines.push(...checkOutputs(n, name, out, w.st, raw, w.cmd!));
  return lines;
}

const arm = (w: Walked) => (w.st.failNth === undefined ? [] : [`\tfail_nth_arm(${w.st.failNth});`]);
/** Whether the step's call is armed with its fail_nth: an ioctl's (stdio never gets as far). */
const armed = (w: Walked) => w.st.failNth !== undefined;

/** The bytes of an ioctl (in the spec's numbers): what src/kernel/abi.ts sends Linux, and what the program's struct holds. */
export const rawOf = (c: IommufdCmd): RawIoctl =>
  c.ioctl.startsWith('VFIO_') ? encodeVfio(c as Extract<IommufdCmd, { ioctl: `VFIO_${string}` }>) : encodeIommufd(c as Exclude<IommufdCmd, { ioctl: `VFIO_${string}` }>);

/** With --selftest: every object id a call returned, so that `unallocated` can give a number it never did. */
function noteReturned(n: number, w: Walked): string[] {
  const out = w.result?.ok ? (w.result.out as Record<string, unknown>) : {};
  return Object.keys(out).filter((k) => /^out_.*_id$/.test(k)).map((k) => `\treturned(arg${n}.${k});`);
}

/** The C of one step. */
function emitStep(n: number, w: Walked, opts: COptions, types: ReadonlyMap<Sym, string>): Emitted {
  const head = `\t/* step ${n}: ${ctext(formatCmd(w.st.cmd))} */`;
  if (w.cmd === null) {
    // an assertion of what a DMA does now: with --selftest, asked of the mock domain as a DMA that changes nothing
    const q = w.query;
    if (opts.selftest && q?.assert === 'DMA') {
      const dma = { env: 'DMA', dev: q.dev, pasid: q.pasid, iova: q.iova, access: q.access } as Extract<EnvAction, { env: 'DMA' }>;
      return { lines: [head, ...selftestDma(n, w.st, dma, w.before, w.before, { ok: true, out: {} }, null, opts.onMock === true)], testPort: true };
    }
    return { lines: [head, `\tcomment(${n}, ${cstr(`${formatCmd(w.st.cmd)}: an assertion on the spec's state, nothing to issue`)});`] };
  }
  const c = w.cmd;
  const name = stepName(w.st.cmd);
  const selftest = opts.selftest === true;
  const refs = refExprs(w, types, selftest);
  const fd = refs.get('fd') ?? '-1';
  if ('fd' in c && isStdio(c.fd)) return { lines: [head, stdioCall(fd), ...answerLines(n, w, name, null)] };
  if ('ioctl' in c) {
    const ic = c as IommufdCmd;
    const raw = rawOf(ic);
    const struct = STRUCT_OF[ic.ioctl];
    return {
      lines: [head, ...declareArg(n, struct, raw, w.st, refs, name), ...ioctlCall(n, w, fd, ic.ioctl, selftest), ...answerLines(n, w, name, raw, armed(w)), ...(selftest ? noteReturned(n, w) : [])],
      since: SINCE[ic.ioctl],
    };
  }
  const e = c as EnvAction;
  if (isTestPortAction(e)) {
    const raw = encodeTestPort(e);
    return {
      lines: [head, ...declareArg(n, 'iommu_test_cmd', raw, w.st, refs, name), `\trc = ioctl(${fd}, IOMMU_TEST_CMD, &arg${n});`, ...answerLines(n, w, name, raw)],
      testPort: true,
    };
  }
  const call = (stmt: string): Emitted => ({ lines: [head, `\t${stmt}`, ...answerLines(n, w, name, null)] });
  switch (e.env) {
    case 'OPEN': {
      // the machine's device nodes are the trace's world: /dev/iommu and its devices' cdevs; any other path is none (as `kernel check`)
      if (!isIommufdNode(w.before.world, e.path)) return { lines: [head, `\terrno = ENOENT, rc = -1; /* no device node of the trace's machine */`, ...answerLines(n, w, name, null)] };
      return call(selftest && e.path !== IOMMUFD_PATH ? `rc = mock_open(${cstr(e.path)});` : `rc = open(${cstr(e.path)}, O_RDWR);`);
    }
    case 'CLOSE':
      return call(selftest ? `rc = mock_close(${fd});` : `rc = close(${fd});`);
    case 'MMAP':
      return call(`rc = map_anon(${lit(e.uva)}, ${lit(e.length)});`);
    case 'MUNMAP':
      return call(`rc = munmap((void *)(uintptr_t)${lit(e.uva)}, ${lit(e.length)});`);
    case 'MEMFD_CREATE':
      return call(`rc = memfd_sized(${lit(e.length)});`);
    case 'FAULT_READ':
    case 'VEVENTQ_READ':
      return { lines: [head, `\tstatic __u8 arg${n}_read[${e.count}] __attribute__((aligned(8)));`, `\trc = ${selftest ? 'mock_read' : 'read'}(${fd}, arg${n}_read, ${e.count});`, ...answerLines(n, w, name, null)] };
    case 'FAULT_WRITE': {
      const words = e.responses.map((r) => `{ .cookie = ${lit(r.cookie)}, .code = ${lit(r.code)} }`);
      return {
        lines: [head, `\tstruct { __u32 cookie, code; } arg${n}[${Math.max(words.length, 1)}] = { ${words.join(', ') || '{ 0 }'} }; /* struct iommu_hwpt_page_response */`,
          `\trc = ${selftest ? 'mock_write' : 'write'}(${fd}, arg${n}, ${e.responses.length * 8});`, ...answerLines(n, w, name, null)],
      };
    }
    case 'DMA':
      if (opts.selftest) return { lines: [head, ...selftestDma(n, w.st, e, w.before, w.after, w.result, w.rule, opts.onMock === true)], testPort: true };
      return { lines: [head, `\tcomment(${n}, ${cstr(`${formatCmd(w.st.cmd)}: a device's DMA, which a program cannot issue (the spec: ${xlateText(w.result)})`)});`] };
    case 'GUEST_WRITE_PGTABLE':
    case 'GUEST_WRITE_PASID_TABLE':
      return { lines: [head, `\tcomment(${n}, ${cstr(`${formatCmd(w.st.cmd)}: the guest writes its own table in its memory, which the program does not model`)});`] };
    case 'PAGE_REQUEST':
    case 'IOMMU_EVENT':
      return { lines: [head, `\tcomment(${n}, ${cstr(`${formatCmd(w.st.cmd)}: raised by the device or the IOMMU, which a program cannot do`)});`] };
    case 'FAULT_RING_READ':
      throw new Error('FAULT_RING_READ is RFC v1\'s: no trace of the merged design has it');
  }
}

/** What the spec says a DMA does, for a comment. */
function xlateText(r: Result<unknown> | null): string {
  if (r === null || !r.ok) return r === null ? 'not taken' : r.errno;
  const x = (r.out as { xlate?: { kind: string; hpa?: bigint; reason?: string } }).xlate;
  return x === undefined ? 'ok' : x.kind === 'hit' ? `reaches host address 0x${x.hpa!.toString(16)}` : `faults (${x.reason})`;
}

/** The helpers every program has: the step lines, the checks, fail_nth, and the environment's calls. */
const PRELUDE = `/* every program has every helper; a program uses those its steps need */
#define helper static __attribute__((unused))

/* ---- the checks: one line per step, exit 1 at the first answer the spec does not give ---- */

helper const char *errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "ok";
	return s ? s : "E?";
}

/* step n's call returned rc (errno set when rc < 0); the spec answers want (0: success, else an errno) */
helper void answer(int n, const char *what, long rc, int want)
{
	int got = rc < 0 ? errno : 0;
	if (got != want) {
		printf("step %d: %s -> %s, but the spec answers %s\\n", n, what, errname(got), errname(want));
		exit(1);
	}
	printf("step %d: %s -> %s\\n", n, what, errname(got));
}

/* a value step n returned, against the spec's */
helper void same(int n, const char *field, __u64 got, __u64 want)
{
	if (got == want)
		return;
	printf("step %d: %s is 0x%llx, but the spec has 0x%llx\\n", n, field, (unsigned long long)got, (unsigned long long)want);
	exit(1);
}

/* a bitmap step n filled: the bits care has set must be as in want; past want's bytes every bit clear */
helper void same_bits(int n, const __u8 *got, size_t len, const __u8 *want, const __u8 *care, size_t known)
{
	for (size_t i = 0; i < len; i++) {
		__u8 w = i < known ? want[i] : 0, c = i < known ? care[i] : 0xff;
		if ((got[i] & c) != (w & c)) {
			printf("step %d: dirty bitmap byte %zu is 0x%02x, but the spec has 0x%02x (bits 0x%02x either way)\\n", n, i, got[i], w, (__u8)~c);
			exit(1);
		}
	}
}

/* a step the program does not issue */
helper void comment(int n, const char *what)
{
	printf("step %d: %s\\n", n, what);
}

/* ---- fail_nth: the step's nth allocation fails (CONFIG_FAULT_INJECTION, as tools/testing/selftests/iommu/iommufd_fail_nth.c) ---- */

helper void fail_nth_arm(int nth)
{
	char v[16];
	int fd = open("/proc/thread-self/fail-nth", O_RDWR), len = snprintf(v, sizeof(v), "%d", nth);
	if (fd < 0 || write(fd, v, (size_t)len) != len) {
		printf("cannot arm /proc/thread-self/fail-nth: %s (a kernel with CONFIG_FAULT_INJECTION is needed)\\n", strerror(errno));
		exit(2);
	}
	close(fd);
}

/* whether the armed failure fired (fail-nth reads 0), disarmed either way */
helper int fail_nth_fired(void)
{
	char v[16] = "";
	int saved = errno, fd = open("/proc/thread-self/fail-nth", O_RDWR);
	ssize_t len = fd < 0 ? -1 : pread(fd, v, sizeof(v) - 1, 0);
	if (fd >= 0 && pwrite(fd, "0", 1, 0) != 1 && pwrite(fd, "0", 1, 0) != 1)
		len = -1;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return len > 0 && atoi(v) == 0;
}

/* the model's injected failure fired here: so must this kernel's, and the call must fail (the spec does not take the step) */
helper void injected(int n, const char *what, long rc, int fired)
{
	if (!fired) {
		printf("step %d: %s -> the injected failure did not fire on this kernel (it did in the model): its allocations differ, the rest of the trace cannot follow\\n", n, what);
		exit(3);
	}
	if (rc >= 0) {
		printf("step %d: %s -> ok, but its injected allocation failure fired: the call must fail\\n", n, what);
		exit(1);
	}
	printf("step %d: %s -> %s (injected allocation failure)\\n", n, what, errname(errno));
}

/* the model's injected failure fired in a call a program does not arm (only ioctls are) */
helper void cannot_follow(int n, const char *what)
{
	printf("step %d: %s -> its injected failure fired in the model in a call that is not an ioctl, which the program does not arm: the rest of the trace cannot follow\\n", n, what);
	exit(3);
}

helper void not_injected(int n, const char *what, int fired)
{
	if (!fired)
		return;
	printf("step %d: %s -> the injected failure fired on this kernel, not in the model: its allocations differ, the rest of the trace cannot follow\\n", n, what);
	exit(3);
}

/* ---- the environment ---- */

/* anonymous memory at [uva, uva + len), populated; pages already mapped stay (as the spec's MMAP) */
helper int map_anon(__u64 uva, __u64 len)
{
	if (len == 0 || uva % 4096 || len % 4096)
		return mmap((void *)(uintptr_t)uva, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0) == MAP_FAILED ? -1 : 0;
	for (__u64 p = uva; p < uva + len; p += 4096) {
		void *at = mmap((void *)(uintptr_t)p, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0);
		if (at == MAP_FAILED && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* a memfd of len bytes */
helper int memfd_sized(__u64 len)
{
	int fd = memfd_create("ioasid-lab", 0);
	if (fd >= 0 && ftruncate(fd, (off_t)len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the trace's RLIMIT_MEMLOCK, and no CAP_IPC_LOCK: iommufd charges pinned pages as for an unprivileged VMM */
helper void limit_memlock(__u64 bytes)
{
	struct rlimit rl = { .rlim_cur = bytes, .rlim_max = bytes };
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		printf("setup: RLIMIT_MEMLOCK cannot be set to %llu bytes (%s): pinning limits may differ from the spec's\\n", (unsigned long long)bytes, strerror(errno));
	if (syscall(SYS_capget, &h, d) == 0) {
		d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
		d[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
		if (syscall(SYS_capset, &h, d))
			printf("setup: CAP_IPC_LOCK cannot be dropped (%s)\\n", strerror(errno));
	}
}
`;

/** The C program of trace `t`, read from `source`. */
export function cOf(t: Trace, source: string, opts: COptions = {}): string {
  const problem = cProblem(t);
  if (problem !== null) throw new Error(problem);
  const walked = walk(t);
  const types = symbolTypes(t);
  const emitted = walked.map((w, i) => emitStep(i + 1, w, { ...opts, onMock: t.profile === MOCK_PROFILE }, types));
  const needs = emitted.flatMap((e) => (e.since ? [e.since] : [])).reduce<readonly [string, string]>((a, b) => (newer(b[0], a[0]) ? b : a), ['6.2', 'IOMMU_DESTROY']);
  const testPort = opts.selftest === true || emitted.some((e) => e.testPort);
  const world = walked[0]?.before.world ?? initialState(worldOf(machineOf(t.profile, t.hardware), t.memlockPages, t.kernel), DESIGNS[t.design]).world;
  const decls = [...types].map(([s, ty]) => `\t${ty} ${cvar(s)} = ${ty === 'int' ? '-1' : '0'};`);
  const verdict = t.verdict ? ` (once ${t.verdict.property}, ${t.verdict.status})` : '';
  const opened = new Set(t.steps.flatMap((st) => ('env' in st.cmd && st.cmd.env === 'OPEN' && world.devices.some((d) => d.path === st.cmd.path) ? [String(st.cmd.path)] : [])));
  const devices = opened.size === 0 ? 'none' : [...opened].join(', ');
  return [
    `${C_MARK} ${ctext(source)} (export again rather than edit) */`,
    `/*`,
    ` * ${ctext(t.design)} on ${ctext(t.hardware)}${ctext(verdict)}: ${t.steps.length} steps, each printed as it runs; exit 0 when every answer is the`,
    ` * spec's, 1 at the first that is not, 2 when the program cannot run here, 3 when an injected failure (fail_nth) fires`,
    ` * elsewhere than in the model.`,
    opts.selftest
      ? ` * --selftest: needs a kernel with CONFIG_IOMMUFD_TEST; the devices are the selftest's mock devices, a DMA is asked of the mock domain.`
      : ` * Needs /dev/iommu and the VFIO cdevs the trace opens (${ctext(devices)}), as root; a device's DMA is a comment.`,
    ` * Build: gcc -Wall -O2 -o prog prog.c   (add -DIOASID_LAB_OWN_UAPI to use the uAPI definitions below over the system's)`,
    ` */`,
    '#define _GNU_SOURCE',
    ...['errno.h', 'fcntl.h', 'stdint.h', 'stdio.h', 'stdlib.h', 'string.h', 'sys/ioctl.h', 'sys/mman.h', 'sys/resource.h', 'sys/syscall.h', 'unistd.h', 'linux/capability.h'].map((h) => `#include <${h}>`),
    '',
    `#if !defined(IOASID_LAB_OWN_UAPI) && __has_include(<linux/iommufd.h>)`,
    '#include <linux/iommufd.h>',
    '#include <linux/vfio.h>',
    `#if ${[...new Set([needs[1], 'VFIO_DEVICE_BIND_IOMMUFD'])].map((m) => `!defined(${m})`).join(' || ')}`,
    `#error "the system's <linux/iommufd.h> or <linux/vfio.h> predates Linux ${needs[0]}, which this trace's calls need: build with -DIOASID_LAB_OWN_UAPI"`,
    '#endif',
    '#else',
    IOMMUFD_UAPI.trimEnd(),
    '',
    VFIO_CDEV_UAPI.trimEnd(),
    '#endif',
    ...(testPort ? ['', TEST_PORT_UAPI.trimEnd()] : []),
    '',
    PRELUDE.trimEnd(),
    ...(opts.selftest ? ['', SELFTEST_PRELUDE.trimEnd()] : []),
    '',
    'int main(void)',
    '{',
    ...decls,
    '\tlong rc;',
    '',
    '\tsetvbuf(stdout, NULL, _IOLBF, 0);',
    `\tlimit_memlock(${lit(BigInt(world.memlockPages) * 4096n)});`,
    '',
    ...emitted.flatMap((e) => [...e.lines, '']),
    ...[...types.keys()].map((s) => `\t(void)${cvar(s)};`),
    '\t(void)rc;',
    `\tprintf("all ${walked.length} steps answered as the spec says\\n");`,
    '\treturn 0;',
    '}',
    '',
  ].join('\n');
}
