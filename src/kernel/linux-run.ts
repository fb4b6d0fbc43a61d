/**
 * One command on Linux: its ids given their Linux numbers (linux-sides.ts), then issued in the session — an
 * iommufd ioctl with its real layout, a VFIO call on a device file through the mock emulation (mock-vfio.ts), an
 * environment action as the process would do it. What comes back is the call's result in the spec's terms and
 * whether an armed fail_nth fired.
 */
import { isIommufdNode, type Cmd, type DevName, type EnvAction, type IommufdCmd, type Result, type World } from '../uapi/index.js';
import { FD_FIELDS, ID_FIELDS, type SymCmd } from '../check/trace.js';
import type { State } from '../spec/index.js';
import { holes, lastOf, unionWith } from '../spec/ranges.js';
import { decodeOut, encodeIommufd, encodeTestPort, encodeVfio, field, LAYOUTS, type RawIoctl } from './abi.js';
import { linuxId, tableOf, type LinuxSides } from './linux-sides.js';
import type { VfioCall } from './mock-vfio.js';

export interface LinuxAnswer {
  /** null: Linux has nothing that could answer (a guest writing its own page tables: the mock has no stage-1) */
  readonly result: Result<unknown> | null;
  /** the armed fail_nth fired (null: nothing was armed) */
  readonly fired: boolean | null;
}

const PAGE = 0x1000n;

/**
 * The Linux form of a command: values a step bound (an IOVA Linux chose) through Linux's bindings, fds as the spec
 * numbers them (the same numbers in the session), object ids by what the spec's number refers to.
 */
export function toLinux(sides: LinuxSides, st: { readonly cmd: SymCmd }, specCmd: Cmd, before: State): Cmd {
  const c = { ...(sides.implSyms.resolve(st.cmd) as unknown as Record<string, unknown>) };
  const spec = specCmd as unknown as Record<string, unknown>;
  for (const f of FD_FIELDS) if (f in spec) c[f] = spec[f];
  const table = 'ioctl' in specCmd && specCmd.ioctl === 'VFIO_DEVICE_BIND_IOMMUFD' ? null : tableOf(before, spec.fd);
  for (const f of ID_FIELDS) if (typeof spec[f] === 'number') c[f] = linuxId(sides, before, table, spec[f]);
  return c as unknown as Cmd;
}

const ok = (out: unknown): Result<unknown> => ({ ok: true, out });

/**
 * fds 0-2 are the session's stdio: taken, so a trace's first file is fd 3 as in the spec, but no file of the
 * trace's world. The spec has nothing there (EBADF); Linux would answer for the console. Calls on them are answered
 * as the world has it, without asking Linux.
 */
export const isStdio = (fd: number) => fd >= 0 && fd <= 2;

/** Run `c` (already in Linux's numbers) with `nth` armed on the call that does its work. */
export function runOnLinux(sides: LinuxSides, c: Cmd, nth: number, world: World): LinuxAnswer {
  if ('fd' in c && isStdio(c.fd)) return { result: { ok: false, errno: 'EBADF' }, fired: null };
  if ('env' in c) return { result: env(sides, c, world), fired: null };
  const f = sides.files.get(c.fd);
  if (f?.kind === 'device') {
    const e = sides.vfio.ioctl(f, c as unknown as VfioCall, nth);
    return { result: e.result, fired: e.fired };
  }
  if (!c.ioctl.startsWith('IOMMU_') && !c.ioctl.startsWith('VFIO_DEVICE_')) {
    throw new Error(`${c.ioctl} is not part of the merged uAPI: only the iommufd design runs on Linux`);
  }
  // on anything but a device file (an iommufd, a closed fd) the call goes to Linux as it is
  const ic = c as IommufdCmd;
  const raw: RawIoctl = ic.ioctl.startsWith('VFIO_') ? encodeVfio(ic as Extract<IommufdCmd, { ioctl: `VFIO_${string}` }>) : encodeIommufd(ic as Exclude<IommufdCmd, { ioctl: `VFIO_${string}` }>);
  const a = sides.session.ioctl(c.fd, raw, nth);
  if (a.ok) {
    const out = ic.ioctl.startsWith('VFIO_') ? {} : decodeOut(ic as Exclude<IommufdCmd, { ioctl: `VFIO_${string}` }>, a.arg, a.bufs);
    for (const [k, v] of Object.entries(out)) if (/^out_.*_id$/.test(k) && typeof v === 'number') sides.returned.add(v);
    // the FAULT fd is a file of the trace's own (the spec counts it among the opens)
    if (ic.ioctl === 'IOMMU_FAULT_QUEUE_ALLOC' && typeof out.out_fault_fd === 'number') sides.files.set(out.out_fault_fd, { kind: 'fault', key: ++sides.opens });
    if (ic.ioctl === 'IOMMU_VEVENTQ_ALLOC' && typeof out.out_veventq_fd === 'number') sides.files.set(out.out_veventq_fd, { kind: 'veventq', key: ++sides.opens });
    return { result: ok(out), fired: a.fired };
  }
  const errno = a.errno;
  // what the kernel writes back on a failure: IOVA_RANGES' needed count on EMSGSIZE, INVALIDATE's entry_num always
  if (ic.ioctl === 'IOMMU_HWPT_INVALIDATE' || (ic.ioctl === 'IOMMU_IOAS_IOVA_RANGES' && errno === 'EMSGSIZE')) {
    return { result: { ok: false, errno, out: decodeOut(ic, a.arg, a.bufs) }, fired: a.fired };
  }
  return { result: { ok: false, errno }, fired: a.fired };
}

