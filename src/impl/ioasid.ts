/**
 * IOASID ioctl handlers of the 2021 designs, issued on the address-space FD: validate in the spec's order, look
 * up, call the io_pagetable engine (root ioasids) or the child's shadow (software nesting), program the IOMMU.
 * A root is type1: fixed IOVAs, EEXIST on overlap, EINVAL on a split, atomic unmap. Every command but ALLOC/FREE,
 * (UN)REGISTER, UNBIND and INVALIDATE needs the ioasid to have had a device (ENODEV) and no partly attached iommu
 * group on it (EBUSY, RFC v1 §3). Under fd-per-ioasid the FD is the ioasid and the `ioasid` argument must be 0.
 * Invalidation is per ioasid (seed M2): it flushes the child's context tag, which every device on it shares.
 */
import {
  IOASID_DMA_MAP_FLAG_READ as READ, IOASID_DMA_MAP_FLAG_WRITE as WRITE, PAGE_SIZE, U64_MAX, fail, ok,
  type Errno, type Granularity, type IoasidAlloc, type IoasidBindPasidTable, type IoasidBindPgtable, type IoasidCreateNesting,
  type IoasidFormat, type IoasidFree, type IoasidInvalidateCache, type IoasidMapDma, type IoasidRegisterMemory,
  type IoasidUnbindPasidTable, type IoasidUnbindPgtable, type IoasidUnmapDma, type IoasidUnregisterMemory, type IovaRange,
  type Result,
} from '../uapi/index.js';
import type { DomainId } from './hw/contract.js';
import { IoPagetable, outsideAperture } from './iopt.js';
import { mapNewPages } from './ioas.js';
import { reprogramUsers } from './ioasid-device.js';
import { IoasidCtxFile, IoasidSingleFile, type IoasidAsFile } from './ioasid-file.js';
import { IoasidChild, IoasidRoot, hasDomain, type IoasidSpace, type S1 } from './ioasid-objects.js';
import type { Kernel } from './kernel.js';

const overlaps = (a: IovaRange, b: IovaRange) => a.start <= b.last && b.start <= a.last;
/** iova + size - 1, or null when it wraps past U64_MAX. */
const lastOf = (start: bigint, size: bigint): bigint | null => (start + size - 1n > U64_MAX ? null : start + size - 1n);
/** Every input page a domain can translate: an IOTLB-only flush of all of a context. */
const LAST_VPN = (1n << 52n) - 1n;

/** The ioasid a command names: (file, id) per VM; the FD's own ioasid under fd-per-ioasid (argument 0). */
export function findSpace(f: IoasidAsFile, ioasid: number): IoasidSpace | Errno {
  if (f instanceof IoasidSingleFile) return ioasid !== 0 ? 'EINVAL' : (f.space ?? 'ENOENT');
  return f.table.getKind<IoasidSpace>(ioasid, IoasidRoot, IoasidChild) ?? 'ENOENT';
}

/** RFC v1 §3 partial_devices: a device RID-attached here whose group siblings are not all attached here too. */
function partialGroup(k: Kernel, space: IoasidSpace): boolean {
  const on = new Set([...k.devices.values()].filter((d) => d.routes.some((r) => r.pasid === null && r.target === space)));
  return [...on].some((d) => k.groupOf(d).some((x) => !on.has(x)));
}

/** The readiness checks every map/nest/bind shares, in order: exists, has had a device, group complete. */
function ready(k: Kernel, f: IoasidAsFile, ioasid: number): IoasidSpace | Errno {
  const o = findSpace(f, ioasid);
  return typeof o === 'string' ? o : readySpace(k, o);
}

/** The checks after the lookup: the ioasid has had a device, and no iommu group sits on it in part. */
export function readySpace(k: Kernel, o: IoasidSpace): IoasidSpace | Errno {
  if (!hasDomain(o)) return 'ENODEV';
  if (partialGroup(k, o)) return 'EBUSY';
  return o;
}

/** A child's reserved IOVA: its devices' regions and what lies outside the aperture. */
export function childReserved(k: Kernel, c: IoasidChild): IovaRange[] {
  const devs = [...k.devices.values()].filter((d) => d.routes.some((r) => r.target === c));
  return [...devs.flatMap((d) => d.phys.reserved), ...outsideAperture(k.iommu)];
}

