/**
 * The guest's initramfs, written directly as a `newc` cpio archive (Documentation/driver-api/early-userspace/
 * buffer-format.rst): the executor as /init, the directories it mounts on, and /dev/console, so the kernel hands
 * /init its stdin, stdout and stderr. Written here rather than by cpio(1) so that a device node needs no mknod and
 * no root: the archive only says what the kernel should create.
 */

export type CpioEntry =
  | { readonly kind: 'dir'; readonly name: string }
  | { readonly kind: 'file'; readonly name: string; readonly data: Uint8Array; readonly mode: number }
  | { readonly kind: 'chardev'; readonly name: string; readonly major: number; readonly minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function record(ino: number, name: string, mode: number, data: Uint8Array, rdev: readonly [number, number] = [0, 0]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const header = `070701${[ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0].map(hex8).join('')}`;
  const head = Buffer.concat([Buffer.from(header, 'ascii'), nameBytes]);
  return Buffer.concat([head, Buffer.alloc(pad4(head.length)), Buffer.from(data), Buffer.alloc(pad4(data.length))]);
}

/** The archive holding `entries` in order (a directory before what it contains), with its trailer. */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts = entries.map((e, i) => {
    switch (e.kind) {
      case 'dir':
        return record(i + 1, e.name, S_IFDIR | 0o755, new Uint8Array());
      case 'file':
        return record(i + 1, e.name, S_IFREG | e.mode, e.data);
      case 'chardev':
        return record(i + 1, e.name, S_IFCHR | 0o600, new Uint8Array(), [e.major, e.minor]);
    }
  });
  return Buffer.concat([...parts, record(0, 'TRAILER!!!', 0, new Uint8Array())]);
}

/**
 * The executor's initramfs: /init, /dev/console (5:1), and the mount points /init uses; `programs` go under /progs/
 * for the executor to run (its `G` request: C exports run on Linux, src/kernel/programs.ts).
 */
export const executorInitramfs = (executor: Uint8Array, programs: readonly { readonly name: string; readonly data: Uint8Array }[] = []): Buffer =>
  cpioNewc([
    { kind: 'dir', name: 'dev' },
    { kind: 'chardev', name: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', name: 'proc' },
    { kind: 'dir', name: 'debug' },
    { kind: 'file', name: 'init', data: executor, mode: 0o755 },
    ...(programs.length === 0 ? [] : [{ kind: 'dir' as const, name: 'progs' }]),
    ...programs.map((p) => ({ kind: 'file' as const, name: `progs/${p.name}`, data: p.data, mode: 0o755 })),
  ]);
