/**
 * A design alternative is a value: a name, a rationale citing the seed or the facts, the ioctls it offers,
 * and the policy points where it differs. Core rules read a policy on a line marked `// design point: X`;
 * a design file holds only what differs (STYLE §5).
 */
import type { DesignName, HwKind, IoctlName } from '../uapi/index.js';

export { DESIGN_NAMES, type DesignName } from '../uapi/index.js';

export interface Policy {
  /**
   * Who issues page-table bind and cache invalidation: the address space's FD, or each device FD (seed M1 vs M2).
   * Expressed by the vocabulary (per-device designs offer VFIO_DEVICE_BIND_PGTABLE & co. instead of
   * IOASID_BIND_PGTABLE); a test holds every design's vocabulary to its ownership.
   */
  readonly ownership: 'per-ioasid' | 'per-device';
  /** One FD multiplexing many address spaces per VM, or one FD per address space (seed step 1). */
  readonly fdModel: 'per-vm' | 'per-ioasid';
  /** Devices may be attached at any time, or only before the FD's first map/bind (seed concern 1, reversed). */
  readonly association: 'runtime' | 'setup-only';
  /** Whether a guest-owned PASID table can be bound (AMD/ARM vSVA, seed concern 2). */
  readonly guestPasidTable: 'bindable' | 'refused';
  /** A range unmap that meets a partly covered area: kernel iommufd keeps what it removed (ENOENT), type1 refuses first. */
  readonly unmap: 'iommufd-partial' | 'type1-atomic';
  /**
   * Native SVA: how userspace binds its own process address space (the CPU page table) to a device PASID (seed M3
   * concern 3: "this per-ioasid SVA operations is not aligned with the native SVA usage model. Native SVA bind is
   * per-device"). `per-device`: Yi's model, VFIO_DEVICE_BIND_SVA / UNBIND_SVA on the device FD bind the calling
   * process's mm to one PASID of that device (the per-device-sva design). `none`: no uAPI for it — iommufd as merged
   * has none (drivers bind in the kernel, iommu_sva_bind_device(dev, current->mm)), and RFC v1 and its variants write
   * none down. Only these two values: Jason's answer (M4: "Seems like that is an error in native SVA"; SVA is a mode
   * of the PASID's page table) was never written down as a per-ioasid uAPI in the thread, so no design stands for it.
   */
  readonly nativeSva: 'per-device' | 'none';
  /**
   * Where a device's page request (PRI) goes for the user to answer. `fault-queue`: iommufd's FAULT objects (fault.ts), a
   * queue per HWPT allocated with FAULT_ID_VALID, whose requests carry the device and a cookie. `ioasid-ring`: RFC v1's
   * flow 5.6 (fault-ring.ts), a ring per /dev/ioasid FD of {ioasid, addr} and a completion ioctl naming only the ioasid.
   * `none`: the design wrote down no fault reporting — the seed's skeleton (fd-per-ioasid) and Yi's objection
   * (per-device-sva: M1 moves the SVA operations to the device FD but proposes no per-device fault path), so every page
   * request is answered at once by the IOMMU core, as a domain with no fault handler's is (iopf_error_response).
   */
  readonly faultReport: 'fault-queue' | 'ioasid-ring' | 'none';
}

export interface Design {
  readonly name: DesignName;
  readonly title: string;
  /** One paragraph: what the design is and why someone proposed it. */
  readonly rationale: string;
  readonly cites: readonly string[];
  /**
   * Whether the design shipped in Linux (`merged`) or stayed a proposal of the 2021 thread. Only a merged design has
   * kernel versions (src/uapi/kernel.ts) and runs on Linux itself (src/kernel/).
   */
  readonly status: 'merged' | 'proposed';
  /** The node userspace opens to get the address-space FD. */
  readonly node: '/dev/iommu' | '/dev/ioasid';
  readonly policy: Policy;
  /** The ioctls this design offers; anything else is ENOTTY. */
  readonly ioctls: readonly IoctlName[];
  /** Hardware kinds the design can drive fully; on others some ioctls answer EOPNOTSUPP (a finding, not a bug). */
  readonly hardware: readonly HwKind[];
  /** Written-down rules for behaviour no source decided, one line each. */
  readonly choices: readonly string[];
  /** The object graph: who holds whom (ASCII, one edge per line, "A -> B" = A holds a reference on B). */
  readonly graph: readonly string[];
}
