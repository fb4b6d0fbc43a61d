/**
 * observe() of the simulated kernel: the design-neutral view (src/uapi/observation.ts) read off the object
 * tables, the VFIO routes, the pinned pages and the IOMMU itself. Translation asks the hardware (IOTLB, then a
 * walk) without filling the IOTLB, so observing never changes what a later DMA sees.
 */
import type { Observation, ObjectView, PinView } from '../uapi/index.js';
import type { Kernel } from './kernel.js';
import type { IoptPages } from './pages.js';

export function observe(k: Kernel): Observation {
  const files = k.files();
  const objects: ObjectView[] = files.flatMap((f) => f.objects().map((o) => ({ file: o.file, id: o.id, kind: o.kind })));
  const pages = new Set<IoptPages>();
  const regs: { start: bigint; last: bigint }[] = [];
  for (const f of files) f.pinned(pages, regs);
  const holders = new Map<bigint, number>();
  const add = (first: bigint, last: bigint) => {
    for (let p = first; p <= last; p++) holders.set(p, (holders.get(p) ?? 0) + 1);
  };
  for (const p of pages) if (p.pinned) add(p.firstPage, p.lastPage);
  for (const r of regs) add(r.start >> 12n, r.last >> 12n);
  const pins: PinView[] = [...holders].map(([page, n]) => ({ page, holders: n })).sort((a, b) => (a.page < b.page ? -1 : a.page > b.page ? 1 : 0));
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
  };
}
