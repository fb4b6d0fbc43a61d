/**
 * A session: one trace's process in the guest (executor.c), seen as typed calls. Every call returns its kernel log
 * lines to `log`, where the driver looks for a WARN or an oops after each step. A call the session did not survive
 * (its process died: an oops in its context) throws SessionDied.
 */
import { errnoOf, type Errno } from '../uapi/index.js';
import type { RawIoctl } from './abi.js';
import type { Answer, Vm } from './vm.js';

/** The session's process died during a call (an oops kills the task that hit it). */
export class SessionDied extends Error {
  override readonly name = 'SessionDied';
}

export type SysResult = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly errno: Errno };

/** An ioctl's answer: its return value or errno, whether the armed fail_nth fired (null: none armed), and the
 * argument struct after the call with each pointed-to buffer (a NULL one as empty). */
export type IoctlAnswer = ({ readonly ok: true; readonly rc: number } | { readonly ok: false; readonly errno: Errno }) & {
  readonly fired: boolean | null;
  readonly arg: Buffer;
  readonly bufs: readonly Buffer[];
};

const hex = (n: number | bigint) => n.toString(16);
const bytes = (b: Buffer) => (b.length === 0 ? '.' : b.toString('hex'));
const unhex = (s: string | undefined) => (s === undefined || s === '.' ? Buffer.alloc(0) : Buffer.from(s, 'hex'));

function errnoName(n: number): Errno {
  const e = errnoOf(n);
  if (e === null) throw new Error(`Linux answered errno ${n}, which ioasid-lab's errno vocabulary (src/uapi/errno.ts) does not name`);
  return e;
}

export class Session {
  /** kernel log lines not yet looked at (the driver takes them after each step) */
  log: string[] = [];
  private open = false;

  constructor(private readonly vm: Vm) {}

  begin(memlockBytes: bigint): void {
    const a = this.vm.request(`B ${hex(memlockBytes)}`);
    this.log.push(...a.log);
    if (a.status !== 'R') throw new Error(`the executor could not start a session: ${a.status} ${a.fields.join(' ')}`);
    this.open = true;
  }

  /** End the session; its process exits (closing whatever is still open). */
  end(): void {
    if (!this.open) return;
    this.open = false;
    const a = this.vm.request('Q');
    this.log.push(...a.log);
    if (a.status === 'X') throw new SessionDied(`the session's process died at its end (${a.fields.join(' ')})`);
  }

  private take(a: Answer | undefined): Answer {
    if (a === undefined) throw new SessionDied('the session died before answering');
    this.log.push(...a.log);
    if (a.status === 'X') {
      this.open = false;
      throw new SessionDied(`the session's process died (${a.fields.join(' ')})`);
    }
    return a;
  }

  private sys(line: string): SysResult {
    const a = this.take(this.vm.request(line));
    const n = parseInt(a.fields[0] ?? 'x', 16);
    return a.status === 'R' ? { ok: true, value: n } : { ok: false, errno: errnoName(n) };
  }

  openPath(path: string): SysResult {
    if (/[\s]/.test(path)) return { ok: false, errno: 'ENOENT' }; // no device node has a space in its name
    return this.sys(`O ${path}`);
  }

  close(fd: number): SysResult {
    return fd < 0 ? { ok: false, errno: 'EBADF' } : this.sys(`C ${hex(fd)}`);
  }

  /** fcntl(fd, F_DUPFD, min) */
  dup(fd: number, min: number): SysResult {
    return this.sys(`U ${hex(fd)} ${hex(min)}`);
  }

  /** Anonymous private memory at exactly [addr, addr + length), populated. */
  mmap(addr: bigint, length: bigint): SysResult {
    return this.sys(`M ${hex(addr)} ${hex(length)}`);
  }

  private ioctlLine(fd: number, c: RawIoctl, nth: number) {
    const bufs = c.bufs.map((b) => `${hex(b.at)}:${b.data === null ? '-' : bytes(b.data)}`);
    return [`I ${hex(fd >>> 0)} ${hex(c.req)} ${hex(nth)} ${bytes(c.arg)}`, ...bufs].join(' ');
  }

  private ioctlAnswer(a: Answer, c: RawIoctl): IoctlAnswer {
    const [rc, fired, arg, ...bufs] = a.fields;
    const n = parseInt(rc ?? 'x', 16);
    const nullBufs = c.bufs.map((b) => b.data === null);
    let k = 0;
    const after = {
      fired: fired === '-' ? null : fired === '1',
      arg: unhex(arg),
      bufs: nullBufs.map((isNull) => (isNull ? Buffer.alloc(0) : unhex(bufs[k++]))),
    };
    return a.status === 'R' ? { ok: true, rc: n, ...after } : { ok: false, errno: errnoName(n), ...after };
  }

  /** ioctl(fd, c.req, c.arg); `nth` > 0 fails the call's nth fault-injection site (fail_nth). */
  ioctl(fd: number, c: RawIoctl, nth = 0): IoctlAnswer {
    return this.ioctlAnswer(this.take(this.vm.request(this.ioctlLine(fd, c, nth))), c);
  }

  /** Several ioctls in one round trip (observation probes); none is armed. */
  ioctls(calls: readonly { readonly fd: number; readonly c: RawIoctl }[]): IoctlAnswer[] {
    const out: IoctlAnswer[] = [];
    // a batch stays well under what the channel takes at once
    for (let i = 0; i < calls.length; i += 200) {
      const chunk = calls.slice(i, i + 200);
      const answers = this.vm.requests(chunk.map((x) => this.ioctlLine(x.fd, x.c, 0)));
      chunk.forEach((x, j) => out.push(this.ioctlAnswer(this.take(answers[j]), x.c)));
    }
    return out;
  }
}
