/**
 * What the Linux suites share: the build they boot (made by `npm run test:kernel` before them; missing, every test
 * fails with the command that makes it), and a driver on a fresh guest of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, latestBuild, type KernelBuild } from '../../src/kernel/build.js';
import { linuxDriver, type LinuxDriver, type LinuxDriverOptions } from '../../src/kernel/linux-driver.js';
import { Vm } from '../../src/kernel/vm.js';

export function theBuild(): KernelBuild {
  const b = latestBuild(cacheRoot());
  if (b === null) throw new Error(`no kernel build in ${cacheRoot()}: run \`npx ioasid-lab kernel build\` (npm run test:kernel does)`);
  return b;
}

/** A driver on its own guest; `done` shuts the guest down and removes its directory. */
export function guest(over: Partial<LinuxDriverOptions> = {}): { driver: LinuxDriver; done: () => void } {
  const b = theBuild();
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-lab-test-vm-'));
  const driver = linuxDriver({ vm: () => new Vm({ kernel: b.bzImage, initramfs: b.initramfs, dir }), ...over });
  return { driver, done: () => { driver.shutdown(); rmSync(dir, { recursive: true, force: true }); } };
}
