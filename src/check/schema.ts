/**
 * The trace file format as a JSON Schema (draft-07), and the one loader every tool reads traces with. The schema
 * describes exactly what `traceToJson` writes (docs/trace-format.md): u64 values as "0x..." strings, references
 * as numbers or symbols. Command fields come from two tables typed against the uAPI interfaces, so a field added
 * to, missing from, or of another kind than `src/uapi/` fails to compile here. A bad file is a value the user
 * caused: `loadTrace` rejects it with one line naming the file, the step and the field, never an ajv dump.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  DESIGN_NAMES, DEVICE_NAMES, ERRNOS, HW_KINDS, IOCTL_NAMES, KERNEL_VERSIONS, PROFILE_NAMES,
  type Brand, type EnvAction, type MachineProfile, type EnvName, type EnvOut, type Fd, type IoasidOut, type Ioctl, type IoctlName, type IommufdOut,
} from '../uapi/index.js';
import { DESIGNS } from '../spec/index.js';
import { oneLine, parseInput, readInputText } from './input.js';
import { profileProblem } from './machine.js';
import { machineFromJson, ProfileError } from './machine-file.js';
import { excerpt, printable } from './printable.js';
import { ASSERT_NAMES, ASSERT_OUTPUTS, type AssertCmd, type AssertFields } from './assert.js';
import { bindableOutputs, isFailureExpect, stepName, TRACE_SCHEMA, TRACE_SCHEMAS, type SymCmd, type Trace } from './trace.js';

/** A schema node: plain JSON, read by ajv. */
export type SchemaNode = { readonly [keyword: string]: unknown };

// ---- field kinds ------------------------------------------------------------------------------------------------
// `description` is what a value must be ("cmd.iova must be <description>"); `title` lists an object's fields.

const SYM = '^\\$[a-z]+[0-9]+$';
const U32_MAX = 0xffff_ffff;

/** A u64: hex, or a symbol an earlier step bound to a returned value (`"bind": { "iova": "$iova1" }`). */
const U64_OR_SYM = `^(?:0x[0-9a-fA-F]+|\\$[a-z]+[0-9]+)$`;
const u64 = { type: 'string', pattern: U64_OR_SYM, description: 'a 0x... hex string or a symbol like $iova1' } as const;
const u64OrNull = { type: ['string', 'null'], pattern: U64_OR_SYM, description: 'a 0x... hex string, a symbol like $iova1, or null' } as const;
const u32 = { type: 'integer', minimum: 0, maximum: U32_MAX, description: 'an integer from 0 to 0xffffffff' } as const;
const u32OrNull = { type: ['integer', 'null'], minimum: 0, maximum: U32_MAX, description: 'an integer from 0 to 0xffffffff or null' } as const;
/** Any integer is allowed: a deliberately bad fd (-1, never opened) is part of what traces test. */
const fdRef = { type: ['integer', 'string'], pattern: SYM, description: 'an fd number or a symbol like $fd1' } as const;
const idRef = { type: ['integer', 'string'], pattern: SYM, description: 'an id number or a symbol like $ioas1' } as const;
const text = { type: 'string' } as const;
/** The field kinds, by name (tests check which fields may hold a symbol against what replay resolves). */
export const FIELD_KINDS = { u64, u64OrNull, u32, u32OrNull, fdRef, idRef, text } as const;

type EnumNode<T extends string> = { readonly type: 'string'; readonly enum: readonly T[] };
const enumOf = <T extends string>(values: readonly T[]): EnumNode<T> => ({ type: 'string', enum: values });

/** The schema kind a uAPI field type must use (branded fd before other branded ids). */
type FieldSchema<T> = [T] extends [Fd] ? typeof fdRef
  : [T] extends [Brand<number, string>] ? typeof idRef
    : [T] extends [number] ? typeof u32
      : [T] extends [number | null] ? typeof u32OrNull
        : [T] extends [bigint] ? typeof u64
          : [T] extends [bigint | null] ? typeof u64OrNull
            : [T] extends [string] ? (string extends T ? typeof text : EnumNode<T>)
              : SchemaNode;

/** A field a command may leave out (a raw layout word that defaults to what the kernel expects). */
type Optional<N> = N & { readonly optional: true };
const optional = <N extends SchemaNode>(n: N): Optional<N> => ({ ...n, optional: true });

/** Every field of a command but its tag: required, or marked optional where the uAPI type has it optional. */
type Fields<C> = {
  readonly [K in Exclude<keyof C, 'ioctl' | 'env' | 'assert'>]-?: undefined extends C[K] ? Optional<FieldSchema<Exclude<C[K], undefined>>> : FieldSchema<C[K]>
};

const closed = (title: string, required: readonly string[], properties: Record<string, unknown>): SchemaNode =>
  ({ type: 'object', title, required, additionalProperties: false, properties });

