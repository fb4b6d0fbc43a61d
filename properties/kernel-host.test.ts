/**
 * The host side of `ioasid-lab kernel`, without a kernel: the bytes each command becomes, the layout probe's verdict,
 * the initramfs archive, the kernel log as findings, the session protocol over a scripted guest, ids crossing to
 * Linux by what they name, the VFIO front end's order of checks, the executor compiling as C, and the command
 * line's refusals. What needs Linux itself runs under `npm run test:kernel` (properties/kernel/).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOut, encodeIommufd, field, LAYOUTS, MOCK_IO_PAGE_SIZE, REQUESTS, testCmd, type Layout } from '../src/kernel/abi.js';
import { EXECUTOR_C, findSource, missingTools } from '../src/kernel/build.js';
import { cpioNewc, executorInitramfs } from '../src/kernel/initramfs.js';
import { logFinding } from '../src/kernel/klog.js';
import { layoutProbeSource, layoutsDiffer } from '../src/kernel/layout-probe.js';
import { linuxProblem } from '../src/kernel/linux-driver.js';
import { linuxId, unallocated, type LinuxSides } from '../src/kernel/linux-sides.js';
import { MockVfio, type RealFile } from '../src/kernel/mock-vfio.js';
import { Session, SessionDied } from '../src/kernel/session.js';
import type { Answer, Vm } from '../src/kernel/vm.js';
import { kernelMain } from '../src/cli/kernel-cmd.js';
import { initialState, DESIGNS, type ObjKey } from '../src/spec/index.js';
import { Bindings } from '../src/check/trace.js';
import { builtinMachine, fd, iommu, kernelVersionOf, worldOf } from '../src/uapi/index.js';
import { isPrintable } from './support/cli.js';

const hex = (b: Buffer) => b.toString('hex');

describe('the binary uAPI: what each command becomes (6.12 include/uapi/linux/iommufd.h, iommufd_test.h)', () => {
  it('request numbers are _IO(\';\', nr): IOMMUFD_CMD_BASE 0x80 on, VFIO_BASE 100 on, IOMMU_TEST_CMD at 0x80 + 32', () => {
    expect(REQUESTS.IOMMU_DESTROY).toBe(0x3b80);
    expect(REQUESTS.IOMMU_IOAS_MAP).toBe(0x3b85);
    expect(REQUESTS.IOMMU_HWPT_ALLOC).toBe(0x3b89);
    expect(REQUESTS.IOMMU_HWPT_INVALIDATE).toBe(0x3b8d);
    expect(REQUESTS.IOMMU_TEST_CMD).toBe(0x3ba0);
    expect(REQUESTS.VFIO_DEVICE_BIND_IOMMUFD).toBe(0x3b76);
  });
  it('IOMMU_IOAS_MAP: size, flags, ioas_id, __reserved, then user_va, length, iova as little-endian u64s', () => {
    const r = encodeIommufd(iommu.map(fd(3), 7, 0x100_0000n, 0x2000n, 0x1000_0000n));
    expect(hex(r.arg)).toBe('28000000070000000700000000000000' + '0000001000000000' + '0020000000000000' + '0000000100000000');
    expect(r.bufs).toEqual([]);
    expect(decodeOut({ ...iommu.map(fd(3), 7, null, 0x1000n, 0n) }, Buffer.from(hex(r.arg), 'hex'), [])).toEqual({ iova: 0x100_0000n });
  });
  it('IOMMU_HWPT_ALLOC: data under DATA_NONE is 8 bytes of data_len (the trace vocabulary), a raw NULL data pointer is NULL', () => {
    const none = encodeIommufd({ ...iommu.hwptAlloc(fd(3), 2, 1), data: { pgtbl_addr: 0n } });
    expect(field(LAYOUTS.iommu_hwpt_alloc, none.arg, 'data_len')).toBe(8);
    expect(none.bufs[0]?.data?.length).toBe(8);
    const vtd = encodeIommufd(iommu.hwptAlloc(fd(3), 2, 3, 0, { type: 'IOMMU_HWPT_DATA_VTD_S1', pgtbl_addr: 0x2000n }));
    expect(field(LAYOUTS.iommu_hwpt_alloc, vtd.arg, 'data_type')).toBe(1);
    expect(field(LAYOUTS.iommu_hwpt_alloc, vtd.arg, 'data_len')).toBe(24);
    expect(field(LAYOUTS.iommu_hwpt_vtd_s1, vtd.bufs[0]!.data!, 'pgtbl_addr')).toBe(0x2000n); // one buffer, with data
    const nul = encodeIommufd({ ...iommu.hwptAlloc(fd(3), 2, 3), data_type: 'IOMMU_HWPT_DATA_VTD_S1', data_len: 24 });
    expect(nul.bufs).toEqual([{ at: 32, data: null }]);
  });
  it('IOMMU_HWPT_INVALIDATE: "all" is addr 0, npages U64_MAX; entries laid out at entry_len; no entries is a NULL array', () => {
    const r = encodeIommufd(iommu.invalidate(fd(3), 4, [{ scope: 'all' }, { scope: 'range', addr: 0x1000n, npages: 2n, flags: 1 }]));
    const e = r.bufs[0]!.data!; // the entry array
    expect(e.length).toBe(48);
    expect(field(LAYOUTS.iommu_hwpt_vtd_s1_invalidate, e, 'npages')).toBe(0xffff_ffff_ffff_ffffn);
    expect(field(LAYOUTS.iommu_hwpt_vtd_s1_invalidate, e.subarray(24), 'flags')).toBe(1);
    expect(encodeIommufd({ ...iommu.invalidate(fd(3), 4, []), entry_num: 3 }).bufs).toEqual([{ at: 8, data: null }]);
  });
  it('IOMMU_IOAS_IOVA_RANGES reads the ranges the kernel wrote, as many as fit and it counted', () => {
    const c = iommu.iovaRanges(fd(3), 1, 4);
    const arg = Buffer.alloc(32);
    arg.writeUInt32LE(2, 8);
    arg.writeBigUInt64LE(0x800n, 24);
    const ranges = Buffer.alloc(64);
    ranges.writeBigUInt64LE(0x100_0000n, 0);
    ranges.writeBigUInt64LE(0x7fff_ffffn, 8);
    ranges.writeBigUInt64LE(0x8000_0000n, 16);
    ranges.writeBigUInt64LE(0x8000_0fffn, 24);
    expect(decodeOut(c, arg, [ranges])).toEqual({ num_iovas: 2, out_iova_alignment: 0x800n, allowed_iovas: [{ start: 0x100_0000n, last: 0x7fff_ffffn }, { start: 0x8000_0000n, last: 0x8000_0fffn }] });
  });
  it('IOMMU_TEST_CMD MD_CHECK_MAP: op 3, the hwpt id, iova, length and uptr in the union', () => {
    const r = testCmd('MD_CHECK_MAP', 9, { 'check_map.iova': 0x100_0000n, 'check_map.length': MOCK_IO_PAGE_SIZE, 'check_map.uptr': 0x1000_0000n });
    expect(r.arg.length).toBe(72);
    expect([field(LAYOUTS.iommu_test_cmd, r.arg, 'op'), field(LAYOUTS.iommu_test_cmd, r.arg, 'id'), field(LAYOUTS.iommu_test_cmd, r.arg, 'check_map.uptr')]).toEqual([3, 9, 0x1000_0000n]);
  });
});

describe('the layout probe: a tree whose headers disagree with src/kernel/abi.ts is refused', () => {
  /** What the probe prints for headers exactly like LAYOUTS (with a change applied). */
  const printed = (change: (name: string, f: string | null, v: number[]) => number[] = (_n, _f, v) => v) =>
    (Object.values(LAYOUTS) as Layout[]).flatMap((l) => [
      `${l.name} ${change(l.name, null, [l.size]).join(' ')}`,
      ...Object.entries(l.fields).map(([f, [off, n]]) => `${l.name}.${f} ${change(l.name, f, [off, n]).join(' ')}`),
    ]).join('\n');
  it('agreement, and a struct grown at its end, pass', () => {
    expect(layoutsDiffer(printed())).toBeNull();
    expect(layoutsDiffer(printed((n, f, v) => (n === 'iommu_hwpt_alloc' && f === null ? [56] : v)))).toBeNull();
  });
  it('a moved field, a narrower one, a smaller struct or a missing field are each named', () => {
    expect(layoutsDiffer(printed((n, f, v) => (n === 'iommu_ioas_map' && f === 'iova' ? [40, 8] : v)))).toBe('iommu_ioas_map.iova is at 40 (8 bytes), not 32 (8 bytes)');
    expect(layoutsDiffer(printed((n, f, v) => (n === 'iommu_test_cmd' && f === 'check_refs.refs' ? [32, 2] : v)))).toMatch(/check_refs\.refs is at 32 \(2 bytes\)/);
    expect(layoutsDiffer(printed((n, f, v) => (n === 'iommu_destroy' && f === null ? [4] : v)))).toBe('struct iommu_destroy is 4 bytes, not at least 8');
    expect(layoutsDiffer(printed().split('\n').filter((l) => !l.startsWith('iommu_hwpt_invalidate.entry_num')).join('\n'))).toBe('iommu_hwpt_invalidate.entry_num is missing');
  });
  it('the probe prints every struct and field of LAYOUTS, from the tree\'s own headers', () => {
    const c = layoutProbeSource();
    expect(c).toContain('#include <linux/iommufd.h>');
    expect(c).toContain('offsetof(struct iommu_test_cmd, mock_domain.out_idev_id)');
    const n = (Object.values(LAYOUTS) as Layout[]).reduce((k, l) => k + 1 + Object.keys(l.fields).length, 0);
    expect(c.split('printf(').length - 1).toBe(n);
  });
});

