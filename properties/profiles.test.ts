/**
 * Machine profiles: the built-ins (src/uapi/profiles.ts), a user's profile file (src/check/machine-file.ts) read
 * as strictly as a trace, and a profile taking effect alike in the spec and the simulated kernel.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachine, machineToJson, readMachineFile } from '../src/check/machine-file.js';
import { counterexampleHash } from '../src/check/format.js';
import { replay } from '../src/check/replay.js';
import { loadTrace, TraceError } from '../src/check/schema.js';
import { traceToJson } from '../src/check/trace.js';
import { judge } from '../src/cli/replay-cmd.js';
import { builtinMachine, defaultWorld, PROFILE_NAMES, worldOf, CARD_RMRR, MSI_WINDOW } from '../src/uapi/index.js';
import { expectUsageError, runCli } from './support/cli.js';

const FILE = 'profiles/vtd-39bit.json';
const dir = mkdtempSync(join(tmpdir(), 'ioasid-lab-profiles-'));
const machineText = readFileSync(FILE, 'utf8');
/** The profile file as JSON, for editing one field of it. */
interface MachineJson {
  iommu: Record<string, unknown> & { reserved: Record<string, unknown>[] };
  devices?: Record<string, unknown>[];
}
const edited = (f: (j: MachineJson) => void): string => {
  const j = JSON.parse(machineText) as MachineJson;
  f(j);
  return JSON.stringify(j);
};

describe('built-in profiles', () => {
  it('default is today\'s world on either hardware kind: 48-bit aperture, 4 KiB pages, the MSI window, the card\'s RMRR', () => {
    for (const hw of ['host-pasid-table', 'guest-pasid-table'] as const) {
      const w = defaultWorld(hw);
      expect(w.iommu.aperture).toEqual({ start: 0n, last: (1n << 48n) - 1n });
      expect(w.iommu.pgsizeBitmap).toBe(0x1000n);
      expect(w.devices.map((d) => [d.group, d.pasidBits])).toEqual([[1, 20], [2, 20], [3, 0], [3, 0]]);
      expect(w.devices.map((d) => d.reserved)).toEqual([[MSI_WINDOW], [MSI_WINDOW], [MSI_WINDOW, CARD_RMRR], [MSI_WINDOW, CARD_RMRR]]);
      expect(w.iommu.stage1Format).toBe(hw === 'host-pasid-table' ? 'IOMMU_HWPT_DATA_VTD_S1' : 'IOMMU_HWPT_DATA_ARM_SMMUV3');
    }
  });
  it('every other built-in fixes its hardware kind and cites where each fact comes from', () => {
    for (const name of PROFILE_NAMES.filter((n) => n !== 'default')) {
      const a = builtinMachine(name, 'host-pasid-table');
      expect(builtinMachine(name, 'guest-pasid-table')).toEqual(a);
      expect(a.iommu.cites.length, name).toBeGreaterThanOrEqual(4);
      // each names its source file, or says it is about a kernel newer than 6.12
      expect(a.iommu.cites.every((c) => /(drivers|include|tools)\/[\w/.-]+\.[ch]\b|^newer:/.test(c)), name).toBe(true);
    }
    expect(builtinMachine('selftest-mock', 'host-pasid-table').iommu).toMatchObject({ aperture: { start: 0x100_0000n, last: 0x7fff_ffffn }, pgsizeBitmap: 0x800n, reserved: [] });
  });
});