const rangeList = { type: 'array', items: closed('a range has start and last', ['start', 'last'], { start: u64, last: u64 }) };
const hwptData = { ...closed('data has pgtbl_addr', ['pgtbl_addr'], { pgtbl_addr: u64 }), type: ['object', 'null'] };

/** A tagged union of two shapes: `{tag: a, ...maybe}` or `{tag: b, ...fields, ...maybe}` (`maybe`: optional in both). */
function tagged(tag: string, bare: string, full: string, fields: Record<string, unknown>, maybe: Record<string, unknown> = {}): SchemaNode {
  const extra = Object.keys(maybe).length > 0 ? ` and maybe ${Object.keys(maybe).join(', ')}` : '';
  const title = `${tag} "${bare}" takes nothing else${extra}; ${tag} "${full}" takes ${Object.keys(fields).join(', ')}${extra}`;
  return {
    type: 'object', title, required: [tag], properties: { [tag]: enumOf([bare, full]) },
    if: { properties: { [tag]: { const: full } } },
    then: closed(title, [tag, ...Object.keys(fields)], { [tag]: true, ...fields, ...maybe }),
    else: closed(title, [tag], { [tag]: true, ...maybe }),
  };
}
const granularity = tagged('kind', 'all', 'range', { iova: u64, size: u64 });
const invalidateEntries = { type: 'array', items: tagged('scope', 'all', 'range', { addr: u64, npages: u64 }, { flags: u32, __reserved: u32 }) };
const ioasidFormat = enumOf(['IOASID_FORMAT_VTD', 'IOASID_FORMAT_SMMUV3'] as const);

// ---- the command tables (one row per ioctl, one per environment action) -----------------------------------------

