/**
 * Short constructors for commands, with the fields a caller rarely varies filled in (reserved fields 0, RW maps).
 * Used by tests, examples and the CLI; they build plain records, so a trace is the same with or without them.
 */
import type { EnvAction } from './env.js';
import type { IoasidCmd, IoasidFormat, Granularity } from './ioasid.js';
import {
  IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE,
  type HwptDataType, type IommufdCmd, type InvalidateEntry,
} from './iommufd.js';
import type { Access, DevId, Fd, Gpa, HwptId, IoasId, Ioasid, ObjId, Pasid, PtId } from './types.js';
import type { DevName } from './world.js';

const RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
type Only<N> = Extract<IommufdCmd | IoasidCmd, { ioctl: N }>;

export const iommu = {
  destroy: (fd: Fd, id: number): Only<'IOMMU_DESTROY'> => ({ ioctl: 'IOMMU_DESTROY', fd, id: id as ObjId }),
  ioasAlloc: (fd: Fd, flags = 0): Only<'IOMMU_IOAS_ALLOC'> => ({ ioctl: 'IOMMU_IOAS_ALLOC', fd, flags }),
  /** A fixed-IOVA RW map unless `flags` says otherwise; `iova: null` asks the kernel to choose. */
  map: (fd: Fd, ioas: number, iova: bigint | null, length: bigint, user_va: bigint, flags = RW): Only<'IOMMU_IOAS_MAP'> => ({
    ioctl: 'IOMMU_IOAS_MAP', fd, ioas_id: ioas as IoasId, __reserved: 0, user_va, length,
    iova: iova ?? 0n, flags: iova === null ? flags : flags | IOMMU_IOAS_MAP_FIXED_IOVA,
  }),
  unmap: (fd: Fd, ioas: number, iova: bigint, length: bigint): Only<'IOMMU_IOAS_UNMAP'> => ({ ioctl: 'IOMMU_IOAS_UNMAP', fd, ioas_id: ioas as IoasId, iova, length }),
  copy: (fd: Fd, dst: number, dst_iova: bigint | null, src: number, src_iova: bigint, length: bigint, flags = RW): Only<'IOMMU_IOAS_COPY'> => ({
    ioctl: 'IOMMU_IOAS_COPY', fd, dst_ioas_id: dst as IoasId, src_ioas_id: src as IoasId, length, src_iova,
    dst_iova: dst_iova ?? 0n, flags: dst_iova === null ? flags : flags | IOMMU_IOAS_MAP_FIXED_IOVA,
  }),
  iovaRanges: (fd: Fd, ioas: number, num_iovas = 16): Only<'IOMMU_IOAS_IOVA_RANGES'> => ({ ioctl: 'IOMMU_IOAS_IOVA_RANGES', fd, ioas_id: ioas as IoasId, num_iovas, __reserved: 0 }),
  allowIovas: (fd: Fd, ioas: number, ranges: { start: bigint; last: bigint }[]): Only<'IOMMU_IOAS_ALLOW_IOVAS'> => ({ ioctl: 'IOMMU_IOAS_ALLOW_IOVAS', fd, ioas_id: ioas as IoasId, __reserved: 0, allowed_iovas: ranges }),
  /** IOMMU_OPTION: `option` RLIMIT_MODE (object 0) or HUGE_PAGES (an IOAS); GET unless a value to set is given. */
  option: (fd: Fd, option: 'RLIMIT_MODE' | 'HUGE_PAGES' | number, object_id: number, set: bigint | null = null, op: number | null = null, __reserved = 0): Only<'IOMMU_OPTION'> => ({
    ioctl: 'IOMMU_OPTION', fd, option_id: option === 'RLIMIT_MODE' ? 0 : option === 'HUGE_PAGES' ? 1 : option,
    op: op ?? (set === null ? 1 : 0), __reserved, object_id: object_id as ObjId, val64: set ?? 0n,
  }),
  getHwInfo: (fd: Fd, dev: number, data_len = 64, flags = 0, __reserved = 0): Only<'IOMMU_GET_HW_INFO'> => ({ ioctl: 'IOMMU_GET_HW_INFO', fd, flags, dev_id: dev as DevId, data_len, __reserved }),
  hwptAlloc: (fd: Fd, dev: number, pt: number, flags = 0, data: { type: HwptDataType; pgtbl_addr: Gpa } | null = null, fault_id = 0): Only<'IOMMU_HWPT_ALLOC'> => ({
    ioctl: 'IOMMU_HWPT_ALLOC', fd, flags, dev_id: dev as DevId, pt_id: pt as PtId, __reserved: 0,
    data_type: data?.type ?? 'IOMMU_HWPT_DATA_NONE', data: data ? { pgtbl_addr: data.pgtbl_addr } : null, fault_id: fault_id as ObjId,
  }),
  invalidate: (fd: Fd, hwpt: number, entries: InvalidateEntry[] = [{ scope: 'all' }], data_type: Only<'IOMMU_HWPT_INVALIDATE'>['data_type'] = 'IOMMU_HWPT_INVALIDATE_DATA_VTD_S1'): Only<'IOMMU_HWPT_INVALIDATE'> => ({
    ioctl: 'IOMMU_HWPT_INVALIDATE', fd, hwpt_id: hwpt as HwptId, data_type, entries, __reserved: 0,
  }),
  faultQueueAlloc: (fd: Fd, flags = 0): Only<'IOMMU_FAULT_QUEUE_ALLOC'> => ({ ioctl: 'IOMMU_FAULT_QUEUE_ALLOC', fd, flags }),
  /** IOMMU_IOAS_MAP_FILE of `length` bytes of file `file_fd` from byte `start`, at `iova` (null: the kernel chooses) */
  mapFile: (fd: Fd, ioas: number, iova: bigint | null, length: bigint, file_fd: Fd, start = 0n, flags = RW): Only<'IOMMU_IOAS_MAP_FILE'> => ({
    ioctl: 'IOMMU_IOAS_MAP_FILE', fd, flags: flags | (iova === null ? 0 : 1), ioas_id: ioas as IoasId, file_fd, start, length, iova: iova ?? 0n,
  }),
  changeProcess: (fd: Fd, __reserved = 0): Only<'IOMMU_IOAS_CHANGE_PROCESS'> => ({ ioctl: 'IOMMU_IOAS_CHANGE_PROCESS', fd, __reserved }),
  /** IOMMU_VIOMMU_ALLOC of `type` (default ARM_SMMUV3) for device `dev` over the nest-parent HWPT `hwpt` */
  viommuAlloc: (fd: Fd, dev: number, hwpt: number, type = 1, flags = 0): Only<'IOMMU_VIOMMU_ALLOC'> => ({ ioctl: 'IOMMU_VIOMMU_ALLOC', fd, flags, type, dev_id: dev as DevId, hwpt_id: hwpt as HwptId }),
  vdeviceAlloc: (fd: Fd, viommu: number, dev: number, virt_id: bigint): Only<'IOMMU_VDEVICE_ALLOC'> => ({ ioctl: 'IOMMU_VDEVICE_ALLOC', fd, viommu_id: viommu as ObjId, dev_id: dev as DevId, virt_id }),
  /** IOMMU_VEVENTQ_ALLOC of `type` (default ARM_SMMUV3) on vIOMMU `viommu`, `depth` events deep */
  veventqAlloc: (fd: Fd, viommu: number, depth: number, type = 1, flags = 0, __reserved = 0): Only<'IOMMU_VEVENTQ_ALLOC'> => ({
    ioctl: 'IOMMU_VEVENTQ_ALLOC', fd, flags, viommu_id: viommu as ObjId, type, veventq_depth: depth, __reserved,
  }),
  /** IOMMU_HWPT_SET_DIRTY_TRACKING: start (`enable`) or stop tracking on a paging HWPT. */
  setDirtyTracking: (fd: Fd, hwpt: number, enable = true, flags: number | null = null, __reserved = 0): Only<'IOMMU_HWPT_SET_DIRTY_TRACKING'> => ({
    ioctl: 'IOMMU_HWPT_SET_DIRTY_TRACKING', fd, flags: flags ?? (enable ? 1 : 0), hwpt_id: hwpt as HwptId, __reserved,
  }),
  /** IOMMU_HWPT_GET_DIRTY_BITMAP of [iova, iova + length), one bit per `page_size`; `noClear` keeps the bits. */
  getDirtyBitmap: (fd: Fd, hwpt: number, iova: bigint, length: bigint, page_size = 0x1000n, noClear = false, data = true, flags: number | null = null, __reserved = 0): Only<'IOMMU_HWPT_GET_DIRTY_BITMAP'> => ({
    ioctl: 'IOMMU_HWPT_GET_DIRTY_BITMAP', fd, hwpt_id: hwpt as HwptId, flags: flags ?? (noClear ? 1 : 0), __reserved, iova, length, page_size, data,
  }),
};

