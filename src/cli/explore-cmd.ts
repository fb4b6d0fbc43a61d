/**
 * `ioasid-lab explore`: for each design x hardware kind, search the design's vocabulary breadth-first for every
 * requirement; print the matrix (✔ witness length / ✘ counterexample length / "none ≤ k"), or --json, and with
 * --html write the self-contained report page.
 */
import { explore } from '../check/explore.js';
import type { ExploreCell, ExploreReport } from '../check/explore-report.js';
import { encode } from '../check/trace.js';
import { writeAtomic } from '../check/files.js';
import { isReportPage, renderReport } from '../report/html.js';
import { REQUIREMENTS } from '../spec/requirements/index.js';
import { machineOf, type DesignName, type HwKind } from '../uapi/index.js';
import { profileName, type Profile } from '../check/machine.js';
import { oneOrAll, text, UsageError, wholeNumber, type Flags } from './args.js';
import { onProfile } from './profile-flag.js';
import { prepareOutFile } from './output.js';
import { progress } from './progress.js';

export interface ExploreArgs {
  readonly designs: readonly DesignName[];
  readonly hardware: readonly HwKind[];
  /** the machine every cell runs on */
  readonly profile: Profile;
  readonly skipped: readonly { readonly design: DesignName; readonly why: string }[];
  readonly requirement: string | null;
  readonly depth: number;
  readonly maxStates: number;
  readonly budgetS: number;
  readonly json: boolean;
  readonly html: string | null;
  /** replace --html even when it is not an ioasid-lab report */
  readonly force: boolean;
}

export function exploreArgs(flags: Flags): ExploreArgs {
  const req = oneOrAll(flags, 'requirement', REQUIREMENTS.map((r) => r.name));
  const on = onProfile(flags);
  // the vocabulary (alphabet.ts) maps guest RAM at IOVA 0 and probes fixed guest addresses
  const start = machineOf(on.profile, on.hardware[0] ?? 'host-pasid-table').iommu.aperture.start;
  if (start !== 0n) throw new UsageError(`explore runs on machines whose aperture starts at 0 (its vocabulary puts guest RAM at IOVA 0); profile ${profileName(on.profile)} starts at 0x${start.toString(16)}`);
  return {
    ...on,
    requirement: flags.has('requirement') ? (req[0] ?? null) : null,
    depth: wholeNumber(flags, 'depth', 16, 1, 1000), maxStates: wholeNumber(flags, 'max-states', 20_000, 1, 100_000_000), budgetS: wholeNumber(flags, 'budget', 30, 1, 7 * 24 * 3600),
    json: flags.has('json'), html: text(flags, 'html') ?? null, force: flags.has('force'),
  };
}

/** ✔ n, ✘ n, or none ≤ k. */
export const cellMark = (c: ExploreCell): string =>
  c.verdict === 'witness' ? `✔ ${c.length}` : c.verdict === 'counterexample' ? `✘ ${c.length}` : `none ≤ ${c.depth}`;

export function formatMatrix(r: ExploreReport): string {
  const cols = r.designs.flatMap((d) => r.hardware.map((h) => ({ d: d.name, h })));
  const w0 = Math.max(...r.requirements.map((q) => q.name.length), 11) + 2;
  const head = cols.map((c) => `${c.d}/${c.h === 'host-pasid-table' ? 'host' : 'guest'}`);
  const ws = head.map((h) => Math.max(h.length, 9) + 2);
  const row = (first: string, cells: string[]) => first.padEnd(w0) + cells.map((x, i) => x.padEnd(ws[i]!)).join('').trimEnd(); // one width per column
  const lines = [...(r.profile === undefined ? [] : [`machine: ${r.profile}`]), row('requirement', head)];
  for (const q of r.requirements) {
    const cells = cols.map((c) => {
      const cell = r.cells.find((x) => x.design === c.d && x.hardware === c.h && x.requirement === q.name);
      return cell ? cellMark(cell) : '';
    });
    if (cells.some((x) => x !== '')) lines.push(row(q.name, cells));
  }
  lines.push('', '✔ n: a shortest witness of n calls (set-up included); ✘ n: a shortest counterexample;',
    'none ≤ k: nothing within k calls after the set-up (for a safety requirement: no counterexample, a bounded proof)');
  return lines.join('\n');
}

export function runExplore(a: ExploreArgs, out: (s: string) => void): number {
  if (a.html) prepareOutFile(a.html, 'html', isReportPage, 'an ioasid-lab report', a.force); // before the search
  const p = progress();
  const t0 = Date.now();
  for (const s of a.skipped) p.line(`${s.design}: skipped: ${s.why}`);
  const full = explore(a.designs, a.hardware, a.depth, a.maxStates, a.budgetS * 1000, (cells) => {
    const c = cells[0];
    if (c) p.line(`${c.design} on ${c.hardware}: ${c.states} states, depth ${c.depth}, ${(c.ms / 1000).toFixed(1)} s`);
  }, a.profile);
  const r: ExploreReport = a.requirement === null ? full : {
    ...full,
    requirements: full.requirements.filter((q) => q.name === a.requirement),
    cells: full.cells.filter((c) => c.requirement === a.requirement),
  };
  if (a.html) writeAtomic(a.html, renderReport(r));
  out(a.json ? JSON.stringify(r, encode, 2) : `${formatMatrix(r)}\n${a.html ? `report: ${a.html}\n` : ''}explored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}
