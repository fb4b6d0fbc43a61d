/**
 * Runs an Example against the simulated kernel and, step by step, against the spec: every result must meet the
 * example's expectation (a DMA may give the settled answer or one of the stale ones the spec allows), and after
 * every step the kernel's observe() must equal the spec's (files, objects, attachments, pins, charge). At the end
 * every fd is closed and nothing may be left: no file, object, pin, IOTLB entry, or unbalanced allocation.
 */
import { expect } from 'vitest';
import { createKernel, observe as observeImpl, type Allocator, type AllocKind } from '../../src/impl/index.js';
import { DESIGNS, initialState, observe as observeSpec, step } from '../../src/spec/index.js';
import { fd as asFd, type Result, type Xlate } from '../../src/uapi/index.js';
import { comparable } from '../../src/check/differential.js';
import { worldOfExample, type Example, type Expect } from './example.js';
import { mismatch } from './run-spec.js';

const key = (x: Xlate) => (x.kind === 'hit' ? `hit ${x.hpa}` : `fault ${x.reason}`);

/** A result meets the expectation; a DMA may give the expected answer or one of the expected stale answers. */
function implMismatch(r: Result<unknown>, e: Expect): string | null {
  // a kernel answers a partial failure with its errno; what it kept is checked by comparing observe()
  if (typeof e === 'object' && 'partial' in e) return mismatch(r, true, e);
  if (!r.ok || typeof e !== 'object' || !('hit' in e || 'fault' in e)) return mismatch(r, false, e);
  const got = (r.out as { xlate: Xlate }).xlate;
  const allowed = [('hit' in e ? `hit ${e.hit}` : `fault ${e.fault}`), ...(e.stale ?? []).map((x) => (typeof x === 'bigint' ? `hit ${x}` : `fault ${x}`))];
  return allowed.includes(key(got)) ? null : `DMA gave ${key(got)}, allowed: ${allowed.join(' | ')}`;
}


/** An allocator that counts what is outstanding, per kind. */
export function countingAllocator(): Allocator & { outstanding: Map<AllocKind, number> } {
  const outstanding = new Map<AllocKind, number>();
  return {
    outstanding,
    alloc: (k) => (outstanding.set(k, (outstanding.get(k) ?? 0) + 1), true),
    free: (k) => void outstanding.set(k, (outstanding.get(k) ?? 0) - 1),
  };
}

export function runOnImpl(ex: Example) {
  const world = worldOfExample(ex);
  const alloc = countingAllocator();
  const k = createKernel(ex.design, world, alloc);
  let s = initialState(world, DESIGNS[ex.design]);
  ex.steps.forEach((st, i) => {
    const where = `step ${i + 1} (${'ioctl' in st.cmd ? st.cmd.ioctl : st.cmd.env})`;
    const r = k.run(st.cmd);
    expect(implMismatch(r, st.expect), where).toBeNull();
    s = step(s, st.cmd).state;
    expect(comparable(observeImpl(k)), `${where}: observe() of the kernel vs the spec`).toBe(comparable(observeSpec(s)));
  });
  for (const fd of [...k.fds.keys()]) k.close(fd);
  for (const fd of Object.keys(s.fds)) s = step(s, { env: 'CLOSE', fd: asFd(Number(fd)) }).state;
  const o = observeImpl(k);
  expect(comparable(o)).toBe(comparable(observeSpec(s)));
  expect(o.files, 'files left after closing every fd').toEqual([]);
  expect(k.iommu.cached, 'IOTLB entries left after closing every fd').toBe(0);
  expect([...alloc.outstanding].filter(([, n]) => n !== 0), 'allocations not given back').toEqual([]);
}
