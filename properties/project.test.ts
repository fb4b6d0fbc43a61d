/**
 * Project-level rules: layers never import upward (the spec never sees src/impl, the impl never sees src/spec),
 * docs/spec.md is generated from the design values and current, every policy point is honoured by the
 * design's vocabulary, the ioctl table is exhaustive, and the CLI answers bad input with one line and exit 2.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { checkArgs, runCheck } from '../src/cli/check-cmd.js';
import { BUGS } from './support/bugs.js';
import { check } from '../src/check/engine.js';
import { formatCmd } from '../src/check/format.js';
import { DESIGN_NAMES, DESIGNS, IOCTLS } from '../src/spec/index.js';
import { IOCTL_NAMES, IOMMUFD_HEADER, modelledOfHeader } from '../src/uapi/index.js';
import { REQUESTS } from '../src/kernel/abi.js';
import { specDoc, SPEC_DOC_PATH } from '../scripts/gen-spec-doc.js';
import { extractRules, RULES_PATH, rulesSource } from '../scripts/gen-rules.js';

function sources(dir: string): string[] {
  let out: string[] = [];
  try {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      out = statSync(p).isDirectory() ? [...out, ...sources(p)] : p.endsWith('.ts') ? [...out, p] : out;
    }
  } catch {
    return [];
  }
  return out;
}
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!); // group 1 always matches

describe('layers', () => {
  it('src/spec never imports src/impl, src/check or src/cli', () => {
    for (const f of sources('src/spec')) for (const i of importsOf(f)) expect(i, f).not.toMatch(/\/(impl|check|cli)(\/|$)/);
  });
  it('src/impl never imports src/spec', () => {
    for (const f of sources('src/impl')) for (const i of importsOf(f)) expect(i, f).not.toMatch(/\/spec(\/|$)/);
  });
  it('src/uapi imports nothing but itself', () => {
    for (const f of sources('src/uapi')) for (const i of importsOf(f)) expect(i, f).toMatch(/^\.\/[a-z-]+\.js$/);
  });
  it('the layer rule itself fails on an upward import', () => {
    expect('../impl/kernel.js').toMatch(/\/(impl|check|cli)(\/|$)/);
  });
});

describe('designs', () => {
  it('docs/spec.md is generated from the design values and is current (npm run docs)', () => {
    expect(readFileSync(SPEC_DOC_PATH, 'utf8')).toBe(specDoc());
  });
  it('src/spec/rules.ts lists every rule id written in src/spec and is current (npm run rules)', () => {
    const { rules, unresolved } = extractRules();
    expect(unresolved, 'rule-id templates whose prefix cannot be resolved').toEqual([]);
    expect(rules.size).toBeGreaterThan(250);
    expect(readFileSync(RULES_PATH, 'utf8')).toBe(rulesSource(rules));
  });
  it('every ioctl of the uapi has a row in the spec dispatcher', () => {
    expect(Object.keys(IOCTLS).sort()).toEqual([...IOCTL_NAMES].sort());
  });
  it('ownership per-device <=> page-table ops live on the device FD; per-ioasid <=> on the address space', () => {
    for (const n of DESIGN_NAMES) {
      const d = DESIGNS[n];
      const onDevice = d.ioctls.includes('VFIO_DEVICE_BIND_PGTABLE') && d.ioctls.includes('VFIO_DEVICE_INVALIDATE_CACHE');
      const onSpace = d.ioctls.some((i) => i === 'IOASID_BIND_PGTABLE' || i === 'IOMMU_HWPT_ALLOC');
      expect([n, onDevice, onSpace]).toEqual([n, d.policy.ownership === 'per-device', d.policy.ownership === 'per-ioasid']);
    }
  });
  it('every design has a rationale citing a source, and written-down choices', () => {
    for (const n of DESIGN_NAMES) {
      expect(DESIGNS[n].rationale.length, n).toBeGreaterThan(200);
      expect(DESIGNS[n].cites.length, n).toBeGreaterThan(0);
      expect(DESIGNS[n].choices.length, n).toBeGreaterThan(0);
    }
  });
});

describe('cli', () => {
  const run = (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = main(argv, (s) => out.push(s), (s) => err.push(s));
    return { code, out: out.join('\n'), err };
  };
  it('catalogue prints every design and the ioctl x design matrix', () => {
    const r = run('catalogue');
    expect(r.code).toBe(0);
    for (const n of DESIGN_NAMES) expect(r.out).toContain(n);
    expect(r.out).toMatch(/IOASID_BIND_PASID_TABLE\s+\.\s+x\s+\.\s+\.\s+x/);
    expect(r.out).toMatch(/^  0x8a IOMMU_GET_HW_INFO\s+modelled$/m);
    expect(r.out).toMatch(/^  0x94 IOMMU_HW_QUEUE_ALLOC \*\s+not modelled: no machine profile/m);
  });
  it('the header list of iommufd ioctls: consecutive numbers from 0x80, and "modelled" exactly where the iommufd design offers the ioctl', () => {
    expect(IOMMUFD_HEADER.map((h) => h.nr)).toEqual(IOMMUFD_HEADER.map((_, i) => 0x80 + i));
    const offered = DESIGNS.iommufd.ioctls.filter((n) => n.startsWith('IOMMU_'));
    expect([...modelledOfHeader()].sort()).toEqual([...offered].sort());
    // the binary ABI numbers what it encodes as the header does
    for (const n of offered) expect([n, REQUESTS[n as keyof typeof REQUESTS] & 0xff]).toEqual([n, IOMMUFD_HEADER.find((h) => h.ioctl === n)!.nr]);
  });
  it('catalogue --json prints the same catalogue as JSON', () => {
    const r = run('catalogue', '--design', 'per-device-sva', '--json');
    const c = JSON.parse(r.out) as { designs: { name: string; policy: { ownership: string } }[] };
    expect(c.designs.map((d) => [d.name, d.policy.ownership])).toEqual([['per-device-sva', 'per-device']]);
  });
  it('check runs one design and prints a summary table; --json prints the same as JSON', () => {
    const r = run('check', '--design', 'iommufd', '--hardware', 'host-pasid-table', '--runs', '5', '--out', mkdtempSync(join(tmpdir(), 'cx-')));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^iommufd\s+host-pasid-table\s+5\s+\d+\s+100%\s+\d+\/\d+\s+ok$/m);
    expect(r.out).toMatch(/^coverage iommufd: rules \d+\/\d+ \(\d+ unreached, \d+ known unreachable\), \(ioctl x errno\) \d+\/\d+$/m);
    expect(r.out).toMatch(/^reach iommufd on host-pasid-table: DMA through a guest stage-1 [\d.]+% \(\d+\/\d+\), unmaps that split /m);
    const j = JSON.parse(run('check', '--design', 'rfc-v1', '--hardware', 'guest-pasid-table', '--runs', '3', '--json', '--out', mkdtempSync(join(tmpdir(), 'cx-'))).out) as { cells: { design: string; ok: boolean; runs: number }[] };
    expect(j.cells.map((c) => [c.design, c.ok, c.runs])).toEqual([['rfc-v1', true, 3]]);
  });
  it('check --coverage lists the unreached rules, each known one with its reason', () => {
    const r = run('check', '--design', 'iommufd', '--runs', '3', '--coverage', '--out', mkdtempSync(join(tmpdir(), 'cx-')));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}unreached DESTROY\.ok\.device {2}\(known: a DEVICE object is held by its binding driver/m);
    expect(r.out).toMatch(/^ {2}unreached errno /m);
  });
  it('check --memlock, --no-swarm and a bad --memlock', () => {
    expect(run('check', '--design', 'iommufd', '--hardware', 'host-pasid-table', '--runs', '3', '--memlock', '8', '--no-swarm', '--out', mkdtempSync(join(tmpdir(), 'cx-'))).code).toBe(0);
    const bad = run('check', '--memlock', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual(["ioasid-lab: --memlock takes a whole number from 1 to 9007199254740991, not '0'"]);
  });
  it('check --setup starts every run from one set-up variant; an unknown one, or one the machine lacks, is exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-'));
    const j = JSON.parse(run('check', '--design', 'iommufd', '--profile', 'vtd', '--setup', 'migration', '--runs', '5', '--json', '--out', dir).out) as { cells: { ok: boolean; runs: number }[] };
    expect(j.cells.map((c) => [c.ok, c.runs])).toEqual([[true, 5]]);
    // every run's trace starts with the migration set-up: a DIRTY_TRACKING HWPT with tracking started (a run begins
    // where the spec has made its first file)
    const runs: string[][] = [];
    check({
      design: 'iommufd', hardware: 'host-pasid-table', profile: 'vtd', setup: 'migration', runs: 3, seed: 1, maxCommands: 2, timeLimitMs: 30_000,
      onStep: (st, spec) => (spec.opens === 1 && 'env' in st.cmd && st.cmd.env === 'OPEN' ? runs.push([formatCmd(st.cmd)]) : runs.at(-1)?.push(formatCmd(st.cmd))),
    });
    // the set-up is 19 steps, the last starting tracking on the DIRTY_TRACKING HWPT; up to 2 random ones follow
    expect(runs.map((r) => r[18])).toEqual(Array(3).fill('IOMMU_HWPT_SET_DIRTY_TRACKING $fd1 hwpt=$hwpt1 ENABLE'));
    const bad = run('check', '--setup', 'vm');
    expect([bad.code, bad.err]).toEqual([2, ["ioasid-lab: --setup 'vm': not a set-up variant (plain, nested, migration, iopf, access, memfd, viommu)"]]);
    const lacking = run('check', '--design', 'iommufd', '--setup', 'access');
    expect([lacking.code, lacking.err]).toEqual([2, ['ioasid-lab: --setup access: iommufd on host-pasid-table offers only plain, nested, iopf, memfd']]);
  });
  it('check exits 1 on a broken kernel and prints where the counterexample went; replay of it fails the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-'));
    const lines: string[] = [];
    const code = runCheck({ ...checkArgs(new Map([['design', 'iommufd'], ['hardware', 'host-pasid-table'], ['runs', '300'], ['out', dir]])), factory: BUGS[0]!.factory }, (s) => lines.push(s));
    expect(code).toBe(1);
    const path = /counterexample: (\S+\.json)/.exec(lines.join('\n'))?.[1];
    expect(path).toBeDefined();
    expect(readFileSync(path!, 'utf8')).toContain('"status": "open"'); // defined: asserted just above
    expect(existsSync(path!.replace(/\.json$/, '.md'))).toBe(true);
    expect(run('replay', path!).code).toBe(1); // the real kernel passes it, so the open verdict no longer holds
  });
  it('a kernel WARN is a finding: check exits 1, names P-WARN, prints no stack trace, and saves it under P-WARN/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-'));
    const lines: string[] = [];
    const bug = BUGS.find((b) => b.property === 'P-WARN')!; // listed in support/bugs.ts
    const code = runCheck({ ...checkArgs(new Map([['design', 'iommufd'], ['hardware', 'host-pasid-table'], ['runs', '300'], ['out', dir]])), factory: bug.factory }, (s) => lines.push(s));
    expect(code).toBe(1);
    const text = lines.join('\n');
    expect(text).toContain('FAIL P-WARN');
    expect(text).toContain('WARNING in refcount_dec');
    expect(text).not.toMatch(/\n\s+at /); // no stack frame
    const path = /counterexample: (\S+\.json)/.exec(text)?.[1] ?? '';
    expect(path).toContain(join(dir, 'P-WARN'));
    expect(readFileSync(path.replace(/\.json$/, '.md'), 'utf8')).toContain('WARNING in refcount_dec');
  });
  it('an unknown design, flag, command or a bad number is one line on stderr and exit 2', () => {
    for (const argv of [['check', '--design', 'nope'], ['--frobnicate'], ['launch'], ['check', '--design'], ['check', '--runs', 'many'], ['check', '--bad-share', '2'], ['replay']]) {
      const r = run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(/^ioasid-lab: /);
    }
  });
  it('replay of a malformed trace file is one line naming the file, and exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tr-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schema": "ioasid-lab/trace@1", "design": "nope"');
    const r = run('replay', bad);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(`${bad}: not JSON`);
    expect(run('replay', join(dir, 'missing.json')).err[0]).toContain('cannot read');
  });
  it('--help lists the commands and flags', () => {
    const h = run('--help').out;
    expect(h).toMatch(/replay FILE/);
    expect(h).toMatch(/--time-limit VALUE/);
  });
});