export const IOCTL_FIELDS = {
  IOMMU_DESTROY: { fd: fdRef, id: idRef },
  IOMMU_IOAS_ALLOC: { fd: fdRef, flags: u32 },
  IOMMU_IOAS_ALLOW_IOVAS: { fd: fdRef, ioas_id: idRef, __reserved: u32, allowed_iovas: rangeList },
  IOMMU_IOAS_COPY: { fd: fdRef, flags: u32, dst_ioas_id: idRef, src_ioas_id: idRef, length: u64, dst_iova: u64, src_iova: u64 },
  IOMMU_IOAS_IOVA_RANGES: { fd: fdRef, ioas_id: idRef, num_iovas: u32, __reserved: u32 },
  IOMMU_IOAS_MAP: { fd: fdRef, flags: u32, ioas_id: idRef, __reserved: u32, user_va: u64, length: u64, iova: u64 },
  IOMMU_IOAS_UNMAP: { fd: fdRef, ioas_id: idRef, iova: u64, length: u64 },
  IOMMU_OPTION: { fd: fdRef, option_id: u32, op: u32, __reserved: u32, object_id: idRef, val64: u64 },
  IOMMU_GET_HW_INFO: { fd: fdRef, flags: u32, dev_id: idRef, data_len: u32, __reserved: u32 },
  IOMMU_HWPT_ALLOC: {
    fd: fdRef, flags: u32, dev_id: idRef, pt_id: idRef, __reserved: u32,
    data_type: enumOf(['IOMMU_HWPT_DATA_NONE', 'IOMMU_HWPT_DATA_VTD_S1', 'IOMMU_HWPT_DATA_ARM_SMMUV3'] as const), data: hwptData, fault_id: idRef,
    data_len: optional(u32),
  },
  IOMMU_HWPT_INVALIDATE: {
    fd: fdRef, hwpt_id: idRef, data_type: enumOf(['IOMMU_HWPT_INVALIDATE_DATA_VTD_S1', 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3'] as const),
    entries: invalidateEntries, __reserved: u32, entry_len: optional(u32), entry_num: optional(u32),
  },
  IOMMU_HWPT_SET_DIRTY_TRACKING: { fd: fdRef, flags: u32, hwpt_id: idRef, __reserved: u32 },
  IOMMU_HWPT_GET_DIRTY_BITMAP: {
    fd: fdRef, hwpt_id: idRef, flags: u32, __reserved: u32, iova: u64, length: u64, page_size: u64,
    data: { type: 'boolean', description: 'true (a user bitmap) or false (a pointer the kernel cannot write)' },
  },
  IOMMU_FAULT_QUEUE_ALLOC: { fd: fdRef, flags: u32 },
  IOMMU_IOAS_MAP_FILE: { fd: fdRef, flags: u32, ioas_id: idRef, file_fd: fdRef, start: u64, length: u64, iova: u64 },
  IOMMU_IOAS_CHANGE_PROCESS: { fd: fdRef, __reserved: u32 },
  IOMMU_VIOMMU_ALLOC: { fd: fdRef, flags: u32, type: u32, dev_id: idRef, hwpt_id: idRef },
  IOMMU_VDEVICE_ALLOC: { fd: fdRef, viommu_id: idRef, dev_id: idRef, virt_id: u64 },
  IOMMU_VEVENTQ_ALLOC: { fd: fdRef, flags: u32, viommu_id: idRef, type: u32, veventq_depth: u32, __reserved: u32 },
  VFIO_DEVICE_BIND_IOMMUFD: { fd: fdRef, flags: u32, iommufd: fdRef },
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: { fd: fdRef, flags: u32, pt_id: idRef, pasid: u32 },
  VFIO_DEVICE_DETACH_IOMMUFD_PT: { fd: fdRef, flags: u32, pasid: u32 },
  IOASID_ALLOC: { fd: fdRef },
  IOASID_FREE: { fd: fdRef, ioasid: idRef },
  IOASID_REGISTER_MEMORY: { fd: fdRef, vaddr: u64, size: u64 },
  IOASID_UNREGISTER_MEMORY: { fd: fdRef, vaddr: u64, size: u64 },
  IOASID_MAP_DMA: { fd: fdRef, ioasid: idRef, flags: u32, vaddr: u64, iova: u64, size: u64 },
  IOASID_UNMAP_DMA: { fd: fdRef, ioasid: idRef, iova: u64, size: u64 },
  IOASID_CREATE_NESTING: { fd: fdRef, parent_ioasid: idRef },
  IOASID_BIND_PGTABLE: { fd: fdRef, ioasid: idRef, format: ioasidFormat, pgtbl_addr: u64 },
  IOASID_UNBIND_PGTABLE: { fd: fdRef, ioasid: idRef },
  IOASID_BIND_PASID_TABLE: { fd: fdRef, ioasid: idRef, format: ioasidFormat, pasid_table_addr: u64 },
  IOASID_UNBIND_PASID_TABLE: { fd: fdRef, ioasid: idRef },
  IOASID_INVALIDATE_CACHE: { fd: fdRef, ioasid: idRef, granularity },
  IOASID_CHECK_EXTENSION: { fd: fdRef, extension: u32 },
  IOASID_GET_INFO: { fd: fdRef, ioasid: idRef },
  IOASID_PAGE_RESPONSE: { fd: fdRef, ioasid: idRef, code: u32 },
  VFIO_BIND_IOASID_FD: { fd: fdRef, ioasid_fd: fdRef },
  VFIO_UNBIND_IOASID_FD: { fd: fdRef },
  VFIO_ATTACH_IOASID: { fd: fdRef, ioasid: idRef, flags: u32, user_pasid: u32 },
  VFIO_DETACH_IOASID: { fd: fdRef, ioasid: idRef, flags: u32, user_pasid: u32 },
  VFIO_DEVICE_BIND_PGTABLE: { fd: fdRef, ioasid: idRef, flags: u32, pasid: u32, format: ioasidFormat, pgtbl_addr: u64 },
  VFIO_DEVICE_UNBIND_PGTABLE: { fd: fdRef, flags: u32, pasid: u32 },
  VFIO_DEVICE_BIND_PASID_TABLE: { fd: fdRef, ioasid: idRef, format: ioasidFormat, pasid_table_addr: u64 },
  VFIO_DEVICE_INVALIDATE_CACHE: { fd: fdRef, flags: u32, pasid: u32, granularity },
  VFIO_DEVICE_BIND_SVA: { fd: fdRef, flags: u32, pasid: u32 },
  VFIO_DEVICE_UNBIND_SVA: { fd: fdRef, flags: u32, pasid: u32 },
} satisfies { readonly [N in IoctlName]: Fields<Extract<Ioctl, { ioctl: N }>> };

export const ENV_FIELDS = {
  OPEN: { path: text },
  CLOSE: { fd: fdRef },
  MMAP: { uva: u64, length: u64 },
  MUNMAP: { uva: u64, length: u64 },
  DMA: { dev: enumOf(DEVICE_NAMES), pasid: u32OrNull, iova: u64, access: enumOf(['read', 'write'] as const) },
  GUEST_WRITE_PGTABLE: { table: u64, iova: u64, gpa: u64OrNull },
  GUEST_WRITE_PASID_TABLE: { table: u64, pasid: u32, pgtable: u64OrNull },
  MOCK_ADD_RESERVED: { fd: fdRef, ioas_id: idRef, start: u64, length: u64 },
  MOCK_ACCESS_CREATE: { fd: fdRef, ioas_id: idRef, flags: u32 },
  MOCK_ACCESS_PIN: { fd: fdRef, access_fd: fdRef, iova: u64, length: u64, flags: u32 },
  MOCK_ACCESS_UNPIN: { fd: fdRef, access_fd: fdRef, pages_id: u32 },
  MOCK_ACCESS_RW: { fd: fdRef, access_fd: fdRef, iova: u64, length: u64, flags: u32 },
  MOCK_ACCESS_REPLACE: { fd: fdRef, access_fd: fdRef, ioas_id: idRef },
  PAGE_REQUEST: { dev: enumOf(DEVICE_NAMES), pasid: u32OrNull, addr: u64, perm: u32 },
  FAULT_READ: { fd: fdRef, count: u32 },
  FAULT_RING_READ: { fd: fdRef, count: u32 },
  FAULT_WRITE: {
    fd: fdRef,
    responses: { type: 'array', items: { type: 'object', required: ['cookie', 'code'], additionalProperties: false, properties: { cookie: u32, code: u32 } }, description: 'a list of {cookie, code}' },
  },
  MEMFD_CREATE: { length: u64 },
  IOMMU_EVENT: { dev: enumOf(DEVICE_NAMES) },
  VEVENTQ_READ: { fd: fdRef, count: u32 },
} satisfies { readonly [N in EnvName]: Fields<Extract<EnvAction, { env: N }>> };

export const ENV_NAMES = Object.keys(ENV_FIELDS) as readonly EnvName[];

/** The fields of each assertion query (src/check/assert.ts), typed against its resolved form. */
export const ASSERT_FIELDS = {
  PINS: { uva: u64, length: u64 },
  OBJECT: { fd: fdRef, id: idRef },
  ATTACHED: { dev: enumOf(DEVICE_NAMES), pasid: u32OrNull },
  AREAS: { fd: fdRef, ioas_id: idRef },
  DMA: { dev: enumOf(DEVICE_NAMES), pasid: u32OrNull, iova: u64, access: enumOf(['read', 'write'] as const) },
} satisfies { readonly [N in keyof AssertFields]: Fields<Extract<AssertCmd, { assert: N }>> };

/** Every command's output fields, from the uAPI's output types (a field added there and not here fails to compile). */
type Outs = IommufdOut & IoasidOut & EnvOut;
export const OUTPUT_FIELDS = {
  IOMMU_DESTROY: {}, IOMMU_IOAS_ALLOC: { out_ioas_id: true }, IOMMU_IOAS_ALLOW_IOVAS: {}, IOMMU_IOAS_COPY: { dst_iova: true },
  IOMMU_IOAS_IOVA_RANGES: { num_iovas: true, allowed_iovas: true, out_iova_alignment: true }, IOMMU_IOAS_MAP: { iova: true },
  IOMMU_IOAS_UNMAP: { length: true }, IOMMU_OPTION: { val64: true }, IOMMU_GET_HW_INFO: { data_len: true, out_data_type: true, out_max_pasid_log2: true, out_capabilities: true },
  IOMMU_HWPT_ALLOC: { out_hwpt_id: true }, IOMMU_HWPT_INVALIDATE: { entry_num: true },
  IOMMU_HWPT_SET_DIRTY_TRACKING: {}, IOMMU_HWPT_GET_DIRTY_BITMAP: { dirty: true, maybe: true }, IOMMU_FAULT_QUEUE_ALLOC: { out_fault_id: true, out_fault_fd: true },
  IOMMU_IOAS_MAP_FILE: { iova: true }, IOMMU_IOAS_CHANGE_PROCESS: {},
  IOMMU_VIOMMU_ALLOC: { out_viommu_id: true }, IOMMU_VDEVICE_ALLOC: { out_vdevice_id: true }, IOMMU_VEVENTQ_ALLOC: { out_veventq_id: true, out_veventq_fd: true },
  VFIO_DEVICE_BIND_IOMMUFD: { out_devid: true }, VFIO_DEVICE_ATTACH_IOMMUFD_PT: { pt_id: true }, VFIO_DEVICE_DETACH_IOMMUFD_PT: {},
  IOASID_ALLOC: { ioasid: true }, IOASID_FREE: {}, IOASID_REGISTER_MEMORY: {}, IOASID_UNREGISTER_MEMORY: {}, IOASID_MAP_DMA: {},
  IOASID_UNMAP_DMA: { size: true }, IOASID_CREATE_NESTING: { ioasid: true, fd: true }, IOASID_BIND_PGTABLE: {}, IOASID_UNBIND_PGTABLE: {},
  IOASID_BIND_PASID_TABLE: {}, IOASID_UNBIND_PASID_TABLE: {}, IOASID_INVALIDATE_CACHE: {}, IOASID_CHECK_EXTENSION: { supported: true }, IOASID_GET_INFO: { flags: true, iova_ranges: true, pgsize_bitmap: true, formats: true, children: true },
  IOASID_PAGE_RESPONSE: {}, VFIO_BIND_IOASID_FD: {}, VFIO_UNBIND_IOASID_FD: {},
  VFIO_ATTACH_IOASID: {}, VFIO_DETACH_IOASID: {}, VFIO_DEVICE_BIND_PGTABLE: {}, VFIO_DEVICE_UNBIND_PGTABLE: {}, VFIO_DEVICE_BIND_PASID_TABLE: {},
  VFIO_DEVICE_INVALIDATE_CACHE: {}, VFIO_DEVICE_BIND_SVA: {}, VFIO_DEVICE_UNBIND_SVA: {},
  OPEN: { fd: true }, CLOSE: {}, MMAP: {}, MUNMAP: {}, DMA: { xlate: true, stale: true }, GUEST_WRITE_PGTABLE: {}, GUEST_WRITE_PASID_TABLE: {},
  MOCK_ADD_RESERVED: {}, PAGE_REQUEST: {}, FAULT_READ: { faults: true }, FAULT_WRITE: { written: true }, FAULT_RING_READ: { faults: true },
  MOCK_ACCESS_CREATE: { access_fd: true }, MEMFD_CREATE: { fd: true }, MOCK_ACCESS_PIN: { access_pages_id: true }, MOCK_ACCESS_UNPIN: {}, MOCK_ACCESS_RW: {}, MOCK_ACCESS_REPLACE: {},
  IOMMU_EVENT: { veventq: true }, VEVENTQ_READ: { events: true },
} satisfies { readonly [N in IoctlName | EnvName]: { readonly [K in keyof Outs[N]]-?: true } };

/** `{tag: one of the names}` and, per name, that command's own closed record. */
function commands(tag: 'ioctl' | 'env' | 'query', names: readonly string[], table: Readonly<Record<string, Readonly<Record<string, unknown>>>>, what: string): SchemaNode {
  return {
    type: 'object', required: [tag],
    properties: { [tag]: { type: 'string', enum: names, description: what } },
    allOf: names.map((name) => {
      const all = Object.entries(table[name] ?? {}) as [string, SchemaNode][];
      const required = all.filter(([, f]) => f.optional !== true).map(([k]) => k);
      const maybe = all.filter(([, f]) => f.optional === true).map(([k]) => k);
      // `optional` is ours, not a JSON Schema keyword: ajv sees the field's own schema
      const fields = Object.fromEntries(all.map(([k, f]) => [k, Object.fromEntries(Object.entries(f).filter(([kw]) => kw !== 'optional'))]));
      const title = `${name} takes ${required.join(', ') || 'nothing else'}${maybe.length > 0 ? ` and maybe ${maybe.join(', ')}` : ''}`;
      return { if: { properties: { [tag]: { const: name } } }, then: closed(title, [tag, ...required], { [tag]: true, ...fields }) };
    }),
  };
}

const result = {
  type: 'object', title: 'a result has ok', required: ['ok'], properties: { ok: { type: 'boolean' } },
  if: { properties: { ok: { const: true } } },
  then: closed('a success has ok: true and out', ['ok', 'out'], { ok: true, out: { type: 'object' } }),
  else: closed('a failure has ok: false, errno and maybe out', ['ok', 'errno'], { ok: true, errno: enumOf(ERRNOS), out: { type: 'object' } }),
};

const EXPECT = `"ok", an errno (${ERRNOS.join(', ')}), an object of returned values, or {"errno", "out"}: a failure and what it wrote back`;

/** An assertion step: a query of the state and what it must answer (docs/trace-format.md "Assertions"). */
const assertStep = closed('an assertion step has assert and expect', ['assert', 'expect'], {
  assert: { type: 'object', description: 'an object naming a "query"', ...commands('query', ASSERT_NAMES, ASSERT_FIELDS, `a query (${ASSERT_NAMES.join(', ')})`) },
  expect: { type: 'object', description: 'an object of the values the query must answer' },
});

const cmdStep = closed('a step has cmd and maybe bind, expect, failNth, spec, impl', ['cmd'], {
  cmd: {
    type: 'object', description: 'an object naming an "ioctl" or an "env" action',
    if: { required: ['ioctl'] },
    then: commands('ioctl', IOCTL_NAMES, IOCTL_FIELDS, 'an ioctl name (IOCTL_NAMES in src/uapi/command.ts)'),
    else: {
      if: { required: ['env'] },
      then: commands('env', ENV_NAMES, ENV_FIELDS, `an environment action (${ENV_NAMES.join(', ')})`),
      else: { title: 'a command names an "ioctl" or an "env" action', required: ['ioctl'] },
    },
  },
  bind: { type: 'object', additionalProperties: { type: 'string', pattern: SYM, description: 'a symbol like $ioas1 ($, a lowercase kind, a number)' } },
  expect: {
    type: ['string', 'object'], description: EXPECT,
    allOf: [
      { if: { type: 'string' }, then: { enum: ['ok', ...ERRNOS], description: EXPECT } },
      // a failure's expectation: its errno and (maybe) the outputs it still wrote back
      { if: { type: 'object', required: ['errno'] }, then: closed('a failure expectation has errno and maybe out', ['errno'], { errno: enumOf(ERRNOS), out: { type: 'object' } }) },
    ],
  },
  failNth: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'an integer from 1 (the allocation of this step that fails)' },
  spec: closed('spec has result and rule', ['result', 'rule'], { result, rule: text }),
  impl: closed('impl has result', ['result'], { result }),
});

/** A step is a command, or (from @2) an assertion. */
const step: SchemaNode = { type: 'object', description: 'an object with a "cmd" or an "assert"', if: { required: ['assert'] }, then: assertStep, else: cmdStep };

const count = { type: 'integer', minimum: 0, description: 'an integer >= 0' } as const;

/** The JSON Schema of a trace file, versions `ioasid-lab/trace@1` and `@2` (what only @2 may use is checked after). */
export const TRACE_JSON_SCHEMA: SchemaNode = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  ...closed('a trace has schema, design, hardware, origin, steps and maybe profile, memlockPages, kernel, verdict', ['schema', 'design', 'hardware', 'origin', 'steps'], {
    schema: enumOf(TRACE_SCHEMAS),
    design: enumOf(DESIGN_NAMES),
    hardware: enumOf(HW_KINDS),
    // a built-in by name, or a user's machine given whole (checked by machine-file.ts, with its own messages)
    profile: { type: ['string', 'object'], description: `a profile name (${PROFILE_NAMES.join(', ')}) or a machine profile object`, if: { type: 'string' }, then: enumOf(PROFILE_NAMES) },
    memlockPages: count,
    kernel: { ...enumOf(KERNEL_VERSIONS), description: `a kernel version whose uAPI the trace follows (${KERNEL_VERSIONS.join(', ')})` },
    origin: closed('origin has kind and maybe source, seed, path, runs, shrinks, minimality, linux', ['kind'], {
      kind: enumOf(['check', 'explore', 'hand'] as const),
      source: text,
      seed: { type: 'integer' },
      path: text,
      runs: count,
      shrinks: count,
      minimality: enumOf(['1-minimal', 'shortest', 'none'] as const),
      linux: text,
    }),
    verdict: closed('verdict has property, step, message, status', ['property', 'step', 'message', 'status'], {
      property: text,
      step: count,
      message: text,
      status: enumOf(['open', 'fixed'] as const),
    }),
    steps: { type: 'array', items: step },
  }),
  $comment: TRACE_SCHEMA,
};

