/**
 * The headless Chromium that the report's browser tests and `npm run screenshot` drive through playwright-core.
 * Debian's `/usr/bin/chromium` when the machine has it; otherwise the Chromium that the npm package
 * `@sparticuz/chromium` ships inside its own tarball (brotli-compressed, unpacked once per machine into
 * `$TMPDIR/ioasid-lab-chromium-<version>`), so `npm ci && npm test` needs no system package and no download.
 * `IOASID_LAB_CHROMIUM` overrides the choice: `system`, `bundled`, or the path of a Chromium binary.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser as PlaywrightBrowser } from 'playwright-core';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
/** The same flags for every binary (the package's own list adds `--single-process`, which dies with its first page). */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export type BrowserSource = 'system' | 'bundled' | 'path';
export interface BrowserChoice { readonly source: BrowserSource; readonly path?: string }

/** Which browser to use, from the override and what the machine has. Pure: the two facts come in as arguments. */
export function chooseBrowser(override: string | undefined, systemPresent: boolean): BrowserChoice {
  if (override === undefined || override === '') return systemPresent ? { source: 'system' } : { source: 'bundled' };
  if (override === 'system' || override === 'bundled') return { source: override };
  if (override.startsWith('/')) return { source: 'path', path: override };
  throw new Error(`IOASID_LAB_CHROMIUM=${JSON.stringify(override)}: expected 'system', 'bundled' or an absolute path`);
}

/** The bundled package's version: the directory it unpacks into is named after it, so an upgrade unpacks anew. */
function bundledVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg = join(dirname(require.resolve('@sparticuz/chromium')), '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/**
 * Unpacks the bundled Chromium into its own directory, once: into a private `.partial-<pid>` directory first, then
 * renamed into place, so a run that is interrupted, or two that race, never leave a half-written binary behind
 * (the package's own `executablePath()` trusts any file named `chromium` in the temporary directory).
 */
async function unpackBundled(): Promise<string> {
  const dir = join(tmpdir(), `ioasid-lab-chromium-${bundledVersion()}`);
  const binary = join(dir, 'chromium');
  if (existsSync(join(dir, '.complete'))) return binary;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = partial; // the package unpacks into os.tmpdir(), read at call time
  try {
    const { default: Chromium } = await import('@sparticuz/chromium');
    await Chromium.executablePath();
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
  }
  writeFileSync(join(partial, '.complete'), '');
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another run won the race: its copy is complete
    if (!existsSync(join(dir, '.complete'))) throw new Error(`could not unpack the bundled Chromium into ${dir}`);
  }
  return binary;
}

export interface Browser { readonly source: BrowserSource; readonly executablePath: string; readonly args: readonly string[] }

/** The browser to launch: its binary (unpacked if need be) and the flags it runs headless with. */
export async function resolveBrowser(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const choice = chooseBrowser(env.IOASID_LAB_CHROMIUM, existsSync(SYSTEM_CHROMIUM));
  switch (choice.source) {
    case 'system':
      if (!existsSync(SYSTEM_CHROMIUM)) throw new Error(`IOASID_LAB_CHROMIUM=system but ${SYSTEM_CHROMIUM} is missing`);
      return { source: 'system', executablePath: SYSTEM_CHROMIUM, args: ARGS };
    case 'path':
      return { source: 'path', executablePath: choice.path ?? '', args: ARGS };
    case 'bundled':
      return { source: 'bundled', executablePath: await unpackBundled(), args: ARGS };
  }
}

/** Launches the resolved browser headless (playwright-core never downloads one). */
export async function launchBrowser(): Promise<PlaywrightBrowser> {
  const b = await resolveBrowser();
  return chromium.launch({ executablePath: b.executablePath, args: [...b.args] });
}
