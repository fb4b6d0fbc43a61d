/**
 * RFC v1's queries on the /dev/ioasid FD: IOASID_CHECK_EXTENSION answers from what this kernel module has (its ioctl
 * table and the file's fault ring); IOASID_GET_INFO reads an ioasid's state the way the bind and map paths would judge
 * it, and reports the IOVA its map path would take (the holes of its reserved ranges).
 */
import {
  IOASID_EXT_NESTING, IOASID_EXT_PAGE_FAULT, IOASID_EXT_REGISTER_MEMORY, IOASID_INFO_BIND_PASID_TABLE, IOASID_INFO_BIND_PGTABLE,
  IOASID_INFO_HW_NESTING, IOASID_INFO_MAP_DMA, IOASID_INFO_NESTING, fail, ok,
  type IoasidCheckExtension, type IoasidGetInfo, type IoasidInfo, type Result,
} from '../uapi/index.js';
import { holesOf } from './ioas.js';
import { bindRefusal, childReserved, nativeFormat, readySpace } from './ioasid.js';
import type { IoasidCtxFile } from './ioasid-file.js';
import { IoasidChild, IoasidRoot, type IoasidSpace } from './ioasid-objects.js';
import type { Kernel } from './kernel.js';

/** IOASID_CHECK_EXTENSION: 1 if this FD has the extension; an unknown one is 0. */
export function checkExtension(k: Kernel, f: IoasidCtxFile, c: IoasidCheckExtension): Result<unknown> {
  const rows = k.fe.ioctls;
  const has = c.extension === IOASID_EXT_REGISTER_MEMORY ? rows.IOASID_REGISTER_MEMORY !== undefined
    : c.extension === IOASID_EXT_NESTING ? rows.IOASID_CREATE_NESTING !== undefined
      : c.extension === IOASID_EXT_PAGE_FAULT ? f.ring !== null
        : false;
  return ok({ supported: has ? 1 : 0 });
}

/** IOASID_GET_INFO: what the ioasid takes now, and its attributes. */
export function getInfo(k: Kernel, f: IoasidCtxFile, c: IoasidGetInfo): Result<unknown> {
  const found = f.table.getKind<IoasidSpace>(c.ioasid, IoasidRoot, IoasidChild);
  if (!found) return fail('ENOENT');
  const o = readySpace(k, found);
  if (typeof o === 'string') return fail(o);
  const rows = k.fe.ioctls;
  const nests = k.world.iommu.stage1Format !== null;
  let flags = 0;
  if (o instanceof IoasidRoot || o.s1 === null) flags |= IOASID_INFO_MAP_DMA;
  if (o instanceof IoasidRoot && rows.IOASID_CREATE_NESTING) flags |= IOASID_INFO_NESTING;
  if (rows.IOASID_BIND_PGTABLE && bindRefusal(k, o, nativeFormat(k), 'pgtable') === null) flags |= IOASID_INFO_BIND_PGTABLE;
  if (rows.IOASID_BIND_PASID_TABLE && k.world.hw === 'guest-pasid-table' && bindRefusal(k, o, nativeFormat(k), 'pasid-table') === null) flags |= IOASID_INFO_BIND_PASID_TABLE;
  if (nests) flags |= IOASID_INFO_HW_NESTING;
  const info: IoasidInfo = {
    flags,
    iova_ranges: holesOf(o instanceof IoasidRoot ? o.iopt.reservedRanges() : childReserved(k, o)),
    pgsize_bitmap: k.world.iommu.pgsizeBitmap,
    formats: nests ? [nativeFormat(k)] : [],
    children: o instanceof IoasidRoot ? o.children.size : 0,
  };
  return ok(info);
}
