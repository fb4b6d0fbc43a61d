/**
 * observe() of the simulated kernel: the design-neutral view (src/uapi/observation.ts) read off the object
 * tables, the VFIO routes, the pinned pages and the IOMMU itself. Translation asks the hardware (IOTLB, then a
 * walk) without filling the IOTLB, so observing never changes what a later DMA sees.
 */
import type { Observation, ObjectView, ObsPart, PinView } from '../uapi/index.js';
import { IoPagetable } from './iopt.js';
import type { Kernel } from './kernel.js';
import type { IoptPages } from './pages.js';

/**
 * How many holders pin each page, as maximal runs of equal count: a sweep over where holders begin and end, so a
 * registration of terabytes costs two events, not a map entry per page.
 */
function pinRuns(held: readonly { first: bigint; last: bigint }[]): PinView[] {
  const events = new Map<bigint, number>();
  const bump = (page: bigint, d: number) => events.set(page, (events.get(page) ?? 0) + d);
  for (const h of held) {
    bump(h.first, 1);
    bump(h.last + 1n, -1);
  }
  const edges = [...events].filter(([, d]) => d !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: PinView[] = [];
  let holders = 0;
  edges.forEach(([page, d], i) => {
    holders += d;
    const next = edges[i + 1];
    if (holders > 0 && next) out.push({ page, last: next[0] - 1n, holders });
  });
  return out;
}

type Parts = Pick<Observation, ObsPart>;

function pins(k: Kernel): PinView[] {
  const pages = new Set<IoptPages>();
  const regs: { start: bigint; last: bigint }[] = [];
  for (const f of k.files()) f.pinned(pages, regs);
  const held = [...pages].flatMap((p) => p.pinnedRuns());
  for (const r of regs) held.push({ first: r.start >> 12n, last: r.last >> 12n });
  return pinRuns(held);
}

/** Each part of the observation, read off the kernel's structures now. */
export const OBSERVE_PARTS: { readonly [P in ObsPart]: (k: Kernel) => Parts[P] } = {
  files: (k) => {
    const fdsOf = new Map<number, number[]>();
    for (const [fd, f] of k.fds) fdsOf.set(f.serial, [...(fdsOf.get(f.serial) ?? []), fd].sort((a, b) => a - b));
    return k.files().map((f) => ({ file: f.serial, kind: f.kind, fds: fdsOf.get(f.serial) ?? [] }));
  },
  objects: (k) => k.files().flatMap((f) => f.objects().map((o): ObjectView => ({ file: o.file, id: o.id, kind: o.kind }))).sort((a, b) => a.file - b.file || a.id - b.id),
  attachments: (k) =>
    [...k.devices.values()]
      .flatMap((d) => d.routes.map((r) => ({ dev: d.name, pasid: r.pasid, file: r.target.file, id: r.target.id })))
      .sort((a, b) => a.dev.localeCompare(b.dev) || (a.pasid ?? -1) - (b.pasid ?? -1) || a.file - b.file || a.id - b.id),
  pins,
  pageRequests: (k) => k.prq.requests.map((r) => ({ serial: r.serial, dev: r.dev, answers: [...r.answers] })),
};

/** Every io_pagetable reachable from the kernel's files. */
export function iopts(k: Kernel): IoPagetable[] {
  const out = new Set<IoPagetable>();
  for (const f of k.files()) for (const o of f.objects()) if ('iopt' in o && o.iopt instanceof IoPagetable) out.add(o.iopt);
  return [...out];
}

/** What the kernel changed after a tick, as a checker compares it. */
export interface Touched {
  /** the parts of the observation */
  readonly parts: readonly ObsPart[];
  /** an io_pagetable's areas or domains, or a domain's page table (what P-XLATE compares) */
  readonly mappings: boolean;
}

/**
 * What the kernel changed after tick `since` (hw/stamp.ts), read off the stamps its structures keep: the fd table
 * and live files (files), each file's object table (objects), each device's routes (attachments), the process's
 * pins and registrations and each io_pagetable's areas and domains (pins), the page request log (pageRequests), and those with the domains' page tables
 * (mappings). A part the kernel changed without stamping it is found by the whole comparison at the end of a trace.
 */
export function touchedSince(k: Kernel, since: number): Touched {
  const spaces = iopts(k);
  const files = k.filesStamp > since;
  const objects = files || k.files().some((f) => f.objectsStamp > since);
  const attachments = [...k.devices.values()].some((d) => d.stamp > since);
  const areas = spaces.some((t) => t.stamp > since);
  const pinsChanged = objects || areas || k.mm.pinsStamp > since;
  const parts: ObsPart[] = [];
  if (files) parts.push('files');
  if (objects) parts.push('objects');
  if (attachments) parts.push('attachments');
  if (pinsChanged) parts.push('pins');
  if (k.prq.stamp > since) parts.push('pageRequests');
  return { parts, mappings: areas || spaces.some((t) => t.domains.some((d) => d.pt.stamp > since)) };
}

export function observe(k: Kernel): Observation {
  const files = k.files();
  return {
    files: OBSERVE_PARTS.files(k),
    objects: OBSERVE_PARTS.objects(k),
    attachments: OBSERVE_PARTS.attachments(k),
    pins: OBSERVE_PARTS.pins(k),
    pageRequests: OBSERVE_PARTS.pageRequests(k),
    lockedPages: k.mm.lockedTotal,
    translate: (dev, pasid, iova, access) => ({ xlate: k.iommu.probe(dev, pasid, iova, access), stale: [] }),
    detail: (file, id) => {
      const o = files.find((f) => f.serial === file)?.objects().find((x) => x.id === id);
      if (!o) return null;
      const areas = o.mappings();
      const byStart = (a: { start: bigint }, b: { start: bigint }) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);
      return { users: o.users, ...(areas ? { areas: areas.map((a) => ({ start: a.start, last: a.last })).sort(byStart) } : {}) };
    },
  };
}