export const vfio = {
  bindIommufd: (fd: Fd, iommufd: Fd, flags = 0): Only<'VFIO_DEVICE_BIND_IOMMUFD'> => ({ ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', fd, flags, iommufd }),
  attach: (fd: Fd, pt: number, pasid: Pasid | null = null): Only<'VFIO_DEVICE_ATTACH_IOMMUFD_PT'> => ({ ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', fd, flags: pasid === null ? 0 : 1, pt_id: pt as PtId, pasid: pasid ?? 0 }),
  detach: (fd: Fd, pasid: Pasid | null = null): Only<'VFIO_DEVICE_DETACH_IOMMUFD_PT'> => ({ ioctl: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', fd, flags: pasid === null ? 0 : 1, pasid: pasid ?? 0 }),
  bindIoasidFd: (fd: Fd, ioasid_fd: Fd): Only<'VFIO_BIND_IOASID_FD'> => ({ ioctl: 'VFIO_BIND_IOASID_FD', fd, ioasid_fd }),
  unbindIoasidFd: (fd: Fd): Only<'VFIO_UNBIND_IOASID_FD'> => ({ ioctl: 'VFIO_UNBIND_IOASID_FD', fd }),
  attachIoasid: (fd: Fd, ioasid: number, pasid: Pasid | null = null): Only<'VFIO_ATTACH_IOASID'> => ({ ioctl: 'VFIO_ATTACH_IOASID', fd, ioasid: ioasid as Ioasid, flags: pasid === null ? 0 : 1, user_pasid: pasid ?? 0 }),
  detachIoasid: (fd: Fd, ioasid: number, pasid: Pasid | null = null): Only<'VFIO_DETACH_IOASID'> => ({ ioctl: 'VFIO_DETACH_IOASID', fd, ioasid: ioasid as Ioasid, flags: pasid === null ? 0 : 1, user_pasid: pasid ?? 0 }),
  bindPgtable: (fd: Fd, ioasid: number, pgtbl_addr: Gpa, pasid: Pasid | null = null, format: IoasidFormat = 'IOASID_FORMAT_VTD'): Only<'VFIO_DEVICE_BIND_PGTABLE'> => ({
    ioctl: 'VFIO_DEVICE_BIND_PGTABLE', fd, ioasid: ioasid as Ioasid, flags: pasid === null ? 0 : 1, pasid: pasid ?? 0, format, pgtbl_addr,
  }),
  unbindPgtable: (fd: Fd, pasid: Pasid | null = null): Only<'VFIO_DEVICE_UNBIND_PGTABLE'> => ({ ioctl: 'VFIO_DEVICE_UNBIND_PGTABLE', fd, flags: pasid === null ? 0 : 1, pasid: pasid ?? 0 }),
  bindPasidTable: (fd: Fd, ioasid: number, pasid_table_addr: Gpa, format: IoasidFormat = 'IOASID_FORMAT_SMMUV3'): Only<'VFIO_DEVICE_BIND_PASID_TABLE'> => ({ ioctl: 'VFIO_DEVICE_BIND_PASID_TABLE', fd, ioasid: ioasid as Ioasid, format, pasid_table_addr }),
  invalidate: (fd: Fd, pasid: Pasid | null = null, granularity: Granularity = { kind: 'all' }): Only<'VFIO_DEVICE_INVALIDATE_CACHE'> => ({ ioctl: 'VFIO_DEVICE_INVALIDATE_CACHE', fd, flags: pasid === null ? 0 : 1, pasid: pasid ?? 0, granularity }),
  bindSva: (fd: Fd, pasid: Pasid, flags = 0): Only<'VFIO_DEVICE_BIND_SVA'> => ({ ioctl: 'VFIO_DEVICE_BIND_SVA', fd, flags, pasid }),
  unbindSva: (fd: Fd, pasid: Pasid, flags = 0): Only<'VFIO_DEVICE_UNBIND_SVA'> => ({ ioctl: 'VFIO_DEVICE_UNBIND_SVA', fd, flags, pasid }),
};

export const ioasid = {
  alloc: (fd: Fd): Only<'IOASID_ALLOC'> => ({ ioctl: 'IOASID_ALLOC', fd }),
  free: (fd: Fd, id: number): Only<'IOASID_FREE'> => ({ ioctl: 'IOASID_FREE', fd, ioasid: id as Ioasid }),
  register: (fd: Fd, vaddr: bigint, size: bigint): Only<'IOASID_REGISTER_MEMORY'> => ({ ioctl: 'IOASID_REGISTER_MEMORY', fd, vaddr, size }),
  unregister: (fd: Fd, vaddr: bigint, size: bigint): Only<'IOASID_UNREGISTER_MEMORY'> => ({ ioctl: 'IOASID_UNREGISTER_MEMORY', fd, vaddr, size }),
  map: (fd: Fd, id: number, iova: bigint, size: bigint, vaddr: bigint, flags = 3): Only<'IOASID_MAP_DMA'> => ({ ioctl: 'IOASID_MAP_DMA', fd, ioasid: id as Ioasid, flags, vaddr, iova, size }),
  unmap: (fd: Fd, id: number, iova: bigint, size: bigint): Only<'IOASID_UNMAP_DMA'> => ({ ioctl: 'IOASID_UNMAP_DMA', fd, ioasid: id as Ioasid, iova, size }),
  nest: (fd: Fd, parent: number): Only<'IOASID_CREATE_NESTING'> => ({ ioctl: 'IOASID_CREATE_NESTING', fd, parent_ioasid: parent as Ioasid }),
  bindPgtable: (fd: Fd, id: number, pgtbl_addr: Gpa, format: IoasidFormat = 'IOASID_FORMAT_VTD'): Only<'IOASID_BIND_PGTABLE'> => ({ ioctl: 'IOASID_BIND_PGTABLE', fd, ioasid: id as Ioasid, format, pgtbl_addr }),
  unbindPgtable: (fd: Fd, id: number): Only<'IOASID_UNBIND_PGTABLE'> => ({ ioctl: 'IOASID_UNBIND_PGTABLE', fd, ioasid: id as Ioasid }),
  bindPasidTable: (fd: Fd, id: number, pasid_table_addr: Gpa, format: IoasidFormat = 'IOASID_FORMAT_SMMUV3'): Only<'IOASID_BIND_PASID_TABLE'> => ({ ioctl: 'IOASID_BIND_PASID_TABLE', fd, ioasid: id as Ioasid, format, pasid_table_addr }),
  unbindPasidTable: (fd: Fd, id: number): Only<'IOASID_UNBIND_PASID_TABLE'> => ({ ioctl: 'IOASID_UNBIND_PASID_TABLE', fd, ioasid: id as Ioasid }),
  invalidate: (fd: Fd, id: number, granularity: Granularity = { kind: 'all' }): Only<'IOASID_INVALIDATE_CACHE'> => ({ ioctl: 'IOASID_INVALIDATE_CACHE', fd, ioasid: id as Ioasid, granularity }),
  checkExtension: (fd: Fd, extension: number): Only<'IOASID_CHECK_EXTENSION'> => ({ ioctl: 'IOASID_CHECK_EXTENSION', fd, extension }),
  getInfo: (fd: Fd, id: number): Only<'IOASID_GET_INFO'> => ({ ioctl: 'IOASID_GET_INFO', fd, ioasid: id as Ioasid }),
  /** RFC v1's completion: answer the oldest request of `id` taken off the ring (code SUCCESS 0, INVALID 1, FAILURE 2) */
  pageResponse: (fd: Fd, id: number, code = 0): Only<'IOASID_PAGE_RESPONSE'> => ({ ioctl: 'IOASID_PAGE_RESPONSE', fd, ioasid: id as Ioasid, code }),
};

export const env = {
  open: (path: string): Extract<EnvAction, { env: 'OPEN' }> => ({ env: 'OPEN', path }),
  close: (fd: Fd): Extract<EnvAction, { env: 'CLOSE' }> => ({ env: 'CLOSE', fd }),
  mmap: (uva: bigint, length: bigint): Extract<EnvAction, { env: 'MMAP' }> => ({ env: 'MMAP', uva, length }),
  munmap: (uva: bigint, length: bigint): Extract<EnvAction, { env: 'MUNMAP' }> => ({ env: 'MUNMAP', uva, length }),
  dma: (dev: DevName, pasid: Pasid | null, iova: bigint, access: Access = 'read'): Extract<EnvAction, { env: 'DMA' }> => ({ env: 'DMA', dev, pasid, iova, access }),
  writePte: (table: Gpa, iova: bigint, gpa: Gpa | null): Extract<EnvAction, { env: 'GUEST_WRITE_PGTABLE' }> => ({ env: 'GUEST_WRITE_PGTABLE', table, iova, gpa }),
  writePasidEntry: (table: Gpa, pasid: Pasid, pgtable: Gpa | null): Extract<EnvAction, { env: 'GUEST_WRITE_PASID_TABLE' }> => ({ env: 'GUEST_WRITE_PASID_TABLE', table, pasid, pgtable }),
  mockAddReserved: (fd: Fd, ioas: number, start: bigint, length: bigint): Extract<EnvAction, { env: 'MOCK_ADD_RESERVED' }> => ({ env: 'MOCK_ADD_RESERVED', fd, ioas_id: ioas as IoasId, start, length }),
  accessCreate: (fd: Fd, ioas: number, flags = 1): Extract<EnvAction, { env: 'MOCK_ACCESS_CREATE' }> => ({ env: 'MOCK_ACCESS_CREATE', fd, ioas_id: ioas as IoasId, flags }),
  accessPin: (fd: Fd, access_fd: Fd, iova: bigint, length: bigint, flags = 0): Extract<EnvAction, { env: 'MOCK_ACCESS_PIN' }> => ({ env: 'MOCK_ACCESS_PIN', fd, access_fd, iova, length, flags }),
  accessUnpin: (fd: Fd, access_fd: Fd, pages_id: number): Extract<EnvAction, { env: 'MOCK_ACCESS_UNPIN' }> => ({ env: 'MOCK_ACCESS_UNPIN', fd, access_fd, pages_id }),
  accessRw: (fd: Fd, access_fd: Fd, iova: bigint, length: bigint, flags = 0): Extract<EnvAction, { env: 'MOCK_ACCESS_RW' }> => ({ env: 'MOCK_ACCESS_RW', fd, access_fd, iova, length, flags }),
  accessReplace: (fd: Fd, access_fd: Fd, ioas: number): Extract<EnvAction, { env: 'MOCK_ACCESS_REPLACE' }> => ({ env: 'MOCK_ACCESS_REPLACE', fd, access_fd, ioas_id: ioas as IoasId }),
  memfdCreate: (length: bigint): Extract<EnvAction, { env: 'MEMFD_CREATE' }> => ({ env: 'MEMFD_CREATE', length }),
  /** a PRI page request of `dev` for `addr` (perm READ 1 | WRITE 2) */
  pageRequest: (dev: DevName, pasid: Pasid | null, addr: bigint, perm = 1): Extract<EnvAction, { env: 'PAGE_REQUEST' }> => ({ env: 'PAGE_REQUEST', dev, pasid, addr, perm }),
  /** read(2) of a FAULT fd, room for `records` records */
  faultRead: (fd: Fd, records = 4): Extract<EnvAction, { env: 'FAULT_READ' }> => ({ env: 'FAULT_READ', fd, count: records * 40 }),
  /** the IOMMU records an event for `dev` (forwarded to a vEVENTQ where the device is a vIOMMU's) */
  iommuEvent: (dev: DevName): Extract<EnvAction, { env: 'IOMMU_EVENT' }> => ({ env: 'IOMMU_EVENT', dev }),
  /** read(2) of a vEVENTQ fd, `count` bytes (an SMMUv3 event takes 40 with its header) */
  veventqRead: (fd: Fd, count = 400): Extract<EnvAction, { env: 'VEVENTQ_READ' }> => ({ env: 'VEVENTQ_READ', fd, count }),
  /** write(2) of page responses to a FAULT fd */
  /** take up to `count` entries off RFC v1's fault ring of the /dev/ioasid FD `fd` */
  faultRingRead: (fd: Fd, count = 4): Extract<EnvAction, { env: 'FAULT_RING_READ' }> => ({ env: 'FAULT_RING_READ', fd, count }),
  faultWrite: (fd: Fd, responses: { cookie: number; code: number }[]): Extract<EnvAction, { env: 'FAULT_WRITE' }> => ({ env: 'FAULT_WRITE', fd, responses }),
};
