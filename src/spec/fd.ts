/**
 * FILES — what open() and close() do. An fd number names an open file; a file outlives its fd while something
 * holds it: a bound device holds its iommufd / ioasid FD (iommufd_ctx_get), and under fd-per-ioasid an
 * associated device or a nested child holds the ioasid FD. When the last holder goes, the file is released:
 * a device FD unbinds (PASIDs, then the RID, then the DEVICE), an address-space FD destroys every object it
 * owns (iommufd_fops_release). POSIX frees the fd number at close at once, so numbers are reused at once.
 * @see drivers/iommu/iommufd/main.c iommufd_fops_release, drivers/vfio/device_cdev.c
 */
import { produce, type Draft } from 'immer';
import { IOMMUFD_PATH, type EnvClose, type EnvOpen } from '../uapi/index.js';
import { unbindDevice } from './device.js';
import { destroyObject } from './objects.js';
import { commit, reject, type Outcome } from './rule.js';
import { allocFd, objKey, type File, type FileKey, type State } from './state.js';

/** OPEN: /dev/iommu or /dev/ioasid (whichever node the design has), or a VFIO cdev node. */
export function open(s: State, c: EnvOpen): Outcome {
  const dev = s.world.devices.find((d) => d.path === c.path);
  const node = s.design.node;
  if (!dev && c.path !== node) return reject('ENOENT', 'OPEN.ENOENT.path');
  return commit(s, dev ? 'OPEN.ok.device' : 'OPEN.ok.ioasid_fd', (d) => {
    const fd = allocFd(s);
    const key = (d.opens += 1);
    d.fds[fd] = key;
    if (dev) d.files[key] = { kind: 'device', key, dev: dev.name, bound: null };
    else if (node === IOMMUFD_PATH) d.files[key] = { kind: 'iommufd', key };
    // design point: fdModel — per-ioasid: opening /dev/ioasid allocates the one ioasid the FD stands for (seed step 1)
    else if (s.design.policy.fdModel === 'per-ioasid') {
      d.files[key] = { kind: 'ioasid-single', key };
      d.objects[objKey(key, 1)] = { kind: 'ioas', file: key, id: 1, areas: [], allowed: [], domain: false, testReserved: [] };
    } else d.files[key] = { kind: 'ioasid', key, registrations: [], sealed: false };
    return { fd };
  });
}


/** CLOSE: the fd number is free at once; the file goes when nothing else holds it. */
export function close(s: State, c: EnvClose): Outcome {
  if (s.fds[c.fd] === undefined) return reject('EBADF', 'CLOSE.EBADF.fd');
  return commit(s, 'CLOSE.ok', (d) => {
    delete d.fds[c.fd];
    releaseUnheld(d);
    return {};
  });
}

/**
 * After any call: release the files it left unheld (an unbind, a detach or an unbind of a per-device table can
 * drop the last holder of an FD already closed). Returns the same state object when there is nothing to do.
 */
export function reap(s: State): State {
  return Object.values(s.files).some((f) => !held(s, f.key)) ? produce(s, (d) => releaseUnheld(d)) : s;
}

/** Whether anything still holds file `key` open. */
function held(d: Draft<State> | State, key: FileKey): boolean {
  if (Object.values(d.fds).includes(key)) return true;
  const f = d.files[key];
  if (!f || f.kind === 'device') return false;
  if (Object.values(d.files).some((x) => x.kind === 'device' && x.bound === key)) return true;
  const mine = (k: string) => k.startsWith(`${key}:`);
  if (d.attachments.some((a) => mine(a.ctx))) return true;
  return Object.values(d.objects).some((o) => o.file !== key && 'parent' in o && mine(o.parent));
}

/** Release every file nobody holds, until none is left (one release can free the next). */
export function releaseUnheld(d: Draft<State>) {
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of Object.values(d.files)) {
      if (held(d, f.key)) continue;
      release(d, f as File);
      changed = true;
    }
  }
}

function release(d: Draft<State>, f: File) {
  if (f.kind === 'device') {
    // only the FD that bound (or, under fd-per-ioasid, claimed) the device holds its associations
    if (f.bound !== null) unbindDevice(d, f);
  } else {
    // iommufd_fops_release: destroy leaves first until the table is empty; nothing outside holds them any more
    for (const o of Object.values(d.objects)) if (o.file === f.key && o.kind !== 'ioas') destroyObject(d, o);
    for (const o of Object.values(d.objects)) if (o.file === f.key) destroyObject(d, o);
  }
  delete d.files[f.key];
}
