/**
 * observe(): the spec's design-neutral view (src/uapi/observation.ts). Everything is sorted so two observations
 * of equal states are deep-equal. Each part is computed on its own (`observePart`) and remembered per state
 * (states are immutable), and `touchedParts` says which parts a step may have changed: a checker compares only
 * those after a step.
 */
import { isDraft } from 'immer';
import { OBS_PARTS, type Observation, type ObsPart, type PinView } from '../uapi/index.js';
import { usersOf } from './objects.js';
import { lockedPages, pinRuns } from './pins.js';
import { fdsByFile, objKey, type State } from './state.js';
import { translate } from './translate.js';

type Parts = Pick<Observation, ObsPart>;

const PARTS: { readonly [P in ObsPart]: (s: State) => Parts[P] } = {
  files: (s) => {
    const fdsOf = fdsByFile(s.fds);
    return Object.values(s.files).map((f) => ({ file: f.key, kind: f.kind, fds: fdsOf.get(f.key) ?? [] })).sort((a, b) => a.file - b.file);
  },
  // a tombstone is no object: only the id it keeps taken shows (in the ids allocated after it)
  objects: (s) => Object.values(s.objects).filter((o) => o.kind !== 'tombstone').map((o) => ({ file: o.file, id: o.id, kind: o.kind })).sort((a, b) => a.file - b.file || a.id - b.id),
  attachments: (s) =>
    s.attachments
      .map((a) => {
        const [file, id] = a.ctx.split(':').map(Number) as [number, number];
        return { dev: a.dev, pasid: a.pasid, file, id };
      })
      .sort((a, b) => a.dev.localeCompare(b.dev) || (a.pasid ?? -1) - (b.pasid ?? -1) || a.file - b.file || a.id - b.id),
  pins: (s) => pinRuns(s).map((r): PinView => ({ page: r.start, last: r.last, holders: r.count })),
  pageRequests: (s) => s.prq.map((r) => ({ serial: r.serial, dev: r.dev, answers: r.answers })),
};

const seen = new WeakMap<State, Partial<Parts>>();

/** One part of the observation of `s`, computed once per state. */
export function observePart<P extends ObsPart>(s: State, part: P): Parts[P] {
  if (isDraft(s)) return PARTS[part](s); // a draft may still change
  let m = seen.get(s);
  if (m === undefined) seen.set(s, (m = {}));
  return (m[part] ??= PARTS[part](s));
}

/**
 * The parts of the observation that may differ between `before` and `after`, read off which of the state's
 * tables changed (immer keeps every unchanged table the same object): files from fds and files; objects from
 * objects; attachments from attachments; pins from objects (areas, page tables), pages and files (registrations).
 */
export function touchedParts(before: State, after: State): ObsPart[] {
  if (before === after) return [];
  const fds = before.fds !== after.fds || before.files !== after.files;
  const objects = before.objects !== after.objects;
  const changed: Record<ObsPart, boolean> = {
    files: fds,
    objects,
    attachments: before.attachments !== after.attachments,
    pins: objects || before.pages !== after.pages || before.files !== after.files,
    pageRequests: before.prq !== after.prq,
  };
  return OBS_PARTS.filter((p) => changed[p]);
}

const locked = new WeakMap<State, number>();

/** Pages charged to RLIMIT_MEMLOCK in `s`, computed once per state. */
export function observeLocked(s: State): number {
  if (isDraft(s)) return lockedPages(s);
  let n = locked.get(s);
  if (n === undefined) locked.set(s, (n = lockedPages(s)));
  return n;
}

/** The observation of one state; each part is computed when first read (and remembered per state). */
class StateObservation implements Observation {
  constructor(private readonly s: State) {}
  get files() {
    return observePart(this.s, 'files');
  }
  get objects() {
    return observePart(this.s, 'objects');
  }
  get attachments() {
    return observePart(this.s, 'attachments');
  }
  get pins() {
    return observePart(this.s, 'pins');
  }
  get pageRequests() {
    return observePart(this.s, 'pageRequests');
  }
  get lockedPages() {
    return observeLocked(this.s);
  }
  translate: Observation['translate'] = (dev, pasid, iova, access) => translate(this.s, dev, pasid, iova, access);
  detail: Observation['detail'] = (file, id) => {
    const o = this.s.objects[objKey(file, id)];
    return o === undefined || o.kind === 'tombstone' ? null : { users: usersOf(this.s, o), ...('areas' in o ? { areas: o.areas.map((a) => ({ start: a.start, last: a.last })) } : {}) };
  };
}

/** The observation of `s`; each part is computed when first read. */
export function observe(s: State): Observation {
  return new StateObservation(s);
}