// ---- loading -----------------------------------------------------------------------------------------------------

/** A trace file that is not a valid `ioasid-lab/trace@1` record: one line, "<file>: step N: <field> <problem>". */
export class TraceError extends Error {
  override readonly name = 'TraceError';
}

let compiled: ValidateFunction | undefined;
const validator = (): ValidateFunction =>
  (compiled ??= new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true, strict: true, strictRequired: false }).compile(TRACE_JSON_SCHEMA));

const show = (v: unknown): string => excerpt(v);
const isObject = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null;
const TYPE_WORDS: Readonly<Record<string, string>> = { object: 'an object', array: 'an array', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean', null: 'null' };

/** "/steps/2/cmd/allowed_iovas/0/start" -> "step 3: " and "cmd.allowed_iovas[0].start" (arrays told apart by the data). */
function locate(pointer: string, data: unknown): { where: string; field: string } {
  const keys = pointer === '' ? [] : pointer.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let where = '';
  let field = '';
  let at: unknown = data;
  for (const [i, k] of keys.entries()) {
    if (i === 1 && keys[0] === 'steps' && Array.isArray(at)) where = `step ${Number(k) + 1}: `;
    else if (Array.isArray(at)) field += `[${k}]`;
    else if (i > 0 || keys[0] !== 'steps' || keys.length === 1) field += `${field === '' ? '' : '.'}${/^[\w$]+$/.test(k) ? k : JSON.stringify(k)}`;
    at = isObject(at) ? at[k] : undefined;
  }
  return { where, field };
}

/** One human line for ajv's first error ("step 3: the step must be..." reads "step 3 must be..."). */
function explain(e: ErrorObject, data: unknown): string {
  return explainAt(e, data).replace(/^step (\d+): the step /, 'step $1 ');
}

function explainAt(e: ErrorObject, data: unknown): string {
  const { where, field } = locate(e.instancePath, data);
  const parent = e.parentSchema ?? {};
  const desc = typeof parent.description === 'string' ? parent.description : undefined;
  const title = typeof parent.title === 'string' ? ` (${parent.title})` : '';
  const sub = (name: unknown) => (field === '' ? String(name) : `${field}.${String(name)}`);
  const subject = field !== '' ? field : where !== '' ? 'the step' : 'the trace';
  switch (e.keyword) {
    case 'required':
      return `${where}${sub(e.params.missingProperty)} is missing${title}`;
    case 'additionalProperties':
      return `${where}${sub(e.params.additionalProperty)} is not a known field${title}`;
    case 'const':
      return `${where}${subject} must be ${show(e.params.allowedValue)}, not ${show(e.data)}`;
  }
  if (desc) return `${where}${subject} must be ${desc}, not ${show(e.data)}`;
  if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) return `${where}${subject} must be one of ${e.params.allowedValues.join(', ')}, not ${show(e.data)}`;
  if (e.keyword === 'type') {
    const types = String(e.params.type).split(',').map((t) => TYPE_WORDS[t] ?? t);
    return `${where}${subject} must be ${types.join(' or ')}, not ${show(e.data)}`;
  }
  return `${where}${subject} ${e.message ?? `fails ${e.keyword}`}`;
}

