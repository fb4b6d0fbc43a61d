/**
 * What Linux can be asked about its state, asked after every step: the selftest's test port answers whether a mock
 * domain maps an IOVA to a user page (IOMMU_TEST_OP_MD_CHECK_MAP) and how often a user page is pinned
 * (IOMMU_TEST_OP_MD_CHECK_REFS, FOLL_PIN references). That is the real side of observe(): every area of every
 * paging HWPT's IOAS mapped where the spec says, every page just unmapped no longer reachable at its old address
 * (no stale translation), every page of user memory pinned exactly as often as the spec counts its holders, and
 * after the last close nothing pinned at all. What the port cannot see — object tables, users, attachments, the
 * memlock charge — Linux shows only through later results.
 */
import { objKey, observe, type State } from '../spec/index.js';
import { holes } from '../spec/ranges.js';
import type { Area } from '../spec/state.js';
import type { Xlate } from '../uapi/index.js';
import { MOCK_IO_PAGE_SIZE, testCmd, testDirty, type RawIoctl } from './abi.js';
import type { LinuxSides } from './linux-sides.js';
import { boundDevice } from './linux-run.js';

/** One question to the test port, and the answer the spec expects. */
export interface Probe {
  readonly fd: number;
  readonly c: RawIoctl;
  /** the spec says the check holds (ok) or fails (the page is not mapped there) */
  readonly want: 'ok' | 'fail';
  /** the property a wrong answer breaks, and what the spec says, for the message */
  readonly property: string;
  readonly says: string;
  /** MD_CHECK_REFS probes: the range and count, so a failure can name the page and its real count */
  readonly refs?: { readonly uva: bigint; readonly length: bigint; readonly count: number };
}

const hex = (x: bigint) => `0x${x.toString(16)}`;
const PAGE = 0x1000n;
const OBSERVER_FD = 600;

/** An fd through which the session reaches the iommufd file `key`: the trace's own, else a bound device's reference. */
function ctxFd(sides: LinuxSides, key: number): number | null {
  for (const [fd, f] of sides.files) if (f.kind === 'iommufd' && f.key === key) return fd;
  for (const f of sides.files.values()) if (f.kind === 'device' && f.bound?.ctx === key) return f.bound.ctxFd;
  return null;
}

/** The session's own /dev/iommu (a context nothing else uses), numbered above the trace's fds. */
function observer(sides: LinuxSides): number {
  if (sides.observer !== null) return sides.observer;
  const o = sides.session.openPath('/dev/iommu');
  if (!o.ok) throw new Error(`opening /dev/iommu for the test port: ${o.errno}`);
  const d = sides.session.dup(o.value, OBSERVER_FD);
  if (!d.ok) throw new Error(`moving the test port's fd: ${d.errno}`);
  sides.session.close(o.value);
  sides.observer = d.value;
  return d.value;
}

const checkMap = (hwpt: number, iova: bigint, length: bigint, uva: bigint): RawIoctl =>
  testCmd('MD_CHECK_MAP', hwpt, { 'check_map.iova': iova, 'check_map.length': length, 'check_map.uptr': uva });

const mockAligned = (...xs: bigint[]) => xs.every((x) => x % MOCK_IO_PAGE_SIZE === 0n);

/** The user address an area maps its first byte from (null: not user memory). */
function areaUva(s: State, a: Area): bigint | null {
  if (a.target.kind !== 'pages') return null;
  const p = s.pages[a.target.pages];
  return p === undefined ? null : p.uva + a.target.offset;
}

/**
 * Every paging HWPT Linux has a number for: each area of its IOAS mapped to the user memory the spec says, and each
 * piece of an area the step removed no longer mapped to the memory it had.
 */
