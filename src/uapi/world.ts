import { UAPI_AT, type KernelVersion, type UapiLevel } from './kernel.js';
import type { IommuProfile, MachineProfile, ReservedRegion } from './profile.js';

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
  /**
   * PASID width in bits (dev->iommu->max_pasids = min of the device's and the IOMMU's): 0 is no PASID support, and
   * a PASID at or past 2^pasidBits fails EINVAL (iommu_attach_device_pasid).
   */
  readonly pasidBits: number;
  /** Reserved regions the device imposes on any IOAS it is attached to: its IOMMU's (the MSI window) and its own (RMRRs). */
  readonly reserved: readonly ReservedRegion[];
}

export interface World {
  readonly hw: HwKind;
  /** The IOMMU serving every device: aperture, page sizes, nesting (src/uapi/profile.ts). */
  readonly iommu: IommuProfile;
  readonly devices: readonly PhysDevice[];
  /** RLIMIT_MEMLOCK in pages for the process's user (ENOMEM past it). */
  readonly memlockPages: number;
  /** the kernel version whose uAPI the machine runs (kernel.ts): which flags and lookups its calls know */
  readonly kernel: KernelVersion;
}

/** What the world's kernel takes (kernel.ts UAPI_AT). */
export const uapiOf = (w: World): UapiLevel => UAPI_AT[w.kernel];

/** The x86 interrupt window every device reserves (IOMMU_RESV_MSI). */
export const MSI_WINDOW: ReservedRegion = { start: 0xfee0_0000n, last: 0xfeef_ffffn, kind: 'msi' };

/** A reserved memory region the multi-function card's firmware reports (an RMRR, IOMMU_RESV_DIRECT). */
export const CARD_RMRR: ReservedRegion = { start: 0xd000_0000n, last: 0xd00f_ffffn, kind: 'direct' };

/** The VFIO cdev node of each device, in DEVICE_NAMES order. */
export const DEVICE_PATHS = ['/dev/vfio/devices/vfio0', '/dev/vfio/devices/vfio1', '/dev/vfio/devices/vfio2', '/dev/vfio/devices/vfio3'] as const;

/** The world a machine profile describes: each device reserves its IOMMU's regions and its own. */
export function worldOf(m: MachineProfile, memlockPages = 1 << 16, kernel: KernelVersion = 'upstream'): World {
  return {
    hw: m.iommu.hw,
    iommu: m.iommu,
    memlockPages,
    kernel,
    devices: DEVICE_NAMES.map((name, i) => {
      const d = m.devices[i]!; // a machine has exactly one profile per device name
      return { name, path: DEVICE_PATHS[i]!, group: d.group, pasidBits: d.pasidBits, reserved: [...m.iommu.reserved, ...d.reserved] };
    }),
  };
}

export const IOMMUFD_PATH = '/dev/iommu';
export const IOASID_PATH = '/dev/ioasid';

/** Whether `path` is a node of the machine as a kernel with the merged uAPI has it: /dev/iommu, or a device's VFIO cdev. */
export const isIommufdNode = (w: World, path: string): boolean => path === IOMMUFD_PATH || w.devices.some((d) => d.path === path);
