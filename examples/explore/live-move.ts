/**
 * Requirements of one's own: `explore --requirement-file examples/explore/live-move.ts` adds their rows to the
 * matrix. Each reads only the Situation (docs/designing.md): the spec's state and observation, DMA probes, the last
 * call and the state before it, and a path memory of its own.
 */
import type { Requirement } from '../../src/explore/index.js';

/** Where dev2's DMA without PASID goes: the key of the object its RID is attached to, or null. */
const ridOf = (s: { readonly state: { readonly attachments: readonly { readonly dev: string; readonly pasid: number | null; readonly ctx: string }[] } }) =>
  s.state.attachments.find((a) => a.dev === 'dev2' && a.pasid === null)?.ctx ?? null;

/**
 * A device moves to another address space in one call while its DMA keeps working (a vIOMMU retargeting a device
 * without a window where its DMA is blocked): dev2 reached guest RAM once (path memory), and the last call took its
 * RID from one address space straight to another, where it reaches guest RAM again.
 */
const liveMove: Requirement = {
  name: 'live-move',
  kind: 'capability',
  title: 'a device moves to another address space in one call, its DMA never blocked',
  description: 'dev2 did DMA to guest RAM, then one call moves its RID from one address space to another that maps the same RAM (iommufd\'s replace; a detach then an attach leaves a window where DMA is blocked).',
  memory: {
    initial: 0,
    next: (s) => (s.memory === 1 || s.reaches('dev2', null, s.world.probe.gpa, s.world.probe.hpa) ? 1 : 0),
  },
  holds: (s) => {
    if (s.memory !== 1 || s.before === null || s.last === null || !s.last.ok) return false;
    const was = ridOf(s.before);
    const now = ridOf(s);
    return was !== null && now !== null && was !== now && s.reaches('dev2', null, s.world.probe.gpa, s.world.probe.hpa);
  },
};

/** A state-only requirement: two devices of one VM on different address spaces, one with nothing mapped. */
const dev2Alone: Requirement = {
  name: 'dev2-alone',
  kind: 'capability',
  title: 'dev2 reaches guest RAM while dev1 reaches nothing',
  description: 'two devices of one VM, isolated from each other: dev2 reaches the probe GPA, dev1\'s DMA there faults.',
  reads: 'state',
  holds: (s) => s.reaches('dev2', null, s.world.probe.gpa, s.world.probe.hpa) && s.dma('dev1', null, s.world.probe.gpa).xlate.kind === 'fault',
};

export default [liveMove, dev2Alone];
