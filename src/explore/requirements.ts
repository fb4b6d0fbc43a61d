/**
 * The requirements every design is judged by: what a user of an I/O address-space uAPI needs (capabilities) and
 * what must never happen (safety), each from the 2021 thread or the kernel's documented contract. They read only
 * the Situation (requirement.ts) — the spec's state and observation, the last call, the state before it, their own
 * path memory — never a design's ioctls, so one requirement judges every design.
 */
import { exitProcess, observe, type State } from '../spec/index.js';
import type { DevName } from '../uapi/index.js';
import type { Requirement, Situation, StateView } from './requirement.js';
import { vmOfHpa, WORLD } from './world.js';

const { probe: P, pasids: [PASID1, PASID2], proc: PROC } = WORLD;

/** Whether the device reaches the probe GVA through a guest stage-1 (PASID 1's route on either hardware kind). */
const guestSva = (s: StateView, dev: DevName) => s.reaches(dev, PASID1, P.gva, P.hpa);

/** Whether the device may still give a stale *hit* at the probe GVA: a cached entry of a present guest entry since changed. */
const staleHit = (s: StateView, dev: DevName) => s.dma(dev, PASID1, P.gva).stale.some((x) => x.kind === 'hit');

/** Routes (device, PASID or RID) and where each goes, as `dev|pasid -> ctx`. */
const links = (st: State) => new Set(st.attachments.map((a) => `${a.dev}|${a.pasid ?? 'rid'}|${a.ctx}`));

/** Whether any kernel-managed address space still maps IOVA/GPA `iova`. */
const mapsIova = (st: State, iova: bigint) => Object.values(st.objects).some((o) => 'areas' in o && o.areas.some((a) => a.start <= iova && iova <= a.last));

/** The devices a memory of `runtime-association` says did DMA that reached memory (bit i: WORLD.devices[i]). */
const dmaDevices = (m: number) => WORLD.devices.filter((_d, i) => m & (1 << i));

/** What is left once every fd is closed: the state after the process exits (once per state). */
const exited = new WeakMap<State, State>();
const afterExit = (st: State): State => {
  let e = exited.get(st);
  if (e === undefined) exited.set(st, (e = exitProcess(st)));
  return e;
};

/** IOVAs the cross-VM probe sends each device's DMA to: every slot page of either VM, guest SVA's GVA, the process buffer. */
const crossProbes: readonly { readonly pasid: number | null; readonly iova: bigint }[] = [
  ...[0x0n, 0x1000n, 0x2000n, 0x3000n, 0x4000n, 0x5000n].map((iova) => ({ pasid: null, iova })),
  { pasid: PASID1, iova: P.gva }, { pasid: PASID2, iova: P.gva }, { pasid: PASID2, iova: PROC.uva },
];

/** The objects an id-based destroy call removed that had users other than the table before it (from `before`). */
function destroyedInUse(s: Situation): boolean {
  const before = s.before;
  if (before === null) return false;
  return before.obs.objects.some((o) => {
    if (s.obs.objects.some((x) => x.file === o.file && x.id === o.id)) return false;
    const users = before.obs.detail(o.file, o.id)?.users ?? 1;
    return users > 1 && o.kind !== 'device';
  });
}

