/**
 * IOASID — the 2021 proposals' address space (RFC v1 §2, facts §1.3). Owner: the per-VM /dev/ioasid FD, which
 * multiplexes many ioasids (rfc-v1, per-device-sva, setup-only-association); under fd-per-ioasid the FD *is*
 * one ioasid (its `ioasid` argument must be 0). A root ioasid is one I/O page table, kernel-managed with type1
 * MAP/UNMAP semantics; a child (CREATE_NESTING) translates through its parent, by software nesting (its own
 * maps, iova -> GPA) or by a bound guest page table / PASID table. Page-table binding and invalidation are
 * per-ioasid: one call reaches every device attached to that ioasid (seed M2 "per-ioasid, not per-device").
 * Rules the RFC left open, chosen here (also listed in the design values):
 *  - "accepts no command until attached": MAP/UNMAP/NESTING/BIND on an ioasid that never had a device: ENODEV;
 *  - implicit group rule: while a device of a partly attached group sits on the ioasid, commands get EBUSY;
 *  - a child is either software-nested or bound, never both (EBUSY); one level of nesting (parent must be a root);
 *  - MAP/UNMAP follow VFIO type1 v2 exactly (EINVAL on split, success with size 0 when nothing is mapped).
 */
import type { Draft } from 'immer';
import {
  IOASID_DMA_MAP_FLAG_READ as READ, IOASID_DMA_MAP_FLAG_WRITE as WRITE, PAGE_SIZE,
  type Granularity, type IoasidAlloc, type IoasidBindPasidTable, type IoasidBindPgtable, type IoasidCreateNesting,
  type IoasidFormat, type IoasidFree, type IoasidInvalidateCache, type IoasidMapDma, type IoasidRegisterMemory,
  type IoasidUnbindPasidTable, type IoasidUnbindPgtable, type IoasidUnmapDma, type IoasidUnregisterMemory, type IovaRange,
} from '../uapi/index.js';
import { flush } from './hwpt.js';
import { insertSorted, removeAreas, scanUnmap } from './ioas.js';
import { outsideAperture, reservedOf } from './iova.js';
import { destroyObject, holders } from './objects.js';
import { pinCheck } from './pins.js';
import { coveredBy, lastOf, overlaps } from './ranges.js';
import { commit, peek, guardAfter, isRejection, reject, type Outcome, type Rejection } from './rule.js';
import { openFile, allocId, hw, keyOf, lookup, objKey, physDevice, type File, type Obj, type ObjOf, type S1, type State } from './state.js';
import { guestPasidTable, routeCtx } from './translate.js';

type Space = ObjOf<'ioas'> | ObjOf<'ioasid_child'>;
type CtxFile = Extract<File, { kind: 'ioasid' | 'ioasid-single' }>;

/** The ioasid a command names: (file, ioasid) per-VM; the FD's own ioasid under fd-per-ioasid (argument must be 0). */
export function findIoasid(s: State, f: CtxFile, ioasid: number, prefix: string): Space | Rejection {
  if (f.kind === 'ioasid-single') {
    if (ioasid !== 0) return reject('EINVAL', `${prefix}.EINVAL.ioasid_not_zero`);
    const o = lookup(s, f.key, 1, 'ioas', 'ioasid_child');
    return o ?? reject('ENOENT', `${prefix}.ENOENT.ioasid`);
  }
  return lookup(s, f.key, ioasid, 'ioas', 'ioasid_child') ?? reject('ENOENT', `${prefix}.ENOENT.ioasid`);
}


/** Devices whose RID (or PASID) is attached directly to `space`. */
const attachedDevs = (s: State, space: Obj) => s.attachments.filter((a) => a.ctx === keyOf(space)).map((a) => a.dev);

/** RFC v1 §3 partial_devices: a device on this ioasid whose group siblings are not all on it too. */
export function partialGroup(s: State, space: Obj): boolean {
  const on = new Set(s.attachments.filter((a) => a.ctx === keyOf(space) && a.pasid === null).map((a) => a.dev));
  return [...on].some((dev) => {
    const g = physDevice(s, dev).group;
    return s.world.devices.some((x) => x.group === g && !on.has(x.name));
  });
}

