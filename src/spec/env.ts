/**
 * Environment actions: user memory, device DMA, and the guest writing tables in its own memory. A guest write
 * to a table some attached context walks leaves the old entry possibly cached in that context's IOTLB until an
 * invalidation reaches it (StaleEntry): that is what makes a missing or too-narrow invalidation observable.
 */
import { castDraft, type Draft } from 'immer';
import type { EnvDma, EnvGuestWritePasidTable, EnvGuestWritePgtable, EnvMmap, Gpa } from '../uapi/index.js';
import { lastOf, unionWith } from './ranges.js';
import { answer, commit, reject, type Outcome } from './rule.js';
import { keyOf, type Obj, type State, type StaleEntry } from './state.js';
import { translate } from './translate.js';

/**
 * MMAP: anonymous user memory; page-granular like mmap(2). `userMem` is the mapped addresses as a union in normal
 * form (what pinning asks is only "is this mapped"), so mapping memory that is already mapped changes nothing.
 */
export function mmap(s: State, c: EnvMmap): Outcome {
  const last = lastOf(c.uva, c.length);
  if (last === null || c.uva % 4096n !== 0n || c.length % 4096n !== 0n) return reject('EINVAL', 'MMAP.EINVAL.range');
  const userMem = unionWith(s.userMem, { start: c.uva, last });
  if (userMem === s.userMem) return answer(s, 'MMAP.ok', {});
  return commit(s, 'MMAP.ok', (d) => {
    d.userMem = castDraft(userMem);
    return {};
  });
}

export const dma = (s: State, c: EnvDma): Outcome => answer(s, 'DMA', translate(s, c.dev, c.pasid, c.iova, c.access));

/** Contexts whose hardware walks `table` now (attached, and consuming it directly or through a guest PASID table). */
function walkers(s: State, table: Gpa, kind: 'pte' | 'pasid'): Obj[] {
  return Object.values(s.objects).filter((o) => {
    if (!('s1' in o) || o.s1 === null || !s.attachments.some((a) => a.ctx === keyOf(o))) return false;
    if (kind === 'pasid') return o.s1.kind === 'pasid-table' && o.s1.root === table;
    if (o.s1.kind === 'pgtable') return o.s1.root === table;
    const entries = Object.values(s.guestPasidTables[o.s1.root.toString()] ?? {});
    const staleRoots = s.stale.filter((e) => e.ctx === keyOf(o) && e.kind === 'pasid').map((e) => e.value);
    return entries.includes(table) || staleRoots.includes(table);
  });
}

function remember(d: Draft<State>, s: State, table: Gpa, kind: 'pte' | 'pasid', index: bigint, old: bigint | null) {
  for (const o of walkers(s, table, kind)) {
    const e: StaleEntry = { ctx: keyOf(o), table, kind, index, value: old };
    if (!d.stale.some((x) => x.ctx === e.ctx && x.table === table && x.kind === kind && x.index === index && x.value === old)) d.stale.push(e);
  }
}

/** GUEST_WRITE_PGTABLE: one stage-1 entry (iova page -> gpa page), or a cleared one. */
export function guestWritePgtable(s: State, c: EnvGuestWritePgtable): Outcome {
  const vpn = c.iova >> 12n;
  const value = c.gpa === null ? null : c.gpa & ~0xfffn;
  const old = s.guestPgtables[c.table.toString()]?.[vpn.toString()] ?? null;
  return commit(s, 'GUEST_WRITE_PGTABLE.ok', (d) => {
    if (old === value) return {};
    remember(d, s, c.table, 'pte', vpn, old);
    const t = (d.guestPgtables[c.table.toString()] ??= {});
    if (value === null) delete t[vpn.toString()];
    else t[vpn.toString()] = value;
    return {};
  });
}

/** GUEST_WRITE_PASID_TABLE: one entry of the guest-owned PASID table (pasid -> stage-1 root), or a cleared one. */
export function guestWritePasidTable(s: State, c: EnvGuestWritePasidTable): Outcome {
  const value = c.pgtable === null ? null : c.pgtable & ~0xfffn;
  const old = s.guestPasidTables[c.table.toString()]?.[c.pasid] ?? null;
  return commit(s, 'GUEST_WRITE_PASID_TABLE.ok', (d) => {
    if (old === value) return {};
    remember(d, s, c.table, 'pasid', BigInt(c.pasid), old);
    const t = (d.guestPasidTables[c.table.toString()] ??= {});
    if (value === null) delete t[c.pasid];
    else t[c.pasid] = value;
    return {};
  });
}