/** The largest trace file read (a million steps is about 200 MB; nothing a person or `check` writes comes near). */
export const MAX_TRACE_BYTES = 256 * 1024 * 1024;

/**
 * Parse and validate a trace file's text; `source` names it in errors. The text is read strictly (json.ts: no
 * duplicate keys, no integer past 2^53, bounded nesting), then validated against the schema, and only a valid
 * record is decoded ("0x..." -> bigint), so a u64 written as a JSON number is an error, never a rounded value.
 */
export function loadTrace(text: string, source: string): Trace {
  const name = printable(source);
  const raw = parseInput(text, source, (m) => new TraceError(m));
  const validate = validator();
  if (!validate(raw)) {
    const first = validate.errors?.[0];
    throw new TraceError(`${name}: ${first ? oneLine(explain(first, raw)) : 'not a valid trace'}`);
  }
  let machine: MachineProfile | undefined;
  const given = (raw as { profile?: unknown }).profile;
  if (typeof given === 'object' && given !== null) {
    try {
      machine = machineFromJson(given, 'profile');
    } catch (e) {
      if (e instanceof ProfileError) throw new TraceError(`${name}: ${e.message}`);
      throw e;
    }
  }
  const decoded = fromFile(decodeHex(raw) as FileTrace);
  const t = machine === undefined ? decoded : { ...decoded, profile: machine };
  if (t.verdict && t.verdict.step > t.steps.length) {
    throw new TraceError(`${name}: verdict.step must be at most ${t.steps.length} (the number of steps), not ${t.verdict.step}`);
  }
  const bad = needsV2(t) ?? profileProblem(t.profile, t.design, t.hardware) ?? kernelProblem(t) ?? badBind(t) ?? badExpect(t) ?? badEntryNum(t);
  if (bad) throw new TraceError(`${name}: ${bad}`);
  return t;
}

