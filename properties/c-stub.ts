/**
 * The recording stub the C exports are tested against (properties/export-c.test.ts). Linked with
 * `-Wl,--wrap=ioctl,--wrap=open,...`, the program's calls reach it instead of the kernel. It holds, for every call
 * the program must make, the call as src/kernel/abi.ts encodes it (the bytes `kernel check` sends Linux, verified
 * there against Linux's own headers) and the spec's answer; it checks each call's kind, fd, request number and
 * argument bytes (the bytes every pointer points at too, the pointers' own values aside; a struct of a newer header
 * may be longer, with zeros past the older one, as copy_struct_from_user takes it) and answers as the spec
 * does: the values written back, the fd or byte count returned, the errno. A call that is not the next one expected
 * ends the run with exit 99; at exit the stub prints how many of the calls were made. fail_nth: the stub stands for
 * /proc/thread-self/fail-nth too, and fires exactly where the model's injected failure fired.
 */
import { HW_INFO, isIommufdNode, type Cmd, type IommufdCmd, type Result } from '../src/uapi/index.js';
import { encodeTestPort, isTestPortAction, LAYOUTS, pack, REQUESTS, runsBitmap, type PointedBuffer } from '../src/kernel/abi.js';
import { layoutOf, outField, rawOf, structOf, walk } from '../src/check/export-c.js';
import { isStdio } from '../src/kernel/linux-run.js';
import { stepName, type Trace } from '../src/check/trace.js';
import { PGFAULT_SIZE } from '../src/spec/fault.js';

/** A deliberate fault in the stub's table, to see the program or the stub catch it. */
export type StubChange =
  /** the `call`-th call (0-based) is answered EINVAL, whatever the spec answers */
  | { readonly kind: 'answer-einval'; readonly call: number }
  /** the `call`-th call's expected argument byte `byte` is off by one */
  | { readonly kind: 'expect-byte'; readonly call: number; readonly byte: number };

const KIND = { open: 1, close: 2, ioctl: 3, read: 4, write: 5, memfd: 6 } as const;

export interface Call {
  readonly kind: keyof typeof KIND;
  readonly step: number;
  readonly fd: number;
  readonly path?: string;
  readonly req?: number;
  readonly arg?: Buffer;
  readonly bufs?: readonly PointedBuffer[];
  readonly len?: number;
  /** the model's injected failure fires on this call */
  readonly injected: boolean;
  readonly result: Result<unknown> | null;
  /** what an answer writes into the argument: offset, width, value */
  readonly patches: readonly (readonly [number, number, bigint])[];
  /** what it writes into a pointed buffer: the pointer's offset in the argument, the bytes */
  readonly fills: readonly (readonly [number, Buffer])[];
  /** what the call returns on success */
  readonly rc: bigint;
}

const bytes = (b: Buffer) => (b.length === 0 ? '{ 0 }' : `{ ${[...b].map((x) => `0x${x.toString(16)}`).join(', ')} }`);

/** What a successful (or written-back) answer writes into the argument and its buffers. */
function answerWrites(c: Cmd, struct: string | null, out: Record<string, unknown>, bufs: readonly PointedBuffer[]) {
  const name = stepName(c as never);
  const patches: [number, number, bigint][] = [];
  const fills: [number, Buffer][] = [];
  const L = struct === null ? undefined : layoutOf(struct);
  for (const [k, v] of Object.entries(out)) {
    const f = L?.fields[outField(name, k)];
    if (f !== undefined && (typeof v === 'number' || typeof v === 'bigint')) patches.push([f[0], f[1], BigInt(v)]);
    if (f !== undefined && typeof v === 'string' && v in HW_INFO) patches.push([f[0], f[1], BigInt(HW_INFO[v as keyof typeof HW_INFO].value)]);
    if (k === 'allowed_iovas' && Array.isArray(v) && bufs[0]?.data) {
      const room = bufs[0].data.length / LAYOUTS.iommu_iova_range.size;
      fills.push([bufs[0].at, Buffer.concat(v.slice(0, room).map((r: { start: bigint; last: bigint }) => pack(LAYOUTS.iommu_iova_range, r)))]);
    }
    if (k === 'dirty' && 'ioctl' in c && c.ioctl === 'IOMMU_HWPT_GET_DIRTY_BITMAP' && bufs[0]?.data) {
      fills.push([bufs[0].at, runsBitmap(v as { start: bigint; last: bigint }[], c.iova, c.page_size, bufs[0].data.length)]);
    }
  }
  return { patches, fills };
}

