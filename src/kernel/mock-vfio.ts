/**
 * VFIO device cdevs over the iommufd selftest's mock device. Linux has no VFIO device in the guest, but
 * CONFIG_IOMMUFD_TEST has a mock one that IOMMU_TEST_CMD binds, attaches and replaces through the very iommufd
 * functions VFIO calls (iommufd_device_bind/attach/replace/detach/unbind). So what iommufd decides is Linux's own;
 * only the VFIO front end is emulated here, each check ported from drivers/vfio/device_cdev.c, vfio_main.c and
 * iommufd.c of 6.12, in their order. The differences, written down because a reader of a disagreement needs them:
 * - a device file is a /dev/null placeholder, so the trace's fd numbers stay the kernel's own;
 * - BIND is IOMMU_TEST_OP_MOCK_DOMAIN on a scratch IOAS of that iommufd (the mock has no bind without attach):
 *   the device is bound and sits on an empty domain, which no trace can see (its ids are never handed out);
 * - so a first ATTACH runs iommufd_device_replace from the scratch domain (MOCK_DOMAIN_REPLACE), where VFIO runs
 *   iommufd_device_attach; for the mock's one-device groups without reserved regions the two decide alike;
 * - DETACH is a replace back to the scratch IOAS, and closing a bound device file destroys the mock device;
 * - VFIO keeps a reference on the iommufd file while a device is bound (iommufd_ctx_from_fd takes it): a dup of
 *   the iommufd fd held while bound does the same, so closing the trace's iommufd fd releases nothing early.
 */
import type { DevName, Errno, Result } from '../uapi/index.js';
import { encodeIommufd, field, LAYOUTS, testCmd } from './abi.js';
import type { Session } from './session.js';

/** Where the emulation keeps its own references: above the trace's fds, below the executor's (900+). */
const HIDDEN_FD_BASE = 500;

export interface Bound {
  /** the iommufd file (its open serial) and the dup that keeps it alive while bound */
  readonly ctx: number;
  readonly ctxFd: number;
  readonly stdev: number;
  readonly idev: number;
  /** attached in VFIO's sense (vdev->iommufd_attached), and the HWPT the mock device is on now (the scratch one when not) */
  attached: boolean;
  hwpt: number;
}

/** A file of the session: the trace's /dev/iommu opens and its emulated device files. */
export type RealFile =
  | { readonly kind: 'iommufd'; readonly key: number }
  /** a FAULT object's fd, made by IOMMU_FAULT_QUEUE_ALLOC */
  | { readonly kind: 'fault'; readonly key: number }
  /** the selftest's access fd, made by IOMMU_TEST_OP_CREATE_ACCESS */
  | { readonly kind: 'access'; readonly key: number }
  /** a vEVENTQ's fd, made by IOMMU_VEVENTQ_ALLOC (6.15+: never on Linux 6.12) */
  | { readonly kind: 'veventq'; readonly key: number }
  | { readonly kind: 'device'; readonly key: number; readonly dev: DevName; bound: Bound | null };

