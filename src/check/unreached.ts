/**
 * The reviewed list of spec rules that the random check does not reach, each with the reason. `npm test`
 * (properties/check-iommufd.prop.ts) fails when its budget leaves a rule of the iommufd design unreached that is
 * not listed here, and when a rule listed here as unreachable is reached (the entry is then wrong). `design: '*'`
 * applies to every design. A reason says which argument or state the rule needs, and why no trace can make it
 * or what budget does.
 */
export interface Unreached {
  readonly design: string;
  readonly rule: string;
  /** unreachable: no trace can reach it (a test checks none does); rare: reachable, but not at the test budget */
  readonly kind: 'unreachable' | 'rare';
  readonly reason: string;
}

export const UNREACHED: readonly Unreached[] = [
  {
    design: 'iommufd', kind: 'unreachable', rule: 'PAGE_REQUEST.ok.ring',
    reason: 'RFC v1\'s fault ring (flow 5.6): iommufd reports page requests through FAULT objects, never to a ring (the spec\'s faultReport policy point)',
  },
  {
    design: 'iommufd', kind: 'unreachable', rule: 'DESTROY.ok.device',
    reason: 'a DEVICE object is held by its binding driver until the device FD is unbound (iommufd_device_bind), so IOMMU_DESTROY of it is always EBUSY; the rule exists because DESTROY names its outcome per object kind',
  },
  {
    design: 'iommufd', kind: 'unreachable', rule: 'DESTROY.ok.access',
    reason: 'an ACCESS is held by its driver (iommufd_access_create takes a user) until the driver destroys it, which the selftest does on its fd\'s release: IOMMU_DESTROY of it is always EBUSY',
  },
  {
    design: 'iommufd', kind: 'unreachable', rule: 'HWPT_INVALIDATE.ENOENT.not_nested',
    reason: 'kernel version: upstream answers EINVAL for a paging HWPT; ENOENT is 6.12\'s (before the vIOMMU rework), reached by check --kernel-version 6.12',
  },
  {
    design: 'iommufd', kind: 'unreachable', rule: 'ATTACH_PT.EINVAL.unbound',
    reason: 'vfio_device_fops_unl_ioctl refuses every ioctl but the bind on an unbound device FD (VFIO_DEVICE_ATTACH_IOMMUFD_PT.EINVAL.device_not_bound, the same errno) before the attach handler sees it',
  },
  {
    design: 'iommufd', kind: 'unreachable', rule: 'DETACH_PT.EINVAL.unbound',
    reason: 'vfio_device_fops_unl_ioctl refuses every ioctl but the bind on an unbound device FD (VFIO_DEVICE_DETACH_IOMMUFD_PT.EINVAL.device_not_bound, the same errno) before the detach handler sees it',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'IOAS_COPY.EOVERFLOW.auto_iova',
    reason: 'needs a source area of at least 2^63 bytes (a fixed MAP of that length into an IOAS without a domain, where nothing is pinned) copied to an automatic IOVA: a product of two edge values; 0 times in check --design iommufd --runs 10000 --seed 5 (20,000 runs)',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'IOAS_COPY.ENOMEM.memlock',
    reason: 'needs a run with a small RLIMIT_MEMLOCK and a copy of pages nothing has pinned yet into an IOAS with a domain, past the limit; 7 times in 20,000 runs (check --design iommufd --runs 10000 --seed 5)',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'IOAS_COPY.EINVAL.page_offset',
    reason: 'needs a map from a user address that is not page aligned into an IOAS without a domain (accepted there), then a copy of it into an IOAS with a domain; 13 times in 20,000 runs (check --design iommufd --runs 10000 --seed 5)',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'IOAS_COPY.EINVAL.piece_alignment',
    reason: 'needs two sub-page areas (accepted in an IOAS without a domain) that are contiguous and sum to whole pages, copied as one range into an IOAS with a domain; check --runs 3000 --seed 2 first drew it after 1,897 runs of iommufd on guest-pasid-table (counterexamples/P-IOVA-ALLOC/566d5626fc.json)',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'IOAS_MAP.EOVERFLOW.pin',
    reason: 'needs a map of less than a page from the top page of the u64 space (user_va U64_MAX - 0xfff, an edge value) into an IOAS with a domain: only a machine with sub-page IOMMU pages takes such a length, so the default world never reaches it; check --profile selftest-mock --runs 5000 --seed 5 does (found against Linux 6.12, traces/linux/map-top-page-eoverflow.json)',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'MOCK_ACCESS_PIN.EOVERFLOW.pin',
    reason: 'needs an area of the top user page (user_va U64_MAX - 0xfff, an edge value, staged without a domain) under a pinning access, which then pins it: pin_user_pages_fast wraps; a chain of three edge draws on the selftest mock',
  },
  {
    design: 'iommufd', kind: 'unreachable', rule: 'IOAS_MAP.EINVAL.file_range',
    reason: 'IOAS_MAP pins only the user pages of its own new area (pinCheck prefixes every pin with its call): a file\'s pages are never among them; the rule exists because every pinning call names the outcome',
  },
  {
    design: 'iommufd', kind: 'unreachable', rule: 'IOAS_MAP_FILE.EFAULT.pin',
    reason: 'a file map pins only its memfd\'s pages, found by file offset (memfd_pin_folios), never user memory that may be missing: a page past the file\'s end is EINVAL (file_range)',
  },
  {
    design: 'iommufd', kind: 'unreachable', rule: 'IOAS_MAP_FILE.EOVERFLOW.pin',
    reason: 'pin_user_pages_fast\'s wrap check is of user addresses; a file map\'s pages are found by file offset, whose wrap IOAS_MAP_FILE refuses before it pins (EOVERFLOW.start)',
  },
  ...(['IOAS_MAP_FILE', 'IOAS_CHANGE_PROCESS'] as const).map((call) => ({
    design: 'iommufd', kind: 'unreachable' as const, rule: `${call}.ENOTTY.kernel_version`,
    reason: 'kernel version: upstream has the ioctl (6.13, 6.14); ENOTTY is 6.12\'s, reached by check --kernel-version 6.12 and the example "A 6.12 kernel has neither IOMMU_IOAS_MAP_FILE nor IOMMU_IOAS_CHANGE_PROCESS"',
  })),
  ...(['VIOMMU_ALLOC', 'VDEVICE_ALLOC', 'VEVENTQ_ALLOC'] as const).map((call) => ({
    design: 'iommufd', kind: 'unreachable' as const, rule: `${call}.ENOTTY.kernel_version`,
    reason: 'kernel version: upstream has the ioctl (vIOMMU and vDEVICE 6.13, vEVENTQ 6.15); ENOTTY is 6.12\'s, reached by check --kernel-version 6.12 and the example "A 6.12 kernel has no vIOMMU, vDEVICE or vEVENTQ"',
  })),
  {
    design: 'iommufd', kind: 'unreachable', rule: 'DESTROY.EBUSY.vdevice_in_use',
    reason: 'nothing holds a vDEVICE but the object table (iommufd_vdevice_alloc_ioctl takes users on the vIOMMU and the device, none is taken on it), so IOMMU_DESTROY of it never finds it busy; the rule exists because DESTROY names its outcome per object kind',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'IOAS_MAP_FILE.EOVERFLOW.auto_iova',
    reason: 'needs a file map of at least 2^63 bytes (an edge length) to an automatic IOVA from a live memfd: a product of three draws; 0 times in check --design iommufd --runs 10000 --seed 5 (20,000 runs), as IOAS_COPY.EOVERFLOW.auto_iova',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'MOCK_ACCESS_RW.EINVAL.file_range',
    reason: 'needs, on the selftest mock, a file map past its memfd\'s end (staged in an IOAS without a domain) in the IOAS of an access, and a read or write of the access that reaches past the file\'s end: the access set-up maps user memory only, so the file map is a random one; reached by check --profile selftest-mock --runs 8000 --seed 1, not at the test budget',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'MOCK_ACCESS_PIN.EINVAL.file_range',
    reason: 'needs, on the selftest mock, a file map past its memfd\'s end staged in an IOAS without a domain and a pinning access on that IOAS pinning it: 0 times in check --profile selftest-mock --runs 8000 --seed 1 (the example "An access reads, writes and pins a file map\'s pages through the file" shows it)',
  },
  {
    design: 'iommufd', kind: 'rare', rule: 'MOCK_ACCESS_REPLACE.EADDRINUSE.alignment',
    reason: 'needs, on the selftest mock, a pinning access replaced onto a second IOAS holding a sub-page area (accepted there: no domain, no pinning access): an access set-up run of the selftest mock\'s five set-ups; reached by check --profile selftest-mock --runs 5000 --seed 5, not at the test budget of 3,000',
  },
  ...(['IOAS_COPY', 'HWPT_ALLOC'] as const).map((call) => ({
    design: 'iommufd', kind: 'rare' as const, rule: `${call}.EINVAL.file_range`,
    reason: `needs a file map past its memfd's end staged in an IOAS without a domain, then ${call === 'IOAS_COPY' ? 'a copy of it into an IOAS with a domain' : 'a HWPT allocated on that IOAS'}, which pins it; reached in check --design iommufd --runs 10000 --seed 5, not at the test budget`,
  })),
  ...(['IOAS_COPY', 'HWPT_ALLOC', 'ATTACH_PT'] as const).map((call) => ({
    design: 'iommufd', kind: 'rare' as const, rule: `${call}.EOVERFLOW.pin`,
    reason: `needs an area of the top user page staged in an IOAS without a domain (a sub-page map, selftest-mock only), then ${call === 'IOAS_COPY' ? 'copied into an IOAS with a domain' : 'a domain added to that IOAS'}, where pinning it wraps; 0 times in check --profile selftest-mock --runs 5000 --seed 5`,
  })),
];

export function knownUnreached(design: string, rule: string): string | null {
  return UNREACHED.find((u) => (u.design === design || u.design === '*') && u.rule === rule)?.reason ?? null;
}