/** The calls the program of `t` must make, in order. */
export function stubCalls(t: Trace): Call[] {
  const out: Call[] = [];
  walk(t).forEach((w, i) => {
    const c = w.cmd;
    if (c === null) return;
    const step = i + 1;
    const result = w.result;
    const o = (result?.out ?? {}) as Record<string, unknown>;
    const base = { step, injected: w.injected, result, patches: [], fills: [], rc: 0n };
    // what the program answers itself, as `kernel check` does: a call on stdio (EBADF), a path the machine has no node for (ENOENT)
    if ('fd' in c && isStdio(c.fd)) return;
    if ('env' in c && c.env === 'OPEN' && !isIommufdNode(w.before.world, c.path)) return;
    if ('ioctl' in c || isTestPortAction(c as never)) {
      const raw = 'ioctl' in c ? rawOf(c as IommufdCmd) : encodeTestPort(c as never);
      const req = 'ioctl' in c ? REQUESTS[(c as IommufdCmd).ioctl] : REQUESTS.IOMMU_TEST_CMD;
      out.push({ ...base, ...answerWrites(c, structOf(c), o, raw.bufs), kind: 'ioctl', fd: (c as { fd: number }).fd, req, arg: raw.arg, bufs: raw.bufs });
      return;
    }
    if (!('env' in c)) return;
    switch (c.env) {
      case 'OPEN': out.push({ ...base, kind: 'open', fd: -1, path: c.path, rc: BigInt((o.fd as number | undefined) ?? 0) }); break;
      case 'CLOSE': out.push({ ...base, kind: 'close', fd: c.fd }); break;
      case 'FAULT_READ': out.push({ ...base, kind: 'read', fd: c.fd, len: c.count, rc: BigInt(((o.faults as unknown[] | undefined)?.length ?? 0) * PGFAULT_SIZE) }); break;
      case 'VEVENTQ_READ': out.push({ ...base, kind: 'read', fd: c.fd, len: c.count }); break;
      case 'MEMFD_CREATE': out.push({ ...base, kind: 'memfd', fd: -1, rc: BigInt((o.fd as number | undefined) ?? 0) }); break;
      case 'FAULT_WRITE': out.push({ ...base, kind: 'write', fd: c.fd, len: c.responses.length * 8, rc: BigInt((o.written as number | undefined) ?? 0) }); break;
      default: break; // mmap and munmap run for real; DMA and the like are comments
    }
  });
  return out;
}