export function ioasidAlloc(k: Kernel, f: IoasidCtxFile, _c: IoasidAlloc): Result<unknown> {
  const id = f.table.insert(new IoasidRoot(f, new IoPagetable(k.iommu, k.alloc), k.alloc));
  return id === null ? fail('ENOMEM') : ok({ ioasid: id });
}

/** IOASID_FREE: EBUSY while a child, a device or a per-device bind holds it. */
export function ioasidFree(_k: Kernel, f: IoasidCtxFile, c: IoasidFree): Result<unknown> {
  const o = findSpace(f, c.ioasid);
  if (typeof o === 'string') return fail(o);
  const bad = f.table.destroyById(o.id);
  return bad ? fail(bad) : ok({});
}

/** IOASID_REGISTER_MEMORY: charged once; later maps inside it charge nothing more (RFC v1 §2). */
export function registerMemory(_k: Kernel, f: IoasidCtxFile, c: IoasidRegisterMemory): Result<unknown> {
  const last = lastOf(c.vaddr, c.size);
  if (c.size === 0n || last === null || c.vaddr % PAGE_SIZE !== 0n || c.size % PAGE_SIZE !== 0n) return fail('EINVAL');
  const reg = { start: c.vaddr, last };
  if (f.registrations.some((r) => overlaps(r, reg))) return fail('EEXIST');
  const bad = f.register(reg);
  return bad ? fail(bad) : ok({});
}

/** IOASID_UNREGISTER_MEMORY: exactly a registered range, not while a map of the file uses its pages. */
export function unregisterMemory(_k: Kernel, f: IoasidCtxFile, c: IoasidUnregisterMemory): Result<unknown> {
  const last = c.size === 0n ? null : lastOf(c.vaddr, c.size);
  const i = f.registrations.findIndex((r) => r.start === c.vaddr && r.last === last);
  const reg = f.registrations[i];
  if (!reg) return fail('ENOENT');
  const used = f.table.values().some((o) => o instanceof IoasidRoot && o.iopt.areas.some((a) => overlaps(reg, { start: a.pages.uva, last: a.pages.uva + a.pages.length - 1n })));
  if (used) return fail('EBUSY');
  f.unregister(i);
  return ok({});
}

/** IOASID_MAP_DMA: type1 map on a root; on a software-nested child `vaddr` is a GPA of the parent (RFC v1 §5.3). */
export function mapDma(k: Kernel, f: IoasidAsFile, c: IoasidMapDma): Result<unknown> {
  if ((c.flags & ~(READ | WRITE)) !== 0 || (c.flags & (READ | WRITE)) === 0) return fail('EINVAL');
  if (c.size === 0n || ((c.size | c.iova | c.vaddr) & (PAGE_SIZE - 1n)) !== 0n) return fail('EINVAL');
  const last = lastOf(c.iova, c.size);
  if (last === null || lastOf(c.vaddr, c.size) === null) return fail('EINVAL');
  const o = ready(k, f, c.ioasid);
  if (typeof o === 'string') return fail(o);
  if (o instanceof IoasidChild && o.s1) return fail('EBUSY');
  const range = { start: c.iova, last };
  const prot = { read: (c.flags & READ) !== 0, write: (c.flags & WRITE) !== 0 };
  if (o instanceof IoasidChild) {
    if (o.areas.some((a) => overlaps(a, range))) return fail('EEXIST');
    if (childReserved(k, o).some((r) => overlaps(r, range))) return fail('EINVAL');
    const bad = o.map({ start: c.iova, last, gpa: c.vaddr, prot });
    if (bad) return fail(bad);
  } else {
    if (o.iopt.areas.some((a) => overlaps(a, range))) return fail('EEXIST');
    if (o.iopt.reservedRanges().some((r) => overlaps(r, range))) return fail('EINVAL');
    const regs = f instanceof IoasidCtxFile ? f.registrations : [];
    if (regs.length > 0 && !covered({ start: c.vaddr, last: c.vaddr + c.size - 1n }, regs)) return fail('EINVAL');
    const r = mapNewPages(k, o.iopt, f.acct, { uva: c.vaddr, length: c.size, prot, fixed: true, iova: c.iova });
    if (!r.ok) return r;
    if (!o.syncChildren()) {
      o.iopt.unmapRange(c.iova, last, true);
      o.syncChildren(); // only removals now: cannot fail
      return fail('ENOMEM');
    }
  }
  if (f instanceof IoasidCtxFile) f.seal();
  return ok({});
}