/** The ordered readiness guards every ioasid command shares: exists, has had a device, group complete. */
function ready(s: State, f: CtxFile, ioasid: number, prefix: string): Space | Rejection {
  const o = findIoasid(s, f, ioasid, prefix);
  return isRejection(o) ? o : readySpace(s, o, prefix);
}

/** The guards after the lookup: the ioasid has had a device ("just a number" before), and no group sits on it in part. */
export function readySpace(s: State, o: Space, prefix: string): Space | Rejection {
  if (!o.domain) return reject('ENODEV', `${prefix}.ENODEV.no_device_attached`);
  if (partialGroup(s, o)) return reject('EBUSY', `${prefix}.EBUSY.partial_group`);
  return o;
}

/** design point: setup-only-association — the first map or bind seals the FD against new associations. */
const seal = (d: Draft<State>, f: CtxFile) => {
  const x = d.files[f.key];
  if (x?.kind === 'ioasid' && d.design.policy.association === 'setup-only') x.sealed = true;
};

/** Reserved IOVA of a space: a root's from its devices and domain; a child's from the devices attached to it. */
export function reservedFor(s: State, o: Space): IovaRange[] {
  if (o.kind === 'ioas') return reservedOf(s, o);
  return [...attachedDevs(s, o).flatMap((d) => physDevice(s, d).reserved), ...outsideAperture(s)];
}

/** IOASID_ALLOC: a new root ioasid; it is "just a number" until a device is attached (RFC v1 §2). */
export function ioasidAlloc(s: State, f: CtxFile, _c: IoasidAlloc): Outcome {
  return commit(s, 'IOASID_ALLOC.ok', (d) => {
    const id = allocId(s, f.key);
    d.objects[objKey(f.key, id)] = { kind: 'ioas', file: f.key, id, areas: [], allowed: [], domain: false, hugePages: true, testReserved: [] };
    return { ioasid: id };
  });
}

/** IOASID_FREE: EBUSY while children, attachments or per-device binds hold it. */
export function ioasidFree(s: State, f: CtxFile, c: IoasidFree): Outcome {
  const o = findIoasid(s, f, c.ioasid, 'IOASID_FREE');
  if (isRejection(o)) return o;
  if (holders(s, o).length > 0) return reject('EBUSY', 'IOASID_FREE.EBUSY.in_use');
  return commit(s, 'IOASID_FREE.ok', (d) => {
    destroyObject(d, o);
    return {};
  });
}

/** IOASID_REGISTER_MEMORY: pin and charge once; later maps inside it are not charged again (RFC v1 §2). */
export function registerMemory(s: State, f: CtxFile, c: IoasidRegisterMemory): Outcome {
  const last = lastOf(c.vaddr, c.size);
  if (c.size === 0n || last === null || c.vaddr % PAGE_SIZE !== 0n || c.size % PAGE_SIZE !== 0n) return reject('EINVAL', 'IOASID_REGISTER_MEMORY.EINVAL.range');
  if (f.kind !== 'ioasid') return reject('EINVAL', 'IOASID_REGISTER_MEMORY.EINVAL.fd');
  if (f.registrations.some((r) => overlaps(r, { start: c.vaddr, last }))) return reject('EEXIST', 'IOASID_REGISTER_MEMORY.EEXIST.overlap');
  const done = commit(s, 'IOASID_REGISTER_MEMORY.ok', (d) => {
    (d.files[f.key] as Draft<typeof f>).registrations.push({ start: c.vaddr, last });
    return {};
  });
  return guardAfter(done, pinCheck(s, 'IOASID_REGISTER_MEMORY'));
}

