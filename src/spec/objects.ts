/**
 * The object-kind table (STYLE §1, the kernel's iommufd_object_ops): who holds each kind of object, and how it
 * is destroyed. `users` is never stored: an object's holders are derived from the relations that point at it,
 * so the kernel's "refcount_dec_if_one(users)" of IOMMU_DESTROY is `holders(o).length === 0` here.
 */
import { produce, type Draft } from 'immer';
import type { Pasid } from '../uapi/index.js';
import { allocId, keyOf, objectOfFile, objKey, type File, type FileKey, type Obj, type ObjKey, type ObjKind, type ObjOf, type State } from './state.js';
import { commit, peek, type Outcome, type RuleId } from './rule.js';

/** Why `o` cannot be destroyed now: one line per holder, for error traces ("hwpt_paging 2", "dev1 attached"). */
export function holders(s: Pick<State, 'objects' | 'attachments' | 'files'>, o: Obj): string[] {
  const key = keyOf(o);
  const out: string[] = [];
  for (const x of Object.values(s.objects)) {
    if (x.kind === 'hwpt_paging' && x.ioas === key) out.push(`hwpt_paging ${x.id}`);
    // a nested HWPT made on a vIOMMU holds the vIOMMU (which holds the parent), not the parent
    if ('parent' in x && x.parent === key && !(x.kind === 'hwpt_nested' && x.viommu !== null)) out.push(`${x.kind} ${x.id}`);
    // nested HWPTs, vDEVICEs and vEVENTQs hold their vIOMMU (refcount_inc(&viommu->obj.users))
    if ((x.kind === 'hwpt_nested' || x.kind === 'vdevice' || x.kind === 'veventq') && x.viommu === key) out.push(`${x.kind} ${x.id}`);
    // a HWPT holds the FAULT its page requests go to (hw_pagetable.c: refcount_inc(&fault->obj.users))
    if ((x.kind === 'hwpt_paging' || x.kind === 'hwpt_nested') && x.fault === key) out.push(`${x.kind} ${x.id}`);
    // an access holds its IOAS (iommufd_access_change_ioas: refcount_inc(&new_ioas->obj.users)), pins or not
    if (x.kind === 'access' && x.ioas === key) out.push(`access ${x.id}`);
  }
  // the driver holds its access until it destroys it (iommufd_access_create: refcount_inc(&access->obj.users))
  if (o.kind === 'access') out.push('its driver (the access fd)');
  // an open FAULT or vEVENTQ fd holds its object (iommufd_eventq_init: refcount_inc(&eventq->obj.users) for the file)
  for (const f of Object.values(s.files)) if ((f.kind === 'fault' || f.kind === 'veventq') && objectOfFile(f) === key) out.push(`its fd (file ${f.key})`);
  for (const a of s.attachments) if (a.ctx === key) out.push(`${a.dev}${a.pasid === null ? '' : ` pasid ${a.pasid}`} attached`);
  // the binding driver holds a DEVICE until unbind; the device FD holds its sva_bind until UNBIND_PGTABLE (K6), its
  // sva_mm until UNBIND_SVA
  if (o.kind === 'device') out.push(`${o.dev} bound`);
  // a vDEVICE keeps the users reference of its device's lookup (iommufd_vdevice_alloc_ioctl), until unbind revokes it
  if (o.kind === 'device') for (const x of Object.values(s.objects)) if (x.kind === 'vdevice' && x.dev === o.dev) out.push(`vdevice ${x.id}`);
  if (o.kind === 'sva_bind' || o.kind === 'sva_mm') out.push(`${o.dev} device FD`);
  return out;
}

/**
 * The kernel's obj->users, derived: the table's own reference plus one per holder. A per-device-sva bind (a guest
 * table's or the process's own) lives in its device FD's own table, so the device FD's hold on it is that table
 * reference, not one more.
 */
