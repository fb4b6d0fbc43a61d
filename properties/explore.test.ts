/**
 * The explorer's parts, each on a small search: the vocabulary comes from a design's ioctl table and policy (an
 * unhandled policy is an error, not a silent "none"); verdicts say what the search showed (complete, bounded by
 * states, stopped by the clock) and do not depend on the machine; the new safety requirements catch a deliberately
 * broken state; variants and requirements load from files outside src/; --compare prints the cells that differ.
 */
import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { cli, main } from '../src/cli/main.js';
import { DESIGNS, initialState, observe as observeOf, step, translate, type Design, type State } from '../src/spec/index.js';
import { exploreDesign, ExploreError, fixture, REQUIREMENTS, requirementByName, vocabulary, WORLD, type Situation } from '../src/explore/index.js';
import { Bindings, stepName } from '../src/check/trace.js';
import { DESIGN_NAMES, HW_KINDS, machineOf, worldOf } from '../src/uapi/index.js';

const run = (argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
};
const runAsync = async (argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await cli(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
};

describe('the vocabulary comes from the design', () => {
  it('every call of every design is one of its own ioctls or a design-neutral action', () => {
    for (const d of DESIGN_NAMES) {
      for (const hw of HW_KINDS) {
        const names = vocabulary(DESIGNS[d], hw).map((st) => stepName(st.cmd));
        for (const n of names) expect(DESIGNS[d].ioctls.includes(n as never) || /^(DMA|GUEST_WRITE_|MUNMAP)/.test(n), `${d} ${n}`).toBe(true);
      }
    }
  });
  it('native SVA and the CPU unmapping are in the vocabulary only where the design has native SVA', () => {
    const has = (d: keyof typeof DESIGNS) => vocabulary(DESIGNS[d], 'host-pasid-table').map((st) => stepName(st.cmd));
    expect(has('per-device-sva')).toEqual(expect.arrayContaining(['VFIO_DEVICE_BIND_SVA', 'MUNMAP']));
    for (const d of ['iommufd', 'rfc-v1', 'fd-per-ioasid', 'setup-only-association'] as const) expect(has(d)).not.toContain('MUNMAP');
  });
  it('a policy value or combination the explorer cannot handle is an error of one line, never a silent "none"', () => {
    const bad: [Design, RegExp][] = [
      [{ ...DESIGNS['rfc-v1'], name: 'x' as never, policy: { ...DESIGNS['rfc-v1'].policy, fdModel: 'per-device' as never } }, /policy fdModel = "per-device" is not one the explorer can build calls for/],
      [{ ...DESIGNS['rfc-v1'], name: 'x' as never, policy: { ...DESIGNS['rfc-v1'].policy, ownership: 'per-device' } }, /ownership per-device, but it offers no device-FD bind or invalidate ioctl/],
      [{ ...DESIGNS.iommufd, name: 'x' as never, policy: { ...DESIGNS.iommufd.policy, fdModel: 'per-ioasid' } }, /fdModel per-ioasid with the merged uAPI's ioctls/],
      [{ ...DESIGNS['rfc-v1'], name: 'x' as never, policy: { ...DESIGNS['rfc-v1'].policy, quantum: 'yes' } as never }, /knows no policy point 'quantum'/],
    ];
    for (const [d, re] of bad) {
      expect(() => vocabulary(d, 'host-pasid-table')).toThrow(ExploreError);
      expect(() => vocabulary(d, 'host-pasid-table')).toThrow(re);
    }
  });
  it('the fixture gives VM B its device and memory through its own FD, under every design', () => {
    for (const d of DESIGN_NAMES) {
      const names = fixture(DESIGNS[d]).map((st) => stepName(st.cmd));
      expect(names.filter((n) => n === 'OPEN').length, d).toBeGreaterThanOrEqual(5);
      expect(names.filter((n) => n === 'MMAP').length, d).toBe(3);
    }
  });
});

describe('verdicts say what the search showed', () => {
  const opts = { design: 'fd-per-ioasid', hardware: 'host-pasid-table', depth: 40, maxStates: 1e9, budgetMs: 600_000 } as const;
  const complete = exploreDesign(opts);
  it('a search whose frontier empties proves its "none"s: unreachable (complete), with the state count', () => {
    const c = complete.find((x) => x.requirement === 'guest-pasid-table')!; // one cell per requirement
    expect(c).toMatchObject({ verdict: 'unreachable', stop: 'complete' });
    expect(c.states).toBeGreaterThan(100);
  });
  it('a state bound cuts the search at the same place on every run: bounded, the same cells twice', () => {
    const a = exploreDesign({ ...opts, maxStates: 300 });
    const b = exploreDesign({ ...opts, maxStates: 300 });
    const strip = (cs: typeof a) => cs.map(({ ms: _ms, ...rest }) => rest);
    expect(strip(a)).toEqual(strip(b));
    expect(a.find((x) => x.requirement === 'guest-pasid-table')).toMatchObject({ verdict: 'bounded', stop: 'states' });
  });
  it('the wall clock is only a safety stop: what it cut is incomplete, not a bound', () => {
    const c = exploreDesign({ ...opts, budgetMs: 0 });
    expect(c.find((x) => x.requirement === 'guest-pasid-table')).toMatchObject({ verdict: 'incomplete', stop: 'time' });
  });
  it('a design without native SVA shows n/a for it, and the search agrees: unreachable', () => {
    const c = complete.find((x) => x.requirement === 'native-sva')!; // one cell per requirement
    expect(c.unavailable).toMatch(/no call binds a process address space/);
    expect(c.verdict).toBe('unreachable');
  });
});

/** The spec state after the fixture and `calls` (by index into the vocabulary) of iommufd on VT-d. */
function iommufdAfter(...names: string[]): { state: State; before: State } {
  const d = DESIGNS.iommufd;
  const calls = vocabulary(d, 'host-pasid-table');
  let s = initialState(worldOf(machineOf(undefined, 'host-pasid-table')), d);
  let before = s;
  const syms = new Bindings();
  const all = [...fixture(d), ...names.map((n) => {
    const [name, nth] = n.split('#');
    const st = calls.filter((c) => stepName(c.cmd) === name)[Number(nth ?? 0)];
    if (!st) throw new Error(`no call ${n}`);
    return st;
  })];
  for (const st of all) {
    const r = step(s, syms.resolve(st.cmd));
    syms.bind(st, r.result);
    before = s;
    s = r.state;
  }
  return { state: s, before };
}

/** A situation of a requirement at `state`, `before` being the state the last call was made from. */
function at(state: State, before: State | null, last: Situation['last'], memory = 0): Situation {
  const view = (st: State) => ({
    state: st, get obs() { return observeOf(st); },
    dma: (dev: never, pasid: number | null, iova: bigint) => translate(st, dev, pasid, iova, 'read'),
    reaches: (dev: never, pasid: number | null, iova: bigint, hpa: bigint) => {
      const t = translate(st, dev, pasid, iova, 'read');
      return t.xlate.kind === 'hit' && t.xlate.hpa === hpa && t.stale.length === 0;
    },
  });
  return { ...view(state), last, before: before === null ? null : view(before), memory, world: WORLD, get obs() { return observeOf(state); } } as Situation;
}

describe('the new safety requirements catch a deliberately broken state', () => {
  const ioasOf = (s: State) => Object.values(s.objects).find((o) => o.kind === 'ioas' && s.fds[3] !== undefined && o.file === s.fds[3])!; // VM A's first IOAS exists in these states
  it('destroy-in-use-refused: an IOAS with a device on it torn down by a destroy that "succeeded"', () => {
    const { state } = iommufdAfter('IOMMU_IOAS_ALLOC', 'VFIO_DEVICE_BIND_IOMMUFD', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT');
    const ioas = ioasOf(state);
    const broken = produce(state, (d) => { delete d.objects[`${ioas.file}:${ioas.id}`]; });
    const req = requirementByName('destroy-in-use-refused')!; // a built-in
    const last = { name: 'IOMMU_DESTROY', ok: true, rule: 'DESTROY.ok' as never, cmd: { ioctl: 'IOMMU_DESTROY', fd: 3, id: ioas.id } as never, out: {} };
    expect(req.holds(at(broken, state, last))).toBe(true);
    expect(req.holds(at(state, state, last))).toBe(false);
  });
  it('cross-vm-isolation: VM B\'s device routed into VM A\'s address space', () => {
    const { state } = iommufdAfter('IOMMU_IOAS_ALLOC', 'IOMMU_IOAS_MAP#1');
    const ioas = ioasOf(state);
    const req = requirementByName('cross-vm-isolation')!; // a built-in
    expect(req.holds(at(state, null, null))).toBe(false);
    const broken = produce(state, (d) => {
      d.attachments = d.attachments.map((a) => (a.dev === 'dev3' ? { ...a, ctx: `${ioas.file}:${ioas.id}` } : a)) as never;
    });
    expect(translate(broken, 'dev3', null, WORLD.probe.gpa, 'read').xlate).toMatchObject({ kind: 'hit', hpa: WORLD.probe.hpa });
    expect(req.holds(at(broken, null, null))).toBe(true);
  });
  it('no-leak-after-close: an object left behind by a file released at exit', () => {
    const { state } = iommufdAfter('IOMMU_IOAS_ALLOC', 'IOMMU_IOAS_MAP#1');
    const req = requirementByName('no-leak-after-close')!; // a built-in
    expect(req.holds(at(state, null, null))).toBe(false);
    const ioas = ioasOf(state);
    // what a release that forgets an object leaves: the object of a file that no longer exists, its pages pinned
    const broken = produce(state, (d) => { d.objects['99:1'] = { ...d.objects[`${ioas.file}:${ioas.id}`]!, file: 99, id: 1 } as never; });
    expect(req.holds(at(broken, null, null))).toBe(true);
  });
  it('failed-call-atomic: a failed call that changed the state', () => {
    const { state, before } = iommufdAfter('IOMMU_IOAS_ALLOC', 'IOMMU_IOAS_MAP#0', 'IOMMU_IOAS_MAP#1', 'IOMMU_IOAS_UNMAP#0');
    const req = requirementByName('failed-call-atomic')!; // a built-in
    const last = { name: 'IOMMU_IOAS_UNMAP', ok: false, rule: 'IOAS_UNMAP.ENOENT.split_after_removing' as never, cmd: {} as never, out: undefined };
    expect(req.holds(at(state, before, last))).toBe(true);
    expect(req.holds(at(before, before, last))).toBe(false);
  });
});

describe('requirements read only the situation', () => {
  it('every built-in requirement has a unique slug, a kind and a description', () => {
    expect(new Set(REQUIREMENTS.map((r) => r.name)).size).toBe(REQUIREMENTS.length);
    for (const r of REQUIREMENTS) expect(r.name).toMatch(/^[a-z][a-z0-9-]+$/);
  });
});

describe('design variants and requirements from files outside src/', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-user-'));
  // the files docs/designing.md walks through, outside src/
  const variant = 'examples/explore/rfc-v1-frozen.ts';
  const requirement = 'examples/explore/live-move.ts';
  it('a variant and a requirement give a matrix column and row, here and on worker threads alike', async () => {
    const argv = ['explore', '--design-file', variant, '--requirement-file', requirement, '--design', 'rfc-v1-frozen', '--hardware', 'host-pasid-table'];
    const here = run(argv);
    expect(here.err).toBe('');
    expect(here.code).toBe(0);
    expect(here.out).toMatch(/^requirement\s+rfc-v1-frozen\/host$/m);
    expect(here.out).toMatch(/^dev2-alone\s+✔ \d+$/m);
    expect(here.out).toMatch(/^live-move\s+unreachable \(complete: [\d,]+ states\)$/m);
    expect(here.out).toMatch(/^runtime-association\s+unreachable \(complete: [\d,]+ states\)$/m);
    const threads = await runAsync([...argv, '--workers', '2', '--requirement', 'dev2-alone']);
    expect(threads.code).toBe(0);
    expect(threads.out).toMatch(/^dev2-alone\s+✔ \d+$/m);
  });
  it('a wrong file is one line and exit 2, and nothing is written', () => {
    const html = join(dir, 'report.html');
    const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
    const cases: [string[], RegExp][] = [
      [['--design-file', join(dir, 'missing.ts')], /design file .*missing\.ts: no such file$/],
      [['--design-file', write('nodefault.ts', 'export const x = 1;\n')], /has no default export$/],
      [['--design-file', write('badpolicy.ts', "export default { extends: 'rfc-v1', name: 'v2', policy: { fdModel: 'per-device' } };\n")], /policy fdModel = "per-device" is not one the explorer can handle \(per-vm, per-ioasid\)$/],
      [['--design-file', write('badcombo.ts', "export default { extends: 'rfc-v1', name: 'v3', policy: { ownership: 'per-device' } };\n")], /ownership per-device, but it offers no device-FD bind or invalidate ioctl/],
      [['--design-file', write('badbase.ts', "export default { extends: 'rfc-v9', name: 'v4' };\n")], /'extends' must name a built-in design/],
      [['--design-file', write('syntax.ts', 'export default {\n')], /does not load: /],
      [['--requirement-file', write('noholds.ts', "export default { name: 'r1', kind: 'capability', title: 't', description: 'd' };\n")], /'holds' must be a function of the situation$/],
      [['--requirement-file', write('dup.ts', "export default { name: 'guest-sva', kind: 'capability', title: 't', description: 'd', holds: () => true };\n")], /name 'guest-sva' is a built-in requirement's$/],
    ];
    for (const [flags, re] of cases) {
      const r = run(['explore', ...flags, '--html', html]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.err).toMatch(/^ioasid-lab: /);
      expect(r.err).toMatch(re);
      expect(r.err).not.toContain('\n');
      expect(existsSync(html)).toBe(false);
    }
  });
});

describe('explore --compare A B', () => {
  it('prints the cells where two designs differ, both traces side by side', () => {
    const r = run(['explore', '--compare', 'rfc-v1', 'setup-only-association', '--hardware', 'host-pasid-table']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^rfc-v1 and setup-only-association differ in \d+ cells?:$/m);
    expect(r.out).toMatch(/^runtime-association on host-pasid-table: rfc-v1 ✔ \d+; setup-only-association unreachable \(complete: [\d,]+ states\)$/m);
    expect(r.out).toMatch(/^ {2}rfc-v1 +\| setup-only-association$/m);
    expect(r.out).toMatch(/^ {2}\d+\. VFIO_ATTACH_IOASID .* \|$/m);
  });
  it('two names, each a design: anything else is a usage error', () => {
    expect(run(['explore', '--compare', 'rfc-v1', 'rfc-v1']).err).toMatch(/--compare takes two different designs/);
    expect(run(['explore', '--compare', 'rfc-v1', 'nope']).err).toMatch(/unknown design 'nope' to compare/);
  });
});