function env(sides: LinuxSides, c: EnvAction, world: World): Result<unknown> | null {
  switch (c.env) {
    case 'OPEN': {
      // the machine's device nodes are the world's: /dev/iommu and its devices' cdevs; any other path is none
      if (!isIommufdNode(world, c.path)) return { ok: false, errno: 'ENOENT' };
      const dev = world.devices.find((d) => d.path === c.path);
      const r = dev ? sides.vfio.open() : sides.session.openPath(c.path);
      if (!r.ok) return r;
      const fd = 'value' in r ? r.value : r.out.fd;
      const key = ++sides.opens;
      sides.files.set(fd, dev ? { kind: 'device', key, dev: dev.name, bound: null } : { kind: 'iommufd', key });
      return ok({ fd });
    }
    case 'CLOSE':
      return closeFd(sides, c.fd);
    case 'MMAP':
      return mmap(sides, c.uva, c.length);
    case 'MUNMAP':
      // the executor serves open, close, dup, mmap and ioctl only; `kernel check` never draws MUNMAP (it matters where
      // a device walks the CPU page table, native SVA: no uAPI of the merged design has it)
      throw new Error('MUNMAP: the Linux executor has no munmap step (kernel/executor.c)');
    case 'MEMFD_CREATE':
      // no memfd step either: IOMMU_IOAS_MAP_FILE is 6.13+, and the 6.12 kernel answers it ENOTTY whatever its fd
      throw new Error('MEMFD_CREATE: the Linux executor has no memfd_create step (kernel/executor.c)');
    case 'DMA':
    case 'GUEST_WRITE_PGTABLE':
    case 'GUEST_WRITE_PASID_TABLE':
      return null; // DMA is judged by the mock domain's page table (linux-observe.ts); the mock has no guest stage-1
    case 'MOCK_ADD_RESERVED':
    case 'MOCK_ACCESS_CREATE':
    case 'MOCK_ACCESS_PIN':
    case 'MOCK_ACCESS_UNPIN':
    case 'MOCK_ACCESS_RW':
    case 'MOCK_ACCESS_REPLACE': {
      const a = sides.session.ioctl(c.fd, encodeTestPort(c));
      if (!a.ok) return { ok: false, errno: a.errno };
      const L = LAYOUTS.iommu_test_cmd;
      if (c.env === 'MOCK_ACCESS_CREATE') {
        const fd = Number(field(L, a.arg, 'create_access.out_access_fd'));
        sides.files.set(fd, { kind: 'access', key: ++sides.opens });
        return ok({ access_fd: fd });
      }
      return ok(c.env === 'MOCK_ACCESS_PIN' ? { access_pages_id: Number(field(L, a.arg, 'access_pages.out_access_pages_id')) } : {});
    }
    case 'IOMMU_EVENT':
    case 'VEVENTQ_READ':
      // an SMMUv3 event needs a vIOMMU (6.13+), which Linux 6.12 has no ioctl for: every event goes to the host's log
      return null;
    case 'FAULT_RING_READ':
      // RFC v1's ring: no /dev/ioasid on Linux (a trace of a proposed design never runs here)
      return null;
    case 'PAGE_REQUEST':
    case 'FAULT_READ':
    case 'FAULT_WRITE':
      // the executor serves no read or write, and on Linux 6.12 only a nested HWPT takes faults, which the mock model
      // has none of: every page request goes to the core's answer, and nothing here can be asked
      return null;
  }
}

/** close(2) of a trace fd (a device file unbinds first, as VFIO's release does). */
export function closeFd(sides: LinuxSides, fd: number): Result<unknown> {
  const f = sides.files.get(fd);
  const r = f?.kind === 'device' ? sides.vfio.close(fd, f) : sides.session.close(fd);
  if (r.ok) sides.files.delete(fd);
  return r.ok ? ok({}) : r;
}

/**
 * mmap(2) of anonymous memory at [uva, uva + length): the parts not mapped yet (the spec's MMAP of memory that is
 * mapped changes nothing, and a second mapping would replace the pages under a pin). A range mmap refuses outright
 * (empty, unaligned, past the top) is asked of mmap all the same, so its errno is Linux's.
 */
function mmap(sides: LinuxSides, uva: bigint, length: bigint): Result<unknown> {
  const last = lastOf(uva, length);
  if (last === null || uva % PAGE !== 0n || length % PAGE !== 0n) {
    const r = sides.session.mmap(uva, length);
    return r.ok ? ok({}) : r;
  }
  for (const h of holes(uva, last, sides.mapped)) {
    const r = sides.session.mmap(h.start, h.last - h.start + 1n);
    if (!r.ok) return r;
  }
  sides.mapped = unionWith(sides.mapped, { start: uva, last });
  return ok({});
}

/** The device file of `dev` that is bound, if any. */
export function boundDevice(sides: LinuxSides, dev: DevName) {
  for (const f of sides.files.values()) if (f.kind === 'device' && f.dev === dev && f.bound !== null) return f.bound;
  return null;
}

