/**
 * vIOMMU objects beyond the example tables (examples/iommufd-errnos.ts): the spec's own well-formedness catching a
 * broken vEVENTQ or vDEVICE state, and the simulated kernel's vEVENTQ counting against its depth as the spec does
 * over a long run of events (the sequence numbers, the lost-events header, the gap after it).
 */
import { describe, expect, it } from 'vitest';
import { createKernel } from '../src/impl/index.js';
import { initialState, DESIGNS, INVARIANTS, step, type Obj, type State } from '../src/spec/index.js';
import { defaultWorld, IOMMU_HWPT_ALLOC_NEST_PARENT, type Cmd } from '../src/uapi/index.js';
import { env, fd, iommu, vfio } from './support/vocab.js';

const CD_TABLE = 0x4000n;
/** dev1 as vDEVICE 5 (virtual id 0x10) of vIOMMU 4 on nested HWPT 7, a vEVENTQ 6 of depth 2 (its fd 5). */
const setup: Cmd[] = [
  env.open('/dev/iommu'), env.open('/dev/vfio/devices/vfio0'), iommu.ioasAlloc(fd(3)), vfio.bindIommufd(fd(4), fd(3)),
  iommu.hwptAlloc(fd(3), 2, 1, IOMMU_HWPT_ALLOC_NEST_PARENT), iommu.viommuAlloc(fd(3), 2, 3), iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n),
  iommu.veventqAlloc(fd(3), 4, 2), iommu.hwptAlloc(fd(3), 2, 4, 0, { type: 'IOMMU_HWPT_DATA_ARM_SMMUV3', pgtbl_addr: CD_TABLE }), vfio.attach(fd(4), 7),
];

function run(cmds: readonly Cmd[]): State {
  let s = initialState(defaultWorld('guest-pasid-table'), DESIGNS.iommufd);
  for (const c of cmds) {
    const r = step(s, c);
    expect(r.result.ok, JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toBe(true);
    s = r.state;
  }
  return s;
}

/** `s` with object `key` replaced by `o` (a broken state no step makes). */
const withObject = (s: State, key: string, o: Obj): State => ({ ...s, objects: { ...s.objects, [key]: o } });

describe('the spec\'s well-formedness holds a vIOMMU\'s objects to their rules', () => {
  const s = run([...setup, env.iommuEvent('dev1'), env.iommuEvent('dev1'), env.iommuEvent('dev1')]);
  it('a full queue with its lost-events header last is well formed', () => {
    expect(INVARIANTS.wellFormed!(s)).toBeNull();
    const q = s.objects['1:6'];
    expect(q).toMatchObject({ kind: 'veventq', events: [{ sequence: 0, virtId: 0x10n }, { sequence: 1, virtId: 0x10n }, { sequence: 2, virtId: null }] });
  });
  it('a lost-events header that is not last, or more events than the depth, is caught', () => {
    const q = s.objects['1:6'] as Extract<Obj, { kind: 'veventq' }>;
    const swapped = withObject(s, '1:6', { ...q, events: [q.events[2]!, q.events[0]!, q.events[1]!] });
    expect(INVARIANTS.wellFormed!(swapped)).toBe('vEVENTQ 1:6 has its lost-events header at 0, not last');
    const over = withObject(s, '1:6', { ...q, events: [...q.events.slice(0, 2), { sequence: 3, virtId: 0x10n }] });
    expect(INVARIANTS.wellFormed!(over)).toBe('vEVENTQ 1:6 holds more than its depth 2');
  });
  it('two vDEVICEs of one device, or of one virtual id, are caught', () => {
    const v = s.objects['1:5'] as Extract<Obj, { kind: 'vdevice' }>;
    expect(INVARIANTS.wellFormed!(withObject(s, '1:9', { ...v, id: 9, virtId: 0x20n }))).toBe('dev1 has two vDEVICEs');
    expect(INVARIANTS.wellFormed!(withObject(s, '1:9', { ...v, id: 9, dev: 'dev2' }))).toBe('vIOMMU 1:4 has two vDEVICEs of virtual id 0x10');
  });
});

describe('a vEVENTQ over a long run of events: the simulated kernel answers as the spec', () => {
  it('events, losses and reads of every size give the same records on both sides', () => {
    const k = createKernel('iommufd', defaultWorld('guest-pasid-table'));
    const cmds: Cmd[] = [...setup];
    // a pattern that fills the queue, overflows it, drains it in pieces of every size a read can take
    for (let i = 0; i < 40; i++) {
      cmds.push(env.iommuEvent('dev1'));
      if (i % 3 === 2) cmds.push(env.veventqRead(fd(5), [8, 39, 40, 48, 80, 400][i % 6]!));
    }
    let s = initialState(defaultWorld('guest-pasid-table'), DESIGNS.iommufd);
    let lost = 0;
    for (const c of cmds) {
      const want = step(s, c);
      const got = k.run(c);
      expect(got, JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toEqual(want.result);
      if (want.rule === 'IOMMU_EVENT.ok.lost') lost++;
      s = want.state;
    }
    expect(lost).toBeGreaterThan(5);
  });
});
