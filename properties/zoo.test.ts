/**
 * The zoo stays runnable: every mutant applies exactly once to today's simulated kernel, edits src/impl/ only,
 * names its bug class and the upstream fix it re-creates; the runner refuses one that no longer applies and, end to
 * end, catches a mutant with a named property (the whole zoo is `npm run zoo`, too long for the test budget).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMutants } from '../zoo/index.js';
import { applyMutant, BUG_CLASSES, type Mutant } from '../zoo/mutant.js';

const mutants = await loadMutants();

describe('zoo mutants', () => {
  it('there are at least 30, with distinct ids, across every bug class', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(30);
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
    expect(new Set(mutants.map((m) => m.class))).toEqual(new Set(BUG_CLASSES));
  });
  for (const m of mutants) {
    it(`${m.id}: applies once to ${m.file}, cites an upstream fix`, () => {
      expect(m.file).toMatch(/^src\/impl\//);
      const r = applyMutant(m, readFileSync(m.file, 'utf8'));
      expect('error' in r ? r.error : null).toBeNull();
      expect(m.fix.commit).toMatch(/^[0-9a-f]{12,40}$/);
      expect(m.fix.subject.length).toBeGreaterThan(10);
      expect(BUG_CLASSES).toContain(m.class);
    });
  }
  it('a mutant whose text is gone is refused with its name', () => {
    const gone: Mutant = { ...mutants[0]!, find: 'text that is nowhere' }; // at least 30 above
    expect(applyMutant(gone, readFileSync(gone.file, 'utf8'))).toEqual({ error: `${gone.id}: the text to replace occurs 0 times in ${gone.file} (must be once)` });
  });
  it('npm run zoo -- --only unmap-no-iotlb-flush: caught by P-INVAL, table row and exit 0', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'zoo/run.ts', '--only', 'unmap-no-iotlb-flush', '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { caught: number; total: number; rows: { id: string; caught: boolean; property: string; steps: number | null }[] };
    expect(j.total).toBe(1);
    expect(j.rows[0]).toMatchObject({ id: 'unmap-no-iotlb-flush', caught: true, property: 'P-INVAL' });
    expect(j.rows[0]!.steps).toBeGreaterThan(3);
  });
  it('a bad flag is one line and exit 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'zoo/run.ts', '--runs', 'many'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(["zoo: --runs takes a whole number from 1 to 100000000, not 'many'"]);
  });
});