export type VfioCall =
  | { readonly ioctl: 'VFIO_DEVICE_BIND_IOMMUFD'; readonly flags: number; readonly iommufd: number }
  | { readonly ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT'; readonly flags: number; readonly pt_id: number }
  | { readonly ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT'; readonly flags: number };

/** A call's answer and whether its armed fail_nth fired (null: nothing was armed). */
export interface Emulated {
  readonly result: Result<unknown>;
  readonly fired: boolean | null;
}

const done = (result: Result<unknown>, fired: boolean | null = null): Emulated => ({ result, fired });
const fail = (errno: Errno): Emulated => done({ ok: false, errno });

export class MockVfio {
  /** vfio_device->open_count: bound files per device (the cdev path allows one) */
  private readonly openCount = new Map<DevName, number>();
  /** the scratch IOAS of each iommufd file, by its open serial */
  private readonly scratch = new Map<number, number>();

  /**
   * `files` is the session's fd table (the driver's), `returned` every object id Linux handed out in the session,
   * the hidden ones included (a trace's "never allocated" id must stay one).
   */
  constructor(private readonly session: Session, private readonly files: Map<number, RealFile>, private readonly returned: Set<number>) {}

  /** open(/dev/vfio/devices/vfioN): the placeholder fd (vfio_device_fops_cdev_open allocates nothing we model). */
  open(): Result<{ fd: number }> {
    const r = this.session.openPath('/dev/null');
    return r.ok ? { ok: true, out: { fd: r.value } } : { ok: false, errno: r.errno };
  }

  /** Any ioctl on a device file: vfio_device_fops_unl_ioctl. */
  ioctl(f: Extract<RealFile, { kind: 'device' }>, c: VfioCall | { readonly ioctl: string }, nth: number): Emulated {
    if (c.ioctl === 'VFIO_DEVICE_BIND_IOMMUFD') return this.bind(f, c as Extract<VfioCall, { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD' }>, nth);
    if (f.bound === null) return fail('EINVAL'); // !df->access_granted
    if (c.ioctl === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT') return this.attach(f.bound, c as Extract<VfioCall, { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT' }>, nth);
    if (c.ioctl === 'VFIO_DEVICE_DETACH_IOMMUFD_PT') return this.detach(f.bound, c as Extract<VfioCall, { ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT' }>);
    return fail('ENOTTY'); // vfio_pci_core_ioctl: default -ENOTTY
  }

  /** vfio_df_ioctl_bind_iommufd */
  private bind(f: Extract<RealFile, { kind: 'device' }>, c: Extract<VfioCall, { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD' }>, nth: number): Emulated {
    if (c.flags !== 0 || c.iommufd < 0) return fail('EINVAL');
    if (f.bound !== null) return fail('EINVAL'); // one device cannot be bound twice (df->access_granted)
    const target = this.files.get(c.iommufd);
    if (target === undefined) return fail('EBADF'); // iommufd_ctx_from_fd: fget
    if (target.kind !== 'iommufd') return fail('EBADFD');
    if ((this.openCount.get(f.dev) ?? 0) !== 0) return fail('EINVAL'); // vfio_df_open: the cdev path opens a device once
    const scratch = this.scratchOf(c.iommufd, target.key);
    const r = this.session.ioctl(c.iommufd, testCmd('MOCK_DOMAIN', scratch), nth);
    if (!r.ok) return done({ ok: false, errno: r.errno }, r.fired);
    const L = LAYOUTS.iommu_test_cmd;
    const stdev = Number(field(L, r.arg, 'mock_domain.out_stdev_id'));
    const idev = Number(field(L, r.arg, 'mock_domain.out_idev_id'));
    const hwpt = Number(field(L, r.arg, 'mock_domain.out_hwpt_id'));
    for (const id of [stdev, idev, hwpt]) this.returned.add(id);
    const ref = this.session.dup(c.iommufd, HIDDEN_FD_BASE); // iommufd_ctx_from_fd keeps the file
    if (!ref.ok) throw new Error(`keeping the iommufd file: ${ref.errno}`);
    f.bound = { ctx: target.key, ctxFd: ref.value, stdev, idev, attached: false, hwpt };
    this.openCount.set(f.dev, 1);
    return done({ ok: true, out: { out_devid: idev } }, r.fired);
  }

  /** The iommufd file's scratch IOAS, allocated at its first bind (a hidden id). */
  private scratchOf(fd: number, key: number): number {
    const known = this.scratch.get(key);
    if (known !== undefined) return known;
    const r = this.session.ioctl(fd, encodeIommufd({ ioctl: 'IOMMU_IOAS_ALLOC', fd: fd as never, flags: 0 }));
    if (!r.ok) throw new Error(`allocating the scratch IOAS: ${r.errno}`);
    const id = Number(field(LAYOUTS.iommu_ioas_alloc, r.arg, 'out_ioas_id'));
    this.returned.add(id);
    this.scratch.set(key, id);
    return id;
  }

  /** vfio_df_ioctl_attach_pt -> vfio_iommufd_physical_attach_ioas: replace if attached, else attach (here: a replace from scratch). */
  private attach(b: Bound, c: Extract<VfioCall, { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT' }>, nth: number): Emulated {
    if (c.flags !== 0) return fail('EINVAL'); // 6.12: no VFIO_DEVICE_ATTACH_PASID yet
    const r = this.session.ioctl(b.ctxFd, testCmd('MOCK_DOMAIN_REPLACE', b.stdev, { 'mock_domain_replace.pt_id': c.pt_id }), nth);
    if (!r.ok) return done({ ok: false, errno: r.errno }, r.fired);
    const pt = Number(field(LAYOUTS.iommu_test_cmd, r.arg, 'mock_domain_replace.pt_id'));
    this.returned.add(pt);
    b.attached = true;
    b.hwpt = pt;
    return done({ ok: true, out: { pt_id: pt } }, r.fired);
  }

  /** vfio_df_ioctl_detach_pt: flags, then vfio_iommufd_physical_detach_ioas (nothing when not attached); always 0. */
  private detach(b: Bound, c: Extract<VfioCall, { ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT' }>): Emulated {
    if (c.flags !== 0) return fail('EINVAL');
    if (b.attached) this.toScratch(b);
    return done({ ok: true, out: {} });
  }

  /** Back onto the scratch IOAS (iommufd_device_detach's place here); it cannot fail without injected faults. */
  private toScratch(b: Bound) {
    const scratch = this.scratch.get(b.ctx);
    if (scratch === undefined) throw new Error('a bound device without its scratch IOAS');
    const r = this.session.ioctl(b.ctxFd, testCmd('MOCK_DOMAIN_REPLACE', b.stdev, { 'mock_domain_replace.pt_id': scratch }));
    if (!r.ok) throw new Error(`detaching a mock device: ${r.errno}`);
    b.attached = false;
    b.hwpt = Number(field(LAYOUTS.iommu_test_cmd, r.arg, 'mock_domain_replace.pt_id'));
    this.returned.add(b.hwpt);
  }

  /** close(2) of a device file: vfio_df_unbind_iommufd (detach, unbind, drop the iommufd file), then the file itself. */
  close(fd: number, f: Extract<RealFile, { kind: 'device' }>): Result<Record<string, never>> {
    if (f.bound !== null) {
      const b = f.bound;
      const r = this.session.ioctl(b.ctxFd, encodeIommufd({ ioctl: 'IOMMU_DESTROY', fd: b.ctxFd as never, id: b.stdev as never }));
      if (!r.ok) throw new Error(`destroying a mock device: ${r.errno}`);
      const c = this.session.close(b.ctxFd);
      if (!c.ok) throw new Error(`dropping the iommufd file a device held: ${c.errno}`);
      f.bound = null;
      this.openCount.set(f.dev, 0);
    }
    const r = this.session.close(fd);
    return r.ok ? { ok: true, out: {} } : { ok: false, errno: r.errno };
  }
}