/** The stub's C for trace `t` (with a deliberate fault in its table, if `change` says one). */
export function stubOf(t: Trace, change?: StubChange): string {
  const cs = stubCalls(t);
  const rows = cs.map((c, i) => {
    const arg = c.arg ? Buffer.from(c.arg) : null;
    if (change?.kind === 'expect-byte' && change.call === i && arg) arg[change.byte] = (arg[change.byte]! + 1) & 0xff;
    const wrong = change?.kind === 'answer-einval' && change.call === i;
    const err = wrong ? 'EINVAL' : c.injected ? 'ENOMEM' : c.result !== null && !c.result.ok ? c.result.errno : '0';
    const ptrs = (c.bufs ?? []).map((b) => `{ ${b.at}, ${b.data === null ? -1 : b.data.length}, (const __u8[])${bytes(b.data ?? Buffer.alloc(0))} }`);
    return [
      `\t{ .kind = ${KIND[c.kind]}, .step = ${c.step}, .fd = ${c.fd}, .path = ${c.path === undefined ? 'NULL' : JSON.stringify(c.path)}, .req = 0x${(c.req ?? 0).toString(16)},`,
      `\t  .arg = ${arg ? `(const __u8[])${bytes(arg)}` : 'NULL'}, .arg_len = ${arg?.length ?? 0}, .len = ${c.len ?? 0},`,
      `\t  .ptrs = (const struct ptr[]){ ${ptrs.join(', ') || '{ 0 }'} }, .nptrs = ${ptrs.length},`,
      `\t  .err = ${err}, .injected = ${c.injected ? 1 : 0}, .rc = ${c.rc},`,
      `\t  .patches = (const struct patch[]){ ${c.patches.map(([o, w, v]) => `{ ${o}, ${w}, 0x${BigInt.asUintN(64, v).toString(16)}ULL }`).join(', ') || '{ 0 }'} }, .npatches = ${c.patches.length},`,
      `\t  .fills = (const struct fill[]){ ${c.fills.map(([at, b]) => `{ ${at}, ${b.length}, (const __u8[])${bytes(b)} }`).join(', ') || '{ 0 }'} }, .nfills = ${c.fills.length} },`,
    ].join('\n');
  });
  return `${STUB_HEAD}
static const struct call calls[] = {
${rows.join('\n') || '\t{ 0 }'}
};
static const int ncalls = ${cs.length};
${STUB_BODY}`;
}

const STUB_HEAD = `/* the recording stub (properties/c-stub.ts): the program's calls, checked and answered from the trace */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

struct ptr { int at, len; const __u8 *bytes; };
struct patch { int at, width; __u64 value; };
struct fill { int at, len; const __u8 *bytes; };
struct call {
	int kind, step, fd;
	const char *path;
	unsigned long req;
	const __u8 *arg;
	int arg_len, len;
	const struct ptr *ptrs;
	int nptrs, err, injected;
	long rc;
	const struct patch *patches;
	int npatches;
	const struct fill *fills;
	int nfills;
};`;

