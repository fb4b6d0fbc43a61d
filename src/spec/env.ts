/**
 * Environment actions: user memory (mmap, munmap), device DMA, and the guest writing tables in its own memory. A
 * guest write to a table some attached context walks leaves the old entry possibly cached in that context's IOTLB
 * until an invalidation reaches it (StaleEntry): that is what makes a missing or too-narrow invalidation observable.
 */
import { castDraft, type Draft } from 'immer';
import type { EnvDma, EnvGuestWritePasidTable, EnvGuestWritePgtable, EnvMmap, EnvMunmap, Gpa, IovaRange } from '../uapi/index.js';
import { lastOf, unionWith, unionWithout, type Union } from './ranges.js';
import { answer, commit, reject, type Outcome } from './rule.js';
import { dirtyAfterWrite } from './dirty.js';
import { keyOf, type Obj, type ObjOf, type State, type StaleEntry } from './state.js';
import { translate } from './translate.js';

/**
 * MMAP and MUNMAP: whole pages (EINVAL otherwise, and for a length 0 or a range past the top of the u64 space), then
 * `userMem` as `change` makes it. `userMem` is the mapped addresses as a union in normal form (what pinning and a
 * native SVA walk ask is only "is this mapped"), so a call that changes no address changes nothing.
 */
function userMemCall(s: State, c: EnvMmap | EnvMunmap, P: string, change: (u: Union, r: IovaRange) => Union): Outcome {
  const last = lastOf(c.uva, c.length);
  if (last === null || c.uva % 4096n !== 0n || c.length % 4096n !== 0n) return reject('EINVAL', `${P}.EINVAL.range`);
  const userMem = change(s.userMem, { start: c.uva, last });
  if (userMem === s.userMem) return answer(s, `${P}.ok`, {});
  return commit(s, `${P}.ok`, (d) => {
    d.userMem = castDraft(userMem);
    return {};
  });
}

/** MMAP: anonymous user memory; mapping memory that is already mapped changes nothing. */
export const mmap = (s: State, c: EnvMmap): Outcome => userMemCall(s, c, 'MMAP', unionWith);

/**
 * MUNMAP: the CPU's page table loses [uva, uva+length), refused as MMAP is (EINVAL); what is not mapped is skipped,
 * as munmap(2) does. Nothing else changes here, on purpose: pins are derived from areas, never from
 * `userMem`, so pages already pinned stay pinned and keep backing their maps (a pin holds the page, mm/gup.c); a later
 * pin of the range fails as for memory never mapped (pinCheck, EFAULT); a native SVA walk faults there from now on
 * (translate.ts). The IOTLB needs no entry here: the mmu notifier's flush is part of the munmap, so nothing stale stays.
 * Model limit, shared with the simulated kernel: a page is named by its user VA, so memory mmapped again at a VA is the
 * page a pin may still hold there (Linux hands out a fresh page and the pin keeps the old one).
 */
export const munmap = (s: State, c: EnvMunmap): Outcome => userMemCall(s, c, 'MUNMAP', unionWithout);

/**
 * DMA: what the walk gives (the current answer and the stale ones the IOTLB may give). A write through a HWPT that
 * records dirty pages dirties the IOMMU page it reaches (dirty.ts): the one rule of DMA that changes state.
 */
export function dma(s: State, c: EnvDma): Outcome {
  const t = translate(s, c.dev, c.pasid, c.iova, c.access);
  const dirtied = c.access === 'write' ? dirtyAfterWrite(s, c.dev, c.pasid, c.iova) : null;
  if (dirtied === null) return answer(s, 'DMA', t);
  return commit(s, 'DMA.ok.dirty', (d) => {
    (d.objects[dirtied.hwpt] as Draft<ObjOf<'hwpt_paging'>>).dirty = castDraft(dirtied.dirty);
    return t;
  });
}

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