describe('the guest', () => {
  it('the initramfs is a newc archive: /dev/console 5:1, the mount points, /init executable, the trailer', () => {
    const a = executorInitramfs(Buffer.from('ELF?'));
    const entries: { name: string; mode: number; rdev: [number, number]; size: number }[] = [];
    for (let at = 0; at < a.length;) {
      const h = a.toString('ascii', at, at + 110);
      expect(h.slice(0, 6)).toBe('070701');
      const num = (i: number) => parseInt(h.slice(6 + i * 8, 14 + i * 8), 16);
      const namesize = num(11);
      const name = a.toString('ascii', at + 110, at + 110 + namesize - 1);
      const size = num(6);
      entries.push({ name, mode: num(1), rdev: [num(9), num(10)], size });
      at += 110 + namesize;
      at += (4 - (at % 4)) % 4;
      at += size + ((4 - (size % 4)) % 4);
      if (name === 'TRAILER!!!') break;
    }
    expect(entries.map((e) => e.name)).toEqual(['dev', 'dev/console', 'proc', 'debug', 'init', 'TRAILER!!!']);
    expect(entries[1]).toMatchObject({ mode: 0o020600, rdev: [5, 1] });
    expect(entries[4]).toMatchObject({ mode: 0o100755, size: 4 });
    expect(cpioNewc([]).length % 4).toBe(0);
  });
  it('the executor compiles as C with every warning an error, statically (the guest has no libc)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ioasid-lab-exec-')), 'executor');
    const r = spawnSync('gcc', ['-static-pie', '-O2', '-Wall', '-Werror', '-o', out, EXECUTOR_C], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
  it('kernel log lines as findings: a WARN is P-WARN where it fired, an oops P-OOPS with its RIP, anything else none', () => {
    expect(logFinding(['iommufd_mock0: added', 'ioasid-lab: ok'])).toBeNull();
    expect(logFinding(['------------[ cut here ]------------', 'refcount_t: underflow; use-after-free.', 'WARNING: CPU: 0 PID: 71 at lib/refcount.c:28 refcount_warn_saturate+0x9e/0x120', 'Modules linked in:']))
      .toEqual({ property: 'P-WARN', message: 'Linux WARN at lib/refcount.c:28 refcount_warn_saturate+0x9e/0x120 (refcount_t: underflow; use-after-free.)' });
    expect(logFinding(['BUG: kernel NULL pointer dereference, address: 0000000000000008', 'Oops: 0000 [#1] SMP', 'RIP: 0010:iopt_area_unfill_domain+0x12/0x80']))
      .toEqual({ property: 'P-OOPS', message: 'Linux oops: BUG: kernel NULL pointer dereference, address: 0000000000000008 (RIP: 0010:iopt_area_unfill_domain+0x12/0x80)' });
  });
});

