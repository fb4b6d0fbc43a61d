/**
 * Assertion steps: a trace asks what the state is — pins of a user range, an object's users, where a device's DMA
 * goes, an IOAS's areas, what one DMA reaches — instead of issuing a call. Each side answers from its own
 * observe() (src/uapi/observation.ts), so an assertion reads the spec and the simulated kernel alike and never
 * their internals; the two answers are compared like results, and a trace's `expect` is checked against each.
 * What the selftests check through IOMMU_TEST_CMD (MD_CHECK_REFS, MD_CHECK_MAP) a trace says with PINS and DMA.
 */
import type { Access, DevName, Fd, IoasId, ObjId, Observation, Xlate } from '../uapi/index.js';

/** The queries and their fields (u64 fields as bigint once resolved; fd and id fields as numbers). */
export interface AssertFields {
  /** every page of [uva, uva + length): how many holders pin it (-1 when they differ), and RLIMIT_MEMLOCK's charge */
  PINS: { readonly uva: bigint; readonly length: bigint };
  /** the object `id` of the file `fd` names: its kind (null: none) and users */
  OBJECT: { readonly fd: Fd; readonly id: ObjId };
  /** the object the device's route (RID, or one PASID) sends DMA to, or null */
  ATTACHED: { readonly dev: DevName; readonly pasid: number | null };
  /** the mappings of an address space, in IOVA order */
  AREAS: { readonly fd: Fd; readonly ioas_id: IoasId };
  /** what one DMA would reach now, filling no cache (a probe) */
  DMA: { readonly dev: DevName; readonly pasid: number | null; readonly iova: bigint; readonly access: Access };
}
export type AssertName = keyof AssertFields;
export const ASSERT_NAMES = ['PINS', 'OBJECT', 'ATTACHED', 'AREAS', 'DMA'] as const satisfies readonly AssertName[];

/** A resolved assertion, as a step's command: `{ assert: 'PINS', uva, length }`. */
export type AssertCmd = { [N in AssertName]: { readonly assert: N } & AssertFields[N] }[AssertName];

/** Each query's outputs (what `expect` may name). */
export const ASSERT_OUTPUTS = {
  PINS: ['holders', 'locked_pages'],
  OBJECT: ['kind', 'users'],
  ATTACHED: ['pt_id'],
  AREAS: ['areas'],
  DMA: ['hpa', 'fault'],
} as const satisfies { readonly [N in AssertName]: readonly string[] };

export const isAssertCmd = (c: object): c is AssertCmd => 'assert' in c;

const fileOf = (o: Observation, fd: number) => o.files.find((f) => f.fds.includes(fd))?.file;
/** The object `id` of the file `fd` names: its kind and what an assertion may ask of it. */
const objectOf = (o: Observation, fd: number, id: number) => {
  const file = fileOf(o, fd);
  const view = file === undefined ? undefined : o.objects.find((x) => x.file === file && x.id === id);
  return view === undefined || file === undefined ? undefined : { kind: view.kind, ...o.detail(file, id) };
};

/** The holder count every page of [first, last] has, or -1 when they differ (pages nothing pins count 0). */
function holdersOver(o: Observation, first: bigint, last: bigint): number {
  const counts = new Set<number>();
  let next = first; // the lowest page of the range not yet accounted for
  for (const r of o.pins) { // runs in page order, disjoint
    if (r.last < first || r.page > last) continue;
    if (r.page > next) counts.add(0); // a gap: pages nothing pins
    counts.add(r.holders);
    next = r.last + 1n;
  }
  if (next <= last) counts.add(0);
  return counts.size === 1 ? [...counts][0]! : -1; // one count: the range is not empty
}

/** A DMA query's outputs for one translation. */
export const xlateOut = (x: Xlate) => (x.kind === 'hit' ? { hpa: x.hpa, fault: null } : { hpa: null, fault: x.reason });

/** One side's answer to a resolved assertion, read off its observation. */
export function answer(o: Observation, q: AssertCmd): Record<string, unknown> {
  switch (q.assert) {
    case 'PINS': {
      const holders = q.length === 0n ? 0 : holdersOver(o, q.uva >> 12n, (q.uva + q.length - 1n) >> 12n);
      return { holders, locked_pages: o.lockedPages };
    }
    case 'OBJECT': {
      const x = objectOf(o, q.fd, q.id);
      return { kind: x?.kind ?? null, users: x?.users ?? 0 };
    }
    case 'ATTACHED':
      return { pt_id: o.attachments.find((a) => a.dev === q.dev && a.pasid === q.pasid)?.id ?? null };
    case 'AREAS': {
      const areas = objectOf(o, q.fd, q.ioas_id)?.areas;
      return { areas: areas === undefined ? null : areas.map((a) => ({ iova: a.start, length: a.last - a.start + 1n })) };
    }
    case 'DMA':
      return xlateOut(o.translate(q.dev, q.pasid, q.iova, q.access).xlate);
  }
}
