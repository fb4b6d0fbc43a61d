/**
 * `ioasid-lab kernel build`: a kernel with iommufd's test device, and the executor as its /init, built from a
 * kernel source tree (Debian's linux-source-6.12 tarball by default, or any tree or tarball given) into a cache
 * keyed by what decides the result, in two levels: <cache>/<release>-<source and config fragment>/ holds the kernel
 * (built once), and its guest-<executor and layouts>/ the executor's initramfs, so a changed executor rebuilds in
 * seconds. A build whose keys exist is reused. Nothing is installed: missing tools are named with the Debian
 * packages that have them. Steps print as they go; a failure names its step and the log to read. A manifest is
 * written last, so a half-finished build is never taken for a finished one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelVersionOf, type KernelVersion } from '../uapi/index.js';
import { LAYOUTS } from './abi.js';
import { executorInitramfs } from './initramfs.js';
import { layoutProbeSource, layoutsDiffer } from './layout-probe.js';

/** The repository's kernel/ directory: the executor's C source and the config fragment. */
export const KERNEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../kernel');
export const FRAGMENT = join(KERNEL_DIR, 'iommufd-test.config');
export const EXECUTOR_C = join(KERNEL_DIR, 'executor.c');

/** Where Debian's linux-source-X package puts its tarball. */
const DEBIAN_SOURCES = '/usr/src';

/** A finished build, as its manifest records it. */
export interface KernelBuild {
  /** `uname -r` of the built kernel (its Makefile's version) */
  readonly release: string;
  /** the uAPI version the spec follows for it (kernel.ts), null when the table does not know the release */
  readonly kernel: KernelVersion | null;
  readonly bzImage: string;
  readonly initramfs: string;
  /** what the build was made from, and the key of its cache directory */
  readonly source: string;
  readonly key: string;
  /** the hash of the fragment, executor and layouts: a build of another checkout's executor is not this one */
  readonly tools: string;
  readonly built: string;
}

/** A build step that failed: its name, and where its output is. */
export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** What the environment lacks for a build (the packages to install), or null. */
export class MissingTools extends Error {
  override readonly name = 'MissingTools';
}

/** The tools a build runs and the Debian package of each. */
const TOOLS: readonly { readonly what: string; readonly ok: () => boolean; readonly pkg: string }[] = [
  { what: 'make', ok: () => onPath('make'), pkg: 'make' },
  { what: 'gcc', ok: () => onPath('gcc'), pkg: 'gcc' },
  { what: 'flex', ok: () => onPath('flex'), pkg: 'flex' },
  { what: 'bison', ok: () => onPath('bison'), pkg: 'bison' },
  { what: 'bc', ok: () => onPath('bc'), pkg: 'bc' },
  { what: 'xz', ok: () => onPath('xz'), pkg: 'xz-utils' },
  { what: 'libelf headers', ok: () => existsSync('/usr/include/gelf.h') || existsSync('/usr/include/libelf.h'), pkg: 'libelf-dev' },
  { what: 'OpenSSL headers', ok: () => existsSync('/usr/include/openssl/opensslv.h'), pkg: 'libssl-dev' },
  { what: 'static libc', ok: () => ['/usr/lib/x86_64-linux-gnu/libc.a', '/usr/lib64/libc.a', '/usr/lib/libc.a'].some(existsSync), pkg: 'libc6-dev' },
];

/** Debian packages everything here needs: the build's, and QEMU to boot the result. */
export const PACKAGES = ['linux-source-6.12', 'make', 'gcc', 'libc6-dev', 'flex', 'bison', 'bc', 'xz-utils', 'libelf-dev', 'libssl-dev', 'qemu-system-x86'];

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** Tools a build lacks, as one line naming them and their packages; null when all are there. */
export function missingTools(boot = true): string | null {
  const missing = TOOLS.filter((t) => !t.ok());
  if (boot && !onPath('qemu-system-x86_64')) missing.push({ what: 'qemu-system-x86_64', ok: () => false, pkg: 'qemu-system-x86' });
  if (missing.length === 0) return null;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  return `missing ${missing.map((m) => m.what).join(', ')} (Debian: apt-get install ${pkgs.join(' ')})`;
}

/** The cache directory: --cache, else $IOASID_LAB_CACHE, else $XDG_CACHE_HOME/ioasid-lab, else ~/.cache/ioasid-lab. */
export function cacheRoot(given?: string): string {
  const base = given ?? process.env.IOASID_LAB_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ioasid-lab');
  return join(resolve(base), 'kernel');
}

export type Source =
  | { readonly kind: 'tarball'; readonly path: string }
  /** a tree, with VERSION.PATCHLEVEL.SUBLEVEL from its Makefile (a tarball's is read once it is unpacked) */
  | { readonly kind: 'tree'; readonly path: string; readonly release: string };

const makefileRelease = (text: string): string | null => {
  const get = (k: string) => new RegExp(`^${k}[ \\t]*=[ \\t]*(\\S*)`, 'm').exec(text)?.[1];
  const [v, p, s] = [get('VERSION'), get('PATCHLEVEL'), get('SUBLEVEL')];
  return v && p && s !== undefined ? `${v}.${p}.${s}${get('EXTRAVERSION') ?? ''}` : null;
};

