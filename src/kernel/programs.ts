/**
 * C programs on Linux: the exports of traces (`export --format c --selftest`), built static and loaded high as the
 * executor is (so the low user addresses a trace maps are free), go into a copy of the build's initramfs under
 * /progs/; the guest boots and the executor runs each in a child of its own (its `G` request), answering with the
 * program's exit status, its output and the kernel log lines that appeared meanwhile (a WARN, an oops).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KernelBuild } from './build.js';
import { executorInitramfs } from './initramfs.js';
import { Vm } from './vm.js';

export interface Program {
  /** a file name: letters, digits, '-', '_' and '.' */
  readonly name: string;
  /** the static executable */
  readonly binary: Uint8Array;
}

export interface ProgramRun {
  readonly name: string;
  /** the exit status; null when a signal ended the program (`how` says which) */
  readonly code: number | null;
  readonly how: string;
  readonly output: string;
  /** kernel log lines that appeared while it ran */
  readonly log: readonly string[];
}

/** The gcc flags of a program to run in the guest: static, position-independent, loaded high. */
export const GUEST_CFLAGS = ['-static-pie', '-O2', '-Wall', '-Werror', '-std=gnu11'] as const;

/** Boot the build with `programs` in its initramfs, run each in turn, and halt. */
export function runPrograms(b: KernelBuild, programs: readonly Program[]): ProgramRun[] {
  for (const p of programs) if (!/^[A-Za-z0-9._-]+$/.test(p.name)) throw new Error(`program name ${JSON.stringify(p.name)}: letters, digits, '-', '_' and '.' only`);
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-lab-programs-'));
  try {
    const initramfs = join(dir, 'initramfs.cpio');
    writeFileSync(initramfs, executorInitramfs(readFileSync(join(dirname(b.initramfs), 'executor')), programs.map((p) => ({ name: p.name, data: p.binary }))));
    const vm = new Vm({ kernel: b.bzImage, initramfs, dir, timeoutMs: 60_000 });
    try {
      return programs.map((p) => {
        const a = vm.request(`G /progs/${p.name}`);
        if (a.status === 'R') {
          const [code, hex] = a.fields;
          return { name: p.name, code: parseInt(code ?? '', 16), how: 'exited', output: hex === '.' || hex === undefined ? '' : Buffer.from(hex, 'hex').toString('utf8'), log: a.log };
        }
        return { name: p.name, code: null, how: a.status === 'X' ? a.fields.join(' ') : `E ${a.fields.join(' ')}`, output: '', log: a.log };
      });
    } finally {
      vm.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
