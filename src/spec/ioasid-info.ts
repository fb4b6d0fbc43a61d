/**
 * RFC v1's queries (§2; facts §1.3): IOASID_CHECK_EXTENSION, the FD-level capabilities ("e.g. pre-registration"), and
 * IOASID_GET_INFO, an ioasid's capabilities ("type1 map/unmap, pgtable/pasid-table bind, hw vs sw nesting") and
 * attributes ("page sizes, reserved IOVA ranges, vendor formats, number of children"). They are RFC v1's counterpart of
 * iommufd's IOMMU_GET_HW_INFO; the seed's skeleton (fd-per-ioasid) has neither.
 *
 * Rules chosen where the RFC is silent (it left both layouts TBD):
 *  - CHECK_EXTENSION answers 1 or 0 and never fails; an extension number it does not know is 0 (VFIO_CHECK_EXTENSION's
 *    convention). Its extensions are FD-level only: REGISTER_MEMORY, NESTING (CREATE_NESTING exists on the FD),
 *    PAGE_FAULT (the fault ring). Whether a nesting is hardware or software depends on the ioasid: GET_INFO's.
 *  - GET_INFO needs the ioasid to have had a device (ENODEV before: "just a number") and no iommu group on it in part
 *    (EBUSY), as every other command on it; an unknown ioasid is ENOENT.
 *  - A flag says what the ioasid takes now, so it agrees with the call it stands for: MAP_DMA (a root, or a child with
 *    no table bound), NESTING (a root), BIND_PGTABLE / BIND_PASID_TABLE (that bind of the native format would be
 *    accepted now: ioasid.ts bindRefusal), HW_NESTING (the IOMMU walks a guest stage-1).
 *  - The reserved IOVA is reported as its complement, the IOVA a map may use (as IOMMU_IOAS_IOVA_RANGES does; RFC v2
 *    made the same change, "report permitted IOVA ranges instead of reserved ranges", for PPC).
 */
import {
  IOASID_EXT_NESTING, IOASID_EXT_PAGE_FAULT, IOASID_EXT_REGISTER_MEMORY, IOASID_INFO_BIND_PASID_TABLE, IOASID_INFO_BIND_PGTABLE,
  IOASID_INFO_HW_NESTING, IOASID_INFO_MAP_DMA, IOASID_INFO_NESTING, ULONG_MAX,
  type IoasidCheckExtension, type IoasidGetInfo, type IoasidInfo, type IoctlName,
} from '../uapi/index.js';
import { bindRefusal, nativeFormat, pasidTableBindable, readySpace, reservedFor } from './ioasid.js';
import { holes } from './ranges.js';
import { answer, isRejection, reject, type Outcome } from './rule.js';
import { keyOf, lookup, type File, type State } from './state.js';

type CtxFile = Extract<File, { kind: 'ioasid' }>;

/** What each extension needs of the design. */
const EXTENSIONS: Readonly<Record<number, (s: State) => boolean>> = {
  [IOASID_EXT_REGISTER_MEMORY]: (s) => s.design.ioctls.includes('IOASID_REGISTER_MEMORY'),
  [IOASID_EXT_NESTING]: (s) => s.design.ioctls.includes('IOASID_CREATE_NESTING'),
  // design point: faultReport
  [IOASID_EXT_PAGE_FAULT]: (s) => s.design.policy.faultReport === 'ioasid-ring',
};

/** IOASID_CHECK_EXTENSION: 1 if the FD has the extension, else 0. */
export function checkExtension(s: State, _f: CtxFile, c: IoasidCheckExtension): Outcome {
  const has = EXTENSIONS[c.extension]?.(s) ?? false;
  return answer(s, has ? 'IOASID_CHECK_EXTENSION.ok' : 'IOASID_CHECK_EXTENSION.ok.unsupported', { supported: has ? 1 : 0 });
}

/** IOASID_GET_INFO: what the ioasid takes now and its attributes. */
export function getInfo(s: State, f: CtxFile, c: IoasidGetInfo): Outcome {
  const P = 'IOASID_GET_INFO';
  const found = lookup(s, f.key, c.ioasid, 'ioas', 'ioasid_child');
  if (!found) return reject('ENOENT', `${P}.ENOENT.ioasid`);
  const o = readySpace(s, found, P);
  if (isRejection(o)) return o;
  const nests = s.world.iommu.stage1Format !== null;
  const offers = (ioctl: IoctlName) => s.design.ioctls.includes(ioctl);
  const root = o.kind === 'ioas';
  const flags = (root || o.s1 === null ? IOASID_INFO_MAP_DMA : 0)
    | (root && offers('IOASID_CREATE_NESTING') ? IOASID_INFO_NESTING : 0)
    | (offers('IOASID_BIND_PGTABLE') && bindRefusal(s, o, nativeFormat(s), 'pgtable', 'IOASID_BIND_PGTABLE') === null ? IOASID_INFO_BIND_PGTABLE : 0)
    | (offers('IOASID_BIND_PASID_TABLE') && pasidTableBindable(s) && bindRefusal(s, o, nativeFormat(s), 'pasid-table', 'IOASID_BIND_PASID_TABLE') === null ? IOASID_INFO_BIND_PASID_TABLE : 0)
    | (nests ? IOASID_INFO_HW_NESTING : 0);
  const info: IoasidInfo = {
    flags,
    iova_ranges: holes(0n, ULONG_MAX, reservedFor(s, o)),
    pgsize_bitmap: s.world.iommu.pgsizeBitmap,
    formats: nests ? [nativeFormat(s)] : [],
    children: root ? Object.values(s.objects).filter((x) => x.kind === 'ioasid_child' && x.parent === keyOf(o)).length : 0,
  };
  return answer(s, `${P}.ok`, info);
}
