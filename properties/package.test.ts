/**
 * The library API (docs/api.md), used the way a user would: `npm pack` the project, install the tarball into a
 * separate project, import it by its name. The program there steps the spec, runs a check, replays a counterexample
 * and explores; its TypeScript twin type-checks against the package's types (and a wrongly typed call does not).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/api.js';

const ROOT = resolve('.');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const COUNTEREXAMPLE = join(ROOT, 'counterexamples/P-WARN', readdirSync(join(ROOT, 'counterexamples/P-WARN')).find((f) => f.endsWith('.json'))!);

const USE = `
import { readFileSync } from 'node:fs';
import { check, designs, defaultWorld, env, explore, fd, initialState, iommu, loadTrace, replay, step } from 'ioasid-lab';

let s = initialState(defaultWorld('host-pasid-table'), designs.iommufd);
const rules = [];
for (const cmd of [env.open('/dev/iommu'), iommu.ioasAlloc(fd(3)), iommu.destroy(fd(3), 1), iommu.destroy(fd(3), 1)]) {
  const r = step(s, cmd);
  s = r.state;
  rules.push(r.rule);
}
const o = check({ design: 'rfc-v1', hardware: 'host-pasid-table', runs: 5, seed: 1, maxCommands: 10, timeLimitMs: 20_000 });
const trace = loadTrace(readFileSync(process.argv[2], 'utf8'), process.argv[2]);
const x = explore(['iommufd'], ['host-pasid-table'], { depth: 2, maxStates: 200 });
console.log(JSON.stringify({ rules, check: { ok: o.ok, runs: o.stats.runs }, replay: replay(trace).violation, explored: x.cells.length > 0 }));
`;

/** The same program with types, and one that misuses a type (a plain number where an fd goes). */
const TYPED = USE.replace('let s = ', 'let s: State = ').replace('const rules = [];', 'const rules: string[] = [];')
  .replace(" step } from 'ioasid-lab';", " step, type State } from 'ioasid-lab';").replaceAll('process.argv[2]', 'process.argv[2]!');
const MISTYPED = "import { iommu } from 'ioasid-lab';\nexport const c = iommu.ioasAlloc(3);\n";

const tsconfig = (file: string) => JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] },
  files: [file],
});

describe('the package, installed from its tarball into another project', () => {
  const app = join(mkdtempSync(join(tmpdir(), 'ioasid-lab-pkg-')), 'app');
  beforeAll(() => {
    const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', join(app, '..')], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', join(app, '..', packed)], { cwd: app, encoding: 'utf8' });
  }, 120_000);

  it('imports by its name and runs: the spec steps, a check, a replay, an exploration', () => {
    writeFileSync(join(app, 'use.mjs'), USE);
    const out = execFileSync('node', ['use.mjs', COUNTEREXAMPLE], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      rules: ['OPEN.ok.ioasid_fd', 'IOAS_ALLOC.ok', 'DESTROY.ok.ioas', 'DESTROY.ENOENT.id'],
      check: { ok: true, runs: 5 },
      replay: null,
      explored: true,
    });
  }, 60_000);

  it('its types check a typed program, and refuse a wrongly typed call', () => {
    writeFileSync(join(app, 'use.ts'), TYPED);
    writeFileSync(join(app, 'tsconfig.json'), tsconfig('use.ts'));
    expect(() => execFileSync('node', [TSC, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' })).not.toThrow();
    writeFileSync(join(app, 'bad.ts'), MISTYPED);
    writeFileSync(join(app, 'tsconfig.bad.json'), tsconfig('bad.ts'));
    let report = '';
    try {
      execFileSync('node', [TSC, '-p', 'tsconfig.bad.json'], { cwd: app, encoding: 'utf8' });
    } catch (e) {
      report = String((e as { stdout?: string }).stdout);
    }
    expect(report).toMatch(/bad\.ts\(2,34\): error TS2345: Argument of type 'number' is not assignable to parameter of type 'Fd'/);
  }, 60_000);
});

describe('the library entry', () => {
  it('lib/index.mjs exports at run time exactly the names src/api.ts exports', () => {
    const text = readFileSync('lib/index.mjs', 'utf8');
    const list = /export const \{([^}]*)\} = api;/.exec(text)?.[1] ?? '';
    const names = list.split(',').map((n) => n.trim()).filter((n) => n !== '');
    expect(names.sort()).toEqual(Object.keys(api).sort());
  });
});
