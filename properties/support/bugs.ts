/**
 * Deliberately broken kernels for testing the checker: each is the simulated kernel with one kernel-style bug
 * added by a wrapper around one ioctl handler or one hardware method of a single kernel instance — never by a
 * flag in the main code paths.
 */
import { createKernel, Kernel, type Allocator } from '../../src/impl/index.js';
import { iommufdFrontEnd } from '../../src/impl/designs/iommufd.js';
import type { FrontEnd, Handler, KFile } from '../../src/impl/kernel.js';
import { IoasObj } from '../../src/impl/objects.js';
import { pagesOf } from '../../src/impl/iopt.js';
import { putUsers } from '../../src/impl/object.js';
import type { IommufdFile } from '../../src/impl/iommufd-file.js';
import type { DeviceFile } from '../../src/impl/kernel.js';
import { U64_MAX, type DesignName, type Ioctl, type IoctlName, type World } from '../../src/uapi/index.js';
import type { KernelFactory } from '../../src/check/differential.js';

/** The iommufd front-end with one handler wrapped. */
function wrapped(name: IoctlName, wrap: (orig: Handler) => Handler): FrontEnd {
  const row = iommufdFrontEnd.ioctls[name];
  if (!row) throw new Error(`iommufd has no ${name}`);
  return { ...iommufdFrontEnd, ioctls: { ...iommufdFrontEnd.ioctls, [name]: { ...row, handler: wrap(row.handler) } } };
}

const withFrontEnd = (fe: FrontEnd): KernelFactory => (_d: DesignName, w: World, a: Allocator) => new Kernel(fe, w, a);

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
