/**
 * The guest: QEMU booting the built kernel with the executor as /init, and the request channel to it. The channel
 * is a virtio console (a QEMU `pipe` chardev: two FIFOs), read and written synchronously, so the real kernel is one
 * more side a trace steps through in lock step with the spec — the check engine, its shrinking and the replay all
 * stay synchronous. A hung guest cannot hang the host: a watchdog thread kills QEMU when an answer is overdue,
 * which ends the blocking read with end-of-file, and the request fails with the console's last lines.
 * TCG by default (no KVM needed); `accel: 'kvm'` where /dev/kvm works.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface VmOptions {
  readonly kernel: string;
  readonly initramfs: string;
  /** a private directory for the channel FIFOs and the console log */
  readonly dir: string;
  readonly accel?: 'tcg' | 'kvm';
  readonly memoryMiB?: number;
  /** an answer later than this kills the guest (default 20 s; a boot gets three times as long) */
  readonly timeoutMs?: number;
}

/** One answer: the kernel log lines that appeared while the request ran, then its status line. */
export interface Answer {
  readonly log: readonly string[];
  /** R: done, E: failed with an errno, X: the session's process died */
  readonly status: 'R' | 'E' | 'X';
  readonly fields: readonly string[];
}

/** The guest is gone (it panicked, hung and was killed, or QEMU exited): what the console said last. */
export class VmDied extends Error {
  override readonly name = 'VmDied';
  constructor(message: string, readonly console: string) {
    super(message);
  }
}

/** The longest request line the executor reads (executor.c LINE_MAX_BYTES). */
const MAX_LINE = 4 << 20;

/** Kernel command line: quiet console (a WARN is read from /dev/kmsg, not the slow serial line), reboot on panic. */
const APPEND = 'console=ttyS0 quiet panic=-1 reboot=t transparent_hugepage=never';

/** Milliseconds on the monotonic clock (a wall-clock step must not look like a hung guest). */
const monotonicMs = () => Number(process.hrtime.bigint() / 1_000_000n);

