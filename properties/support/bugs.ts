/**
 * Deliberately broken kernels for testing the checker: each is the simulated kernel with one kernel-style bug
 * added by a wrapper around one ioctl handler or one hardware method of a single kernel instance — never by a
 * flag in the main code paths.
 */
import { createKernel, Kernel, type Allocator } from '../../src/impl/index.js';
import { iommufdFrontEnd } from '../../src/impl/designs/iommufd.js';
import type { FrontEnd, Handler, KFile } from '../../src/impl/kernel.js';
import { DeviceObj, IoasObj } from '../../src/impl/objects.js';
import { FaultFile } from '../../src/impl/fault.js';
import { rfcV1FrontEnd } from '../../src/impl/designs/rfc-v1.js';
import { IoasidCtxFile } from '../../src/impl/ioasid-file.js';
import { IoasidChild } from '../../src/impl/ioasid-objects.js';
import { VeventqFile } from '../../src/impl/viommu.js';
import { pagesOf } from '../../src/impl/iopt.js';
import { putUsers } from '../../src/impl/object.js';
import type { IommufdFile } from '../../src/impl/iommufd-file.js';
import type { DeviceFile } from '../../src/impl/kernel.js';
import { IOASID_INFO_MAP_DMA, U64_MAX, type IoasidInfo, type DesignName, type HwKind, type Ioctl, type IoctlName, type ProfileName, type World } from '../../src/uapi/index.js';
import type { KernelFactory } from '../../src/check/differential.js';
import type { Fixture } from '../../src/check/fixture.js';

/** The iommufd front-end with one handler wrapped. */
export function wrapped(name: IoctlName, wrap: (orig: Handler) => Handler): FrontEnd {
  const row = iommufdFrontEnd.ioctls[name];
  if (!row) throw new Error(`iommufd has no ${name}`);
  return { ...iommufdFrontEnd, ioctls: { ...iommufdFrontEnd.ioctls, [name]: { ...row, handler: wrap(row.handler) } } };
}

/** The iommufd front-end whose `name` hands each file it makes (the fd its output `field` returns) to `patch` first. */
export function withNewFile(name: IoctlName, field: string, patch: (file: KFile) => void): FrontEnd {
  return wrapped(name, (orig) => (k, f: KFile, c: Ioctl) => {
    const r = orig(k, f, c);
    const file = r.ok ? k.fds.get((r.out as Readonly<Record<string, number>>)[field]!) : undefined; // a success returns the fd
    if (file) patch(file);
    return r;
  });
}

export const withFrontEnd = (fe: FrontEnd): KernelFactory => (_d: DesignName, w: World, a: Allocator) => new Kernel(fe, w, a);

export interface InjectedBug {
  readonly name: string;
  readonly factory: KernelFactory;
  /** the property that must catch it, where only one can */
  readonly property?: string;
  /** what its violation message must say */
  readonly message?: RegExp;
  /** RLIMIT_MEMLOCK for every run, where the bug needs a pin to fail */
  readonly memlockPages?: number;
  /** the design whose kernel runs the broken code, where it is not iommufd */
  readonly design?: DesignName;
  /** the machine, where the bug needs one the default lacks (dirty tracking) */
  readonly profile?: ProfileName;
  /** the hardware kind (default host-pasid-table) */
  readonly hardware?: HwKind;
  /** runs to give check, where the bug needs a longer chain of calls than the usual 2000 reach */
  readonly runs?: number;
  /** the set-up every run starts from, where the bug lives in one (check --setup) */
  readonly setup?: Fixture;
}

