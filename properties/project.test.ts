/**
 * Project-level rules: layers never import upward (the spec never sees src/impl, the impl never sees src/spec),
 * docs/spec.md is generated from the design values and current, every policy point is honoured by the
 * design's vocabulary, the ioctl table is exhaustive, and the CLI answers bad input with one line and exit 2.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { DESIGN_NAMES, DESIGNS, IOCTLS } from '../src/spec/index.js';
import { IOCTL_NAMES } from '../src/uapi/index.js';
import { specDoc, SPEC_DOC_PATH } from '../scripts/gen-spec-doc.js';

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
  it('prints the catalogue of every design by default', () => {
    const r = run();
    expect(r.code).toBe(0);
    for (const n of DESIGN_NAMES) expect(r.out).toContain(n);
    expect(r.out).toMatch(/IOASID_BIND_PASID_TABLE\s+\.\s+x\s+\.\s+\.\s+x/);
  });
  it('--json prints the same catalogue as JSON', () => {
    const r = run('--design', 'per-device-sva', '--json');
    const c = JSON.parse(r.out) as { designs: { name: string; policy: { ownership: string } }[] };
    expect(c.designs.map((d) => [d.name, d.policy.ownership])).toEqual([['per-device-sva', 'per-device']]);
  });
  it('an unknown design, flag or command is one line on stderr and exit 2', () => {
    for (const argv of [['--design', 'nope'], ['--frobnicate'], ['launch'], ['--design']]) {
      const r = run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(/^ioasid-lab: /);
    }
  });
  it('--help lists the flags', () => {
    expect(run('--help').out).toMatch(/--design VALUE/);
  });
});
