/**
 * The object-kind table (STYLE §1, the kernel's iommufd_object_ops): who holds each kind of object, and how it
 * is destroyed. `users` is never stored: an object's holders are derived from the relations that point at it,
 * so the kernel's "refcount_dec_if_one(users)" of IOMMU_DESTROY is `holders(o).length === 0` here.
 */
import { produce, type Draft } from 'immer';
import { keyOf, type Obj, type ObjKey, type ObjKind, type ObjOf, type State } from './state.js';
import { peek } from './rule.js';

/** Why `o` cannot be destroyed now: one line per holder, for error traces ("hwpt_paging 2", "dev1 attached"). */
export function holders(s: Pick<State, 'objects' | 'attachments'>, o: Obj): string[] {
  const key = keyOf(o);
  const out: string[] = [];
  for (const x of Object.values(s.objects)) {
    if (x.kind === 'hwpt_paging' && x.ioas === key) out.push(`hwpt_paging ${x.id}`);
    if ('parent' in x && x.parent === key) out.push(`${x.kind} ${x.id}`);
  }
  for (const a of s.attachments) if (a.ctx === key) out.push(`${a.dev}${a.pasid === null ? '' : ` pasid ${a.pasid}`} attached`);
  // the binding driver holds a DEVICE until unbind; the device FD holds its sva_bind until UNBIND_PGTABLE (K6)
  if (o.kind === 'device' || o.kind === 'sva_bind') out.push(o.kind === 'device' ? `${o.dev} bound` : `${o.dev} device FD`);
  return out;
}

/**
 * The kernel's obj->users, derived: the table's own reference plus one per holder. A per-device-sva bind lives in
 * its device FD's own table, so the device FD's hold on it is that table reference, not one more.
 */
export const usersOf = (s: State, o: Obj): number => (o.kind === 'sva_bind' ? 0 : 1) + holders(s, o).length;

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
};

export function destroyObject(d: Draft<State>, o: Obj) {
  (OBJECT_OPS[o.kind].destroy as (d: Draft<State>, o: Obj) => void)(d, o);
}