/** IOASID_UNREGISTER_MEMORY: the exact range registered; EBUSY while a map uses it. */
export function unregisterMemory(s: State, f: CtxFile, c: IoasidUnregisterMemory): Outcome {
  if (f.kind !== 'ioasid') return reject('EINVAL', 'IOASID_UNREGISTER_MEMORY.EINVAL.fd');
  const last = lastOf(c.vaddr, c.size);
  const i = f.registrations.findIndex((r) => r.start === c.vaddr && r.last === last);
  if (i < 0) return reject('ENOENT', 'IOASID_UNREGISTER_MEMORY.ENOENT.range');
  const reg = f.registrations[i]!; // found just above
  const inUse = Object.values(s.objects).some((o) => o.file === f.key && o.kind === 'ioas' &&
    o.areas.some((a) => a.target.kind === 'pages' && overlaps(reg, { start: s.pages[a.target.pages]!.uva, last: s.pages[a.target.pages]!.uva + s.pages[a.target.pages]!.length - 1n }))); // areas point at live pages (gcPages)
  if (inUse) return reject('EBUSY', 'IOASID_UNREGISTER_MEMORY.EBUSY.mapped');
  return commit(s, 'IOASID_UNREGISTER_MEMORY.ok', (d) => {
    (d.files[f.key] as Draft<typeof f>).registrations.splice(i, 1);
    return {};
  });
}

/**
 * IOASID_MAP_DMA: VFIO type1 v2 map (vfio_dma_do_map) on one ioasid. On a software-nested child `vaddr` is a
 * GPA of the parent (RFC v1 §5.3): nothing is pinned for it, the parent's maps are.
 */
export function mapDma(s: State, f: CtxFile, c: IoasidMapDma): Outcome {
  const P = 'IOASID_MAP_DMA';
  if ((c.flags & ~(READ | WRITE)) !== 0 || (c.flags & (READ | WRITE)) === 0) return reject('EINVAL', `${P}.EINVAL.flags`);
  if (c.size === 0n || ((c.size | c.iova | c.vaddr) & (PAGE_SIZE - 1n)) !== 0n) return reject('EINVAL', `${P}.EINVAL.alignment`);
  const last = lastOf(c.iova, c.size);
  if (last === null || lastOf(c.vaddr, c.size) === null) return reject('EINVAL', `${P}.EINVAL.wrap`);
  const o = ready(s, f, c.ioasid, P);
  if (isRejection(o)) return o;
  if (o.kind === 'ioasid_child' && o.s1) return reject('EBUSY', `${P}.EBUSY.pgtable_bound`);
  if (o.areas.some((a) => overlaps(a, { start: c.iova, last }))) return reject('EEXIST', `${P}.EEXIST.overlap`);
  if (reservedFor(s, o).some((r) => overlaps(r, { start: c.iova, last }))) return reject('EINVAL', `${P}.EINVAL.reserved`);
  const regs = f.kind === 'ioasid' ? f.registrations : [];
  if (o.kind === 'ioas' && regs.length > 0 && !coveredBy({ start: c.vaddr, last: c.vaddr + c.size - 1n }, regs)) return reject('EINVAL', `${P}.EINVAL.not_registered`);
  const prot = { read: (c.flags & READ) !== 0, write: (c.flags & WRITE) !== 0 };
  const done = commit(s, o.kind === 'ioas' ? `${P}.ok` : `${P}.ok.software_nesting`, (d) => {
    const areas = (d.objects[keyOf(o)] as Draft<Space>).areas;
    if (o.kind === 'ioas') {
      const pages = d.nextPages++;
      d.pages[pages] = { uva: c.vaddr, length: c.size, writable: prot.write };
      insertSorted(areas, { start: c.iova, last, target: { kind: 'pages', pages, offset: 0n }, prot });
    } else insertSorted(areas, { start: c.iova, last, target: { kind: 'gpa', gpa: c.vaddr }, prot });
    seal(d, f);
    return {};
  });
  return guardAfter(done, pinCheck(s, P));
}

/** IOASID_UNMAP_DMA: type1 v2 (vfio_dma_do_unmap) — refuses to split a mapping (EINVAL) before touching anything. */
export function unmapDma(s: State, f: CtxFile, c: IoasidUnmapDma): Outcome {
  const P = 'IOASID_UNMAP_DMA';
  if (c.size === 0n || ((c.size | c.iova) & (PAGE_SIZE - 1n)) !== 0n) return reject('EINVAL', `${P}.EINVAL.alignment`);
  const last = lastOf(c.iova, c.size);
  if (last === null) return reject('EINVAL', `${P}.EINVAL.wrap`);
  const o = ready(s, f, c.ioasid, P);
  if (isRejection(o)) return o;
  const { hit, stop, removed } = scanUnmap(o.areas, c.iova, last);
  // design point: unmap — type1 checks both ends first, so a failure changes nothing (unlike iommufd)
  if (stop !== -1 && (removed.length === 0 || s.design.policy.unmap === 'type1-atomic')) return reject('EINVAL', `${P}.EINVAL.split`);
  if (hit.length === 0) return commit(s, `${P}.ok.nothing_mapped`, () => ({ size: 0n }));
  const effect = (d: Draft<State>) => ({ size: removeAreas(d, keyOf(o), removed) });
  if (stop === -1) return commit(s, `${P}.ok`, effect);
  const kept = commit(s, `${P}.EINVAL.split_after_removing`, effect);
  return { kind: 'partial', state: (kept as Extract<typeof kept, { kind: 'ok' }>).state, errno: 'EINVAL', rule: kept.rule };
}

