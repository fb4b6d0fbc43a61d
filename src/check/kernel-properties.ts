/**
 * Properties read off the simulated kernel's own structures, where observe() cannot see: P-XLATE (every domain
 * of an address space maps exactly its areas), P-FAULT's end (every page request answered once) and the P-NOLEAK obligations after every fd is closed (no file,
 * no IOTLB entry, no locked page, no mmu notifier, every allocation given back).
 */
import type { Kernel } from '../impl/index.js';
import { iopts } from '../impl/observe.js';

/** P-XLATE: each domain's page table holds exactly the pages of the areas, at the pages' host addresses. */
export function xlateConsistent(k: Kernel): string | null {
  for (const iopt of iopts(k)) {
    for (const d of iopt.domains) {
      // the domain's own granule: 4 KiB, or the selftest mock's 2 KiB
      let pages = 0;
      for (const a of iopt.areas) pages += Number((a.last - a.start + 1n) >> d.pt.shift);
      if (d.pt.mapped !== pages) return `domain ${d.id} maps ${d.pt.mapped} pages, its IOAS has ${pages}`;
      for (const a of iopt.areas) {
        for (let iova = a.start; iova <= a.last; iova += 1n << d.pt.shift) {
          const e = d.pt.walk(iova);
          const want = a.pages.uva + a.offset + (iova - a.start);
          if (!e || e.hpa !== want) return `domain ${d.id} maps iova 0x${iova.toString(16)} to ${e ? `0x${e.hpa.toString(16)}` : 'nothing'}, the IOAS to 0x${want.toString(16)}`;
        }
      }
    }
  }
  return null;
}

/** P-NOLEAK for a kernel whose fds are all closed; `outstanding` is the allocator's balance per kind. */
export function kernelLeaks(k: Kernel, outstanding: ReadonlyMap<string, number>): string | null {
  const left: string[] = [];
  if (k.files().length > 0) left.push(`${k.files().length} files`);
  if (k.iommu.cached > 0) left.push(`${k.iommu.cached} IOTLB entries`);
  if (k.mm.lockedTotal > 0) left.push(`${k.mm.lockedTotal} locked pages`);
  if (k.mm.notifierCount > 0) left.push(`${k.mm.notifierCount} mmu notifiers`);
  for (const [kind, n] of outstanding) if (n !== 0) left.push(`${n} ${kind} allocations`);
  return left.length ? `after every fd is closed the kernel still holds ${left.join(', ')}` : null;
}

/**
 * P-FAULT for a kernel whose fds are all closed: every page request a device sent got exactly one page response (by
 * the user, or by the kernel when nothing took it, its attachment went or its FAULT was destroyed).
 */
export function pageRequestsAnswered(k: Kernel): string | null {
  const bad = k.prq.requests.filter((r) => r.answers.length !== 1);
  if (bad.length === 0) return null;
  return `after every fd is closed, page requests answered other than once: ${bad.map((r) => `${r.serial} of ${r.dev} (${r.answers.length === 0 ? 'never' : `${r.answers.length} times`})`).join(', ')}`;
}