describe('a user\'s machine profile file', () => {
  it(`${FILE} loads: a 39-bit aperture and 8-bit PASIDs`, () => {
    const m = readMachineFile(FILE);
    expect(m.iommu.aperture.last).toBe((1n << 39n) - 1n);
    expect(worldOf(m).devices[0]?.pasidBits).toBe(8);
    expect(loadMachine(JSON.stringify(machineToJson(m)), 'again')).toEqual(m);
  });
  it('a file without hwInfoType gets the type of its stage-1 format; one with it keeps its own', () => {
    expect(readMachineFile(FILE).iommu.hwInfoType).toBe('IOMMU_HW_INFO_TYPE_INTEL_VTD'); // VTD_S1, and the file has none
    const none = JSON.parse(machineText) as MachineJson;
    none.iommu.stage1Format = null;
    expect(loadMachine(JSON.stringify(none), 'none.json').iommu.hwInfoType).toBe('IOMMU_HW_INFO_TYPE_NONE');
    none.iommu.hwInfoType = 'IOMMU_HW_INFO_TYPE_SELFTEST';
    expect(loadMachine(JSON.stringify(none), 'own.json').iommu.hwInfoType).toBe('IOMMU_HW_INFO_TYPE_SELFTEST');
  });
  it('check --profile FILE runs every design on it', () => {
    const r = runCli('check', '--profile', FILE, '--runs', '20', '--out', join(dir, 'cx'));
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toContain('machine: vtd-39bit (An Intel VT-d part with a 3-level (39-bit) second-stage table and 8-bit device PASIDs: a user\'s machine profile)');
    expect(r.out.filter((l) => / ok$/.test(l))).toHaveLength(5);
  });
  it.each([
    [(j: MachineJson) => { delete j.devices; }, /devices is missing/],
    [(j: MachineJson) => { j.iommu.name = 'vtd'; }, /iommu.name "vtd" is a built-in profile's/],
    [(j: MachineJson) => { j.iommu.pgsizeBitmap = '0x10000'; }, /smallest page must be 2 KiB or 4 KiB .* not 0x10000/],
    [(j: MachineJson) => { j.iommu.aperture = { start: '0x2000', last: '0x1000' }; }, /aperture.start must not be above/],
    [(j: MachineJson) => { j.iommu.nestParent = false; }, /stage1Format needs iommu.nestParent/],
    [(j: MachineJson) => { j.devices![1]!.pasidBits = 21; /* the file has four devices */ }, /devices\[1\].pasidBits must be/],
    [(j: MachineJson) => { j.iommu.reserved[0]!.kind = 'mmio'; /* the file reserves the MSI window */ }, /iommu.reserved\[0\].kind must be one of msi, sw-msi, direct, reserved/],
    [(j: MachineJson) => { j.iommu.extra = 1; }, /iommu.extra is not a known field/],
    [(j: MachineJson) => { j.iommu.hwInfoType = 'IOMMU_HW_INFO_TYPE_AMD'; }, /iommu.hwInfoType must be one of IOMMU_HW_INFO_TYPE_NONE, /],
  ])('a bad profile file is one line and exit 2 (%#)', (f, message) => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, edited(f));
    expectUsageError(runCli('check', '--profile', p, '--runs', '1'), message);
  });
  it('an unknown name, a directory, and a profile that does not fit what is asked are refused before any work', () => {
    expectUsageError(runCli('check', '--profile', 'nope'), /unknown profile 'nope'/);
    expectUsageError(runCli('check', '--profile', dir), /not a regular file/);
    expectUsageError(runCli('check', '--profile', 'vtd', '--hardware', 'guest-pasid-table'), /--profile vtd is host-pasid-table hardware, not guest-pasid-table/);
    expectUsageError(runCli('check', '--profile', 'selftest-mock', '--design', 'rfc-v1'), /profile selftest-mock maps 2048-byte IOMMU pages, which only a design mapping through IOMMU_IOAS_MAP models/);
  });
});