/** A trace as the file holds it: a step is a command, or an assertion `{ assert: { query, ... }, expect }`. */
type FileStep = Trace['steps'][number] | { readonly assert: { readonly query: string; readonly [k: string]: unknown }; readonly expect: { readonly [k: string]: unknown } };
type FileTrace = Omit<Trace, 'steps'> & { readonly steps: readonly FileStep[] };

/** A file's trace in the form every tool reads: an assertion becomes the step `{ cmd: { assert: query, ... }, expect }`. */
function fromFile(t: FileTrace): Trace {
  if (!t.steps.some((st) => 'assert' in st)) return t as Trace;
  return {
    ...t,
    steps: t.steps.map((st) => {
      if (!('assert' in st)) return st;
      const { query, ...fields } = st.assert;
      return { cmd: { assert: query, ...fields }, expect: st.expect };
    }),
  };
}

/** A kernel version is a fact about a kernel that ran the design: the 2021 designs never shipped. */
function kernelProblem(t: Trace): string | null {
  if (t.kernel === undefined || t.kernel === 'upstream' || DESIGNS[t.design].status === 'merged') return null;
  return `kernel ${t.kernel}: design ${t.design} never shipped, a kernel version applies to a merged design only`;
}

/** Commands added in `ioasid-lab/trace@2`: the selftest test port, munmap, native SVA. */
const V2_COMMANDS: readonly string[] = ['MOCK_ADD_RESERVED', 'MUNMAP', 'VFIO_DEVICE_BIND_SVA', 'VFIO_DEVICE_UNBIND_SVA'];

