/**
 * Invariants of the spec's own state, as named predicates: each returns null when it holds, or a sentence that
 * names the objects and values that break it (STYLE §6). `wellFormed` first, then the state properties of
 * ../shared/domain/properties.md that a spec state can break. P-NOLEAK is an end-of-trace obligation.
 */
import { hasDomain, lockedByPool, POOLS } from './pins.js';
import { iommuPage, reservedOf, rootSpace } from './iova.js';
import { coveredBy, hex, overlaps } from './ranges.js';
import { keyOf, type Area, type ObjOf, type State } from './state.js';
import { TAKEN } from './fault-ring.js';

export type Violation = string | null;
export type Invariant = (s: State) => Violation;

const first = (xs: Iterable<string | null | undefined>): Violation => {
  for (const x of xs) if (x) return x;
  return null;
};

function* wellFormedChecks(s: State): Generator<string | null> {
  for (const [fd, key] of Object.entries(s.fds)) if (!s.files[key]) yield `fd ${fd} names file ${key}, which does not exist`;
  for (const f of Object.values(s.files)) {
    if (f.kind === 'device' && f.bound !== null && !s.files[f.bound]) yield `${f.dev} is bound to file ${f.bound}, which does not exist`;
  }
  for (const o of Object.values(s.objects)) {
    if (!s.files[o.file]) yield `${o.kind} ${keyOf(o)} lives in file ${o.file}, which does not exist`;
    if (o.kind === 'hwpt_paging' && s.objects[o.ioas]?.kind !== 'ioas') yield `hwpt_paging ${keyOf(o)} mirrors ${o.ioas}, which is not an IOAS`;
    if ('parent' in o && !s.objects[o.parent]) yield `${o.kind} ${keyOf(o)} has parent ${o.parent}, which does not exist`;
    if (o.kind === 'hwpt_paging' && o.auto && !s.attachments.some((a) => a.ctx === keyOf(o))) yield `auto hwpt_paging ${keyOf(o)} outlived its last device`;
    if ('areas' in o) yield areasWellFormed(s, keyOf(o), o.areas);
    if ((o.kind === 'hwpt_nested' || o.kind === 'vdevice' || o.kind === 'veventq') && o.viommu !== null && s.objects[o.viommu]?.kind !== 'viommu') yield `${o.kind} ${keyOf(o)} is of vIOMMU ${o.viommu}, which is not one`;
    if (o.kind === 'veventq') yield veventqWellFormed(keyOf(o), o);
  }
  yield vdevicesUnique(s);
  for (const a of s.attachments) if (!s.objects[a.ctx]) yield `${a.dev} is attached to ${a.ctx}, which does not exist`;
  for (const e of s.stale) if (!s.objects[e.ctx]) yield `a cached entry names context ${e.ctx}, which does not exist`;
}

function areasWellFormed(s: State, where: string, areas: readonly Area[]): Violation {
  for (let i = 0; i < areas.length; i++) {
    const a = areas[i]!; // i < length
    if (a.start > a.last) return `area ${hex(a.start)}..${hex(a.last)} of ${where} is empty`;
    const next = areas[i + 1];
    if (next && next.start <= a.last) return `areas of ${where} overlap or are unsorted at ${hex(next.start)}`;
    if (a.target.kind === 'pages' && !s.pages[a.target.pages]) return `area ${hex(a.start)} of ${where} uses pages ${a.target.pages}, which do not exist`;
  }
  return null;
}

/** A vEVENTQ holds at most `depth` events, and a lost-events header only last. */
function veventqWellFormed(where: string, q: ObjOf<'veventq'>): Violation {
  if (q.events.filter((e) => e.virtId !== null).length > q.depth) return `vEVENTQ ${where} holds more than its depth ${q.depth}`;
  const lost = q.events.findIndex((e) => e.virtId === null);
  if (lost !== -1 && lost !== q.events.length - 1) return `vEVENTQ ${where} has its lost-events header at ${lost}, not last`;
  return null;
}

