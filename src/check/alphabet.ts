/**
 * The explorer's vocabulary: for each design and hardware kind, a small fixed set of calls (with symbolic ids)
 * that can build everything the requirements talk about — one VM, two devices, guest RAM at GPA 0, a guest
 * stage-1 table at GPA 0x2000 and a guest PASID table at GPA 0x3000 — plus the guest's own writes and one DMA.
 * Every design gets the calls its ioctls allow; nothing else. The search starts from a fixed set-up (FIXTURE).
 */
import type { Design } from '../spec/index.js';
import type { HwKind } from '../uapi/index.js';
import type { Sym, SymCmd, TraceStep } from './trace.js';

const RAM = 0x4000n;
const UVA = 0x100000n;
const PGT = 0x2000n;
const PASID_TBL = 0x3000n;
const GVA = 0x200000n;
const PASID = 1;

/** A step with the symbols it binds. */
export function stepOf(cmd: SymCmd, bind?: Record<string, Sym>): TraceStep {
  return bind ? { cmd, bind } : { cmd };
}

export function fixture(node: string): TraceStep[] {
  return [
    stepOf({ env: 'OPEN', path: node }, { fd: '$fd1' }),
    stepOf({ env: 'OPEN', path: '/dev/vfio/devices/vfio0' }, { fd: '$fd2' }),
    stepOf({ env: 'OPEN', path: '/dev/vfio/devices/vfio1' }, { fd: '$fd3' }),
    stepOf({ env: 'MMAP', uva: UVA, length: RAM }),
  ];
}

const guest = (hw: HwKind): TraceStep[] => [
  stepOf({ env: 'GUEST_WRITE_PGTABLE', table: PGT, iova: GVA, gpa: 0x0n }),
  stepOf({ env: 'GUEST_WRITE_PGTABLE', table: PGT, iova: GVA, gpa: 0x1000n }),
  ...(hw === 'guest-pasid-table' ? [stepOf({ env: 'GUEST_WRITE_PASID_TABLE', table: PASID_TBL, pasid: PASID, pgtable: PGT })] : []),
  stepOf({ env: 'DMA', dev: 'dev1', pasid: null, iova: 0x1000n, access: 'read' }),
];

const nativeFormat = (hw: HwKind) => (hw === 'host-pasid-table' ? 'IOASID_FORMAT_VTD' : 'IOASID_FORMAT_SMMUV3');