const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const deadline = new Float64Array(workerData.shared);
const tick = new Int32Array(new SharedArrayBuffer(4));
const now = () => Number(process.hrtime.bigint() / 1000000n);
for (;;) {
  Atomics.wait(tick, 0, 0, 100);
  if (deadline[1] !== 0) break;
  const due = deadline[0]; // read once: the main thread clears it when the answer comes
  if (due !== 0 && now() > due) {
    deadline[2] = 1;
    try { process.kill(workerData.pid, 'SIGKILL'); } catch {}
    break;
  }
}`;

export class Vm {
  private readonly rx: number;
  private readonly tx: number;
  private readonly shared = new SharedArrayBuffer(24);
  /** [0] deadline (monotonic ms, 0: none), [1] stop the watchdog, [2] the watchdog killed QEMU */
  private readonly watch = new Float64Array(this.shared);
  private readonly watchdog: Worker;
  private pending = '';
  private dead: VmDied | null = null;
  /** `uname -r` of the booted kernel */
  readonly release: string;
  readonly pid: number;

  constructor(private readonly opts: VmOptions) {
    const chan = join(opts.dir, 'chan');
    for (const f of [`${chan}.in`, `${chan}.out`]) {
      rmSync(f, { force: true });
      execFileSync('mkfifo', ['-m', '600', f]);
    }
    const log = openSync(join(opts.dir, 'qemu.log'), 'w');
    rmSync(this.consolePath, { force: true });
    const args = [
      '-M', 'microvm,acpi=off', '-m', String(opts.memoryMiB ?? 512), '-smp', '1', '-no-user-config', '-display', 'none', '-monitor', 'none', '-no-reboot',
      ...(opts.accel === 'kvm' ? ['-accel', 'kvm'] : ['-accel', 'tcg']),
      '-kernel', opts.kernel, '-initrd', opts.initramfs, '-append', APPEND,
      '-serial', `file:${this.consolePath}`,
      '-device', 'virtio-serial-device', '-chardev', `pipe,id=ch,path=${chan}`, '-device', 'virtserialport,chardev=ch,name=ioasid-lab',
    ];
    const q = spawn('qemu-system-x86_64', args, { stdio: ['ignore', log, log], detached: false });
    closeSync(log);
    if (q.pid === undefined) throw new VmDied('qemu-system-x86_64 did not start (is the qemu-system-x86 package installed?)', '');
    this.pid = q.pid;
    q.unref();
    // QEMU opens both FIFOs read-write, so these opens return at once (once it has opened them)
    this.tx = openSync(`${chan}.in`, 'w');
    this.rx = openSync(`${chan}.out`, 'r');
    this.watchdog = new Worker(WATCHDOG, { eval: true, workerData: { shared: this.shared, pid: this.pid } });
    this.watchdog.unref();
    const ready = this.readLine(3 * (opts.timeoutMs ?? 20_000));
    const m = /^READY (\S+)$/.exec(ready);
    if (!m) throw this.died(`the guest did not start its executor (it said ${JSON.stringify(ready.slice(0, 80))})`);
    this.release = m[1]!; // matched
  }

  get consolePath(): string {
    return join(this.opts.dir, 'console.log');
  }

  /** The last lines the kernel printed on its console (where an oops or a panic shows). */
  consoleTail(lines = 40): string {
    if (!existsSync(this.consolePath)) return '';
    return readFileSync(this.consolePath, 'utf8').split('\n').slice(-lines).join('\n');
  }

  private died(message: string): VmDied {
    this.dead ??= new VmDied(message, this.consoleTail());
    return this.dead;
  }

  private readLine(timeoutMs: number): string {
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      const nl = this.pending.indexOf('\n');
      if (nl >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        return line;
      }
      if (this.dead) throw this.dead;
      this.watch[0] = monotonicMs() + timeoutMs;
      let n: number;
      try {
        n = readSync(this.rx, buf, 0, buf.length, null);
      } finally {
        this.watch[0] = 0;
      }
      if (n === 0) {
        const how = this.watch[2] === 1 ? `no answer within ${timeoutMs / 1000} s: the guest hung and was killed` : 'the guest stopped (a panic, or QEMU exited)';
        throw this.died(how);
      }
      this.pending += buf.toString('latin1', 0, n);
    }
  }

  private readAnswer(): Answer {
    const log: string[] = [];
    for (;;) {
      const line = this.readLine(this.opts.timeoutMs ?? 20_000);
      if (line.startsWith('K ')) {
        log.push(line.slice(2));
        continue;
      }
      const [status, ...fields] = line.split(' ');
      if (status !== 'R' && status !== 'E' && status !== 'X') throw this.died(`the executor answered ${JSON.stringify(line.slice(0, 80))}`);
      return { log, status, fields };
    }
  }

  /**
   * Send requests back to back and read their answers in order (one round trip for all). A session that dies
   * answers X once; the requests after it get no answer, so the list ends there.
   */
  requests(lines: readonly string[]): Answer[] {
    if (this.dead) throw this.dead;
    const text = lines.map((l) => `${l}\n`).join('');
    // back to back, answers could fill the channel while requests still wait: a batch stays small; one request may
    // be as long as the executor's line (LINE_MAX_BYTES)
    if (lines.length > 1 && text.length > 48 * 1024) throw new Error(`a request batch of ${text.length} bytes: the channel takes at most 48 KiB at once`);
    if (text.length > MAX_LINE) throw new Error(`a request of ${text.length} bytes: the executor reads lines of at most ${MAX_LINE} bytes`);
    if (process.env.IOASID_LAB_VM_TRACE) process.stderr.write(text);
    writeSync(this.tx, text);
    const out: Answer[] = [];
    for (let i = 0; i < lines.length; i++) {
      const a = this.readAnswer();
      out.push(a);
      if (a.status === 'X') break;
    }
    return out;
  }

  request(line: string): Answer {
    return this.requests([line])[0]!; // one request, one answer
  }

  /** Halt the guest and stop QEMU (at once if it does not go by itself). */
  close(): void {
    try {
      if (!this.dead) {
        writeSync(this.tx, 'H\n');
        this.readAnswer();
      }
    } catch {
      // already gone
    }
    this.watch[1] = 1;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // exited
    }
    for (const fd of [this.rx, this.tx]) {
      try {
        closeSync(fd);
      } catch {
        // closed
      }
    }
    void this.watchdog.terminate();
  }
}