function covered(r: IovaRange, ranges: readonly IovaRange[]): boolean {
  let next = r.start;
  for (const x of [...ranges].sort((a, b) => (a.start < b.start ? -1 : 1))) {
    if (x.start > next) continue;
    if (x.last >= r.last) return true;
    if (x.last >= next) next = x.last + 1n;
  }
  return false;
}

/** IOASID_UNMAP_DMA: type1 (vfio_dma_do_unmap) — a map sticking out refuses the call (EINVAL) before any change. */
export function unmapDma(k: Kernel, f: IoasidAsFile, c: IoasidUnmapDma): Result<unknown> {
  if (c.size === 0n || ((c.size | c.iova) & (PAGE_SIZE - 1n)) !== 0n) return fail('EINVAL');
  const last = lastOf(c.iova, c.size);
  if (last === null) return fail('EINVAL');
  const o = ready(k, f, c.ioasid);
  if (typeof o === 'string') return fail(o);
  const r = o instanceof IoasidChild ? o.unmapRange(c.iova, last) : o.iopt.unmapRange(c.iova, last, true);
  if (r.stuck) return fail('EINVAL');
  if (o instanceof IoasidRoot && r.removed > 0) o.syncChildren(); // only removals: cannot fail
  return ok({ size: r.bytes });
}

/** IOASID_CREATE_NESTING: one level; under fd-per-ioasid the child is a new FD (ioasid 0). */
export function createNesting(k: Kernel, f: IoasidAsFile, c: IoasidCreateNesting): Result<unknown> {
  const parent = ready(k, f, c.parent_ioasid);
  if (typeof parent === 'string') return fail(parent);
  if (!(parent instanceof IoasidRoot)) return fail('EINVAL');
  // design point: fdModel — per-ioasid: the child is a file of its own, and opening it counts as an open
  if (f instanceof IoasidSingleFile) {
    const serial = k.opens + 1;
    const cf = IoasidSingleFile.nest(k, serial, f, parent);
    if (typeof cf === 'string') return fail(cf);
    k.opens = serial;
    return ok({ ioasid: 0, fd: k.installFd(cf) });
  }
  const child = new IoasidChild(f, parent, k.newContextId(), k.iommu, k.alloc);
  if (!f.table.insertOrAbort(child)) return fail('ENOMEM');
  return ok({ ioasid: child.id });
}

/** The stage-1 format this hardware's walker reads. */
export const nativeFormat = (k: Kernel): IoasidFormat => (k.world.hw === 'host-pasid-table' ? 'IOASID_FORMAT_VTD' : 'IOASID_FORMAT_SMMUV3');

/**
 * On guest-pasid-table hardware a single guest page table is only tracked (RFC v1 §5.7): accepted when every
 * device on the child reaches it by PASID under a RID whose context walks a guest PASID table.
 */
function trackOnly(k: Kernel, child: IoasidChild): boolean {
  const on = [...k.devices.values()].flatMap((d) => d.routes.filter((r) => r.target === child).map((r) => ({ d, pasid: r.pasid })));
  return on.length > 0 && on.every((x) => x.pasid !== null && k.iommu.context(x.d.name, null).kind === 'guest-pasid-table');
}

/** Why a bind of a `kind` table in `format` on `o` is refused now (the checks after the lookup), or null. */
export function bindRefusal(k: Kernel, o: IoasidSpace, format: IoasidFormat, kind: S1['kind']): Errno | null {
  if (!(o instanceof IoasidChild)) return 'EINVAL';
  if (format !== nativeFormat(k)) return 'EINVAL';
  if (k.world.iommu.stage1Format === null) return 'EOPNOTSUPP'; // the IOMMU nests nothing
  if (o.s1 !== null || o.areas.length > 0) return 'EBUSY';
  if (kind === 'pgtable' && k.world.hw === 'guest-pasid-table' && !trackOnly(k, o)) return 'EOPNOTSUPP';
  return null;
}