/** A guest that answers from a script: each request line gets the next answer. */
function scripted(answers: Answer[]): { vm: Vm; sent: string[] } {
  const sent: string[] = [];
  const requests = (lines: readonly string[]) => {
    sent.push(...lines);
    const out: Answer[] = [];
    for (let i = 0; i < lines.length; i++) {
      const a = answers.shift();
      if (!a) break;
      out.push(a);
      if (a.status === 'X') break;
    }
    return out;
  };
  const vm = { requests, request: (line: string) => requests([line])[0] } as unknown as Vm;
  return { vm, sent };
}

describe('the session protocol', () => {
  it('an ioctl is one line of hex; its answer gives rc or errno, whether fail_nth fired, the struct after and each buffer', () => {
    const { vm, sent } = scripted([{ log: ['iommufd: x'], status: 'E', fields: ['c', '1', '0c00000000000000', 'ff'] }]);
    const s = new Session(vm);
    const a = s.ioctl(3, { req: 0x3b81, arg: Buffer.from('0c00000000000000', 'hex'), bufs: [{ at: 0, data: null }, { at: 0, data: Buffer.from([0xaa]) }] }, 2);
    expect(sent).toEqual(['I 3 3b81 2 0c00000000000000 0:- 0:aa']);
    expect(a).toMatchObject({ ok: false, errno: 'ENOMEM', fired: true });
    expect(a.bufs.map(hex)).toEqual(['', 'ff']);
    expect(s.log).toEqual(['iommufd: x']);
  });
  it('a session whose process died answers X: the call throws SessionDied', () => {
    const s = new Session(scripted([{ log: [], status: 'X', fields: ['signal-9'] }]).vm);
    expect(() => s.close(3)).toThrow(SessionDied);
  });
  it('an errno Linux has but the vocabulary does not name is an error of ioasid-lab, never a guess', () => {
    const s = new Session(scripted([{ log: [], status: 'E', fields: ['7a'] }]).vm);
    expect(() => s.close(3)).toThrow(/errno 122/);
  });
});

