/**
 * A machine profile written by a user (`check --profile FILE.json`, or a trace's `profile` given whole): the same
 * record as a built-in (src/uapi/profile.ts), u64 values as "0x..." strings, read by the strict JSON reader and
 * checked against MACHINE_JSON_SCHEMA, then for what the model can hold: an aperture that is a range, an IOMMU
 * page of 2 or 4 KiB (the simulated page table's granules, under 4 KiB CPU pages), PASID widths up to 20 bits,
 * reserved regions that are ranges, and a name no built-in has. A bad file is one line, as for traces.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { HW_INFO_TYPES, HW_KINDS, minPageSize, PROFILE_NAMES, RESV_KINDS, U64_MAX, type MachineProfile } from '../uapi/index.js';
import { oneLine, parseInput, readInputText } from './input.js';
import { excerpt, printable } from './printable.js';

const hex = { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$', description: 'a u64 as a 0x... hex string' } as const;
const obj = (required: readonly string[], properties: Record<string, unknown>) => ({ type: 'object', required, additionalProperties: false, properties });
const region = obj(['start', 'last', 'kind'], { start: hex, last: hex, kind: { type: 'string', enum: RESV_KINDS } });
const device = obj(['group', 'pasidBits', 'reserved'], {
  group: { type: 'integer', minimum: 0, maximum: 0xffff_ffff },
  pasidBits: { type: 'integer', minimum: 0, maximum: 20 },
  reserved: { type: 'array', items: region },
});

/** The JSON Schema of a machine profile (draft-07). */
export const MACHINE_JSON_SCHEMA = obj(['iommu', 'devices'], {
  iommu: obj(['name', 'summary', 'hw', 'aperture', 'pgsizeBitmap', 'nestParent', 'stage1Format', 'dirtyTracking', 'coherent', 'reserved', 'cites'], {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'a lowercase name (letters, digits, . _ -)' },
    summary: { type: 'string' },
    hw: { type: 'string', enum: HW_KINDS },
    aperture: obj(['start', 'last'], { start: hex, last: hex }),
    pgsizeBitmap: hex,
    nestParent: { type: 'boolean' },
    stage1Format: { type: ['string', 'null'], enum: ['IOMMU_HWPT_DATA_VTD_S1', 'IOMMU_HWPT_DATA_ARM_SMMUV3', null] },
    dirtyTracking: { type: 'boolean' },
    hwInfoType: { type: 'string', enum: HW_INFO_TYPES, description: 'optional: left out, it follows stage1Format' },
    coherent: { type: 'boolean' },
    reserved: { type: 'array', items: region },
    cites: { type: 'array', items: { type: 'string' } },
  }),
  devices: { type: 'array', minItems: 4, maxItems: 4, items: device, description: 'the four devices dev1 … dev4, in order' },
});

let compiled: ReturnType<Ajv['compile']> | undefined;
const validator = () => (compiled ??= new Ajv({ allErrors: false, allowUnionTypes: true, strict: true }).compile(MACHINE_JSON_SCHEMA));

/** One line for ajv's first error: where, and what it must be. */
function explain(e: ErrorObject): string {
  const at = e.instancePath === '' ? 'the profile' : e.instancePath.slice(1).replace(/\//g, '.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  if (e.keyword === 'required') return `${at === 'the profile' ? '' : `${at}.`}${String(e.params.missingProperty)} is missing`;
  if (e.keyword === 'additionalProperties') return `${at === 'the profile' ? '' : `${at}.`}${String(e.params.additionalProperty)} is not a known field`;
  const desc = typeof e.parentSchema?.description === 'string' ? e.parentSchema.description : undefined;
  if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) return `${at} must be one of ${e.params.allowedValues.map(String).join(', ')}, not ${excerpt(e.data)}`;
  return `${at} must be ${desc ?? e.message ?? e.keyword}, not ${excerpt(e.data)}`;
}

const big = (s: string): bigint => BigInt(s);

/** A machine file without `hwInfoType`: the driver whose stage-1 format it takes reports its own type, others none. */
const hwInfoOfFormat = (f: MachineProfile['iommu']['stage1Format']): MachineProfile['iommu']['hwInfoType'] =>
  f === 'IOMMU_HWPT_DATA_VTD_S1' ? 'IOMMU_HW_INFO_TYPE_INTEL_VTD' : f === 'IOMMU_HWPT_DATA_ARM_SMMUV3' ? 'IOMMU_HW_INFO_TYPE_ARM_SMMUV3' : 'IOMMU_HW_INFO_TYPE_NONE';