/** IOASID_CREATE_NESTING: a child whose output goes through `parent` (a root ioasid). */
export function createNesting(s: State, f: CtxFile, c: IoasidCreateNesting): Outcome {
  const P = 'IOASID_CREATE_NESTING';
  const parent = ready(s, f, c.parent_ioasid, P);
  if (isRejection(parent)) return parent;
  if (parent.kind !== 'ioas') return reject('EINVAL', `${P}.EINVAL.parent_is_child`);
  return commit(s, `${P}.ok`, (d) => {
    // design point: fdModel — per-ioasid: the child is a new FD (its number is the child's handle)
    if (f.kind === 'ioasid-single') {
      const { fd, key } = openFile(d, s, (k) => ({ kind: 'ioasid-single', key: k }));
      d.objects[objKey(key, 1)] = { kind: 'ioasid_child', file: key, id: 1, parent: keyOf(parent), areas: [], s1: null, domain: false };
      return { ioasid: 0, fd };
    }
    const id = allocId(s, f.key);
    d.objects[objKey(f.key, id)] = { kind: 'ioasid_child', file: f.key, id, parent: keyOf(parent), areas: [], s1: null, domain: false };
    return { ioasid: id };
  });
}

/** The format the hardware's stage-1 walker reads. */
export const nativeFormat = (s: State): IoasidFormat => (hw(s) === 'host-pasid-table' ? 'IOASID_FORMAT_VTD' : 'IOASID_FORMAT_SMMUV3');

/**
 * On guest-pasid-table hardware a single guest page table cannot be installed by the host: the walker finds
 * stage-1 tables through the guest's PASID table. RFC v1 §5.7 still binds each guest table, which the kernel
 * "only tracks": accepted when every device on the child reaches it by PASID under a RID whose context holds a
 * guest PASID table; refused (EOPNOTSUPP) otherwise.
 */
function trackOnly(s: State, child: Obj): boolean {
  const on = s.attachments.filter((a) => a.ctx === keyOf(child));
  return on.length > 0 && on.every((a) => a.pasid !== null && guestPasidTable(routeCtx(s, a.dev, null)) !== null);
}

/** A PASID table in guest memory exists only on guest-pasid-table hardware, and only a design that binds one takes it. */
export const pasidTableBindable = (s: State): boolean =>
  // design point: guestPasidTable
  hw(s) === 'guest-pasid-table' && s.design.policy.guestPasidTable === 'bindable';

/** Why binding a `kind` table in `format` on `o` is refused now (the checks after the lookup, in order), or null. */
export function bindRefusal(s: State, o: Space, format: IoasidFormat, kind: S1['kind'], P: string): Rejection | null {
  if (o.kind !== 'ioasid_child') return reject('EINVAL', `${P}.EINVAL.not_child`);
  if (format !== nativeFormat(s)) return reject('EINVAL', `${P}.EINVAL.format`);
  // rule chosen for the 2021 designs (never shipped): binding a guest table is hardware nesting, which an IOMMU
  // that nests nothing (profile stage1Format null: AMD v1 in 6.12) cannot do, as iommufd's NEST_PARENT refusal says
  if (s.world.iommu.stage1Format === null) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.no_nesting`);
  if (o.s1 !== null || o.areas.length > 0) return reject('EBUSY', `${P}.EBUSY.in_use`);
  if (kind === 'pgtable' && hw(s) === 'guest-pasid-table' && !trackOnly(s, o)) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.hardware`);
  return null;
}

