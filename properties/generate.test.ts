/**
 * The generator reaches where the bugs live, shown per region on a small budget: DMA translated through a guest
 * stage-1, unmaps that hit a split, nested HWPTs, failing replaces, the group sibling, RLIMIT_MEMLOCK refusals,
 * IOVAs near U64_MAX, copies from inside an area, data_type without data, PASIDs at both ends of the width; plus
 * the range shapes drawn against an IOAS's own areas, and swarm configurations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../src/check/engine.js';
import { EDGE_ADDRS, PAGE, rangeOf, type RangeShape } from '../src/check/gen-values.js';
import { ENV_RECIPES } from '../src/check/generate.js';
import { prologue } from '../src/check/fixture.js';
import { GenModel } from '../src/check/model.js';
import { runConfigA, SMALL_MEMLOCK } from '../src/check/swarm.js';
import { DESIGNS, initialState, step } from '../src/spec/index.js';
import { defaultWorld, DESIGN_NAMES, HW_KINDS, IOMMU_HWPT_ALLOC_NEST_PARENT, PASID_MAX, U64_MAX, type HwKind } from '../src/uapi/index.js';
import { replaySteps } from '../src/check/replay.js';
import { BINDERS } from '../src/check/trace.js';
import { Reach } from '../src/check/reach.js';
import { env, fd, iommu, vfio } from './support/vocab.js';

function run(design: 'iommufd' | 'rfc-v1', hardware: HwKind, runs: number) {
  const pasids = new Set<number>();
  const out = check({
    design, hardware, runs, seed: 11, maxCommands: 30, timeLimitMs: 60_000,
    onStep: (st) => {
      const c = st.cmd as Record<string, unknown>;
      if ((c.ioctl === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT' || c.ioctl === 'VFIO_DEVICE_DETACH_IOMMUFD_PT') && typeof c.pasid === 'number' && (c.flags as number) & 1) pasids.add(c.pasid);
    },
  });
  return { out, pasids };
}

describe('generator regions, iommufd (300 runs per hardware kind)', () => {
  for (const hardware of ['host-pasid-table', 'guest-pasid-table'] as const) {
    const { out, pasids } = run('iommufd', hardware, 300);
    const r = out.stats.reach;
    const rule = (id: string) => out.stats.coverage.get(id) ?? 0;
    it(`${hardware}: no property broken on the way`, () => expect(out.violation ?? null).toBeNull());
    it(`${hardware}: DMA is translated through a guest stage-1 (at least 1% of DMAs)`, () => expect(r.dmaStage1 / r.dma).toBeGreaterThan(0.01));
    it(`${hardware}: unmaps remove whole areas and then hit a split, and split alone (at least 3% of unmaps split)`, () => {
      expect(r.unmapSplits / r.unmaps).toBeGreaterThan(0.03);
      expect(rule('IOAS_UNMAP.ENOENT.split_after_removing')).toBeGreaterThan(0);
      expect(rule('IOAS_UNMAP.ENOENT.split')).toBeGreaterThan(0);
    });
    it(`${hardware}: nested HWPTs are made on NEST_PARENT parents (on SMMUv3 through a vIOMMU), and replaces fail as well as succeed`, () => {
      expect(rule(hardware === 'host-pasid-table' ? 'HWPT_ALLOC.ok.nested' : 'HWPT_ALLOC.ok.viommu_nested')).toBeGreaterThan(10);
      expect(r.replaces).toBeGreaterThan(20);
      expect(r.replaceFails).toBeGreaterThan(0);
      expect(r.replaceFails).toBeLessThan(r.replaces);
    });
    it(`${hardware}: the group sibling is attached, RLIMIT_MEMLOCK refuses, IOVAs near U64_MAX are named, copies start inside areas`, () => {
      expect(r.siblingAttaches).toBeGreaterThan(0);
      expect(r.enomem).toBeGreaterThan(0);
      expect(r.highIova).toBeGreaterThan(0);
      expect(r.copyInside).toBeGreaterThan(0);
    });
    it(`${hardware}: files are mapped, and released by their last holder going (not only by their close)`, () => {
      expect(r.fileMaps).toBeGreaterThan(20);
      expect(r.heldReleases).toBeGreaterThan(0);
    });
    // SMMUv3-like machines forward a device's events to its vIOMMU's vEVENTQ: the viommu set-up's queue overflows
    if (hardware === 'guest-pasid-table') {
      it(`${hardware}: events reach a vEVENTQ, and a full one loses some`, () => {
        expect(r.vevents).toBeGreaterThan(10);
        expect(r.veventsLost).toBeGreaterThan(0);
      });
    }
    it(`${hardware}: data_type and data are drawn apart (a type without data is EINVAL), PASIDs span the width`, () => {
      expect(rule('HWPT_ALLOC.EINVAL.data_len')).toBeGreaterThan(0);
      expect(pasids.has(0) && pasids.has(PASID_MAX) && pasids.has(PASID_MAX + 1)).toBe(true);
      expect([...pasids].some((p) => p > 2 && p < PASID_MAX)).toBe(true);
    });
  }
});

describe('generator regions, rfc-v1', () => {
  it('DMA goes through a bound guest page table or PASID table on both hardware kinds', () => {
    for (const hw of ['host-pasid-table', 'guest-pasid-table'] as const) {
      const r = run('rfc-v1', hw, 200).out.stats.reach;
      expect(r.dmaStage1, hw).toBeGreaterThan(0);
    }
  });
});

describe('range shapes drawn against one IOAS', () => {
  const m = new GenModel(initialState(defaultWorld(), DESIGNS.iommufd));
  const areas = [{ start: 0x10000n, last: 0x13fffn }, { start: 0x20000n, last: 0x23fffn }, { start: 0x30000n, last: 0x30fffn }];
  const at = (r: RangeShape) => rangeOf(m, areas, r);
  it('exact is one area', () => expect(at({ shape: 'exact', i: 1, pages: 1 })).toEqual({ iova: 0x20000n, length: 0x4000n }));
  it('inside is a proper part of one area', () => expect(at({ shape: 'inside', i: 0, pages: 1 })).toEqual({ iova: 0x11000n, length: 0x2000n }));
  it('straddle removes one whole area, then ends inside the next one that has more than a page', () => expect(at({ shape: 'straddle', i: 0, pages: 2 })).toEqual({ iova: 0x10000n, length: 0x12000n }));
  it('head-split starts inside one area and covers the next whole', () => expect(at({ shape: 'head-split', i: 0, pages: 1 })).toEqual({ iova: 0x11000n, length: 0x13000n }));
  it('past-end runs beyond an area into the hole', () => expect(at({ shape: 'past-end', i: 2, pages: 3 })).toEqual({ iova: 0x30000n, length: 0x4000n }));
  it('span covers several whole areas and the holes between them', () => expect(at({ shape: 'span', i: 2, j: 0 })).toEqual({ iova: 0x10000n, length: 0x21000n }));
  it('wrap runs off the top of the u64 space', () => {
    const r = at({ shape: 'wrap', pages: 1 });
    expect(r.iova + r.length - 1n).toBeGreaterThan(U64_MAX);
  });
  it('without areas a shape still names a page-aligned range', () => expect(rangeOf(m, [], { shape: 'exact', i: 0, pages: 2 }).length).toBe(2n * PAGE));
  it('edge addresses include both ends of the space and the 2 MiB / 1 GiB boundaries', () => {
    for (const a of [0n, U64_MAX, 0x20_0000n, 0x4000_0000n]) expect(EDGE_ADDRS).toContain(a);
  });
});

describe('swarm configurations', () => {
  const names = [...DESIGNS.iommufd.ioctls, ...ENV_RECIPES];
  const draws = fc.sample(runConfigA(names, { badShare: 0.1, edgeShare: 0.1 }, true, undefined), { numRuns: 200, seed: 5 });
  it('each run draws its own subset of recipes; some runs keep everything', () => {
    const sizes = draws.map((d) => d.enabled?.size ?? names.length);
    expect(Math.min(...sizes)).toBeLessThan(names.length / 2);
    expect(new Set(draws.map((d) => [...(d.enabled ?? [])].sort().join())).size).toBeGreaterThan(150);
    for (const n of names) expect(draws.some((d) => d.enabled === null || d.enabled.has(n)), n).toBe(true);
  });
  it('argument strategies vary per run around the configured share, RLIMIT_MEMLOCK is small in a share of runs', () => {
    const shares = new Set(draws.map((d) => d.gen.edgeShare));
    expect(shares.has(0) && shares.size >= 3).toBe(true);
    const mean = draws.reduce((n, d) => n + d.gen.badShare, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.07);
    expect(mean).toBeLessThan(0.13);
    const small = draws.filter((d) => d.memlockPages !== undefined && SMALL_MEMLOCK.includes(d.memlockPages)).length;
    expect(small).toBeGreaterThan(15);
    expect(small).toBeLessThan(60);
    expect(new Set(draws.map((d) => d.fixture))).toEqual(new Set(['plain', 'nested']));
  });
  it('--no-swarm keeps every recipe and the configured shares; --memlock fixes the limit', () => {
    for (const d of fc.sample(runConfigA(names, { badShare: 0.1, edgeShare: 0.2 }, false, 9), { numRuns: 20, seed: 1 })) {
      expect(d.enabled).toBeNull();
      expect(d.gen).toEqual({ badShare: 0.1, edgeShare: 0.2 });
      expect(d.memlockPages).toBe(9);
    }
  });
  it('every set-up variant runs on the spec and the kernel with no property broken and no call refused', () => {
    for (const design of DESIGN_NAMES) for (const hw of HW_KINDS) for (const fixture of ['plain', 'nested'] as const) {
      const counters = new Map<string, number>();
      const steps = prologue(DESIGNS[design], hw, fixture).map((cmd) => {
        const b = BINDERS[('ioctl' in cmd ? cmd.ioctl : cmd.env) as string];
        const bind = b ? Object.fromEntries(Object.entries(b).map(([f, k]) => { counters.set(k, (counters.get(k) ?? 0) + 1); return [f, `$${k}${counters.get(k)}` as const]; })) : undefined;
        return bind ? { cmd, bind } : { cmd };
      });
      const r = replaySteps({ design, hardware: hw }, steps);
      expect(r.violation, `${design} ${hw} ${fixture}`).toBeNull();
      const refused = r.records.filter((x) => !x.spec.result.ok).map((x) => x.spec.rule);
      // fd-per-ioasid has no way to nest on guest-PASID-table hardware (the explorer's finding): that one refusal
      expect(refused, `${design} ${hw} ${fixture}`).toEqual(design === 'fd-per-ioasid' && hw === 'guest-pasid-table' && fixture === 'nested' ? ['IOASID_BIND_PGTABLE.EOPNOTSUPP.hardware'] : []);
    }
  });
});

describe('reach counts what it says', () => {
  it('a memfd released by the unmap of its last file map counts as released by its holder; one released by its close does not', () => {
    const r = new Reach();
    let s = initialState(defaultWorld('host-pasid-table'), DESIGNS.iommufd);
    const cmds = [
      env.open('/dev/iommu'), iommu.ioasAlloc(fd(3)), env.memfdCreate(0x4000n), iommu.mapFile(fd(3), 1, 0x10_0000n, 0x4000n, fd(4)),
      env.close(fd(4)), iommu.unmap(fd(3), 1, 0x10_0000n, 0x4000n), env.memfdCreate(0x4000n), env.close(fd(4)),
    ];
    for (const c of cmds) {
      const x = step(s, c);
      r.step(c, x.result, x.rule, s, x.state);
      s = x.state;
    }
    expect(r.figures).toMatchObject({ fileMaps: 1, heldReleases: 1 });
  });
  it('an event a vEVENTQ takes counts as forwarded, one it loses (full: the lost-events header instead) as lost too; one for the host\'s log as neither', () => {
    const r = new Reach();
    let s = initialState(defaultWorld('guest-pasid-table'), DESIGNS.iommufd);
    const cmds = [
      env.open('/dev/iommu'), env.open('/dev/vfio/devices/vfio0'), iommu.ioasAlloc(fd(3)), vfio.bindIommufd(fd(4), fd(3)),
      iommu.hwptAlloc(fd(3), 2, 1, IOMMU_HWPT_ALLOC_NEST_PARENT), iommu.viommuAlloc(fd(3), 2, 3), iommu.vdeviceAlloc(fd(3), 4, 2, 0x10n),
      iommu.veventqAlloc(fd(3), 4, 1), env.iommuEvent('dev1'),
      iommu.hwptAlloc(fd(3), 2, 4, 0, { type: 'IOMMU_HWPT_DATA_ARM_SMMUV3', pgtbl_addr: 0x4000n }), vfio.attach(fd(4), 7),
      env.iommuEvent('dev1'), env.iommuEvent('dev1'), env.iommuEvent('dev1'),
    ];
    for (const c of cmds) {
      const x = step(s, c);
      expect(x.result.ok, JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toBe(true);
      r.step(c, x.result, x.rule, s, x.state);
      s = x.state;
    }
    expect(r.figures).toMatchObject({ vevents: 3, veventsLost: 2 });
  });
});