export const BUGS: readonly InjectedBug[] = [
  {
    name: 'unmap forgets the IOTLB flush',
    factory: (d, w, a) => {
      const k = createKernel(d, w, a);
      k.iommu.flushRange = () => {};
      return k;
    },
  },
  {
    name: 'detach does not drop the HWPT reference',
    factory: withFrontEnd(wrapped('VFIO_DEVICE_DETACH_IOMMUFD_PT', (orig) => (k, f: KFile, c: Ioctl) => {
      const vdev = (f as DeviceFile).vdev;
      const pasid = 'flags' in c && c.flags & 1 && 'pasid' in c ? c.pasid : null;
      const r = vdev.routes.find((x) => x.pasid === pasid);
      if (r) r.target.users++; // the put that never happens
      return orig(k, f, c);
    })),
  },
  {
    name: 'IOMMU_DESTROY misses the EBUSY check',
    factory: withFrontEnd(wrapped('IOMMU_DESTROY', (orig) => (k, f: KFile, c: Ioctl) => {
      const o = 'id' in c ? (f as IommufdFile).table.get(c.id) : undefined;
      if (o && o.kind === 'ioas') o.users = 1; // refcount_dec_if_one without looking
      return orig(k, f, c);
    })),
  },
  {
    name: 'IOAS_UNMAP lets a wrapping range through',
    factory: withFrontEnd(wrapped('IOMMU_IOAS_UNMAP', (orig) => (k, f: KFile, c: Ioctl) => {
      if (c.ioctl === 'IOMMU_IOAS_UNMAP' && c.length !== U64_MAX && c.iova + c.length - 1n > U64_MAX) {
        return orig(k, f, { ...c, length: U64_MAX - c.iova + 1n === U64_MAX ? U64_MAX - 1n : U64_MAX - c.iova + 1n }); // clamped instead of EOVERFLOW
      }
      return orig(k, f, c);
    })),
  },
  {
    name: 'a failed attach leaves a pin behind',
    // a small RLIMIT_MEMLOCK, a second domain, an attach it refuses: seeds 1-8 find it in 94-2867 runs
    runs: 4000,
    memlockPages: 24, // the set-up's 16 pages of guest RAM fit; a second domain's pins do not
    factory: withFrontEnd(wrapped('VFIO_DEVICE_ATTACH_IOMMUFD_PT', (orig) => (k, f: KFile, c: Ioctl) => {
      const r = orig(k, f, c);
      if (!r.ok && (r.errno === 'EFAULT' || r.errno === 'ENOMEM') && c.ioctl === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT') {
        const ictx = (f as DeviceFile).vdev.ctx as IommufdFile | null;
        const ioas = ictx?.table.get(c.pt_id);
        const first = ioas instanceof IoasObj ? ioas.iopt.areas.find((a) => a.pages.pinCount === 0) : undefined;
        first?.pages.pin(pagesOf(first)); // the unwind skipped this unpin
      }
      return r;
    })),
  },
  {
    name: 'IOAS_UNMAP puts the IOAS it looked up (a put without a get: refcount underflow, a kernel WARN)',
    property: 'P-WARN',
    factory: withFrontEnd(wrapped('IOMMU_IOAS_UNMAP', (orig) => (k, f: KFile, c: Ioctl) => {
      const r = orig(k, f, c);
      const ioas = 'ioas_id' in c ? (f as IommufdFile).table.get(c.ioas_id) : undefined;
      if (ioas instanceof IoasObj) putUsers(ioas); // the stray put
      return r;
    })),
  },
  {
    name: 'IOMMU_DESTROY touches the object after freeing it (a kernel oops)',
    property: 'P-OOPS',
    factory: withFrontEnd(wrapped('IOMMU_DESTROY', (orig) => (k, f: KFile, c: Ioctl) => {
      const r = orig(k, f, c);
      const table = (f as IommufdFile).table;
      if (r.ok && 'id' in c) (table.get(c.id) as unknown as { users: number }).users--; // use after free
      return r;
    })),
  },
  {
    name: 'IOAS_MAP without READ or WRITE is accepted (labelled by the spec rule, not as P-IOVA-ALLOC)',
    property: 'differential',
    factory: withFrontEnd(wrapped('IOMMU_IOAS_MAP', (orig) => (k, f: KFile, c: Ioctl) =>
      orig(k, f, c.ioctl === 'IOMMU_IOAS_MAP' && (c.flags & 6) === 0 ? { ...c, flags: c.flags | 2 } : c))),
    message: /^IOAS_MAP\.EINVAL\.prot: the spec answers EINVAL, the kernel /,
  },
  {
    // the split case of iopt_unmap_iova_range: an area sticking out of the range is refused (ENOENT), but this kernel
    // first read-and-cleared the dirty bits of the part of it inside the range, as if it were going away
    name: 'an unmap refused at a split clears the dirty bits of the area it refused to split',
    profile: 'vtd',
    // a live migration's set-up (check --setup migration), then a dirty write, an unmap cutting its area and a read of
    // that area: seeds 1-8 find it in 289-5444 runs (from every set-up in 225-6034, and three of them miss 8000)
    setup: 'migration',
    runs: 6000,
    property: 'P-DIRTY',
    message: /^HWPT_GET_DIRTY_BITMAP\.ok: pages written since their last clear are not reported dirty/,
    factory: withFrontEnd(wrapped('IOMMU_IOAS_UNMAP', (orig) => (k, f: KFile, c: Ioctl) => {
      const ioas = c.ioctl === 'IOMMU_IOAS_UNMAP' ? (f as IommufdFile).table.getKind(c.ioas_id, IoasObj) : undefined;
      if (c.ioctl === 'IOMMU_IOAS_UNMAP' && ioas && c.length > 0n && c.iova + c.length - 1n <= U64_MAX) {
        const last = c.iova + c.length - 1n;
        for (const a of ioas.iopt.areas) {
          if (a.last < c.iova || a.start > last || (a.start >= c.iova && a.last <= last)) continue; // not cut by the range
          for (const d of ioas.iopt.domains) {
            const g = 1n << d.pt.shift;
            for (let iova = a.start > c.iova ? a.start : c.iova; iova <= (a.last < last ? a.last : last); iova += g) {
              const pte = d.pt.walk(iova);
              if (pte) pte.dirty = false;
            }
          }
        }
      }
      return orig(k, f, c);
    })),
  },
  {
    // the release of the FAULT fd frees the groups still queued or read (a close that drops pending faults) instead of
    // leaving them to be answered when their attachment goes: the device never gets a response
    name: 'closing the FAULT fd drops the page requests it still holds, unanswered',
    property: 'P-FAULT',
    factory: withFrontEnd(withNewFile('IOMMU_FAULT_QUEUE_ALLOC', 'out_fault_fd', (file) => {
      if (!(file instanceof FaultFile)) return;
      const release = file.release.bind(file);
      file.release = () => {
        file.fault.deliver.splice(0);
        file.fault.response.clear();
        release();
      };
    })),
  },
  {
    // RFC v1 (flow 5.6): the device FD's release frees the requests its routes stored on their ioasids (and their ring
    // entries) instead of answering them: the device waits for a page response that never comes
    name: 'RFC v1: closing a device FD drops the page requests its routes stored, unanswered',
    design: 'rfc-v1',
    setup: 'nested',
    property: 'P-FAULT',
    factory: withFrontEnd({
      ...rfcV1FrontEnd,
      unbind: (k, vdev) => {
        for (const r of vdev.routes) {
          if (!(r.target instanceof IoasidChild)) continue;
          const child = r.target;
          const ring = child.owner instanceof IoasidCtxFile ? child.owner.ring : null;
          for (const x of child.faultData.filter((y) => y.route === r)) {
            child.faultData.splice(child.faultData.indexOf(x), 1);
            if (ring && !x.taken) ring.splice(ring.findIndex((e) => e.fault === x), 1);
          }
        }
        rfcV1FrontEnd.unbind(k, vdev);
      },
    }),
  },
  {
    // RFC v1 §2 GET_INFO: the capability word is computed once per kind of ioasid instead of from its state, so a child
    // whose guest table is bound still advertises type1 maps, which MAP_DMA then refuses (EBUSY)
    name: 'RFC v1: IOASID_GET_INFO of a child with a bound table still reports MAP_DMA',
    design: 'rfc-v1',
    setup: 'nested',
    factory: withFrontEnd({
      ...rfcV1FrontEnd,
      ioctls: {
        ...rfcV1FrontEnd.ioctls,
        IOASID_GET_INFO: {
          ...rfcV1FrontEnd.ioctls.IOASID_GET_INFO!,
          handler: (k, f: KFile, c: Ioctl) => {
            const r = rfcV1FrontEnd.ioctls.IOASID_GET_INFO!.handler(k, f, c);
            return r.ok ? { ...r, out: { ...(r.out as IoasidInfo), flags: (r.out as IoasidInfo).flags | IOASID_INFO_MAP_DMA } } : r;
          },
        },
      },
    }),
  },
  {
    // iopt_alloc_file_pages takes its get_file twice (or iopt_release_pages misses the fput): the memfd outlives the
    // last map of it, its pages and its memory never freed
    name: 'a file map takes two references on its memfd and drops one: the memfd outlives its last map',
    // shrunk to its shortest form: a file map and the end of the trace, where the kernel still holds the memfd
    property: 'P-NOLEAK',
    message: /the kernel still holds 1 files/,
    factory: withFrontEnd(wrapped('IOMMU_IOAS_MAP_FILE', (orig) => (k, f: KFile, c: Ioctl) => {
      const r = orig(k, f, c);
      const file = r.ok && c.ioctl === 'IOMMU_IOAS_MAP_FILE' ? k.fds.get(c.file_fd) : undefined;
      if (file) k.fget(file);
      return r;
    })),
  },
  {
    // iommufd_viommu_report_event returns early on a full queue instead of queuing the lost-events header: the guest
    // reads the events that fit and never learns that any went missing (vEVENTQ overflow)
    name: 'a full vEVENTQ drops the next event without its lost-events header: the guest never learns of the loss',
    hardware: 'guest-pasid-table',
    setup: 'viommu',
    factory: withFrontEnd(withNewFile('IOMMU_VEVENTQ_ALLOC', 'out_veventq_fd', (file) => {
      if (!(file instanceof VeventqFile)) return;
      const q = file.veventq;
      const report = q.report.bind(q);
      q.report = (virtId) => {
        if (q.numEvents < q.depth) report(virtId);
      };
    })),
  },
  {
    // iommufd_device_remove_vdev destroys the vDEVICE with iommufd_object_remove rather than tombstoning it: its id is
    // handed out again while the guest may still name the device by it
    name: 'unbinding a device frees its vDEVICE\'s id for reuse instead of keeping it until the iommufd closes',
    hardware: 'guest-pasid-table',
    setup: 'viommu',
    factory: withFrontEnd({
      ...iommufdFrontEnd,
      unbind: (k, vdev) => {
        const vd = vdev.idev instanceof DeviceObj ? vdev.idev.vdev : null;
        if (vd) (vdev.ctx as IommufdFile).table.remove(vd);
        iommufdFrontEnd.unbind(k, vdev);
      },
    }),
  },
  {
    name: 'munmap skips the mmu notifier: a native SVA binding keeps a stale IOTLB entry for a page the CPU lost',
    design: 'per-device-sva',
    property: 'P-INVAL',
    message: /pasid \d+ (read|write) at 0x[0-9a-f]+: the kernel gives hit 0x[0-9a-f]+, the spec allows fault no-translation$/,
    factory: (d, w, a) => {
      const k = createKernel(d, w, a);
      k.mm.invalidateSecondaryTlbs = () => {};
      return k;
    },
  },
];
