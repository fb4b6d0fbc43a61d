/**
 * fail_nth for the simulated kernel (tools/testing/selftests/iommu/iommufd_fail_nth.c): for every ioctl step of
 * every example, fail its 1st, 2nd, ... allocation in turn. Each time the call must answer ENOMEM and leave
 * everything it could observe as it was, and closing every fd afterwards must give every allocation back —
 * object, area, pages, pin and page-table page alike. The sweep of a step ends at the first N it does not reach.
 */
import { describe, expect, it } from 'vitest';
import { createKernel, observe, type Allocator, type AllocKind } from '../src/impl/index.js';
import type { Observation } from '../src/uapi/index.js';
import { DESIGN_EXAMPLES } from './examples/designs.js';
import { IOMMUFD_FLOWS, RFC_V1_FLOWS } from './examples/flows.js';
import { IOMMUFD_ERRNO_EXAMPLES } from './examples/iommufd-errnos.js';
import { PROFILE_EXAMPLES } from './examples/profiles-raw.js';
import { worldOfExample, type Example } from './support/example.js';
import { IoptPages } from '../src/impl/pages.js';

const show = (o: Observation) => JSON.stringify({ ...o, translate: undefined }, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v));

/** Counts allocations once armed and fails the `nth`; tracks what is outstanding per kind. */
class FailNth implements Allocator {
  readonly outstanding = new Map<AllocKind, number>();
  armed = false;
  seen = 0;
  failed = false;
  constructor(private readonly nth: number) {}
  alloc(kind: AllocKind): boolean {
    if (this.armed && ++this.seen === this.nth) {
      this.failed = true;
      return false;
    }
    this.outstanding.set(kind, (this.outstanding.get(kind) ?? 0) + 1);
    return true;
  }
  free(kind: AllocKind) {
    this.outstanding.set(kind, (this.outstanding.get(kind) ?? 0) - 1);
  }
}

/** Sweep one step; returns how many injection points it had. */
function sweepStep(ex: Example, i: number): number {
  for (let nth = 1; ; nth++) {
    const alloc = new FailNth(nth);
    const k = createKernel(ex.design, worldOfExample(ex), alloc);
    for (const st of ex.steps.slice(0, i)) k.run(st.cmd);
    const before = show(observe(k));
    alloc.armed = true;
    const r = k.run(ex.steps[i]!.cmd); // i < steps.length
    alloc.armed = false;
    if (!alloc.failed) return nth - 1;
    const where = `${ex.name}, step ${i + 1}, allocation ${nth}`;
    expect(r.ok ? 'ok' : r.errno, where).toBe('ENOMEM');
    expect(show(observe(k)), `${where}: a failed call changed what can be observed`).toBe(before);
    for (const fd of [...k.fds.keys()]) k.close(fd);
    expect(k.files(), where).toEqual([]);
    expect(k.iommu.cached, where).toBe(0);
    expect([...alloc.outstanding].filter(([, n]) => n !== 0), `${where}: allocations not given back`).toEqual([]);
  }
}

const TABLE = [...IOMMUFD_ERRNO_EXAMPLES, ...IOMMUFD_FLOWS, ...RFC_V1_FLOWS, ...DESIGN_EXAMPLES, ...PROFILE_EXAMPLES];

/** Every injection point of an example. */
const sweep = (ex: Example) => ex.steps.reduce((n, st, i) => n + ('ioctl' in st.cmd ? sweepStep(ex, i) : 0), 0);

describe('fail_nth: every allocation of every ioctl unwinds', () => {
  let total = 0;
  for (const ex of TABLE) it(`[${ex.design}] ${ex.name}`, () => void (total += sweep(ex)));
  it('the sweep injected failures at hundreds of points', () => {
    expect(total).toBeGreaterThan(300);
  });
  it('the sweep catches an unwind that forgets to unpin', () => {
    const unpin = IoptPages.prototype.unpin;
    let leaked = false;
    IoptPages.prototype.unpin = function (this: IoptPages, r) {
      if (this.pinCount > 1) unpin.call(this, r); // drops the last unpin: the pin and its charge stay
    };
    try {
      for (const e of TABLE.filter((x) => x.steps.some((st) => 'ioctl' in st.cmd && st.cmd.ioctl === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT')).slice(0, 20)) {
        try {
          sweep(e);
        } catch {
          leaked = true;
          break;
        }
      }
    } finally {
      IoptPages.prototype.unpin = unpin;
    }
    expect(leaked).toBe(true);
  });
  it('the sweep reaches allocations of every kind', () => {
    const kinds = new Set<AllocKind>();
    for (const ex of TABLE) {
      const counter: Allocator = { alloc: (k) => (kinds.add(k), true), free: () => {} };
      const k = createKernel(ex.design, worldOfExample(ex), counter);
      for (const st of ex.steps) k.run(st.cmd);
    }
    expect([...kinds].sort()).toEqual(['area', 'domain', 'hw-info', 'iova-bitmap', 'object', 'pages', 'pgtable-page', 'pin']);
  });
});
