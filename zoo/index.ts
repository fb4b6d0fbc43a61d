/** Every zoo mutant, in file-name order (zoo/mutants/NN-slug.ts, one mutant a file). */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mutant } from './mutant.js';

export const MUTANTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'mutants');

export async function loadMutants(): Promise<Mutant[]> {
  const files = readdirSync(MUTANTS_DIR).filter((f) => /^\d\d-[a-z0-9-]+\.ts$/.test(f)).sort();
  const out: Mutant[] = [];
  for (const f of files) out.push(((await import(join(MUTANTS_DIR, f))) as { default: Mutant }).default);
  return out;
}