export function mapProbes(sides: LinuxSides, after: State, before: State): Probe[] {
  const out: Probe[] = [];
  for (const o of Object.values(after.objects)) {
    if (o.kind !== 'hwpt_paging') continue;
    const sym = sides.objSyms.get(objKey(o.file, o.id));
    const id = sym === undefined ? undefined : sides.implSyms.get(sym);
    const fd = ctxFd(sides, o.file);
    const ioas = after.objects[o.ioas];
    if (id === undefined || fd === null || ioas?.kind !== 'ioas') continue;
    for (const a of ioas.areas) {
      const uva = areaUva(after, a);
      const length = a.last - a.start + 1n;
      if (uva === null || !mockAligned(a.start, length, uva)) continue;
      out.push({ fd, c: checkMap(id, a.start, length, uva), want: 'ok', property: 'differential', says: `${sym} maps IOVA ${hex(a.start)}..${hex(a.last)} to user memory at ${hex(uva)}` });
    }
    const old = before.objects[o.ioas];
    if (before.objects[objKey(o.file, o.id)] === undefined || old?.kind !== 'ioas') continue;
    for (const a of old.areas) {
      const uva = areaUva(before, a);
      if (uva === null) continue;
      for (const gone of holes(a.start, a.last, ioas.areas)) {
        const page = gone.start - (gone.start % MOCK_IO_PAGE_SIZE);
        const was = uva + (page - a.start);
        if (page < a.start || !mockAligned(was)) continue;
        out.push({ fd, c: checkMap(id, page, MOCK_IO_PAGE_SIZE, was), want: 'fail', property: 'P-INVAL', says: `${sym} no longer maps IOVA ${hex(page)} (unmapped); it mapped user memory at ${hex(was)}` });
      }
    }
  }
  return out;
}

const checkRefs = (sides: LinuxSides, uva: bigint, length: bigint, count: number, property: string, says: string): Probe => ({
  fd: observer(sides), c: testCmd('MD_CHECK_REFS', 0, { 'check_refs.uptr': uva, 'check_refs.length': length, 'check_refs.refs': count }),
  want: 'ok', property, says, refs: { uva, length, count },
});

/** Every page of user memory the session mapped: pinned as often as the spec counts holders (0 where it counts none). */
export function pinProbes(sides: LinuxSides, after: State): Probe[] {
  const runs = observe(after).pins;
  const out: Probe[] = [];
  for (const m of sides.mapped) {
    const first = m.start / PAGE;
    const last = m.last / PAGE;
    for (const r of runs) {
      const lo = r.page > first ? r.page : first;
      const hi = r.last < last ? r.last : last;
      if (lo <= hi) out.push(checkRefs(sides, lo * PAGE, (hi - lo + 1n) * PAGE, r.holders, 'differential', `user pages ${hex(lo * PAGE)}..${hex((hi + 1n) * PAGE - 1n)} are pinned ${r.holders} time(s)`));
    }
    for (const h of holes(first, last, runs.map((r) => ({ start: r.page, last: r.last })))) {
      out.push(checkRefs(sides, h.start * PAGE, (h.last - h.start + 1n) * PAGE, 0, 'differential', `user pages ${hex(h.start * PAGE)}..${hex((h.last + 1n) * PAGE - 1n)} are not pinned`));
    }
  }
  return out;
}

/** After the last close: no page of user memory pinned (P-NOLEAK). */
export const leakProbes = (sides: LinuxSides): Probe[] =>
  sides.mapped.map((m) => checkRefs(sides, m.start, m.last - m.start + 1n, 0, 'P-NOLEAK', `after every fd is closed, nothing pins user pages ${hex(m.start)}..${hex(m.last)}`));

/** The first probe Linux answers otherwise than the spec expects, in words; null when all agree. */
export function firstWrong(sides: LinuxSides, probes: readonly Probe[]): { property: string; message: string } | null {
  const answers = sides.session.ioctls(probes);
  for (const [i, p] of probes.entries()) {
    const a = answers[i]!; // one answer per probe
    if ((p.want === 'ok') === a.ok) continue;
    const linux = p.refs ? refsFound(sides, p.refs) : a.ok ? 'still maps it there (MD_CHECK_MAP: ok)' : `does not (MD_CHECK_MAP: ${a.errno})`;
    return { property: p.property, message: `the spec says ${p.says}; Linux ${linux}` };
  }
  return null;
}

