import type { Design } from '../design.js';

/** iommufd as merged (Linux 6.2+, newest behaviour read in the kernel; what older kernels lack is the world's kernel version, src/uapi/kernel.ts). */
export const iommufd: Design = {
  name: 'iommufd',
  title: 'iommufd as merged (/dev/iommu)',
  rationale:
    'The design that shipped. One /dev/iommu FD per VM multiplexes IOAS objects (kernel-managed IOVA maps) and ' +
    'HWPTs (the page tables: paging domains that mirror an IOAS, automatic or by IOMMU_HWPT_ALLOC, and nested ' +
    'ones that carry a guest stage-1). Devices join through their VFIO cdev FD (bind, then attach by RID or PASID), ' +
    'but every page-table operation is issued on the iommufd and reaches all devices on that HWPT — Jason\'s ' +
    '"per-ioasid, not per-device" (M2), with the ioasid split into IOAS and HWPT.',
  cites: ['facts §2 (merged uAPI)', 'facts §2.5 (lifetime rules)', 'facts §3 (errnos)', 'seed M2', 'facts §7'],
  status: 'merged',
  node: '/dev/iommu',
  policy: {
    ownership: 'per-ioasid', fdModel: 'per-vm', association: 'runtime', guestPasidTable: 'bindable',
    unmap: 'iommufd-partial', nativeSva: 'none', faultReport: 'fault-queue',
  },
  ioctls: [
    'IOMMU_DESTROY', 'IOMMU_IOAS_ALLOC', 'IOMMU_IOAS_ALLOW_IOVAS', 'IOMMU_IOAS_COPY', 'IOMMU_IOAS_IOVA_RANGES',
    'IOMMU_IOAS_MAP', 'IOMMU_IOAS_UNMAP', 'IOMMU_OPTION', 'IOMMU_GET_HW_INFO', 'IOMMU_HWPT_ALLOC', 'IOMMU_HWPT_INVALIDATE', 'IOMMU_HWPT_SET_DIRTY_TRACKING', 'IOMMU_HWPT_GET_DIRTY_BITMAP', 'IOMMU_FAULT_QUEUE_ALLOC', 'IOMMU_IOAS_MAP_FILE', 'IOMMU_IOAS_CHANGE_PROCESS', 'IOMMU_VIOMMU_ALLOC', 'IOMMU_VDEVICE_ALLOC', 'IOMMU_VEVENTQ_ALLOC', 'VFIO_DEVICE_BIND_IOMMUFD',
    'VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'VFIO_DEVICE_DETACH_IOMMUFD_PT',
  ],
  hardware: ['host-pasid-table', 'guest-pasid-table'],
  graph: [
    'iommufd FD -> IOAS, HWPT_PAGING, HWPT_NESTED, DEVICE (object table, ids from 1)',
    'HWPT_PAGING -> IOAS (mirrors its areas; auto HWPTs die with their last device)',
    'HWPT_NESTED -> HWPT_PAGING (NEST_PARENT, never auto), or -> vIOMMU -> HWPT_PAGING (NEST_PARENT)',
    'vDEVICE -> vIOMMU, DEVICE (one per device; a tombstone id after unbind); vEVENTQ -> vIOMMU (one per type; its fd)',
    'device (RID | RID+PASID) -> HWPT_PAGING | HWPT_NESTED (attachment)',
    'VFIO device FD -> DEVICE (driver reference until unbind) -> iommufd FD (file reference)',
    'IOAS area -> pages (shared by IOAS_COPY, pinned once while a HWPT_PAGING exists)',
  ],
  choices: [
    'guest-pasid-table hardware (SMMUv3): a nested HWPT (data ARM_SMMUV3 = the vSTE, the guest CD table) is made on a vIOMMU over the nest parent, a device attaches to it with its vDEVICE, and it is invalidated through the vIOMMU; a 6.12 world, which has no vIOMMU, keeps the nested HWPT on its parent as a stand-in',
    'a HWPT takes DIRTY_TRACKING where the machine\'s IOMMU tracks dirty pages; a device write sets the bits of the pages it reaches',
    'domains take the machine profile\'s aperture and smallest page size (default: 48 bits, 4 KiB); manual HWPT_ALLOC does not apply device reserved regions (attach does)',
    'the modelled kernel has CONFIG_TRANSPARENT_HUGEPAGE: automatic IOVAs keep up to 2 MiB of the user address alignment',
    'every device is driven by vfio-pci (which has PASID ops): a PASID attach on a device without PASID is EINVAL from the IOMMU',
  ],
};

