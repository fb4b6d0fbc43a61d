import type { DeviceProfile, IommuProfile, MachineProfile, ReservedRegion } from './profile.js';
import { CARD_RMRR, MSI_WINDOW, type HwKind } from './world.js';

/**
 * Built-in machine profiles, as data: `default` is today's modelled world unchanged, the others are four real IOMMUs
 * read from Linux 6.12 (/tmp/linux tree: drivers/iommu, include/uapi/linux/iommufd.h, include/linux/iommu.h).
 * Where a value hangs on a capability bit, the common case of a recent server part is taken and the cite names the bit.
 * Where 6.12 and the newest kernel differ, the cite says which is followed: 6.12, unless the fact exists only newer.
 * A stage-1 format outside profile.ts Stage1Format (AMD's, the mock's) is written as null, and the cite says so.
 * Every machine keeps the default four-device layout (two PASID devices in groups 1 and 2, a two-function card in
 * group 3) unless its driver groups devices otherwise; the card's firmware range is the x86 RMRR's addresses throughout.
 */

export const PROFILE_NAMES = ['default', 'vtd', 'amd-v1', 'smmuv3', 'selftest-mock'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

const SZ_4K = 0x1000n;
const SZ_2M = 0x20_0000n;
const SZ_1G = 0x4000_0000n;

/** The x86 interrupt window as an IOMMU-level region: VT-d and AMD-Vi both report it as IOMMU_RESV_MSI. */
const X86_MSI: ReservedRegion = { ...MSI_WINDOW, kind: 'msi' };

/** The card's firmware range as an identity map (VT-d RMRR, AMD IVMD unity map, Arm IORT RMR): IOMMU_RESV_DIRECT. */
const CARD_DIRECT: ReservedRegion = { ...CARD_RMRR, kind: 'direct' };

/** The default world's four devices: `pasidBits` on the pair in groups 1 and 2, `card` on both card functions. */
function cardLayout(pasidBits: number, card: readonly ReservedRegion[]): MachineProfile['devices'] {
  const fn: DeviceProfile = { group: 3, pasidBits: 0, reserved: card };
  return [{ group: 1, pasidBits, reserved: [] }, { group: 2, pasidBits, reserved: [] }, fn, fn];
}

/** Today's world exactly (old traces replay unchanged); the stage-1 format follows the hardware kind asked for. */
function defaultMachine(hw: HwKind): MachineProfile {
  const iommu: IommuProfile = {
    name: 'default',
    summary: 'The modelled machine: a 48-bit, 4 KiB IOMMU with the x86 MSI window',
    hw,
    aperture: { start: 0n, last: (1n << 48n) - 1n },
    pgsizeBitmap: SZ_4K, // 4 KiB only: the granule the simulated page table maps
    nestParent: true,
    stage1Format: hw === 'host-pasid-table' ? 'IOMMU_HWPT_DATA_VTD_S1' : 'IOMMU_HWPT_DATA_ARM_SMMUV3',
    dirtyTracking: false,
    hwInfoType: hw === 'host-pasid-table' ? 'IOMMU_HW_INFO_TYPE_INTEL_VTD' : 'IOMMU_HW_INFO_TYPE_ARM_SMMUV3',
    coherent: true,
    reserved: [X86_MSI],
    cites: [
      'include/uapi/linux/iommufd.h enum iommu_hw_info_type: the hardware-info type follows the stage-1 format (VT-d: INTEL_VTD; SMMUv3: ARM_SMMUV3, 6.14+)',
      'src/uapi/world.ts defaultWorld before profiles: groups 1,2,3,3; PASID on dev1/dev2; MSI_WINDOW on all; CARD_RMRR on dev3/dev4',
      'aperture and pgsize are those of a 4-level VT-d second-stage domain (see profile vtd) without superpages',
      'include/uapi/linux/iommufd.h enum iommu_hwpt_data_type: 6.12 has only IOMMU_HWPT_DATA_VTD_S1; IOMMU_HWPT_DATA_ARM_SMMUV3 is newer (6.13+), kept as today',
      'drivers/iommu/iommufd/device.c iommufd_device_bind: a device without IOMMU_CAP_CACHE_COHERENCY fails EINVAL, so coherent',
    ],
  };
  return { iommu, devices: cardLayout(20, [CARD_DIRECT]) };
}

/** Intel VT-d in scalable mode: user domains use the 4-level second-stage table; the host owns the PASID table. */
const VTD: MachineProfile = {
  iommu: {
    name: 'vtd',
    summary: 'Intel VT-d, scalable mode, 4-level (48-bit) second-stage table with 2M/1G superpages',
    hw: 'host-pasid-table',
    aperture: { start: 0n, last: (1n << 48n) - 1n },
    pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G,
    nestParent: true,
    stage1Format: 'IOMMU_HWPT_DATA_VTD_S1',
    dirtyTracking: true,
    hwInfoType: 'IOMMU_HW_INFO_TYPE_INTEL_VTD',
    coherent: true,
    reserved: [X86_MSI],
    cites: [
      'drivers/iommu/intel/iommu.c intel_iommu_hw_info: IOMMU_HW_INFO_TYPE_INTEL_VTD, struct iommu_hw_info_vtd (cap_reg, ecap_reg)',
      'drivers/iommu/intel/iommu.c intel_iommu_domain_alloc_user: user domains are paging_domain_alloc(dev, false), i.e. second stage',
      'drivers/iommu/intel/iommu.c paging_domain_alloc: aperture_end __DOMAIN_MAX_ADDR(gaw), gaw = min(agaw_to_width(agaw), cap_mgaw); 4-level agaw 2 → 48 bits (a 5-level SAGAW part gives 57)',
      'drivers/iommu/intel/iommu.c paging_domain_alloc / domain_super_pgsize_bitmap: SZ_4K | SZ_2M | SZ_1G when fls(cap_super_page_val) = 2 (SLLPS 2M+1G, the common case); SZ_4K only without superpages',
      'drivers/iommu/intel/dmar.c alloc_iommu: max_pasids = 2 << ecap_pss; PSS 19 → 2^20; drivers/iommu/intel/pasid.h PASID_MAX 0x100000: 20 bits',
      'drivers/iommu/intel/iommu.c intel_iommu_domain_alloc_user: IOMMU_HWPT_ALLOC_NEST_PARENT accepted when nested_supported (sm && ecap_nest)',
      'drivers/iommu/intel/nested.c intel_nested_domain_alloc: user_data->type must be IOMMU_HWPT_DATA_VTD_S1 and the parent a nested_parent domain',
      'drivers/iommu/intel/iommu.h ssads_supported (sm && ecap_slads && ecap_smpwc) gates IOMMU_HWPT_ALLOC_DIRTY_TRACKING: true on SLADS parts, false before',
      'drivers/iommu/intel/iommu.c intel_iommu_capable: IOMMU_CAP_CACHE_COHERENCY always; ENFORCE_CACHE_COHERENCY = ecap_sc_support (intel_iommu_enforce_cache_coherency)',
      'drivers/iommu/intel/iommu.c intel_iommu_get_resv_regions: IOAPIC_RANGE_START..IOAPIC_RANGE_END 0xfee00000-0xfeefffff as IOMMU_RESV_MSI on every device',
      'drivers/iommu/intel/iommu.c intel_iommu_get_resv_regions: an RMRR of the device is IOMMU_RESV_DIRECT (DIRECT_RELAXABLE for USB/GFX, which iommufd skips): dev3/dev4',
    ],
  },
  devices: cardLayout(20, [CARD_DIRECT]),
};

/** AMD-Vi with the v1 host page table: iommufd user domains are forced to v1; the guest owns the GCR3 table. */
const AMD_V1: MachineProfile = {
  iommu: {
    name: 'amd-v1',
    summary: 'AMD-Vi (AMD IOMMU) with the v1 host page table, no nesting in 6.12',
    hw: 'guest-pasid-table',
    aperture: { start: 0n, last: 0xffff_ffff_ffff_ffffn },
    pgsizeBitmap: 0x000f_ff7f_ffff_f000n,
    nestParent: false,
    stage1Format: null,
    dirtyTracking: true,
    hwInfoType: 'IOMMU_HW_INFO_TYPE_NONE',
    coherent: true,
    reserved: [X86_MSI, { start: 0xfd_0000_0000n, last: 0xff_ffff_ffffn, kind: 'reserved' }],
    cites: [
      'drivers/iommu/amd/iommu.c amd_iommu_ops (6.12): no hw_info op, so IOMMU_GET_HW_INFO answers IOMMU_HW_INFO_TYPE_NONE with no data',
      'drivers/iommu/amd/iommu.c protection_domain_alloc: IOMMU_DOMAIN_UNMANAGED (every iommufd user domain) is forced to AMD_IOMMU_V1',
      'drivers/iommu/amd/iommu.c do_iommu_domain_alloc / dma_max_address: aperture_end ~0ULL when amd_iommu_pgtable == AMD_IOMMU_V1 (init.c default); newer kernels cap it at PM_LEVEL_SIZE(amd_iommu_hpt_level) from EFR HATS: 6.12 followed',
      'drivers/iommu/amd/io_pgtable.c v1_alloc_pgtable: pgsize_bitmap amd_iommu_pgsize_bitmap = AMD_IOMMU_PGSIZES (amd_iommu_types.h: GENMASK_ULL(51, 12) ^ SZ_512G); amd_iommu=pgsize_4k gives 4K only',
      'drivers/iommu/amd/init.c iommu_init_pci (FEATURE_GT): max_pasids = (1 << (PASmax + 1)) - 1, BUG_ON past PASID_MASK 0xffff: 16 bits (IOMMU_GET_HW_INFO reports ilog2 = 15)',
      'drivers/iommu/amd/iommu.c amd_iommu_probe_device: dev max_pasids = min(iommu max_pasids, pci_max_pasids) only if amd_iommu_pasid_supported (GT + PPR, not SNP)',
      'drivers/iommu/amd/iommu.c amd_iommu_domain_alloc_user: a flag other than DIRTY_TRACKING, a parent or user_data fails EOPNOTSUPP: no NEST_PARENT, no nested HWPT in 6.12',
      'newer: amd_iommu_domain_alloc_paging_flags accepts NEST_PARENT (GT, GIOSUP, GCR3TRPMODE) and drivers/iommu/amd/nested.c amd_iommu_alloc_domain_nested takes IOMMU_HWPT_DATA_AMD_GUEST via a vIOMMU @103f4e7c: not a Stage1Format, 6.12 followed',
      'drivers/iommu/amd/iommu.c amd_iommu_hd_support: DIRTY_TRACKING needs EFR FEATURE_HDSUP: true on HD-capable parts',
      'drivers/iommu/amd/iommu.c amd_iommu_capable: IOMMU_CAP_CACHE_COHERENCY and ENFORCE_CACHE_COHERENCY true (amd_iommu_enforce_cache_coherency: IOMMU_PTE_FC always set)',
      'drivers/iommu/amd/iommu.c amd_iommu_get_resv_regions: MSI_RANGE_START..MSI_RANGE_END as IOMMU_RESV_MSI, HT_RANGE_START..HT_RANGE_END 0xfd00000000-0xffffffffff as IOMMU_RESV_RESERVED',
      'drivers/iommu/amd/iommu.c amd_iommu_get_resv_regions: an IVMD unity map covering the devid is IOMMU_RESV_DIRECT (exclusion range: RESERVED): dev3/dev4',
    ],
  },
  devices: cardLayout(16, [CARD_DIRECT]),
};

/** Arm SMMUv3 with a 4 KiB granule: the guest owns the CD table; nesting is followed from newer kernels (6.13+). */
const SMMUV3: MachineProfile = {
  iommu: {
    name: 'smmuv3',
    summary: 'Arm SMMUv3, 4 KiB granule, 48-bit input, nesting through a vIOMMU (6.13+)',
    hw: 'guest-pasid-table',
    aperture: { start: 0n, last: (1n << 48n) - 1n },
    pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G,
    nestParent: true,
    stage1Format: 'IOMMU_HWPT_DATA_ARM_SMMUV3',
    dirtyTracking: true,
    hwInfoType: 'IOMMU_HW_INFO_TYPE_ARM_SMMUV3',
    coherent: true,
    reserved: [{ start: 0x800_0000n, last: 0x80f_ffffn, kind: 'sw-msi' }],
    cites: [
      'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c arm_smmu_hw_info (6.14+): IOMMU_HW_INFO_TYPE_ARM_SMMUV3, struct iommu_hw_info_arm_smmuv3 (idr[6], iidr, aidr)',
      'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_domain_finalise: aperture_end (1UL << pgtbl_cfg.ias) - 1; S1 ias = min(48, VA_BITS) (52 with FEAT_VAX); S2 ias = smmu->ias: 48 typical',
      'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_hw_probe: IDR5_GRAN4K → SZ_4K | SZ_2M | SZ_1G; io-pgtable-arm.c arm_lpae_restrict_pgsizes keeps the 4K granule set',
      'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_hw_probe: ssid_bits = IDR1.SSIDSIZE, max_pasids = 1 << ssid_bits; arm_smmu_enable_pasid: master ssid_bits = min(smmu, ilog2(pci_max_pasids)): 20 (needs FEAT_2_LVL_CDTAB, else CTXDESC_LINEAR_CDMAX, arm_smmu_probe_device)',
      'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_domain_alloc_user (6.12): only DIRTY_TRACKING; NEST_PARENT, parent or user_data fail EOPNOTSUPP: no nesting in 6.12',
      'newer: drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c arm_vsmmu_alloc_domain_nested @056daec2: IOMMU_HWPT_DATA_ARM_SMMUV3 (vSTE) on a vIOMMU over a NEST_PARENT S2 (FEAT_NESTING): followed, it exists only newer',
      'newer: arm_smmu_get_viommu_size needs FEAT_NESTING and CANWBS or S2FWB; the ops set user_pasid_table (the CD table is the guest\'s)',
      'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_dbm_capable: DIRTY_TRACKING needs FEAT_HD (IDR0.HTTU access+dirty) and FEAT_COHERENCY, S1 only in 6.12: true on HTTU parts',
      'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_capable: IOMMU_CAP_CACHE_COHERENCY = FEAT_COHERENCY (IDR0.COHACC / firmware); 6.12 has no enforce_cache_coherency (newer: CANWBS)',
      'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_get_resv_regions: MSI_IOVA_BASE 0x8000000, MSI_IOVA_LENGTH 0x100000 (arm-smmu-v3.h) as IOMMU_RESV_SW_MSI',
      'drivers/iommu/dma-iommu.c iommu_dma_get_resv_regions → iort_iommu_get_resv_regions: an IORT RMR is IOMMU_RESV_DIRECT (DIRECT_RELAXABLE if REMAP_PERMITTED) (drivers/acpi/arm64/iort.c iort_get_rmrs, read in patch mail, not in the tree): dev3/dev4',
    ],
  },
  devices: cardLayout(20, [CARD_DIRECT]),
};

/** A mock device of default flags (IOMMU_TEST_OP_MOCK_DOMAIN): its own group, no PASID, no reserved region. */
const mockDev = (group: number): DeviceProfile => ({ group, pasidBits: 0, reserved: [] });

/** The iommufd selftest's mock IOMMU (IOMMU_TEST_OP_MOCK_DOMAIN), default device flags: four devices, four groups. */
const SELFTEST_MOCK: MachineProfile = {
  iommu: {
    name: 'selftest-mock',
    summary: 'The iommufd selftest mock IOMMU: aperture [16 MiB, 2 GiB), PAGE_SIZE/2 pages, no PASID',
    hw: 'host-pasid-table',
    aperture: { start: 1n << 24n, last: (1n << 31n) - 1n },
    pgsizeBitmap: 0x800n, // PAGE_SIZE / 2 with x86's 4 KiB pages
    nestParent: true,
    stage1Format: null, // nested mock HWPTs (IOMMU_HWPT_DATA_SELFTEST) are not modelled
    dirtyTracking: true,
    hwInfoType: 'IOMMU_HW_INFO_TYPE_SELFTEST',
    coherent: true,
    reserved: [],
    cites: [
      'drivers/iommu/iommufd/selftest.c mock_domain_hw_info: IOMMU_HW_INFO_TYPE_SELFTEST, struct iommu_test_hw_info (flags, test_reg)',
      'drivers/iommu/iommufd/selftest.c mock_domain_alloc_paging: geometry MOCK_APERTURE_START..MOCK_APERTURE_LAST (iommufd_test.h: 1UL << 24, (1UL << 31) - 1)',
      'drivers/iommu/iommufd/selftest.c mock_domain_alloc_paging: pgsize_bitmap MOCK_IO_PAGE_SIZE = PAGE_SIZE / 2; MOCK_FLAGS_DEVICE_HUGE_IOVA adds MOCK_HUGE_PAGE_SIZE (not the default)',
      'drivers/iommu/iommufd/selftest.c mock_dev_create: no "pasid-num-bits" property, so iommu.c dev_iommu_get_max_pasids gives 0 in 6.12 (newer: MOCK_FLAGS_DEVICE_PASID, MOCK_PASID_WIDTH 20)',
      'drivers/iommu/iommufd/selftest.c mock_domain_alloc_user: paging HWPTs accept IOMMU_HWPT_ALLOC_NEST_PARENT | DIRTY_TRACKING',
      'drivers/iommu/iommufd/selftest.c mock_domain_alloc_user: nested HWPTs take IOMMU_HWPT_DATA_SELFTEST (0xdead, iommufd_test.h): not a Stage1Format, so null',
      'drivers/iommu/iommufd/selftest.c mock_ops.user_pasid_table = true: io-pgfault.c find_fault_handler routes a PASID fault without its own handle to the RID\'s nested domain; the mock has no PASID table at all (no set_dev_pasid), so host-pasid-table is a choice',
      'drivers/iommu/iommufd/selftest.c mock_domain_capable: IOMMU_CAP_DIRTY_TRACKING unless MOCK_FLAGS_DEVICE_NO_DIRTY (the default has it)',
      'drivers/iommu/iommufd/selftest.c mock_domain_capable: IOMMU_CAP_CACHE_COHERENCY true; no enforce_cache_coherency op, so ENFORCE_CACHE_COHERENCY false',
      'drivers/iommu/iommufd/selftest.c mock_ops: no get_resv_regions in 6.12; tests add ranges by IOMMU_TEST_OP_ADD_RESERVED (iommufd_test_add_reserved)',
      'drivers/iommu/iommufd/selftest.c mock_ops.device_group = generic_device_group (iommu.c: one iommu_group_alloc per device): groups 1..4',
    ],
  },
  devices: [mockDev(1), mockDev(2), mockDev(3), mockDev(4)],
};

/** The machine of a built-in profile; `default` is today's world on either hardware kind, the others fix their own `hw`. */
export function builtinMachine(name: ProfileName, hw: HwKind): MachineProfile {
  switch (name) {
    case 'default':
      return defaultMachine(hw);
    case 'vtd':
      return VTD;
    case 'amd-v1':
      return AMD_V1;
    case 'smmuv3':
      return SMMUV3;
    case 'selftest-mock':
      return SELFTEST_MOCK;
  }
}
