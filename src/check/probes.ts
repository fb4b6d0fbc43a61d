/**
 * Translation probes (P-INVAL): after a step, ask both sides what a DMA would do at addresses where a missing
 * invalidation shows — around every area now and before the step (an address just unmapped is where a stale IOTLB
 * entry answers), at every guest stage-1 entry, at user pages where a native SVA binding walks the CPU page table, and
 * at a few fixed addresses — on every route (a device's RID, every
 * PASID either side has attached before or after). The kernel's answer must be one the spec allows: the current
 * translation, or one a not yet invalidated IOTLB may still give.
 * Incremental: after a step only the routes it touched are probed — those whose spec inputs changed (routeInputs:
 * immer keeps what a step did not change the same object) or whose kernel stamp moved (the context entries, page
 * tables, IOTLB entries and guest memory the route reads). The end of a trace probes every route.
 */
import type { Kernel } from '../impl/index.js';
import { routeInputs, sameInputs, translate, type State } from '../spec/index.js';
import { sameXlate, U64_MAX, xlateLine, type Access, type DevName, type Pasid } from '../uapi/index.js';
import { userPageBases } from './model.js';

const ACCESSES: readonly Access[] = ['read', 'write'];

/** The addresses worth probing in one state, computed once per state. */
const addressesOf = new WeakMap<State, readonly bigint[]>();
function addresses(s: State): readonly bigint[] {
  let out = addressesOf.get(s);
  if (out !== undefined) return out;
  const iovas = new Set<bigint>([0n, 0x1000n]);
  for (const o of Object.values(s.objects)) {
    if (!('areas' in o)) continue;
    for (const a of o.areas) for (const v of [a.start, a.last, a.last + 1n]) if (v <= U64_MAX) iovas.add(v);
  }
  for (const t of Object.values(s.guestPgtables)) for (const vpn of Object.keys(t)) iovas.add(BigInt(vpn) << 12n);
  // a native SVA route walks user memory: each mapping's first, second and last page and the byte past it (a page
  // munmapped since is still probed through the state before the step)
  if (Object.values(s.objects).some((o) => o.kind === 'sva_mm')) {
    for (const v of userPageBases(s.userMem)) iovas.add(v);
    for (const r of s.userMem) if (r.last < U64_MAX) iovas.add(r.last + 1n);
  }
  addressesOf.set(s, (out = [...iovas]));
  return out;
}

export interface Route {
  readonly dev: DevName;
  readonly pasid: Pasid | null;
}

/** Every route either side may translate: each device's RID, each PASID attached in the spec before or after, or in the kernel. */
function routes(s: State, before: State, k: Kernel): Route[] {
  const keys = new Set<string>();
  const out: Route[] = [];
  const add = (dev: DevName, pasid: Pasid | null) => {
    const key = `${dev}|${pasid ?? ''}`;
    if (keys.has(key)) return;
    keys.add(key);
    out.push({ dev, pasid });
  };
  for (const d of s.world.devices) add(d.name, null);
  for (const st of [s, before]) for (const a of st.attachments) if (a.pasid !== null) add(a.dev, a.pasid);
  for (const d of k.devices.values()) for (const r of d.routes) if (r.pasid !== null) add(d.name, r.pasid as Pasid);
  return out;
}

/**
 * Probe the routes `touched` selects (all of them when it is null) at the addresses of `s` and `before`; the first
 * disagreement as one line, or null.
 */
export function probeRoutes(k: Kernel, s: State, before: State, touched: ((r: Route) => boolean) | null): string | null {
  const iovas = before === s ? addresses(s) : [...new Set([...addresses(s), ...addresses(before)])];
  for (const r of routes(s, before, k)) {
    if (touched !== null && !touched(r)) continue;
    for (const iova of iovas) {
      for (const access of ACCESSES) {
        const want = translate(s, r.dev, r.pasid, iova, access);
        const got = k.iommu.probe(r.dev, r.pasid, iova, access);
        if (sameXlate(want.xlate, got) || want.stale.some((x) => sameXlate(x, got))) continue;
        const allowed = [want.xlate, ...want.stale].map(xlateLine).join(' | ');
        return `${r.dev}${r.pasid === null ? '' : ` pasid ${r.pasid}`} ${access} at 0x${iova.toString(16)}: the kernel gives ${xlateLine(got)}, the spec allows ${allowed}`;
      }
    }
  }
  return null;
}

/** The routes a step touched: the spec's inputs of the route changed, or the kernel's stamp of it moved past `since`. */
export const touchedRoutes = (k: Kernel, s: State, before: State, since: number) => (r: Route): boolean =>
  k.iommu.stampOf(r.dev, r.pasid) > since || !sameInputs(routeInputs(before, r.dev, r.pasid), routeInputs(s, r.dev, r.pasid));
