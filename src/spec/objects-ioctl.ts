/**
 * IOMMU_DESTROY: one ioctl for every object kind. Succeeds only when the fd's table is the object's last holder
 * (refcount_dec_if_one(users)), else EBUSY with nothing changed; an unknown id is ENOENT.
 * @see drivers/iommu/iommufd/main.c iommufd_destroy, iommufd_object_remove
 */
import type { IommuDestroy } from '../uapi/index.js';
import { destroyObject, holders } from './objects.js';
import { commit, reject, type Outcome } from './rule.js';
import { objKey, type File, type State } from './state.js';

export function objectDestroy(s: State, f: File, c: IommuDestroy): Outcome {
  const o = s.objects[objKey(f.key, c.id)];
  // a tombstone (a vDEVICE destroyed with its device) is an id no lookup finds
  if (!o || o.kind === 'tombstone') return reject('ENOENT', 'DESTROY.ENOENT.id');
  if (holders(s, o).length > 0) return reject('EBUSY', `DESTROY.EBUSY.${o.kind}_in_use`);
  return commit(s, `DESTROY.ok.${o.kind}`, (d) => {
    destroyObject(d, o);
    return {};
  });
}
