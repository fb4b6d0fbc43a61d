/**
 * The explorer's world: what exists before any call, and the addresses calls and requirements use.
 * - Two VMs, each with its own address-space FD (`$fd1` for VM A, `$fd4` for VM B), as two VMMs would hold them.
 * - Three devices: dev1 and dev2 (PASID-capable, groups 1 and 2) are VM A's; dev3, one function of the two-function
 *   card, is VM B's — its group sibling dev4 is in the machine but given to nobody, so a design's group rule is in
 *   force (RFC v1's implicit group rule refuses commands on an ioasid while only part of a group is on it).
 * - VM A's guest RAM is two slots of user memory: [0, 0x2000) and [0x2000, 0x6000) in GPA, the second holding the
 *   guest's stage-1 table and its PASID table. Two IOVA ranges that overlap partially are unmapped: `slot1+` =
 *   [0, 0x4000) (all of slot 1 and half of slot 2: iommufd removes slot 1 then fails on slot 2, type1 refuses
 *   first) and `slot2` = [0x2000, 0x6000).
 * - VM A has two address spaces (the second starts empty), VM B two (set up in the fixture).
 * - Two PASIDs: 1 for guest SVA (the guest's own stage-1), 2 for native SVA (the process's own address space,
 *   where a design has it) or a second guest PASID.
 * - A process buffer (one page, `PROC`) mapped by the CPU, for native SVA: a device PASID bound to the process's
 *   address space reaches it at its own virtual address, and stops reaching it when the CPU unmaps it.
 */
import type { DevName } from '../uapi/index.js';

export interface Vm {
  readonly name: 'A' | 'B';
  /** user memory backing the VM's guest RAM, as [first, last] host pages (host page = user page) */
  readonly ram: { readonly uva: bigint; readonly length: bigint };
  readonly devices: readonly DevName[];
}

export interface ExploreWorld {
  readonly vms: readonly [Vm, Vm];
  /** every device the world gives to a VM */
  readonly devices: readonly DevName[];
  /** PASID of guest SVA, and the second PASID (native SVA, or a second guest PASID) */
  readonly pasids: readonly [number, number];
  /** guest page table and guest PASID table, in VM A's guest memory (GPA) */
  readonly guest: { readonly pgtable: bigint; readonly pasidTable: bigint; readonly gva: bigint };
  /** addresses requirements probe: a GPA in slot 2 and the host page behind it; the guest maps `gva` to it */
  readonly probe: { readonly gpa: bigint; readonly hpa: bigint; readonly gva: bigint };
  /** the process buffer native SVA reaches at its own virtual address */
  readonly proc: { readonly uva: bigint; readonly length: bigint };
}

const RAM_A = 0x100000n;

export const WORLD: ExploreWorld = {
  vms: [
    { name: 'A', ram: { uva: RAM_A, length: 0x6000n }, devices: ['dev1', 'dev2'] },
    { name: 'B', ram: { uva: 0x800000n, length: 0x4000n }, devices: ['dev3'] },
  ],
  devices: ['dev1', 'dev2', 'dev3'],
  pasids: [1, 2],
  guest: { pgtable: 0x4000n, pasidTable: 0x5000n, gva: 0x200000n },
  probe: { gpa: 0x3000n, hpa: RAM_A + 0x3000n, gva: 0x200000n },
  proc: { uva: 0xa00000n, length: 0x1000n },
};

/** The VM whose RAM holds host page `hpa`, if any. */
export const vmOfHpa = (w: ExploreWorld, hpa: bigint): Vm | undefined =>
  w.vms.find((v) => hpa >= v.ram.uva && hpa < v.ram.uva + v.ram.length);