/** One vDEVICE per device, and one per virtual id of a vIOMMU (idev->vdev, viommu->vdevs). */
function vdevicesUnique(s: State): Violation {
  const devs = new Set<string>();
  const ids = new Set<string>();
  for (const o of Object.values(s.objects)) {
    if (o.kind !== 'vdevice') continue;
    if (devs.has(o.dev)) return `${o.dev} has two vDEVICEs`;
    if (ids.has(`${o.viommu}#${o.virtId}`)) return `vIOMMU ${o.viommu} has two vDEVICEs of virtual id ${hex(o.virtId)}`;
    devs.add(o.dev);
    ids.add(`${o.viommu}#${o.virtId}`);
  }
  return null;
}

/**
 * Every reference points at something that exists; areas are sorted and disjoint; auto domains have a device; a
 * vIOMMU's objects name a vIOMMU, its vEVENTQs keep their depth and their lost-events header last, its vDEVICEs are one
 * per device and per virtual id.
 */
export const wellFormed: Invariant = (s) => first(wellFormedChecks(s));

/**
 * P-PINCOUNT (state part): the charge stays within RLIMIT_MEMLOCK. That a pin is taken only of mapped memory is a
 * property of the step that pins (pinCheck's EFAULT), not of a state: a page munmapped after it was pinned stays
 * pinned (a pin holds the page), so a pinned page need not be mapped now.
 */
export const pinsAccounted: Invariant = (s) => {
  const n = lockedByPool(s); // each pool against the limit on its own
  const over = POOLS.find((q) => n[q] > s.world.memlockPages);
  return over ? `${n[over]} pages charged to the ${over}, over RLIMIT_MEMLOCK ${s.world.memlockPages}` : null;
};

/** P-IOVA-ALLOC (state part): no area meets a reserved range of its space; domain-backed areas are aligned to the IOMMU's pages. */
export const iovaRespected: Invariant = (s) => {
  const page = iommuPage(s);
  for (const o of Object.values(s.objects)) {
    if (o.kind !== 'ioas') continue;
    const reserved = reservedOf(s, o);
    for (const a of o.areas) {
      const r = reserved.find((x) => overlaps(x, a));
      if (r) return `area ${hex(a.start)}..${hex(a.last)} of ioas ${keyOf(o)} meets reserved ${hex(r.start)}..${hex(r.last)}`;
      if (hasDomain(s, o) && (a.start % page !== 0n || (a.last + 1n) % page !== 0n)) return `area ${hex(a.start)} of ioas ${keyOf(o)} is not aligned to the IOMMU's ${page}-byte pages under a domain`;
    }
  }
  return null;
};

/** P-OWNER: a device reaches only address spaces of the FD it is bound to, and stacks never cross FDs (per-VM designs). */
export const ownerRespected: Invariant = (s) => {
  for (const a of s.attachments) {
    const ctx = s.objects[a.ctx];
    const devFile = Object.values(s.files).find((f) => f.kind === 'device' && f.dev === a.dev && f.bound !== null);
    if (!ctx || !devFile || devFile.kind !== 'device') return `${a.dev} is attached to ${a.ctx} without an open device FD`;
    // a native SVA binding reaches the process's own memory, no address space of any FD
    if (ctx.kind === 'sva_mm') continue;
    const root = rootSpace(s, ctx);
    // a per-device bind lives in the device FD; what it reaches is its root address space
    const owner = ctx.kind === 'sva_bind' ? root?.file : ctx.file;
    if (devFile.bound !== null && devFile.bound !== devFile.key && owner !== devFile.bound) return `${a.dev} is bound to file ${devFile.bound} but reaches ${a.ctx} of file ${owner}`;
    if (ctx.kind === 'sva_bind') continue;
    if (s.design.policy.fdModel === 'per-vm' && root && root.file !== ctx.file) return `${a.ctx} stacks on ${keyOf(root)} of another FD`;
  }
  return null;
};