function bindTable(s: State, f: CtxFile, ioasid: number, format: IoasidFormat, s1: S1, P: string): Outcome {
  if (s1.kind === 'pasid-table' && !pasidTableBindable(s)) return reject('EOPNOTSUPP', `${P}.EOPNOTSUPP.hardware`);
  const o = ready(s, f, ioasid, P);
  if (isRejection(o)) return o;
  const refused = bindRefusal(s, o, format, s1.kind, P);
  if (refused) return refused;
  return commit(s, `${P}.ok`, (d) => {
    (d.objects[keyOf(o)] as Draft<ObjOf<'ioasid_child'>>).s1 = s1;
    seal(d, f);
    return {};
  });
}

export const bindPgtable = (s: State, f: CtxFile, c: IoasidBindPgtable): Outcome =>
  bindTable(s, f, c.ioasid, c.format, { kind: 'pgtable', root: c.pgtbl_addr }, 'IOASID_BIND_PGTABLE');
export const bindPasidTable = (s: State, f: CtxFile, c: IoasidBindPasidTable): Outcome =>
  bindTable(s, f, c.ioasid, c.format, { kind: 'pasid-table', root: c.pasid_table_addr }, 'IOASID_BIND_PASID_TABLE');

function unbindTable(s: State, f: CtxFile, ioasid: number, kind: S1['kind'], P: string): Outcome {
  const o = findIoasid(s, f, ioasid, P);
  if (isRejection(o)) return o;
  if (o.kind !== 'ioasid_child' || o.s1?.kind !== kind) return reject('EINVAL', `${P}.EINVAL.not_bound`);
  return commit(s, `${P}.ok`, (d) => {
    (d.objects[keyOf(o)] as Draft<ObjOf<'ioasid_child'>>).s1 = null;
    d.stale = peek(d.stale).filter((e) => e.ctx !== keyOf(o));
    return {};
  });
}

export const unbindPgtable = (s: State, f: CtxFile, c: IoasidUnbindPgtable) => unbindTable(s, f, c.ioasid, 'pgtable', 'IOASID_UNBIND_PGTABLE');
export const unbindPasidTable = (s: State, f: CtxFile, c: IoasidUnbindPasidTable) => unbindTable(s, f, c.ioasid, 'pasid-table', 'IOASID_UNBIND_PASID_TABLE');

/** The flush scope of an RFC granularity, or null when the range is malformed. */
export function scopeOf(g: Granularity): Parameters<typeof flush>[2] | null {
  if (g.kind === 'all') return { all: true };
  const last = lastOf(g.iova, g.size);
  return last === null ? null : { all: false, first: g.iova >> 12n, last: last >> 12n };
}

/**
 * IOASID_INVALIDATE_CACHE: per ioasid — reaches the IOTLB entries of every device attached to it (seed M2).
 * On guest-pasid-table hardware a child whose page table is only tracked (RFC v1 §5.7) has its translations
 * cached under the RID context that walks the guest PASID table: its invalidation reaches those entries of its
 * table there ("driver maps it to domain/PASID/range semantics", RFC v1 §2).
 */
export function invalidateCache(s: State, f: CtxFile, c: IoasidInvalidateCache): Outcome {
  const P = 'IOASID_INVALIDATE_CACHE';
  const scope = scopeOf(c.granularity);
  if (!scope) return reject('EINVAL', `${P}.EINVAL.range`);
  const o = findIoasid(s, f, c.ioasid, P);
  if (isRejection(o)) return o;
  if (o.kind !== 'ioasid_child' || o.s1 === null) return reject('EINVAL', `${P}.EINVAL.not_bound`);
  const table = o.s1.kind === 'pgtable' ? o.s1.root : undefined;
  const walkers = hw(s) === 'guest-pasid-table' && table !== undefined
    ? s.attachments.filter((a) => a.ctx === keyOf(o)).map((a) => routeCtx(s, a.dev, null)).filter((x): x is Obj => x !== undefined && guestPasidTable(x) !== null)
    : [];
  return commit(s, `${P}.ok`, (d) => {
    flush(d, keyOf(o), scope);
    for (const w of walkers) flush(d, keyOf(w), scope, table);
    return {};
  });
}

