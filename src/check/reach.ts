/**
 * Reach: how often a run gets where the bugs live, measured on every step (a property only finds what the
 * generator reaches). Each figure is a share or a count over the steps of a check: DMA translated through a
 * guest stage-1, unmaps that hit a split, nested HWPTs made, replaces that failed, the group sibling attached,
 * RLIMIT_MEMLOCK refusals, IOVAs near the top of the u64 space, copies that start inside an area, DMA through a
 * native SVA binding, munmaps of mapped memory, file maps made, files released by a call other than their close
 * (the last holder going: a memfd with its last file map, an iommufd with the last device bound to it), and events
 * forwarded to a vEVENTQ, with those a full queue lost.
 */
import { routeCtx, type State } from '../spec/index.js';
import { U64_MAX, type Cmd, type DevName, type Result } from '../uapi/index.js';

export interface ReachFigures {
  /** DMAs, and those translated (hit) through a context that walks a guest stage-1 */
  readonly dma: number;
  readonly dmaStage1: number;
  /** range unmaps, and those that hit a split (with or without removing whole areas first) */
  readonly unmaps: number;
  readonly unmapSplits: number;
  /** nested HWPTs (or bound stage-1s) made */
  readonly nested: number;
  /** attaches of a device already attached (replaces), and those that failed */
  readonly replaces: number;
  readonly replaceFails: number;
  /** attaches of a device whose group has another device */
  readonly siblingAttaches: number;
  /** calls refused for RLIMIT_MEMLOCK */
  readonly enomem: number;
  /** calls naming an IOVA in the top 2 MiB of the u64 space */
  readonly highIova: number;
  /** copies whose source starts inside an area, not at its start */
  readonly copyInside: number;
  /** DMAs through a native SVA binding (the process's page table), and MUNMAPs that took mapped memory away */
  readonly dmaNative: number;
  readonly munmaps: number;
  /** IOAS_MAP_FILEs that mapped, and files a call other than CLOSE released (their last holder went) */
  readonly fileMaps: number;
  readonly heldReleases: number;
  /** IOMMU events a vEVENTQ took, and those it lost (full: its lost-events header queued instead) */
  readonly vevents: number;
  readonly veventsLost: number;
}

const SPLIT = /\.(ENOENT|EINVAL)\.split(_after_removing)?$/;
const STAGE1 = (s: State, dev: DevName, pasid: number | null): boolean => {
  const ctx = routeCtx(s, dev, pasid) ?? (pasid === null ? undefined : routeCtx(s, dev, null));
  return ctx !== undefined && 's1' in ctx && ctx.s1 !== null;
};

export class Reach {
  private f = { dma: 0, dmaStage1: 0, unmaps: 0, unmapSplits: 0, nested: 0, replaces: 0, replaceFails: 0, siblingAttaches: 0, enomem: 0, highIova: 0, copyInside: 0, dmaNative: 0, munmaps: 0, fileMaps: 0, heldReleases: 0, vevents: 0, veventsLost: 0 };