/** The release a tree's Makefile names, or null. */
function treeRelease(path: string): string | null {
  const mk = join(path, 'Makefile');
  return existsSync(mk) && existsSync(join(path, 'drivers/iommu/iommufd')) ? makefileRelease(readFileSync(mk, 'utf8')) : null;
}

/** The source to build: `given` (a tree or a tarball), else the newest linux-source-*.tar.xz under /usr/src. */
export function findSource(given?: string): Source {
  let path = given;
  if (path === undefined) {
    const tarballs = existsSync(DEBIAN_SOURCES) ? readdirSync(DEBIAN_SOURCES).filter((f) => /^linux-source-[0-9.]+\.tar\.(xz|gz|bz2)$/.test(f)) : [];
    tarballs.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const newest = tarballs[tarballs.length - 1];
    if (newest === undefined) throw new MissingTools(`no kernel source: ${DEBIAN_SOURCES} has no linux-source-*.tar.xz (Debian: apt-get install linux-source-6.12), and no --source was given`);
    path = join(DEBIAN_SOURCES, newest);
  }
  path = resolve(path);
  if (!existsSync(path)) throw new MissingTools(`--source ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const release = treeRelease(path);
    if (release === null) throw new MissingTools(`--source ${path} is not a kernel tree with iommufd (no Makefile version or drivers/iommu/iommufd)`);
    return { kind: 'tree', path, release };
  }
  if (!/\.tar(\.(xz|gz|bz2|zst))?$/.test(path)) throw new MissingTools(`--source ${path} is neither a kernel tree nor a .tar(.xz|.gz|.bz2|.zst) tarball`);
  return { kind: 'tarball', path };
}

const sha = (...parts: readonly (string | Buffer)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
};

/** The hash of what this checkout puts into the guest: the executor, and the layouts the host speaks. */
export function toolsHash(): string {
  return sha(readFileSync(EXECUTOR_C), JSON.stringify(LAYOUTS));
}

/** The kernel's cache directory: the source (a tarball's path, size and date, a tree's path and Makefile) and the fragment. */
function kernelKey(src: Source): string {
  const st = statSync(src.kind === 'tree' ? join(src.path, 'Makefile') : src.path);
  return `linux-${sha(src.path, String(st.size), String(st.mtimeMs), readFileSync(FRAGMENT))}`;
}

const MANIFEST = 'manifest.json';
/** A finished bzImage in a kernel's directory (its guests are built beside it). */
const BUILT = '.bzImage-built';

function readManifest(dir: string): KernelBuild | null {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as KernelBuild;
  } catch {
    return null;
  }
}

/** The newest finished build of this checkout's executor in the cache (<root>/<kernel>/guest-<tools>/), or null. */
export function latestBuild(root: string): KernelBuild | null {
  if (!existsSync(root)) return null;
  const tools = toolsHash();
  const builds = readdirSync(root).map((d) => readManifest(join(root, d, `guest-${tools}`)))
    .filter((m): m is KernelBuild => m !== null && existsSync(m.bzImage) && existsSync(m.initramfs));
  builds.sort((a, b) => a.built.localeCompare(b.built));
  return builds[builds.length - 1] ?? null;
}

export interface BuildOptions {
  readonly source?: string;
  readonly cache?: string;
  readonly jobs?: number;
  /** one line per step and progress (the CLI's progress lines) */
  readonly say: (line: string) => void;
}

/** Run a command to completion, its output into `log`; progress lines every few seconds; a BuildError naming `step` on failure. */
function run(step: string, cmd: string, args: readonly string[], cwd: string, log: string, say: (l: string) => void, count?: RegExp): Promise<void> {
  return new Promise((done, fail) => {
    const out: string[] = [];
    let units = 0;
    let last = Date.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (d: Buffer) => {
      const text = d.toString();
      out.push(text);
      if (count) units += text.split('\n').filter((l) => count.test(l)).length;
      if (Date.now() - last > 5000) {
        last = Date.now();
        say(`  ${step}: ${count ? `${units} files compiled` : 'running'}…`);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => fail(new BuildError(`${step}: ${cmd} did not start (${e.message})`)));
    child.on('close', (code) => {
      writeFileSync(log, out.join(''));
      if (code === 0) done();
      else {
        const tail = out.join('').trim().split('\n').slice(-1)[0] ?? '';
        fail(new BuildError(`${step} failed (${cmd} exited ${code}): ${tail.slice(0, 200)} — the whole output is in ${log}`));
      }
    });
  });
}

/** Options of the fragment the configured tree does not have as written (a missing or renamed option). */
function fragmentMisses(config: string): string[] {
  const want = readFileSync(FRAGMENT, 'utf8').split('\n').map((l) => l.trim()).filter((l) => /^CONFIG_[A-Z0-9_]+=/.test(l));
  const have = new Set(config.split('\n'));
  return want.filter((l) => !have.has(l));
}

/** Build (or find in the cache) the kernel, then the executor's initramfs for it. */
export async function build(opts: BuildOptions): Promise<{ build: KernelBuild; reused: boolean }> {
  const say = opts.say;
  const missing = missingTools();
  if (missing) throw new MissingTools(missing);
  const src = findSource(opts.source);
  const root = cacheRoot(opts.cache);
  const key = kernelKey(src);
  const dir = join(root, key);
  const guest = join(dir, `guest-${toolsHash()}`);
  const known = readManifest(guest);
  if (known && existsSync(known.bzImage) && existsSync(known.initramfs)) {
    say(`kernel ${known.release}: reusing the build in ${guest}`);
    return { build: known, reused: true };
  }
  mkdirSync(guest, { recursive: true });
  const jobs = String(opts.jobs ?? 2);
  const built = existsSync(join(dir, BUILT));
  const steps = built ? 4 : 6;
  let n = 0;
  const step = (what: string) => say(`[${++n}/${steps}] ${what}`);

  let tree = src.path;
  if (src.kind === 'tarball') tree = join(dir, 'src');
  const out = join(dir, 'build');
  if (built) step(`the kernel is built (${dir}); building this checkout's executor for it`);
  else {
    if (src.kind === 'tarball') {
      step(`unpacking ${basename(src.path)}`);
      if (!existsSync(join(tree, '.unpacked'))) {
        rmSync(tree, { recursive: true, force: true });
        mkdirSync(tree, { recursive: true });
        await run('unpacking', 'tar', ['-xf', src.path, '--strip-components=1', '-C', tree], dir, join(dir, 'unpack.log'), say);
        writeFileSync(join(tree, '.unpacked'), '');
      }
    } else step(`using the tree ${src.path} (Linux ${src.release})`);

    if (treeRelease(tree) === null) throw new BuildError(`unpacking: ${src.path} holds no kernel tree with iommufd (no Makefile version or drivers/iommu/iommufd)`);
    step(`configuring Linux ${treeRelease(tree)}: tinyconfig + kernel/iommufd-test.config`);
    await run('configuring', 'make', [`O=${out}`, 'tinyconfig'], tree, join(dir, 'config.log'), say);
    await run('configuring', join(tree, 'scripts/kconfig/merge_config.sh'), ['-m', '-O', out, join(out, '.config'), FRAGMENT], tree, join(dir, 'merge.log'), say);
    await run('configuring', 'make', [`O=${out}`, 'olddefconfig'], tree, join(dir, 'olddefconfig.log'), say);
    const misses = fragmentMisses(readFileSync(join(out, '.config'), 'utf8'));
    if (misses.length > 0) throw new BuildError(`configuring: this tree does not take ${misses.join(', ')} (kernel/iommufd-test.config); see ${join(out, '.config')}`);

    step(`building bzImage (make -j${jobs}; a few minutes)`);
    await run('building bzImage', 'make', [`O=${out}`, `-j${jobs}`, 'bzImage'], tree, join(dir, 'bzImage.log'), say, /^\s+(CC|AS|LD)\s/);
    // `make headers` leaves the exported uAPI headers in <out>/usr/include (headers_install would need rsync)
    await run('exporting uAPI headers', 'make', [`O=${out}`, 'headers'], tree, join(dir, 'headers.log'), say);
    writeFileSync(join(dir, BUILT), '');
  }

  step('checking the uAPI struct layouts against the tree\'s headers');
  const probeC = join(guest, 'layout-probe.c');
  writeFileSync(probeC, layoutProbeSource());
  const probe = join(guest, 'layout-probe');
  await run('compiling the layout probe', 'gcc', ['-O0', '-w', `-I${join(out, 'usr/include')}`, `-I${join(tree, 'drivers/iommu/iommufd')}`, '-o', probe, probeC], guest, join(guest, 'probe.log'), say);
  const seen = spawnSync(probe, [], { encoding: 'utf8' });
  const differ = layoutsDiffer(seen.stdout ?? '');
  if (seen.status !== 0 || differ) throw new BuildError(`checking layouts: the tree's uAPI headers disagree with src/kernel/abi.ts: ${differ ?? 'the probe failed'}`);

  step('compiling the executor (static)');
  const exe = join(guest, 'executor');
  await run('compiling the executor', 'gcc', ['-static-pie', '-O2', '-Wall', '-Werror', '-o', exe, EXECUTOR_C], guest, join(guest, 'executor.log'), say);

  step('writing the initramfs');
  const initramfs = join(guest, 'initramfs.cpio');
  writeFileSync(`${initramfs}.tmp`, executorInitramfs(readFileSync(exe)));
  renameSync(`${initramfs}.tmp`, initramfs);

  const release = treeRelease(tree) ?? 'unknown';
  const manifest: KernelBuild = {
    release, kernel: kernelVersionOf(release), bzImage: join(out, 'arch/x86/boot/bzImage'), initramfs,
    source: src.path, key, tools: toolsHash(), built: new Date().toISOString(),
  };
  writeFileSync(join(guest, `${MANIFEST}.tmp`), `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(join(guest, `${MANIFEST}.tmp`), join(guest, MANIFEST));
  return { build: manifest, reused: false };
}
