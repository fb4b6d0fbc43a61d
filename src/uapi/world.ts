import type { IovaRange } from './types.js';

/**
 * The machine a trace runs on: the hardware kind and the physical devices. Design-neutral: every design
 * and both the spec and the simulated kernel read the same World.
 */

/**
 * `host-pasid-table`: Intel VT-d style, the host owns the PASID table and installs one entry per (device, PASID).
 * `guest-pasid-table`: AMD GCR3 / ARM SMMUv3 CD-table style, the guest owns the PASID table in its own memory and
 * the host only points the device's RID entry at it (seed: "They only need to bind the guest PASID table to host").
 */
export const HW_KINDS = ['host-pasid-table', 'guest-pasid-table'] as const;
export type HwKind = (typeof HW_KINDS)[number];

/** The design alternatives, by name: shared vocabulary so the spec and the simulated kernel name them alike. */
export const DESIGN_NAMES = ['iommufd', 'rfc-v1', 'fd-per-ioasid', 'per-device-sva', 'setup-only-association'] as const;
export type DesignName = (typeof DESIGN_NAMES)[number];

export const DEVICE_NAMES = ['dev1', 'dev2', 'dev3', 'dev4'] as const;
export type DevName = (typeof DEVICE_NAMES)[number];

export interface PhysDevice {
  readonly name: DevName;
  /** The VFIO cdev node that opens it. */
  readonly path: string;
  /** iommu_group number: devices of one group share one translation (facts §2.5 group rule). */
  readonly group: number;
  /** Whether the device (and its IOMMU) supports PASID. */
  readonly pasid: boolean;
  /** Reserved regions the device imposes on any IOAS it is attached to (MSI window, RMRRs). */
  readonly reserved: readonly IovaRange[];
}

export interface World {
  readonly hw: HwKind;
  readonly devices: readonly PhysDevice[];
  /** RLIMIT_MEMLOCK in pages for the process's user (ENOMEM past it). */
  readonly memlockPages: number;
}

/** The x86 interrupt window every device reserves (IOMMU_RESV_MSI). */
export const MSI_WINDOW: IovaRange = { start: 0xfee0_0000n, last: 0xfeef_ffffn };

/** A reserved memory region the multi-function card's firmware reports (an RMRR, IOMMU_RESV_DIRECT). */
export const CARD_RMRR: IovaRange = { start: 0xd000_0000n, last: 0xd00f_ffffn };

/**
 * Default world: two PASID-capable devices each in its own group, and two devices without PASID sharing one
 * group (a multi-function card behind a non-ACS bridge), so the group rule can be exercised. The card's functions
 * also reserve an RMRR besides the MSI window, so which device reserved what on an IOAS can be told apart.
 */
export function defaultWorld(hw: HwKind = 'host-pasid-table', memlockPages = 1 << 16): World {
  return {
    hw,
    memlockPages,
    devices: [
      { name: 'dev1', path: '/dev/vfio/devices/vfio0', group: 1, pasid: true, reserved: [MSI_WINDOW] },
      { name: 'dev2', path: '/dev/vfio/devices/vfio1', group: 2, pasid: true, reserved: [MSI_WINDOW] },
      { name: 'dev3', path: '/dev/vfio/devices/vfio2', group: 3, pasid: false, reserved: [MSI_WINDOW, CARD_RMRR] },
      { name: 'dev4', path: '/dev/vfio/devices/vfio3', group: 3, pasid: false, reserved: [MSI_WINDOW, CARD_RMRR] },
    ],
  };
}

export const IOMMUFD_PATH = '/dev/iommu';
export const IOASID_PATH = '/dev/ioasid';