function iommufd(hw: HwKind): TraceStep[] {
  const host = hw === 'host-pasid-table';
  const nested = (fd: Sym): SymCmd => ({ ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd, flags: host ? 1 : 0, pt_id: '$hwpt2', pasid: host ? PASID : 0 });
  return [
    stepOf({ ioctl: 'IOMMU_IOAS_ALLOC', fd: '$fd1', flags: 0 }, { out_ioas_id: '$ioas1' }),
    stepOf({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: '$fd2', flags: 0, iommufd: '$fd1' }, { out_devid: '$dev1' }),
    stepOf({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd: '$fd3', flags: 0, iommufd: '$fd1' }, { out_devid: '$dev2' }),
    stepOf({ ioctl: 'IOMMU_IOAS_MAP', fd: '$fd1', flags: 7, ioas_id: '$ioas1', __reserved: 0, user_va: UVA, length: RAM, iova: 0n }),
    stepOf({ ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd2', flags: 0, pt_id: '$ioas1', pasid: 0 }),
    stepOf({ ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd3', flags: 0, pt_id: '$ioas1', pasid: 0 }),
    stepOf({ ioctl: 'IOMMU_HWPT_ALLOC', fd: '$fd1', flags: 9, dev_id: '$dev1', pt_id: '$ioas1', __reserved: 0, data_type: 'IOMMU_HWPT_DATA_NONE', data: null, fault_id: 0 }, { out_hwpt_id: '$hwpt1' }),
    stepOf({
      ioctl: 'IOMMU_HWPT_ALLOC', fd: '$fd1', flags: 8, dev_id: '$dev1', pt_id: '$hwpt1', __reserved: 0,
      data_type: host ? 'IOMMU_HWPT_DATA_VTD_S1' : 'IOMMU_HWPT_DATA_ARM_SMMUV3', data: { pgtbl_addr: host ? PGT : PASID_TBL }, fault_id: 0,
    }, { out_hwpt_id: '$hwpt2' }),
    stepOf({ ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd2', flags: 0, pt_id: '$hwpt1', pasid: 0 }),
    stepOf({ ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd: '$fd3', flags: 0, pt_id: '$hwpt1', pasid: 0 }),
    stepOf(nested('$fd2')),
    stepOf(nested('$fd3')),
    stepOf({ ioctl: 'IOMMU_IOAS_UNMAP', fd: '$fd1', ioas_id: '$ioas1', iova: 0n, length: RAM }),
    stepOf({ ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', fd: '$fd3', flags: 0, pasid: 0 }),
    stepOf({
      ioctl: 'IOMMU_HWPT_INVALIDATE', fd: '$fd1', hwpt_id: '$hwpt2', __reserved: 0, entries: [{ scope: 'all' }],
      data_type: host ? 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1' : 'IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3',
    }),
  ];
}

/** The per-VM /dev/ioasid designs: bind, one GPA ioasid, one child for the guest's stage-1. */
function perVm(hw: HwKind, perDevice: boolean): TraceStep[] {
  const host = hw === 'host-pasid-table';
  const base = [
    stepOf({ ioctl: 'VFIO_BIND_IOASID_FD', fd: '$fd2', ioasid_fd: '$fd1' }),
    stepOf({ ioctl: 'VFIO_BIND_IOASID_FD', fd: '$fd3', ioasid_fd: '$fd1' }),
    stepOf({ ioctl: 'IOASID_ALLOC', fd: '$fd1' }, { ioasid: '$ioasid1' }),
    stepOf({ ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd2', ioasid: '$ioasid1', flags: 0, user_pasid: 0 }),
    stepOf({ ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd3', ioasid: '$ioasid1', flags: 0, user_pasid: 0 }),
    stepOf({ ioctl: 'IOASID_MAP_DMA', fd: '$fd1', ioasid: '$ioasid1', flags: 3, vaddr: UVA, iova: 0n, size: RAM }),
    stepOf({ ioctl: 'IOASID_UNMAP_DMA', fd: '$fd1', ioasid: '$ioasid1', iova: 0n, size: RAM }),
    stepOf({ ioctl: 'VFIO_DETACH_IOASID', fd: '$fd3', ioasid: '$ioasid1', flags: 0, user_pasid: 0 }),
  ];
  if (perDevice) {
    const bind = (fd: Sym): SymCmd => (host
      ? { ioctl: 'VFIO_DEVICE_BIND_PGTABLE', fd, ioasid: '$ioasid1', flags: 1, pasid: PASID, format: nativeFormat(hw), pgtbl_addr: PGT }
      : { ioctl: 'VFIO_DEVICE_BIND_PASID_TABLE', fd, ioasid: '$ioasid1', format: nativeFormat(hw), pasid_table_addr: PASID_TBL });
    const inval = (fd: Sym): SymCmd => ({ ioctl: 'VFIO_DEVICE_INVALIDATE_CACHE', fd, flags: host ? 1 : 0, pasid: host ? PASID : 0, granularity: { kind: 'all' } });
    return [...base, stepOf(bind('$fd2')), stepOf(bind('$fd3')), stepOf(inval('$fd2')), stepOf(inval('$fd3'))];
  }
  const attachChild = (fd: Sym): SymCmd => ({ ioctl: 'VFIO_ATTACH_IOASID', fd, ioasid: '$ioasid2', flags: host ? 1 : 0, user_pasid: host ? PASID : 0 });
  return [
    ...base,
    stepOf({ ioctl: 'IOASID_CREATE_NESTING', fd: '$fd1', parent_ioasid: '$ioasid1' }, { ioasid: '$ioasid2' }),
    stepOf(attachChild('$fd2')),
    stepOf(attachChild('$fd3')),
    stepOf(host
      ? { ioctl: 'IOASID_BIND_PGTABLE', fd: '$fd1', ioasid: '$ioasid2', format: nativeFormat(hw), pgtbl_addr: PGT }
      : { ioctl: 'IOASID_BIND_PASID_TABLE', fd: '$fd1', ioasid: '$ioasid2', format: nativeFormat(hw), pasid_table_addr: PASID_TBL }),
    stepOf({ ioctl: 'IOASID_INVALIDATE_CACHE', fd: '$fd1', ioasid: '$ioasid2', granularity: { kind: 'all' } }),
  ];
}

/** fd-per-ioasid: the FD is the ioasid; the child is a new FD; binding is on that FD. */
function fdPerIoasid(hw: HwKind): TraceStep[] {
  const child = (fd: Sym): SymCmd => ({ ioctl: 'VFIO_ATTACH_IOASID', fd, ioasid: '$fd4', flags: 1, user_pasid: PASID });
  return [
    stepOf({ ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd2', ioasid: '$fd1', flags: 0, user_pasid: 0 }),
    stepOf({ ioctl: 'VFIO_ATTACH_IOASID', fd: '$fd3', ioasid: '$fd1', flags: 0, user_pasid: 0 }),
    stepOf({ ioctl: 'IOASID_MAP_DMA', fd: '$fd1', ioasid: 0, flags: 3, vaddr: UVA, iova: 0n, size: RAM }),
    stepOf({ ioctl: 'IOASID_UNMAP_DMA', fd: '$fd1', ioasid: 0, iova: 0n, size: RAM }),
    stepOf({ ioctl: 'VFIO_DETACH_IOASID', fd: '$fd3', ioasid: '$fd1', flags: 0, user_pasid: 0 }),
    stepOf({ ioctl: 'IOASID_CREATE_NESTING', fd: '$fd1', parent_ioasid: 0 }, { fd: '$fd4' }),
    stepOf(child('$fd2')),
    stepOf(child('$fd3')),
    stepOf({ ioctl: 'IOASID_BIND_PGTABLE', fd: '$fd4', ioasid: 0, format: nativeFormat(hw), pgtbl_addr: PGT }),
    stepOf({ ioctl: 'IOASID_INVALIDATE_CACHE', fd: '$fd4', ioasid: 0, granularity: { kind: 'all' } }),
  ];
}

/**
 * The calls the explorer may make for a design on a hardware kind (after the fixture), chosen by what the design is:
 * the merged uAPI (it offers IOMMU_IOAS_ALLOC), one FD per ioasid (fdModel), or one per-VM FD whose guest tables are
 * bound and invalidated through the address space or through each device (ownership).
 */
export function alphabet(design: Design, hw: HwKind): TraceStep[] {
  const calls = design.ioctls.includes('IOMMU_IOAS_ALLOC') ? iommufd(hw)
    : design.policy.fdModel === 'per-ioasid' ? fdPerIoasid(hw)
    : perVm(hw, design.policy.ownership === 'per-device');
  return [...calls, ...guest(hw)];
}

