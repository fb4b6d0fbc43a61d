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
import { answerOrphans } from './fault.js';
import { destroyObject, gcPages } from './objects.js';
import { commit, reject, type Outcome } from './rule.js';
import { objectOfFile, openFile, objKey, type File, type FileKey, type ObjKey, type State } from './state.js';

/** OPEN: /dev/iommu or /dev/ioasid (whichever node the design has), or a VFIO cdev node. */
export function open(s: State, c: EnvOpen): Outcome {
  const dev = s.world.devices.find((d) => d.path === c.path);
  const node = s.design.node;
  if (!dev && c.path !== node) return reject('ENOENT', 'OPEN.ENOENT.path');
  return commit(s, dev ? 'OPEN.ok.device' : 'OPEN.ok.ioasid_fd', (d) => {
    // design point: fdModel — per-ioasid: opening /dev/ioasid allocates the one ioasid the FD stands for (seed step 1)
    const single = !dev && node !== IOMMUFD_PATH && s.design.policy.fdModel === 'per-ioasid';
    const { fd, key } = openFile(d, s, (k): File => (dev ? { kind: 'device', key: k, dev: dev.name, bound: null }
      : node === IOMMUFD_PATH ? { kind: 'iommufd', key: k, accountMm: false }
        : single ? { kind: 'ioasid-single', key: k } : { kind: 'ioasid', key: k, registrations: [], sealed: false }));
    if (single) d.objects[objKey(key, 1)] = { kind: 'ioas', file: key, id: 1, areas: [], allowed: [], domain: false, hugePages: true, testReserved: [] };
    return { fd };
  });
}


/** CLOSE: the fd number is free at once; the file goes when nothing else holds it (step() reaps it). */
export function close(s: State, c: EnvClose): Outcome {
  if (s.fds[c.fd] === undefined) return reject('EBADF', 'CLOSE.EBADF.fd');
  return commit(s, 'CLOSE.ok', (d) => {
    delete d.fds[c.fd];
    return {};
  });
}

/**
 * The process exits (do_exit -> exit_files): every fd closes at once and every file nothing else holds goes. The
 * end of each checked trace; the order fds close in changes nothing at the end: no file is held by an fd any more.
 */
export function exitProcess(s: State): State {
  // reap drops the pages each release leaves unused as it goes
  return Object.keys(s.fds).length === 0 ? s : answerOrphans(reap(produce(s, (d) => {
    d.fds = {};
  })));
}

/**
 * After any call: release the files it left unheld (a close, an unbind, a detach or an unbind of a per-device
 * table can drop the last holder of an FD). Returns the same state object when there is nothing to do.
 */
export function reap(s: State): State {
  let now = s;
  // one release at a time, in file order: a release changes what holds what (it can free the next)
  for (let f = firstUnheld(now); f !== undefined; f = firstUnheld(now)) {
    const base = now;
    const gone = f;
    // the pages a release leaves unused go at once: a file map's pages hold their memfd (the next release)
    now = gcPages(produce(base, (d) => release(d, gone, base)));
  }
  return now;
}

/** The first file (in file order) nothing holds, if any. */
function firstUnheld(s: State): File | undefined {
  const held = heldFiles(s);
  return Object.values(s.files).find((f) => !isHeld(held, f));
}

/** The file part of an object key ("3:1" -> 3). */
const fileOfKey = (k: ObjKey): FileKey => Number(k.slice(0, k.indexOf(':')));

/**
 * The address-space files something other than an fd holds: a bound device holds its FD, an attachment holds the
 * FD of its context, another FD's nested object holds the FD of its parent. A device FD is held by fds only.
 */
function heldFiles(s: State): { readonly byFd: ReadonlySet<FileKey>; readonly byUse: ReadonlySet<FileKey> } {
  const byFd = new Set<FileKey>(Object.values(s.fds));
  const byUse = new Set<FileKey>();
  for (const f of Object.values(s.files)) if (f.kind === 'device' && f.bound !== null) byUse.add(f.bound);
  // a file map holds its file (pages->file = get_file)
  for (const p of Object.values(s.pages)) if (p.file !== undefined) byUse.add(p.file);
  // a FAULT fd and an access fd hold their iommufd file (iommufd_ctx_get)
  for (const f of Object.values(s.files)) if (f.kind === 'fault' || f.kind === 'access' || f.kind === 'veventq') byUse.add(fileOfKey(objectOfFile(f)));
  for (const a of s.attachments) byUse.add(fileOfKey(a.ctx));
  for (const o of Object.values(s.objects)) if ('parent' in o && fileOfKey(o.parent) !== o.file) byUse.add(fileOfKey(o.parent));
  return { byFd, byUse };
}

const isHeld = (h: ReturnType<typeof heldFiles>, f: File): boolean => h.byFd.has(f.key) || ((f.kind === 'iommufd' || f.kind === 'ioasid' || f.kind === 'ioasid-single' || f.kind === 'memfd') && h.byUse.has(f.key));


/** Release file `f` (nothing holds it); `base` is the state the release starts from (`d` its draft). */
function release(d: Draft<State>, f: File, base: State) {
  if (f.kind === 'device') {
    // only the FD that bound (or, under fd-per-ioasid, claimed) the device holds its associations
    if (f.bound !== null) unbindDevice(d, f, base);
  } else if (f.kind === 'fault' || f.kind === 'veventq' || f.kind === 'memfd') {
    // iommufd_fault_fops_release (a vEVENTQ's alike) drops its references and answers nothing; a memfd's pages go
    // with its last holder
  } else if (f.kind === 'access') {
    // iommufd_test_staccess_release: unpin everything (its unmap callback), then iommufd_access_destroy
    const o = base.objects[f.access];
    if (o) destroyObject(d, o);
  } else {
    // iommufd_fops_release: destroy leaves first until the table is empty; nothing outside holds them any more
    const mine = Object.values(base.objects).filter((o) => o.file === f.key);
    for (const o of mine) if (o.kind !== 'ioas') destroyObject(d, o);
    for (const o of mine) if (o.kind === 'ioas') destroyObject(d, o);
  }
  delete d.files[f.key];
}