/** What only `ioasid-lab/trace@2` may say: a profile, a kernel version, an origin source or Linux release, assertion steps, a command added since. */
function needsV2(t: Trace): string | null {
  if (t.schema !== 'ioasid-lab/trace@1') return null;
  const added = t.steps.map((st) => stepName(st.cmd as SymCmd)).find((n) => V2_COMMANDS.includes(n));
  const what = t.profile !== undefined ? 'profile'
    : t.kernel !== undefined ? 'kernel'
    : t.origin.source !== undefined ? 'origin.source'
    : t.origin.linux !== undefined ? 'origin.linux'
      : t.steps.some((st) => 'assert' in st.cmd) ? 'an assertion step'
        : added ?? null;
  return what === null ? null : `${what} needs schema "${TRACE_SCHEMA}" (this file says ioasid-lab/trace@1)`;
}

/**
 * A raw entry_num either counts the entries given, or stands alone (no entries: a NULL data_uptr); any other count
 * would describe entries the trace does not say.
 */
function badEntryNum(t: Trace): string | null {
  for (const [i, st] of t.steps.entries()) {
    const c = st.cmd as SymCmd;
    if (!('ioctl' in c) || c.ioctl !== 'IOMMU_HWPT_INVALIDATE' || typeof c.entry_num !== 'number') continue;
    const n = Array.isArray(c.entries) ? c.entries.length : 0;
    if (n !== 0 && c.entry_num !== n) return `step ${i + 1}: cmd.entry_num must be the number of entries (${n}) or stand without entries (a NULL data_uptr), not ${c.entry_num}`;
  }
  return null;
}