export const REQUIREMENTS: readonly Requirement[] = [
  {
    name: 'shared-address-space',
    kind: 'capability',
    title: 'two devices of one VM share one address space',
    description: 'dev1 and dev2 both reach the same host page at the same IOVA (RFC v1 §5.1: more devices attach to the same gpa ioasid).',
    reads: 'state',
    holds: (s) => s.reaches('dev1', null, P.gpa, P.hpa) && s.reaches('dev2', null, P.gpa, P.hpa),
  },
  {
    name: 'guest-sva',
    kind: 'capability',
    title: 'guest SVA: a PASID translates through a guest stage-1 nested on the GPA space',
    description: 'dev1 with PASID 1 reaches, at a guest virtual address, the host page of the GPA the guest\'s own stage-1 table points it at (RFC v1 §5.5, facts §7).',
    reads: 'state',
    holds: (s) => guestSva(s, 'dev1'),
  },
  {
    name: 'guest-pasid-table',
    kind: 'capability',
    title: 'the guest binds its own PASID table (AMD/ARM vSVA)',
    description: 'guest SVA where the PASID is resolved through a PASID table in guest memory that the host never writes (seed concern 2; RFC v1 §5.7).',
    reads: 'state',
    holds: (s) => guestSva(s, 'dev1') && Object.values(s.state.objects).some((o) => 's1' in o && o.s1?.kind === 'pasid-table' && s.state.attachments.some((a) => a.ctx === `${o.file}:${o.id}`)),
  },
  {
    name: 'runtime-association',
    kind: 'capability',
    title: 'a device is associated after DMA has started',
    description: 'a new link between a device and an address space (an attach, a replace to another one, a bind of a guest table), made for a device other than the one whose DMA already reached memory (seed concern 1; Jason: required so a vIOMMU can associate a device when the guest asks).',
    memory: {
      initial: 0,
      // which devices' DMA reached memory so far
      next: (s) => s.memory | dmaBit(s),
    },
    holds: (s) => {
      if (s.memory === 0 || s.last === null || !s.last.ok || s.before === null) return false;
      const was = links(s.before.state);
      const did = dmaDevices(s.memory);
      return s.state.attachments.some((a) => !did.includes(a.dev) && !was.has(`${a.dev}|${a.pasid ?? 'rid'}|${a.ctx}`));
    },
  },
  {
    name: 'shared-invalidation',
    kind: 'capability',
    title: 'one invalidation reaches every device sharing a guest address space',
    description: 'dev1 and dev2 translate PASID 1 through one guest stage-1; the guest changes a present entry of it (hardware caches only present entries), so both may hold a stale translation; a single invalidation call then leaves both exact (seed M2: invalidation is per-ioasid, not per-device).',
    holds: (s) => s.before !== null && s.last !== null && s.last.ok && /INVALIDATE/.test(s.last.name) &&
      staleHit(s.before, 'dev1') && staleHit(s.before, 'dev2') && guestSva(s, 'dev1') && guestSva(s, 'dev2'),
  },
  {
    name: 'native-sva',
    kind: 'capability',
    title: 'native SVA: a device PASID translates through the process\'s own CPU page table',
    description: 'dev1 with PASID 2 reaches a process page at its own virtual address with no IOVA mapping made for it, and follows the CPU: once the CPU unmaps the page, the same DMA faults with no stale answer (seed, Yi\'s third concern: "Native SVA bind is per-device"; Jason: SVA is a mode of the PASID\'s memory-mapping table).',
    unavailable: (d) => (d.policy.nativeSva === 'none' ? 'no call binds a process address space to a device PASID' : null),
    memory: {
      initial: 0,
      // 1 once dev1's PASID 2 reached the process page at its own address
      next: (s) => (s.memory === 1 || s.reaches('dev1', PASID2, PROC.uva, PROC.uva) ? 1 : 0),
    },
    holds: (s) => s.memory === 1 && !s.state.userMem.some((m) => m.start <= PROC.uva && PROC.uva <= m.last) &&
      s.dma('dev1', PASID2, PROC.uva).xlate.kind === 'fault' && s.dma('dev1', PASID2, PROC.uva).stale.length === 0,
  },
  {
    name: 'no-stale-after-unmap',
    kind: 'safety',
    title: 'after an unmap, no device reaches the page it unmapped',
    description: 'P-XLATE/P-INVAL: once an unmap of the probe GPA succeeds and nothing maps it any more, no device\'s DMA there reaches memory (the kernel invalidates every domain of the address space).',
    holds: (s) => s.last !== null && s.last.ok && /UNMAP/.test(s.last.name) && !mapsIova(s.state, P.gpa) &&
      WORLD.vms[0].devices.some((d) => s.dma(d, null, P.gpa).xlate.kind === 'hit'),
  },
  {
    name: 'detach-blocks-dma',
    kind: 'safety',
    title: 'a detached device reaches nothing',
    description: 'isolation: right after dev2\'s RID is detached (and no group sibling is attached), dev2\'s DMA without PASID is blocked.',
    holds: (s) => s.last !== null && s.last.ok && /DETACH/.test(s.last.name) && !s.state.attachments.some((a) => a.dev === 'dev2' && a.pasid === null) &&
      s.dma('dev2', null, P.gpa).xlate.kind === 'hit',
  },
  {
    name: 'cross-vm-isolation',
    kind: 'safety',
    title: 'one VM\'s FD never reaches another VM\'s memory',
    description: 'two VMs, each with its own address-space FD: no device of VM B reaches a page of VM A\'s guest RAM, and no device of VM A one of VM B\'s, whatever either VM calls (ids are per FD: the point of per-VM FDs, seed M2).',
    reads: 'state',
    holds: (s) => WORLD.vms.some((vm) => vm.devices.some((dev) => crossProbes.some(({ pasid, iova }) => {
      const { xlate, stale } = s.dma(dev, pasid, iova);
      return [xlate, ...stale].some((x) => x.kind === 'hit' && (vmOfHpa(WORLD, x.hpa) ?? vm) !== vm);
    }))),
  },
  {
    name: 'no-leak-after-close',
    kind: 'safety',
    title: 'nothing leaks once every FD is closed',
    description: 'P-NOLEAK: from any state, closing every FD leaves no object, no attachment, no pinned page and no RLIMIT_MEMLOCK charge (facts §3: closing the FD destroys every object it holds).',
    reads: 'state',
    holds: (s) => {
      const o = observe(afterExit(s.state));
      return o.objects.length > 0 || o.attachments.length > 0 || o.pins.length > 0 || o.lockedPages > 0;
    },
  },
  {
    name: 'failed-call-atomic',
    kind: 'safety',
    title: 'a failed call changes nothing',
    description: 'atomic failure: a call that returns an error leaves every object, mapping, attachment and pin as it was (facts §3: iommufd\'s IOMMU_IOAS_UNMAP is the documented exception — areas it removed before an area that sticks out of the range stay removed).',
    holds: (s) => s.last !== null && !s.last.ok && s.before !== null && s.before.state !== s.state,
  },
  {
    name: 'destroy-in-use-refused',
    kind: 'safety',
    title: 'an object in use cannot be destroyed',
    description: 'a destroy call (IOMMU_DESTROY, IOASID_FREE) succeeds only on an object nothing else holds: an address space with a device, a HWPT or a child on it is refused (EBUSY), never torn down under its users (facts §2: iommufd_object_remove).',
    holds: (s) => s.last !== null && s.last.ok && /DESTROY|FREE/.test(s.last.name) && destroyedInUse(s),
  },
];

/** The bit of the device (WORLD.devices order) whose DMA the last call was, when it reached memory; else 0. */
function dmaBit(s: Situation): number {
  const c = s.last?.cmd;
  if (c === undefined || !('env' in c) || c.env !== 'DMA') return 0;
  const out = s.last?.out as { readonly xlate?: { readonly kind: string } } | undefined;
  return out?.xlate?.kind === 'hit' ? 1 << WORLD.devices.indexOf(c.dev) : 0;
}

export const requirementByName = (n: string): Requirement | undefined => REQUIREMENTS.find((r) => r.name === n);
