/**
 * observe(): the spec's design-neutral view (src/uapi/observation.ts). Everything is sorted so two observations
 * of equal states are deep-equal.
 */
import type { Observation, PinView } from '../uapi/index.js';
import { usersOf } from './objects.js';
import { lockedPages, pinRuns } from './pins.js';
import { objKey, type State } from './state.js';
import { translate } from './translate.js';

const byNum = (a: number, b: number) => a - b;

export function observe(s: State): Observation {
  const fdsOf = (key: number) => Object.entries(s.fds).filter(([, k]) => k === key).map(([fd]) => Number(fd)).sort(byNum);
  return {
    files: Object.values(s.files).map((f) => ({ file: f.key, kind: f.kind, fds: fdsOf(f.key) })).sort((a, b) => a.file - b.file),
    objects: Object.values(s.objects).map((o) => ({ file: o.file, id: o.id, kind: o.kind })).sort((a, b) => a.file - b.file || a.id - b.id),
    attachments: s.attachments
      .map((a) => {
        const [file, id] = a.ctx.split(':').map(Number) as [number, number];
        return { dev: a.dev, pasid: a.pasid, file, id };
      })
      .sort((a, b) => a.dev.localeCompare(b.dev) || (a.pasid ?? -1) - (b.pasid ?? -1) || a.file - b.file || a.id - b.id),
    pins: pinRuns(s).map((r): PinView => ({ page: r.start, last: r.last, holders: r.count })),
    lockedPages: lockedPages(s),
    translate: (dev, pasid, iova, access) => translate(s, dev, pasid, iova, access),
    detail: (file, id) => {
      const o = s.objects[objKey(file, id)];
      return o === undefined ? null : { users: usersOf(s, o), ...('areas' in o ? { areas: o.areas.map((a) => ({ start: a.start, last: a.last })) } : {}) };
    },
  };
}