/**
 * A bind names an output of its own command (`out_ioas_id` of IOMMU_IOAS_ALLOC); any other key would leave its
 * symbol unbound and every later use of it silently on id 0 or fd -1. (The kind in the symbol's name is for the
 * reader, docs/trace-format.md, so it is not checked.)
 */
function badBind(t: Trace): string | null {
  for (const [i, st] of t.steps.entries()) {
    if (!st.bind) continue;
    const name = stepName(st.cmd as SymCmd);
    const known = bindableOutputs(name);
    for (const field of Object.keys(st.bind)) {
      if (!known.includes(field)) {
        return `step ${i + 1}: bind.${printable(field)} is not an output of ${name} (${known.length === 0 ? 'it outputs nothing to bind' : `it outputs ${known.join(', ')}`})`;
      }
    }
  }
  return null;
}

/**
 * An expectation names only outputs its command has: a misspelt field (`out_ioas` for `out_ioas_id`) would
 * otherwise be a step that can never pass, for a reason the reader cannot see.
 */
function badExpect(t: Trace): string | null {
  for (const [i, st] of t.steps.entries()) {
    const e = st.expect;
    if (typeof e !== 'object') continue;
    const name = stepName(st.cmd as SymCmd);
    const outputs: readonly string[] = 'assert' in st.cmd ? ASSERT_OUTPUTS[st.cmd.assert as keyof typeof ASSERT_OUTPUTS] : Object.keys((OUTPUT_FIELDS as Readonly<Record<string, object>>)[name] ?? {});
    const [fields, where] = isFailureExpect(e) ? [Object.keys(e.out ?? {}), 'expect.out'] : [Object.keys(e), 'expect'];
    const unknown = fields.find((f) => !outputs.includes(f));
    if (unknown !== undefined) return `step ${i + 1}: ${where}.${printable(unknown)} is not an output of ${name} (${outputs.length === 0 ? 'it returns nothing' : `it returns ${outputs.join(', ')}`})`;
  }
  return null;
}

/** Every "0x..." string of a validated record as a bigint (iterative: the record's depth is already bounded). */
function decodeHex(v: unknown): unknown {
  const HEX_STR = /^0x[0-9a-fA-F]+$/;
  const conv = (x: unknown): unknown => (typeof x === 'string' && HEX_STR.test(x) ? BigInt(x) : x);
  const root = { v };
  const work: Record<string, unknown>[] = [root];
  for (let o = work.pop(); o !== undefined; o = work.pop()) {
    for (const k of Object.keys(o)) {
      const x = conv(o[k]);
      o[k] = x;
      if (typeof x === 'object' && x !== null) work.push(x as Record<string, unknown>);
    }
  }
  return root.v;
}

/**
 * Read and load one trace file. Only a regular file is read, and only up to MAX_TRACE_BYTES: a FIFO, a device
 * (`/dev/zero`) or a directory is refused before anything blocks or fills memory.
 */
export function readTraceFile(file: string): Trace {
  const text = readInputText(file, {
    notFile: 'a trace is a .json file', tooLarge: `a trace file may be (${MAX_TRACE_BYTES})`, maxBytes: MAX_TRACE_BYTES, fail: (m) => new TraceError(m),
  });
  return loadTrace(text, file);
}
