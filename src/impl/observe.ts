/**
 * observe() of the simulated kernel: the design-neutral view (src/uapi/observation.ts) read off the object
 * tables, the VFIO routes, the pinned pages and the IOMMU itself. Translation asks the hardware (IOTLB, then a
 * walk) without filling the IOTLB, so observing never changes what a later DMA sees.
 */
import type { Observation, ObjectView, PinView } from '../uapi/index.js';
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

export function observe(k: Kernel): Observation {
  const files = k.files();
  const objects: ObjectView[] = files.flatMap((f) => f.objects().map((o) => ({ file: o.file, id: o.id, kind: o.kind })));
  const pages = new Set<IoptPages>();
  const regs: { start: bigint; last: bigint }[] = [];
  for (const f of files) f.pinned(pages, regs);
  const held = [...pages].flatMap((p) => p.pinnedRuns());
  for (const r of regs) held.push({ first: r.start >> 12n, last: r.last >> 12n });
  const pins = pinRuns(held);
  const fdsOf = new Map<number, number[]>();
  for (const [fd, f] of k.fds) fdsOf.set(f.serial, [...(fdsOf.get(f.serial) ?? []), fd].sort((a, b) => a - b));
  return {
    files: files.map((f) => ({ file: f.serial, kind: f.kind, fds: fdsOf.get(f.serial) ?? [] })),
    objects: objects.sort((a, b) => a.file - b.file || a.id - b.id),
    attachments: [...k.devices.values()]
      .flatMap((d) => d.routes.map((r) => ({ dev: d.name, pasid: r.pasid, file: r.target.file, id: r.target.id })))
      .sort((a, b) => a.dev.localeCompare(b.dev) || (a.pasid ?? -1) - (b.pasid ?? -1) || a.file - b.file || a.id - b.id),
    pins,
    lockedPages: k.mm.lockedVm,
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