  /** One step: the command, its spec result and rule, the spec state before and after it. */
  step(c: Cmd, result: Result<unknown>, rule: string, before: State, after: State) {
    const f = this.f;
    if (rule.endsWith('.ENOMEM.memlock')) f.enomem++;
    if (rule.startsWith('IOAS_MAP_FILE.ok')) f.fileMaps++;
    if (rule === 'IOMMU_EVENT.ok.veventq' || rule === 'IOMMU_EVENT.ok.lost') f.vevents++;
    if (rule === 'IOMMU_EVENT.ok.lost') f.veventsLost++;
    if (after.files !== before.files && !('env' in c && c.env === 'CLOSE')) {
      for (const k of Object.keys(before.files)) if (after.files[Number(k)] === undefined) f.heldReleases++;
    }
    if ('env' in c) {
      if (c.env === 'DMA') {
        f.dma++;
        const hit = result.ok && (result.out as { xlate: { kind: string } }).xlate.kind === 'hit';
        if (hit && STAGE1(before, c.dev, c.pasid)) f.dmaStage1++;
        if (c.pasid !== null && routeCtx(before, c.dev, c.pasid)?.kind === 'sva_mm') f.dmaNative++;
      }
      if (c.env === 'MUNMAP' && result.ok && before.userMem.some((r) => r.start <= c.uva + c.length - 1n && c.uva <= r.last)) f.munmaps++;
      return;
    }
    const x = c as unknown as Record<string, unknown>;
    const iova = [x.iova, x.src_iova, x.dst_iova].find((v): v is bigint => typeof v === 'bigint' && v > U64_MAX - 0x20_0000n);
    if (iova !== undefined) f.highIova++;
    switch (c.ioctl) {
      case 'IOMMU_IOAS_UNMAP':
      case 'IOASID_UNMAP_DMA':
        f.unmaps++;
        if (SPLIT.test(rule)) f.unmapSplits++;
        break;
      case 'IOMMU_HWPT_ALLOC':
      case 'IOASID_BIND_PGTABLE':
      case 'IOASID_BIND_PASID_TABLE':
      case 'VFIO_DEVICE_BIND_PGTABLE':
      case 'VFIO_DEVICE_BIND_PASID_TABLE':
        if (result.ok && rule !== 'HWPT_ALLOC.ok.paging') f.nested++; // a guest stage-1 now exists
        break;
      case 'IOMMU_IOAS_COPY': {
        const inside = Object.values(before.objects).some((o) => 'areas' in o && o.areas.some((a) => a.start < c.src_iova && c.src_iova <= a.last));
        if (inside) f.copyInside++;
        break;
      }
      case 'VFIO_DEVICE_ATTACH_IOMMUFD_PT':
      case 'VFIO_ATTACH_IOASID': {
        const file = before.files[before.fds[c.fd] ?? -1];
        if (file?.kind !== 'device') break;
        const dev = file.dev;
        const pasid = (c.flags & 1) !== 0 ? (c.ioctl === 'VFIO_ATTACH_IOASID' ? c.user_pasid : c.pasid) : null;
        if (before.attachments.some((a) => a.dev === dev && a.pasid === pasid)) {
          f.replaces++;
          if (!result.ok) f.replaceFails++;
        }
        const group = before.world.devices.find((d) => d.name === dev)?.group;
        if (before.world.devices.some((d) => d.name !== dev && d.group === group) && result.ok) f.siblingAttaches++;
        break;
      }
      default:
        break;
    }
  }

  get figures(): ReachFigures {
    return { ...this.f };
  }

  add(o: ReachFigures) {
    for (const k of Object.keys(this.f) as (keyof ReachFigures)[]) this.f[k] += o[k];
  }
}

/** The figures of several checks as one (the chunks of one cell, chunks.ts): every count summed. */
export function mergeReach(figures: readonly ReachFigures[]): ReachFigures {
  const r = new Reach();
  for (const f of figures) r.add(f);
  return r.figures;
}

const pct = (n: number, d: number) => `${d === 0 ? 0 : Math.round((n / d) * 1000) / 10}%`;

/** One line for a run's summary. */
export function formatReach(r: ReachFigures): string {
  return `DMA through a guest stage-1 ${pct(r.dmaStage1, r.dma)} (${r.dmaStage1}/${r.dma}), unmaps that split ${pct(r.unmapSplits, r.unmaps)} (${r.unmapSplits}/${r.unmaps}), ` +
    `nested ${r.nested}, replaces ${r.replaces} (${r.replaceFails} failed), group-sibling attaches ${r.siblingAttaches}, ENOMEM ${r.enomem}, ` +
    `IOVAs near U64_MAX ${r.highIova}, copies from inside an area ${r.copyInside}, DMA through native SVA ${r.dmaNative}, munmaps ${r.munmaps}, ` +
    `file maps ${r.fileMaps}, files released by their last holder ${r.heldReleases}, vEVENTQ events ${r.vevents} (${r.veventsLost} lost)`;
}