describe('ids cross to Linux by what they name', () => {
  const sides = (objSyms: [ObjKey, string][], linux: [string, number][], returned: number[]): LinuxSides => {
    const implSyms = new Bindings();
    for (const [sym, n] of linux) implSyms.bind({ cmd: { ioctl: 'X' }, bind: { id: sym as never } }, { ok: true, out: { id: n } });
    return { objSyms: new Map(objSyms), implSyms, returned: new Set(returned) } as unknown as LinuxSides;
  };
  const s = initialState(worldOf(builtinMachine('selftest-mock', 'host-pasid-table')), DESIGNS.iommufd);
  const live = { ...s, objects: { '1:2': { kind: 'ioas', file: 1, id: 2, areas: [], allowed: [], domain: false, testReserved: [] } } } as unknown as typeof s;
  it('a live object\'s spec id becomes its Linux id', () => {
    expect(linuxId(sides([['1:2', '$ioas1']], [['$ioas1', 7]], [7]), live, 1, 2)).toBe(7);
  });
  it('a number that names nothing in the spec becomes one Linux never handed out (a hidden mock object\'s id is no target)', () => {
    const x = sides([['1:2', '$ioas1']], [['$ioas1', 7]], [3, 4, 5, 7]);
    expect(linuxId(x, live, 1, 99)).toBe(99);
    expect(linuxId(x, live, 1, 4)).toBe(unallocated(x, 4));
    expect(unallocated(x, 4)).not.toBe(4);
    expect(linuxId(x, s, 1, 2)).toBe(2); // $ioas1 died in the spec: its old number is nobody's
  });
});