/**
 * P-DIRTY (state part): a HWPT's dirty bits (certain or maybe) lie on pages its IOAS maps, whole IOMMU pages each — an
 * unmapped page has no PTE to hold a bit, so an unmap that left one would report a page nobody can have written since.
 */
export const dirtyOnMappedPages: Invariant = (s) => {
  const page = iommuPage(s);
  for (const o of Object.values(s.objects)) {
    if (o.kind !== 'hwpt_paging' || o.dirty === null) continue;
    const ioas = s.objects[o.ioas];
    const areas = ioas && 'areas' in ioas ? ioas.areas : [];
    for (const r of [...o.dirty.bits, ...o.dirty.maybe]) {
      if (r.start % page !== 0n || (r.last + 1n) % page !== 0n) return `hwpt ${keyOf(o)} has dirty bits over ${hex(r.start)}..${hex(r.last)}, not whole ${page}-byte IOMMU pages`;
      if (!coveredBy(r, areas)) return `hwpt ${keyOf(o)} has dirty bits over ${hex(r.start)}..${hex(r.last)}, which its IOAS ${o.ioas} does not map`;
    }
  }
  return null;
};

/**
 * P-FAULT (state part): every page request has at most one answer; one still unanswered sits on a FAULT (RFC v1: an
 * ioasid) that exists, came through an attachment that exists, and its cookie, once read, is its FAULT's alone (RFC
 * v1's ring gives none: TAKEN only marks it read).
 */
export const faultsAnswered: Invariant = (s) => {
  const cookies = new Set<string>();
  for (const r of s.prq) {
    if (r.answers.length > 1) return `page request ${r.serial} of ${r.dev} was answered ${r.answers.length} times`;
    if (r.answers.length === 1) continue;
    if (r.fault === null || !s.objects[r.fault]) return `page request ${r.serial} of ${r.dev} waits on ${r.fault}, which does not exist`;
    const h = r.handle;
    if (h === null || !s.attachments.some((a) => a.dev === h.dev && a.pasid === h.pasid && a.ctx === h.ctx)) return `page request ${r.serial} of ${r.dev} waits, but the attachment it came through is gone`;
    if (r.cookie !== null && r.cookie !== TAKEN) {
      const k = `${r.fault}#${r.cookie}`;
      if (cookies.has(k)) return `cookie ${r.cookie} of FAULT ${r.fault} names two unanswered page requests`;
      cookies.add(k);
    }
  }
  return null;
};

export const INVARIANTS: Readonly<Record<string, Invariant>> = {
  wellFormed,
  'P-PINCOUNT': pinsAccounted,
  'P-IOVA-ALLOC': iovaRespected,
  'P-OWNER': ownerRespected,
  'P-DIRTY': dirtyOnMappedPages,
  'P-FAULT': faultsAnswered,
};

/** The first invariant that fails, as "name: message", or null. */
export function checkInvariants(s: State): Violation {
  for (const [name, inv] of Object.entries(INVARIANTS)) {
    const v = inv(s);
    if (v) return `${name}: ${v}`;
  }
  return null;
}

/** P-NOLEAK, an end-of-trace obligation: once no fd is open, nothing is left — no file, object, pin or cache entry. */
export function noLeak(s: State): Violation {
  if (Object.keys(s.fds).length > 0) return null;
  const left = [
    ...Object.values(s.files).map((f) => `file ${f.key} (${f.kind})`),
    ...Object.values(s.objects).map((o) => `${o.kind} ${keyOf(o)}`),
    ...Object.keys(s.pages).map((p) => `pages ${p}`),
    ...s.attachments.map((a) => `${a.dev} attachment`),
    ...s.stale.map((e) => `cached entry of ${e.ctx}`),
    ...s.prq.filter((r) => r.answers.length === 0).map((r) => `page request ${r.serial} of ${r.dev} unanswered`),
  ];
  return left.length ? `after every fd is closed, still alive: ${left.join(', ')}` : null;
}