/** The first page of a range whose pin count is not `count`, and its count (tried up to 32). */
function refsFound(sides: LinuxSides, r: { readonly uva: bigint; readonly length: bigint; readonly count: number }): string {
  const fd = observer(sides);
  for (let uva = r.uva; uva < r.uva + r.length; uva += PAGE) {
    const at = (n: number) => sides.session.ioctl(fd, testCmd('MD_CHECK_REFS', 0, { 'check_refs.uptr': uva, 'check_refs.length': PAGE, 'check_refs.refs': n }));
    const here = at(r.count);
    if (here.ok) continue;
    if (here.errno !== 'EIO') return `cannot tell (MD_CHECK_REFS at ${hex(uva)}: ${here.errno})`;
    for (let n = 0; n <= 32; n++) if (at(n).ok) return `pins user page ${hex(uva)} ${n} time(s)`;
    return `pins user page ${hex(uva)} more than 32 times`;
  }
  return 'agrees page by page (the range check failed on a page that changed meanwhile)';
}

/**
 * A DMA on Linux: the mock domain the device is attached to must map the page the spec's DMA reaches (the page
 * alone: the mock keeps no permissions), and must not still map a page the device reached before the step.
 * Null when Linux cannot be asked (a PASID: the mock has none); else the violation, or `ok` with what was seen.
 */
/**
 * A DMA write the spec says dirtied a page of a HWPT that tracks dirty pages: the mock has no DMA, so the device's write
 * is IOMMU_TEST_OP_DIRTY on the mock page it reaches, in the HWPT the device is attached to (the mock nests nothing: the
 * route's HWPT is the one that records). It must succeed: the mock refuses it only where tracking is off.
 */
export function dirtyWrite(sides: LinuxSides, dev: string, iova: bigint): Probe[] {
  const b = boundDevice(sides, dev as never);
  if (b === null || !b.attached) return [];
  const page = iova - (iova % MOCK_IO_PAGE_SIZE);
  return [{ fd: b.ctxFd, c: testDirty(b.hwpt, page), want: 'ok', property: 'P-DIRTY', says: `${dev}'s write at IOVA ${hex(iova)} dirties the mock page ${hex(page)} of the HWPT it is attached to` }];
}

export function dmaProbes(sides: LinuxSides, after: State, before: State, dev: string, pasid: number | null, iova: bigint): Probe[] | { property: string; message: string } | null {
  if (pasid !== null) return null;
  const now: Xlate = observe(after).translate(dev as never, null, iova, 'read').xlate;
  const then: Xlate = observe(before).translate(dev as never, null, iova, 'read').xlate;
  const b = boundDevice(sides, dev as never);
  const page = iova - (iova % MOCK_IO_PAGE_SIZE);
  if (now.kind === 'hit') {
    if (b === null || !b.attached) return { property: 'differential', message: `the spec's ${dev} reaches ${hex(now.hpa)} at IOVA ${hex(iova)}; Linux has ${dev} attached to nothing` };
    const uva = now.hpa - (now.hpa % MOCK_IO_PAGE_SIZE);
    return [{ fd: b.ctxFd, c: checkMap(b.hwpt, page, MOCK_IO_PAGE_SIZE, uva), want: 'ok', property: 'differential', says: `${dev}'s DMA at IOVA ${hex(iova)} reaches user memory at ${hex(now.hpa)}` }];
  }
  if (then.kind === 'hit' && b !== null && b.attached) {
    const uva = then.hpa - (then.hpa % MOCK_IO_PAGE_SIZE);
    return [{ fd: b.ctxFd, c: checkMap(b.hwpt, page, MOCK_IO_PAGE_SIZE, uva), want: 'fail', property: 'P-INVAL', says: `${dev}'s DMA at IOVA ${hex(iova)} faults (${now.reason}); before the step it reached ${hex(then.hpa)}` }];
  }
  return [];
}