describe('the VFIO front end over the mock device checks in vfio_df_ioctl_bind_iommufd\'s order', () => {
  const files = new Map<number, RealFile>([[3, { kind: 'iommufd', key: 1 }], [4, { kind: 'device', key: 2, dev: 'dev1', bound: null }]]);
  const vfio = new MockVfio(new Session(scripted([]).vm), files, new Set());
  const dev = files.get(4) as Extract<RealFile, { kind: 'device' }>;
  it('flags, then a negative fd (EINVAL), then an fd that is not open (EBADF), then one that is no iommufd (EBADFD), before Linux is asked', () => {
    expect(vfio.ioctl(dev, { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', flags: 1, iommufd: 99 }, 0).result).toEqual({ ok: false, errno: 'EINVAL' });
    expect(vfio.ioctl(dev, { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', flags: 0, iommufd: -1 }, 0).result).toEqual({ ok: false, errno: 'EINVAL' });
    expect(vfio.ioctl(dev, { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', flags: 0, iommufd: 99 }, 0).result).toEqual({ ok: false, errno: 'EBADF' });
    expect(vfio.ioctl(dev, { ioctl: 'VFIO_DEVICE_BIND_IOMMUFD', flags: 0, iommufd: 4 }, 0).result).toEqual({ ok: false, errno: 'EBADFD' });
  });
  it('anything but bind on an unbound device file is EINVAL (!df->access_granted)', () => {
    expect(vfio.ioctl(dev, { ioctl: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', flags: 0, pt_id: 1 }, 0).result).toEqual({ ok: false, errno: 'EINVAL' });
    expect(vfio.ioctl(dev, { ioctl: 'IOMMU_IOAS_MAP' }, 0).result).toEqual({ ok: false, errno: 'EINVAL' });
  });
});

describe('ioasid-lab kernel: its command line', () => {
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await kernelMain(argv, (s) => out.push(s), (s) => err.push(s));
    return { code, out, err };
  };
  const usage = (r: { code: number; err: string[] }, mentions: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^ioasid-lab: /);
    expect(isPrintable(r.err[0]!)).toBe(true); // one line
    expect(r.err[0]).toMatch(mentions);
  };
  it('an unknown kernel command, a flag of another command, a bad version: one line, exit 2', async () => {
    usage(await run('boot'), /unknown kernel command 'boot' \(kernel commands: build, check, replay\)/);
    usage(await run(), /kernel needs a command: build, check or replay/);
    usage(await run('check', '--source', '/x'), /--source is not a flag of check/);
    usage(await run('replay'), /replay needs FILE/);
    const empty = mkdtempSync(join(tmpdir(), 'ioasid-lab-cache-'));
    usage(await run('check', '--cache', empty), /no kernel build in .* for this checkout \(run ioasid-lab kernel build first\)/);
    usage(await run('build', '--source', join(empty, 'nope')), /--source .* does not exist|missing /);
  });
  it('--help lists the three commands and the packages; the version table names 6.12 from a release', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/build .*\n.*\n\s+check .*\n.*\n\s+replay FILE…/);
    expect(kernelVersionOf('6.12.118')).toBe('6.12');
    expect(kernelVersionOf('7.1.0')).toBeNull();
  });
  it('what runs on Linux: design iommufd on the selftest mock, nothing else', () => {
    expect(linuxProblem({ design: 'iommufd', hardware: 'host-pasid-table', profile: 'selftest-mock' })).toBeNull();
    expect(linuxProblem({ design: 'rfc-v1', hardware: 'host-pasid-table', profile: 'selftest-mock' })).toMatch(/never shipped/);
    expect(linuxProblem({ design: 'iommufd', hardware: 'host-pasid-table' })).toMatch(/machine default is not Linux's selftest mock/);
  });
  it('a build names what the machine lacks, with the Debian packages, and finds Debian\'s source tarball or refuses a non-tree', () => {
    const line = missingTools();
    if (line !== null) expect(line).toMatch(/^missing .* \(Debian: apt-get install [a-z0-9 .-]+\)$/);
    expect(() => findSource(tmpdir())).toThrow(/is not a kernel tree with iommufd/);
  });
});