describe('a trace that carries its machine', () => {
  const machine = machineToJson(readMachineFile(FILE));
  const steps = [
    { cmd: { env: 'OPEN', path: '/dev/iommu' }, bind: { fd: '$fd1' } },
    { cmd: { env: 'OPEN', path: '/dev/vfio/devices/vfio0' }, bind: { fd: '$fd2' } },
    { cmd: { env: 'MMAP', uva: '0x10000000', length: '0x10000' } },
    { cmd: { ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, bind: { out_ioas_id: '$ioas1' } },
    { cmd: { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: '$fd2', flags: 0, iommufd: '$fd1' }, bind: { out_devid: '$dev1' } },
    { cmd: { ioctl: 'IOMMU_HWPT_ALLOC', fd: '$fd1', flags: 8, dev_id: '$dev1', pt_id: '$ioas1', __reserved: 0, data_type: 'IOMMU_HWPT_DATA_NONE', data: null, fault_id: 0 }, bind: { out_hwpt_id: '$hwpt1' } },
    // past the 39-bit aperture: reserved once the domain exists
    { cmd: { ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 7, ioas_id: '$ioas1', __reserved: 0, user_va: '0x10000000', length: '0x1000', iova: '0x8000000000' }, expect: 'EINVAL' },
    { cmd: { ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 7, ioas_id: '$ioas1', __reserved: 0, user_va: '0x10000000', length: '0x1000', iova: '0x7ffffff000' }, expect: 'ok' },
    // 8-bit PASIDs: 255 attaches, 256 does not
    { cmd: { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd2', flags: 1, pt_id: '$hwpt1', pasid: 256 }, expect: 'EINVAL' },
    { cmd: { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd2', flags: 1, pt_id: '$hwpt1', pasid: 255 }, expect: 'ok' },
    { assert: { query: 'ATTACHED', dev: 'dev1', pasid: 255 }, expect: { pt_id: '$hwpt1' } },
  ];
  const text = JSON.stringify({ schema: 'ioasid-lab/trace@2', design: 'iommufd', hardware: 'host-pasid-table', profile: machine, origin: { kind: 'hand' }, steps });
  it('replays on that machine on both sides, and its expectations hold there (not on the default world)', () => {
    const t = loadTrace(text, 'x.json');
    expect(judge('x.json', t, replay(t)).summary).toBe(`ok (${steps.length} steps)`);
    const onDefault = { ...t, profile: undefined };
    expect(judge('x.json', onDefault, replay(onDefault)).ok).toBe(false);
  });
  it('round-trips, and its name (hash) differs from the same steps on another machine', () => {
    const t = loadTrace(text, 'x.json');
    expect(loadTrace(traceToJson(t), 'y.json')).toEqual(t);
    expect(counterexampleHash(t)).not.toBe(counterexampleHash({ ...t, profile: undefined }));
    expect(counterexampleHash({ ...t, profile: 'vtd' })).not.toBe(counterexampleHash({ ...t, profile: undefined }));
  });
  it('a bad inline machine is one line naming the trace and the field', () => {
    const bad = text.replace('"pasidBits":8', '"pasidBits":"8"');
    expect(() => loadTrace(bad, 'x.json')).toThrow(TraceError);
    expect(() => loadTrace(bad, 'x.json')).toThrow(/^x.json: profile: devices\[0\].pasidBits must be/);
  });
});

describe('explore on a machine', () => {
  it('explore --profile amd-v1: the matrix says its machine, and every witness replays on it (no nesting: no guest SVA for iommufd)', () => {
    const r = runCli('explore', '--profile', 'amd-v1', '--design', 'iommufd', '--max-states', '3000', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const report = JSON.parse(r.out.join('\n')) as { profile: string; cells: { requirement: string; verdict: string; trace?: unknown }[] };
    expect(report.profile).toBe('amd-v1');
    expect(report.cells.find((c) => c.requirement === 'guest-sva')?.verdict).toBe('unreachable'); // a proof: the whole space is searched
    const witnesses = report.cells.filter((c) => c.trace !== undefined);
    expect(witnesses.length).toBeGreaterThan(0);
    for (const c of witnesses) {
      const t = loadTrace(JSON.stringify(c.trace), 'witness.json');
      expect(t.profile).toBe('amd-v1');
      expect(replay(t).violation, c.requirement).toBeNull();
    }
  });
  it('explore --profile selftest-mock is refused: the vocabulary puts guest RAM at IOVA 0, below that aperture', () => {
    expectUsageError(runCli('explore', '--profile', 'selftest-mock'), /explore runs on machines whose aperture starts at 0 .* starts at 0x1000000/);
  });
});

describe('generation on a machine', () => {
  it('draws where the machine reserves or stops translating; on the default world exactly the places it always drew', async () => {
    const { GenModel } = await import('../src/check/model.js');
    const { DESIGNS, initialState } = await import('../src/spec/index.js');
    const at = (w: ReturnType<typeof defaultWorld>) => new GenModel(initialState(w, DESIGNS.iommufd)).platformAddrs();
    expect(at(defaultWorld())).toEqual([0xfee0_0000n, 0xd000_0000n, (1n << 48n) - 0x1000n]);
    expect(at(worldOf(builtinMachine('selftest-mock', 'host-pasid-table')))).toEqual([0x7fff_f000n, 0x100_0000n, 0xff_f000n, 0x100_0800n]);
    expect(at(worldOf(builtinMachine('smmuv3', 'guest-pasid-table')))).toContain(0x800_0000n);
  });
  it('every one of those places is drawn, on every machine (the draw spreads over all of them)', async () => {
    const { GenModel } = await import('../src/check/model.js');
    const { addrOf } = await import('../src/check/gen-values.js');
    const { DESIGNS, initialState } = await import('../src/spec/index.js');
    for (const name of PROFILE_NAMES) {
      const w = worldOf(builtinMachine(name, 'host-pasid-table'));
      const m = new GenModel(initialState(w, DESIGNS.iommufd));
      const drawn = new Set(Array.from({ length: 12 }, (_, platform) => addrOf(m, { platform })));
      expect([...drawn].sort(), name).toEqual([...new Set(m.platformAddrs())].sort());
    }
  });
});