const decodeRegion = (r: { start: string; last: string; kind: MachineProfile['iommu']['reserved'][number]['kind'] }) => ({ start: big(r.start), last: big(r.last), kind: r.kind });

/** Why a validated machine cannot be modelled, in one line; null when it can. */
function problem(m: MachineProfile): string | null {
  if ((PROFILE_NAMES as readonly string[]).includes(m.iommu.name)) return `iommu.name "${m.iommu.name}" is a built-in profile's: give yours another name`;
  if (m.iommu.aperture.start > m.iommu.aperture.last) return 'iommu.aperture.start must not be above iommu.aperture.last';
  if (m.iommu.aperture.last > U64_MAX) return 'iommu.aperture.last must fit a u64';
  const page = minPageSize(m.iommu.pgsizeBitmap);
  if (page !== 0x800n && page !== 0x1000n) return `iommu.pgsizeBitmap's smallest page must be 2 KiB or 4 KiB (the granules the simulated page table maps), not ${m.iommu.pgsizeBitmap === 0n ? 'none' : `0x${page.toString(16)}`}`;
  if (m.iommu.aperture.start % page !== 0n) return 'iommu.aperture.start must be aligned to the smallest page';
  const regions = [...m.iommu.reserved, ...m.devices.flatMap((d) => d.reserved)];
  if (regions.some((r) => r.start > r.last)) return 'a reserved region\'s start must not be above its last';
  if (m.iommu.stage1Format !== null && !m.iommu.nestParent) return 'iommu.stage1Format needs iommu.nestParent (a nested HWPT sits on a nest parent)';
  return null;
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

/** Parse, validate and decode a machine profile's text; `source` names it in errors. */
export function loadMachine(text: string, source: string): MachineProfile {
  return machineFromJson(parseInput(text, source, (m) => new ProfileError(m)), printable(source));
}

/** A machine from an already-parsed JSON value (a trace's inline `profile`). */
export function machineFromJson(raw: unknown, where: string): MachineProfile {
  const validate = validator();
  if (!validate(raw)) throw new ProfileError(`${where}: ${oneLine(validate.errors?.[0] ? explain(validate.errors[0]) : 'not a valid machine profile')}`);
  const j = raw as {
    iommu: Omit<MachineProfile['iommu'], 'aperture' | 'pgsizeBitmap' | 'reserved' | 'hwInfoType'> & { hwInfoType?: MachineProfile['iommu']['hwInfoType']; aperture: { start: string; last: string }; pgsizeBitmap: string; reserved: Parameters<typeof decodeRegion>[0][] };
    devices: { group: number; pasidBits: number; reserved: Parameters<typeof decodeRegion>[0][] }[];
  };
  const d = j.devices.map((x) => ({ group: x.group, pasidBits: x.pasidBits, reserved: x.reserved.map(decodeRegion) }));
  const m: MachineProfile = {
    iommu: { ...j.iommu, hwInfoType: j.iommu.hwInfoType ?? hwInfoOfFormat(j.iommu.stage1Format), aperture: { start: big(j.iommu.aperture.start), last: big(j.iommu.aperture.last) }, pgsizeBitmap: big(j.iommu.pgsizeBitmap), reserved: j.iommu.reserved.map(decodeRegion) },
    devices: [d[0]!, d[1]!, d[2]!, d[3]!], // exactly four (the schema)
  };
  const bad = problem(m);
  if (bad) throw new ProfileError(`${where}: ${bad}`);
  return m;
}

/** Read a machine profile file: only a regular file, at most 1 MiB. */
export function readMachineFile(file: string): MachineProfile {
  const text = readInputText(file, {
    notFile: 'a machine profile is a .json file', tooLarge: 'a machine profile may be (1 MiB)', maxBytes: 1 << 20, fail: (m) => new ProfileError(m),
  });
  return loadMachine(text, file);
}

/** The JSON form of a machine (u64 values as hex strings), as a trace or a profile file holds it. */
export const machineToJson = (m: MachineProfile): unknown => JSON.parse(JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