export const usersOf = (s: State, o: Obj): number => (o.kind === 'sva_bind' || o.kind === 'sva_mm' ? 0 : 1) + holders(s, o).length;

/** Forget guest-table entries cached for a context that no longer exists. */
function dropStale(d: Draft<State>, key: ObjKey) {
  d.stale = peek(d.stale).filter((e) => e.ctx !== key);
}

/**
 * Drop `pages` objects no area uses any more (iopt_pages refcount reaching zero). Run by step() after every call
 * whose effect changed the objects, on the plain new state: the same state object when nothing is left unused.
 */
export function gcPages(s: State): State {
  const used = new Set<number>();
  for (const o of Object.values(s.objects)) {
    if (o.kind === 'ioas' || o.kind === 'ioasid_child') for (const a of o.areas) if (a.target.kind === 'pages') used.add(a.target.pages);
  }
  const unused = Object.keys(s.pages).map(Number).filter((id) => !used.has(id));
  return unused.length === 0 ? s : produce(s, (d) => {
    for (const id of unused) delete d.pages[id];
  });
}

interface ObjectOps<K extends ObjKind> {
  /** Release what the object holds. Runs only when nothing holds the object (the caller checked). */
  readonly destroy: (d: Draft<State>, o: ObjOf<K>) => void;
}

const remove = (d: Draft<State>, o: Obj) => {
  delete d.objects[keyOf(o)];
  dropStale(d, keyOf(o));
};

export const OBJECT_OPS: { readonly [K in ObjKind]: ObjectOps<K> } = {
  // iommufd_ioas_destroy: unmaps everything (mappings alone never block destroy, facts §2.5)
  // iommufd_ioas_destroy: its areas go with it (their pages, once unused, go after the call: gcPages)
  ioas: { destroy: remove },
  hwpt_paging: { destroy: remove },
  hwpt_nested: { destroy: remove },
  device: { destroy: remove },
  ioasid_child: { destroy: remove },
  sva_bind: { destroy: remove },
  sva_mm: { destroy: remove },
  // iommufd_fault_destroy: answers what is left (answerOrphans, after the call)
  fault: { destroy: remove },
  // iommufd_access_destroy_object: its pins went with the driver's unmap-all, its IOAS hold with it
  access: { destroy: remove },
  viommu: { destroy: remove },
  // iommufd_vdevice_destroy: its virtual id leaves the vIOMMU's table
  vdevice: { destroy: remove },
  // iommufd_veventq_abort: the events left are freed
  veventq: { destroy: remove },
  tombstone: { destroy: remove },
};

export function destroyObject(d: Draft<State>, o: Obj) {
  (OBJECT_OPS[o.kind].destroy as (d: Draft<State>, o: Obj) => void)(d, o);
}

/** What a device FD's own table holds: a per-device bind, of a guest table or of the process's own address space. */
export type Owned = ObjOf<'sva_bind'> | ObjOf<'sva_mm'>;
type DeviceFile = Extract<File, { kind: 'device' }>;

/**
 * A per-device bind's effect: `make(file, id)` becomes object `id` of the device FD's own table (not one of the
 * /dev/ioasid FD's ioasid numbers), and (device, pasid) routes through it.
 */
export function addOwned(s: State, f: DeviceFile, pasid: Pasid | null, rule: RuleId, make: (file: FileKey, id: number) => Owned): Outcome {
  return commit(s, rule, (d) => {
    const id = allocId(s, f.key);
    d.objects[objKey(f.key, id)] = make(f.key, id);
    d.attachments.push({ dev: f.dev, pasid, ctx: objKey(f.key, id) });
    return {};
  });
}

/** A per-device unbind's effect: the route through `o`, and `o`. */
export function dropOwned(s: State, o: Owned, rule: RuleId): Outcome {
  return commit(s, rule, (d) => {
    d.attachments = peek(d.attachments).filter((a) => a.ctx !== keyOf(o));
    destroyObject(d, o);
    return {};
  });
}
