/**
 * IOMMU_OPTION: two knobs of an iommufd. RLIMIT_MODE (global, object_id 0) says whose locked_vm the FD's pins are
 * charged to from now on: the user (0, the default) or the process's mm (1, what VFIO type1 charges; pins.ts keeps
 * the two pools apart). HUGE_PAGES (per IOAS) turns the IOAS's huge-page mapping off (0) or back on (1); off, every
 * map is done page by page, so the IOAS's IOVA alignment becomes at least PAGE_SIZE (iova.ts alignmentOf).
 * Guards, in order (the first failing one answers):
 *  - __reserved set: EOPNOTSUPP (`.EOPNOTSUPP.reserved`); an unknown option_id: EOPNOTSUPP (`.EOPNOTSUPP.option`);
 *  - RLIMIT_MODE: object_id set: EOPNOTSUPP (`.EOPNOTSUPP.object_id`); GET answers 1 for the mm, 0 for the user;
 *    SET: the FD holds any object (an IOAS, a HWPT, a bound device): EBUSY (`.EBUSY.objects`), then a value other
 *    than 0 or 1: EINVAL (`.EINVAL.value`); another op: EOPNOTSUPP (`.EOPNOTSUPP.op`). Abstracted: SET's EPERM
 *    without CAP_SYS_RESOURCE — the modelled process has it, as the selftests and a VMM's privileged helper do;
 *  - HUGE_PAGES: object_id not an IOAS of this FD: ENOENT (`.ENOENT.ioas`); GET answers 1 while huge pages are on;
 *    SET 0 when already off changes nothing; on an IOAS that has a domain and an area: EINVAL
 *    (`.EINVAL.mapped`, "Won't do it if domains already have pages mapped in them"); when the alignment grows and
 *    an area's IOVA, length or page offset is not aligned to it: EADDRINUSE (`.EADDRINUSE.alignment`); SET 1 always
 *    succeeds; another value: EINVAL (`.EINVAL.value`); another op: EOPNOTSUPP (`.EOPNOTSUPP.op`).
 * A success writes val64 back: the value read, or the value set.
 * @see drivers/iommu/iommufd/main.c iommufd_option, ioas.c iommufd_option_rlimit_mode, iommufd_ioas_option;
 *      io_pagetable.c iopt_disable_large_pages, iopt_calculate_iova_alignment, iopt_check_iova_alignment
 */
import { IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, IOMMU_OPTION_OP_SET, IOMMU_OPTION_RLIMIT_MODE, type IommuOption } from '../uapi/index.js';
import { alignmentOf, areaKeeps } from './iova.js';
import { hasDomain } from './pins.js';
import { answer, commit, reject, type Outcome } from './rule.js';
import { keyOf, lookup, type File, type ObjOf, type State } from './state.js';

type IommufdFile = Extract<File, { kind: 'iommufd' }>;

export function option(s: State, f: IommufdFile, c: IommuOption): Outcome {
  if (c.__reserved !== 0) return reject('EOPNOTSUPP', 'OPTION.EOPNOTSUPP.reserved');
  if (c.option_id === IOMMU_OPTION_RLIMIT_MODE) return rlimitMode(s, f, c);
  if (c.option_id === IOMMU_OPTION_HUGE_PAGES) return hugePages(s, f, c);
  return reject('EOPNOTSUPP', 'OPTION.EOPNOTSUPP.option');
}

function rlimitMode(s: State, f: IommufdFile, c: IommuOption): Outcome {
  if (c.object_id !== 0) return reject('EOPNOTSUPP', 'OPTION.EOPNOTSUPP.object_id');
  if (c.op === IOMMU_OPTION_OP_GET) return answer(s, 'OPTION.ok.rlimit_get', { val64: f.accountMm ? 1n : 0n });
  if (c.op !== IOMMU_OPTION_OP_SET) return reject('EOPNOTSUPP', 'OPTION.EOPNOTSUPP.op');
  if (Object.values(s.objects).some((o) => o.file === f.key)) return reject('EBUSY', 'OPTION.EBUSY.objects');
  if (c.val64 !== 0n && c.val64 !== 1n) return reject('EINVAL', 'OPTION.EINVAL.value');
  return commit(s, 'OPTION.ok.rlimit_set', (d) => {
    const file = d.files[f.key]; // f itself: open, the dispatcher found it
    if (file?.kind === 'iommufd') file.accountMm = c.val64 === 1n;
    return { val64: c.val64 };
  });
}

function hugePages(s: State, f: IommufdFile, c: IommuOption): Outcome {
  const ioas = lookup(s, f.key, c.object_id, 'ioas');
  if (!ioas) return reject('ENOENT', 'OPTION.ENOENT.ioas');
  if (c.op === IOMMU_OPTION_OP_GET) return answer(s, 'OPTION.ok.huge_pages_get', { val64: ioas.hugePages ? 1n : 0n });
  if (c.op !== IOMMU_OPTION_OP_SET) return reject('EOPNOTSUPP', 'OPTION.EOPNOTSUPP.op');
  if (c.val64 === 1n) return setHugePages(s, ioas, true);
  if (c.val64 !== 0n) return reject('EINVAL', 'OPTION.EINVAL.value');
  if (!ioas.hugePages) return answer(s, 'OPTION.ok.huge_pages_set', { val64: 0n });
  if (hasDomain(s, ioas) && ioas.areas.length > 0) return reject('EINVAL', 'OPTION.EINVAL.mapped');
  // iopt_calculate_iova_alignment with the flag set: only a rise is checked against the areas
  const align = alignmentOf(s, { ...ioas, hugePages: false });
  if (align > alignmentOf(s, ioas) && !ioas.areas.every((a) => areaKeeps(s, a, align))) return reject('EADDRINUSE', 'OPTION.EADDRINUSE.alignment');
  return setHugePages(s, ioas, false);
}

const setHugePages = (s: State, ioas: ObjOf<'ioas'>, on: boolean): Outcome =>
  commit(s, 'OPTION.ok.huge_pages_set', (d) => {
    const o = d.objects[keyOf(ioas)]; // ioas itself, looked up just before
    if (o?.kind === 'ioas') o.hugePages = on;
    return { val64: on ? 1n : 0n };
  });
