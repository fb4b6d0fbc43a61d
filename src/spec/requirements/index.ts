/**
 * Requirements: what a user of an I/O address-space uAPI needs, as named values that any design can be judged
 * by. A capability is a goal over the spec's state and the design-neutral observation, reached (a witness) or
 * not within a bound; a safety requirement names a bad situation that must never be reachable. Each reads only
 * observe() and the relations of the state, never a design's ioctls, so one requirement judges every design.
 * The explorer (src/check/explore.ts) searches each design's vocabulary breadth-first for them.
 */
import type { Observation } from '../../uapi/index.js';
import type { State } from '../state.js';

/** What the explorer knows at a node: the state, its observation, and facts the path so far has established. */
export interface Situation {
  readonly state: State;
  readonly obs: Observation;
  /**
   * path facts: 'dma-hit' (some DMA reached memory), 'attached-after-dma' (a device associated after that),
   * 'both-stale' (dev1 and dev2 both may see a stale stage-1 answer now), 'was-both-stale' (they could just before
   * the last call)
   */
  readonly facts: ReadonlySet<string>;
  /**
   * the call that led here, and whether it succeeded. The explorer judges every call as it is taken, except one that
   * failed and changed neither the state nor the facts (its situation is the one before it but for `last`): a
   * requirement that reads `last` asks that it succeeded.
   */
  readonly last: { readonly name: string; readonly ok: boolean } | null;
}

export interface Requirement {
  readonly name: string;
  readonly kind: 'capability' | 'safety';
  readonly title: string;
  readonly description: string;
  /** capability: the goal; safety: the bad situation */
  readonly holds: (s: Situation) => boolean;
}

/** Addresses the explorer's vocabulary uses: guest RAM at GPA 0 backed by user memory at 0x100000. */
export const PROBE = {
  gpa: 0x1000n,
  /** what DMA at GPA 0x1000 reaches */
  hpa: 0x101000n,
  /** a guest virtual address the guest maps to GPA 0x1000 through its stage-1 */
  gva: 0x200000n,
  pasid: 1,
} as const;

const hitAt = (o: Observation, dev: 'dev1' | 'dev2', pasid: number | null, iova: bigint, hpa: bigint) => {
  const t = o.translate(dev, pasid, iova, 'read');
  return t.xlate.kind === 'hit' && t.xlate.hpa === hpa && t.stale.length === 0;
};

/** Whether the device reaches GVA through a guest stage-1 (PASID route on either hardware kind). */
const sva = (o: Observation, dev: 'dev1' | 'dev2') => hitAt(o, dev, PROBE.pasid, PROBE.gva, PROBE.hpa);

export const REQUIREMENTS: readonly Requirement[] = [
  {
    name: 'shared-address-space',
    kind: 'capability',
    title: 'two devices of one VM share one address space',
    description: 'dev1 and dev2 both reach the same host page at the same IOVA (RFC v1 §5.1: more devices attach to the same gpa ioasid).',
    holds: (s) => hitAt(s.obs, 'dev1', null, PROBE.gpa, PROBE.hpa) && hitAt(s.obs, 'dev2', null, PROBE.gpa, PROBE.hpa),
  },
  {
    name: 'guest-sva',
    kind: 'capability',
    title: 'guest SVA: a PASID translates through a guest stage-1 nested on the GPA space',
    description: 'dev1 with PASID 1 reaches, at a guest virtual address, the host page of the GPA the guest\'s own stage-1 table points it at (RFC v1 §5.5, facts §7).',
    holds: (s) => sva(s.obs, 'dev1'),
  },
  {
    name: 'guest-pasid-table',
    kind: 'capability',
    title: 'the guest binds its own PASID table (AMD/ARM vSVA)',
    description: 'guest SVA where the PASID is resolved through a PASID table in guest memory that the host never writes (seed concern 2; RFC v1 §5.7).',
    holds: (s) => sva(s.obs, 'dev1') && Object.values(s.state.objects).some((o) => 's1' in o && o.s1?.kind === 'pasid-table' && s.state.attachments.some((a) => a.ctx === `${o.file}:${o.id}`)),
  },
  {
    name: 'runtime-association',
    kind: 'capability',
    title: 'a device is associated after DMA has started',
    description: 'a device attaches (or binds a guest table) after another device\'s DMA reached memory (seed concern 1; Jason: required so a vIOMMU can associate a device when the guest asks).',
    holds: (s) => s.facts.has('attached-after-dma'),
  },
  {
    name: 'shared-invalidation',
    kind: 'capability',
    title: 'one invalidation reaches every device sharing a guest address space',
    description: 'dev1 and dev2 translate PASID 1 through one guest stage-1; after the guest changes it, a single invalidation call leaves neither with a stale answer (seed M2: invalidation is per-ioasid, not per-device).',
    holds: (s) => s.facts.has('was-both-stale') && s.last !== null && s.last.ok && /INVALIDATE/.test(s.last.name) && sva(s.obs, 'dev1') && sva(s.obs, 'dev2'),
  },
  {
    name: 'no-stale-after-unmap',
    kind: 'safety',
    title: 'after an unmap, no device reaches the page it unmapped',
    description: 'P-XLATE/P-INVAL: once an unmap of IOVA 0x1000 succeeds and nothing maps it any more, no device\'s DMA there reaches memory (the kernel invalidates every domain of the address space).',
    holds: (s) => s.last !== null && s.last.ok && /UNMAP/.test(s.last.name) && !mapsGpa(s) && (['dev1', 'dev2'] as const).some((d) => s.obs.translate(d, null, PROBE.gpa, 'read').xlate.kind === 'hit'),
  },
  {
    name: 'detach-blocks-dma',
    kind: 'safety',
    title: 'a detached device reaches nothing',
    description: 'isolation: right after dev2\'s RID is detached (and no group sibling is attached), dev2\'s DMA without PASID is blocked.',
    holds: (s) => s.last !== null && s.last.ok && /DETACH/.test(s.last.name) && !s.state.attachments.some((a) => a.dev === 'dev2' && a.pasid === null) && s.obs.translate('dev2', null, PROBE.gpa, 'read').xlate.kind === 'hit',
  },
];

/** Whether any kernel-managed address space still maps IOVA/GPA 0x1000. */
function mapsGpa(s: Situation): boolean {
  return Object.values(s.state.objects).some((o) => 'areas' in o && o.areas.some((a) => a.start <= PROBE.gpa && PROBE.gpa <= a.last));
}

export const requirementByName = (n: string): Requirement | undefined => REQUIREMENTS.find((r) => r.name === n);