function bindTable(k: Kernel, f: IoasidAsFile, ioasid: number, format: IoasidFormat, s1: S1): Result<unknown> {
  // design point: guestPasidTable — only guest-pasid-table hardware reads a PASID table in guest memory
  // (fd-per-ioasid, which refuses it, has no IOASID_BIND_PASID_TABLE at all)
  if (s1.kind === 'pasid-table' && k.world.hw === 'host-pasid-table') return fail('EOPNOTSUPP');
  const o = ready(k, f, ioasid);
  if (typeof o === 'string') return fail(o);
  const refused = bindRefusal(k, o, format, s1.kind);
  if (refused) return fail(refused);
  if (!(o instanceof IoasidChild)) return fail('EINVAL'); // bindRefusal refused a root
  o.s1 = s1;
  reprogramUsers(k, o);
  if (f instanceof IoasidCtxFile) f.seal();
  return ok({});
}

export const bindPgtable = (k: Kernel, f: IoasidAsFile, c: IoasidBindPgtable) => bindTable(k, f, c.ioasid, c.format, { kind: 'pgtable', root: c.pgtbl_addr });
export const bindPasidTable = (k: Kernel, f: IoasidAsFile, c: IoasidBindPasidTable) => bindTable(k, f, c.ioasid, c.format, { kind: 'pasid-table', root: c.pasid_table_addr });

function unbindTable(k: Kernel, f: IoasidAsFile, ioasid: number, kind: S1['kind']): Result<unknown> {
  const o = findSpace(f, ioasid);
  if (typeof o === 'string') return fail(o);
  if (!(o instanceof IoasidChild) || o.s1?.kind !== kind) return fail('EINVAL');
  o.s1 = null;
  reprogramUsers(k, o);
  k.iommu.flushDomain(o.nestId); // the guest stage-1's tag is free for reuse
  return ok({});
}

export const unbindPgtable = (k: Kernel, f: IoasidAsFile, c: IoasidUnbindPgtable) => unbindTable(k, f, c.ioasid, 'pgtable');
export const unbindPasidTable = (k: Kernel, f: IoasidAsFile, c: IoasidUnbindPasidTable) => unbindTable(k, f, c.ioasid, 'pasid-table');

/** The input pages an RFC granularity names, or null (EINVAL) for an empty or wrapping range. */
export function scopeOf(g: Granularity): { first: bigint; last: bigint } | 'all' | null {
  if (g.kind === 'all') return 'all';
  const last = g.size === 0n ? null : lastOf(g.iova, g.size);
  return last === null ? null : { first: g.iova >> 12n, last: last >> 12n };
}

/** Flush a context tag: everything (IOTLB and PASID cache) for 'all', else the IOTLB of the range. */
export function flushScope(k: Kernel, id: DomainId, scope: { first: bigint; last: bigint } | 'all') {
  if (scope === 'all') k.iommu.flushDomain(id);
  else k.iommu.flushRange(id, scope.first, scope.last);
}

/**
 * IOASID_INVALIDATE_CACHE: per ioasid, reaching every device attached to it. A child whose page table is only
 * tracked (guest-pasid-table hardware) is walked under its devices' RID contexts: its invalidation goes there,
 * to their IOTLB (the driver maps it to domain/PASID/range, RFC v1 §2); this flushes the whole range of that
 * context, which may drop entries of the guest's other tables too (more than needed, never less).
 */
export function invalidateCache(k: Kernel, f: IoasidAsFile, c: IoasidInvalidateCache): Result<unknown> {
  const scope = scopeOf(c.granularity);
  if (!scope) return fail('EINVAL');
  const o = findSpace(f, c.ioasid);
  if (typeof o === 'string') return fail(o);
  if (!(o instanceof IoasidChild) || o.s1 === null) return fail('EINVAL');
  flushScope(k, o.nestId, scope);
  if (k.world.hw === 'guest-pasid-table' && o.s1.kind === 'pgtable') {
    for (const d of k.devices.values()) {
      if (!d.routes.some((r) => r.target === o)) continue;
      const rid = k.iommu.context(d.name, null);
      if (rid.kind === 'guest-pasid-table') k.iommu.flushRange(rid.id, scope === 'all' ? 0n : scope.first, scope === 'all' ? LAST_VPN : scope.last);
    }
  }
  return ok({});
}
