/**
 * Each invariant and property of the spec must be able to fail: here each is shown a deliberately broken
 * state or a deliberately broken step function and must name what is wrong.
 */
import fc from 'fast-check';
import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { checkInvariants, DESIGNS, INVARIANTS, initialState, noLeak, observe, step, type State, type StepResult } from '../src/spec/index.js';
import { defaultWorld, env, fd, iommu, vfio, type Cmd } from '../src/uapi/index.js';
import { cmdArbFor, prologue } from './support/arbitrary.js';
import { firstViolation } from './support/first-violation.js';

/** A small live iommufd state: dev1 attached to IOAS 1 with one 16 KiB mapping. */
function live(memlock = 64): State {
  let s = initialState(defaultWorld('host-pasid-table', memlock), DESIGNS.iommufd);
  for (const c of prologue('iommufd', '/dev/iommu')) s = step(s, c).state;
  return s;
}

describe('spec invariants catch broken states', () => {
  it('wellFormed: an attachment to an object that does not exist', () => {
    const s = produce(live(), (d) => { d.attachments.push({ dev: 'dev2', pasid: null, ctx: '1:99' }); });
    expect(INVARIANTS.wellFormed!(s)).toMatch(/dev2 is attached to 1:99/);
  });
  it('wellFormed: an area whose pages were dropped', () => {
    const s = produce(live(), (d) => { d.pages = {}; });
    expect(INVARIANTS.wellFormed!(s)).toMatch(/uses pages 1, which do not exist/);
  });
  it('P-PINCOUNT: pages munmapped after they were pinned stay pinned, and that breaks nothing (a pin holds the page)', () => {
    const s = live();
    const after = step(s, env.munmap(0x100000n, 0x10000n)).state;
    expect(after.userMem).toEqual([]);
    expect(observe(after).pins).toEqual(observe(s).pins);
    expect(observe(after).pins).not.toEqual([]);
    expect(checkInvariants(after)).toBeNull();
  });
  it('P-PINCOUNT: a charge over RLIMIT_MEMLOCK', () => {
    const s = produce(live(), (d) => { d.world.memlockPages = 2; });
    expect(INVARIANTS['P-PINCOUNT']!(s)).toMatch(/4 pages charged to the user, over RLIMIT_MEMLOCK 2/);
  });
  it('P-IOVA-ALLOC: an area inside the MSI window of an attached device', () => {
    const s = produce(live(), (d) => {
      const o = d.objects['1:1'];
      if (o?.kind === 'ioas') o.areas.push({ start: 0xfee00000n, last: 0xfee00fffn, target: { kind: 'pages', pages: 1, offset: 0n }, prot: { read: true, write: true } });
    });
    expect(INVARIANTS['P-IOVA-ALLOC']!(s)).toMatch(/meets reserved 0xfee00000/);
  });
  it('P-OWNER: a device reaching an address space of another FD', () => {
    let s = live();
    s = step(s, env.open('/dev/iommu')).state; // fd 7, the fifth file opened
    s = step(s, iommu.ioasAlloc(fd(7))).state;
    s = produce(s, (d) => { d.attachments.push({ dev: 'dev2', pasid: null, ctx: '5:1' }); });
    expect(INVARIANTS['P-OWNER']!(s)).toMatch(/dev2 is bound to file 1 but reaches 5:1/);
  });
  it('P-NOLEAK: an object left after every fd is closed', () => {
    let s = live();
    for (const n of [3, 4, 5, 6]) s = step(s, env.close(fd(n))).state;
    expect(noLeak(s)).toBeNull();
    s = produce(s, (d) => { d.objects['9:1'] = { kind: 'ioas', file: 9, id: 1, areas: [], allowed: [], domain: false, hugePages: true, testReserved: [] }; });
    expect(noLeak(s)).toMatch(/still alive: ioas 9:1/);
  });
});

describe('the robustness property catches broken step functions', () => {
  const arb = fc.array(cmdArbFor(DESIGNS.iommufd.ioctls), { maxLength: 30 });
  const start = initialState(defaultWorld('host-pasid-table', 64), DESIGNS.iommufd);
  const run = (broken: (s: State, c: Cmd) => StepResult) =>
    fc.check(fc.property(arb, (cmds) => firstViolation(start, [...prologue('iommufd', '/dev/iommu'), ...cmds], broken) === null), { numRuns: 300, seed: 7 });

  it('a rejected call that still changes the state (P-ATOMIC)', () => {
    const broken = (s: State, c: Cmd): StepResult => {
      const r = step(s, c);
      return r.result.ok ? r : { ...r, state: produce(s, (d) => { d.nextPages += 1; }) };
    };
    const out = run(broken);
    expect(out.failed).toBe(true);
  });
  it('a close that forgets to release the file (P-NOLEAK)', () => {
    const broken = (s: State, c: Cmd): StepResult => {
      if ('env' in c && c.env === 'CLOSE' && s.fds[c.fd] !== undefined) {
        return { state: produce(s, (d) => { delete d.fds[c.fd]; }), result: { ok: true, out: {} }, rule: 'CLOSE.ok', partial: false };
      }
      return step(s, c);
    };
    expect(run(broken).failed).toBe(true);
  });
  it('a detach that leaves its automatic domain behind (wellFormed)', () => {
    const broken = (s: State, c: Cmd): StepResult => {
      const r = step(s, c);
      if (!('ioctl' in c) || c.ioctl !== 'VFIO_DEVICE_DETACH_IOMMUFD_PT' || !r.result.ok) return r;
      const gone = Object.keys(s.objects).filter((k) => !r.state.objects[k as keyof typeof r.state.objects]);
      const kept = Object.fromEntries(gone.map((k) => [k, s.objects[k as keyof typeof s.objects]]));
      return { ...r, state: { ...r.state, objects: { ...r.state.objects, ...kept } } };
    };
    // make the detach likely: attach and detach are in the vocabulary; the prologue attached dev1
    const trace = [...prologue('iommufd', '/dev/iommu'), vfio.detach(fd(4))];
    expect(firstViolation(start, trace, broken)).toMatch(/auto hwpt_paging 1:5 outlived its last device/);
    expect(firstViolation(start, trace)).toBeNull();
  });
});