const STUB_BODY = `
enum { FAIL_NTH_FD = 990 };
static int next, armed, fired;

static void wrong(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stdout, "stub: call %d (step %d): ", next + 1, next < ncalls ? calls[next].step : 0);
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\\n");
	va_end(ap);
	fflush(stdout);
	_exit(99);
}

/* the next expected call, which must be of this kind on this fd */
static const struct call *expect(int kind, int fd)
{
	if (next >= ncalls)
		wrong("a call past the last one expected (kind %d, fd %d)", kind, fd);
	const struct call *c = &calls[next];
	if (c->kind != kind)
		wrong("kind %d, but the trace's next call is of kind %d", kind, c->kind);
	if (kind != 1 && kind != 6 && c->fd != fd)
		wrong("fd %d, but the trace's call is on fd %d", fd, c->fd);
	return c;
}

/* the answer: the injected failure, the spec's errno, or success with what it writes back */
static long reply(const struct call *c, void *arg)
{
	next++;
	if (armed) {
		armed = 0;
		fired = c->injected;
	}
	if (c->injected) {
		errno = ENOMEM;
		return -1;
	}
	for (int i = 0; arg && i < c->npatches; i++)
		memcpy((__u8 *)arg + c->patches[i].at, &c->patches[i].value, (size_t)c->patches[i].width);
	for (int i = 0; arg && i < c->nfills; i++) {
		__u64 p;
		memcpy(&p, (__u8 *)arg + c->fills[i].at, 8);
		memcpy((void *)(uintptr_t)p, c->fills[i].bytes, (size_t)c->fills[i].len);
	}
	if (c->err) {
		errno = c->err;
		return -1;
	}
	return c->rc;
}

int __wrap_ioctl(int fd, unsigned long req, void *arg)
{
	const struct call *c = expect(3, fd);
	__u32 size;
	if (req != c->req)
		wrong("request 0x%lx, but the trace's call is 0x%lx", req, c->req);
	memcpy(&size, arg, 4);
	/* a newer header's struct may be longer: the kernel takes it when every byte past the older struct is zero */
	if ((int)size < c->arg_len)
		wrong("an argument of %u bytes, but the trace's is %d", size, c->arg_len);
	for (__u32 i = (__u32)c->arg_len; i < size; i++)
		if (((const __u8 *)arg)[i])
			wrong("argument byte %u (past the %d bytes of the trace's struct) is not zero", i, c->arg_len);
	for (int i = 4; i < c->arg_len; i++) {
		int in_ptr = 0;
		for (int k = 0; k < c->nptrs; k++)
			in_ptr |= i >= c->ptrs[k].at && i < c->ptrs[k].at + 8;
		if (!in_ptr && ((const __u8 *)arg)[i] != c->arg[i])
			wrong("argument byte %d is 0x%02x, but the trace's is 0x%02x", i, ((const __u8 *)arg)[i], c->arg[i]);
	}
	for (int k = 0; k < c->nptrs; k++) {
		__u64 p;
		memcpy(&p, (const __u8 *)arg + c->ptrs[k].at, 8);
		if ((p == 0) != (c->ptrs[k].len < 0))
			wrong("the pointer at byte %d is %s, but the trace's is %s", c->ptrs[k].at, p ? "set" : "NULL", p ? "NULL" : "set");
		if (p && memcmp((const void *)(uintptr_t)p, c->ptrs[k].bytes, (size_t)c->ptrs[k].len))
			wrong("the buffer at byte %d holds other bytes than the trace's", c->ptrs[k].at);
	}
	return (int)reply(c, arg);
}

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
	if (!strcmp(path, "/proc/thread-self/fail-nth"))
		return FAIL_NTH_FD;
	const struct call *c = expect(1, -1);
	if (strcmp(path, c->path))
		wrong("open(%s), but the trace opens %s", path, c->path);
	return (int)reply(c, NULL);
}

int __wrap_close(int fd)
{
	if (fd == FAIL_NTH_FD)
		return 0;
	return (int)reply(expect(2, fd), NULL);
}

/* memfd_create: the spec's fd; its ftruncate is part of the step (MEMFD_CREATE len) */
int __wrap_memfd_create(const char *name, unsigned int flags)
{
	(void)name;
	(void)flags;
	return (int)reply(expect(6, -1), NULL);
}

int __wrap_ftruncate(int fd, off_t len)
{
	(void)fd;
	(void)len;
	return 0;
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	const struct call *c = expect(4, fd);
	(void)buf;
	if ((int)len != c->len)
		wrong("read of %zu bytes, but the trace reads %d", len, c->len);
	return reply(c, NULL);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
	if (fd == FAIL_NTH_FD) {
		armed = 1;
		fired = 0;
		return (ssize_t)len;
	}
	const struct call *c = expect(5, fd);
	(void)buf;
	if ((int)len != c->len)
		wrong("write of %zu bytes, but the trace writes %d", len, c->len);
	return reply(c, NULL);
}

/* fail-nth reads 0 once the armed failure fired */
ssize_t __wrap_pread(int fd, void *buf, size_t len, off_t off)
{
	(void)off;
	if (fd != FAIL_NTH_FD || len < 2)
		wrong("pread of fd %d", fd);
	memcpy(buf, fired ? "0" : "1", 2);
	return 1;
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	(void)buf;
	(void)off;
	if (fd != FAIL_NTH_FD)
		wrong("pwrite of fd %d", fd);
	armed = 0;
	return (ssize_t)len;
}

/* at exit, however the program ended: how far it got (a run that passed must have made every call) */
__attribute__((destructor)) static void calls_made(void)
{
	printf("stub: %d of %d calls made\\n", next, ncalls);
	fflush(stdout);
}
`;

/** The linker flags that route the program's calls to the stub. */
export const WRAPS = ['ioctl', 'open', 'close', 'read', 'write', 'pread', 'pwrite', 'memfd_create', 'ftruncate'].map((f) => `-Wl,--wrap=${f}`);
