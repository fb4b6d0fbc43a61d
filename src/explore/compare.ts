/**
 * `explore --compare A B`: the cells where two designs answer a requirement differently — one finds a witness or
 * a counterexample the other does not, or of another length — with both traces side by side, as text to paste
 * into a mailing-list reply and as a section of the HTML report.
 */
import { formatCmd, formatResult } from '../check/format.js';
import type { Trace } from '../check/trace.js';
import { cellMark, type ExploreCell, type ExploreReport } from './report.js';

export interface Comparison {
  readonly a: string;
  readonly b: string;
  readonly rows: readonly { readonly hardware: string; readonly requirement: string; readonly a: ExploreCell; readonly b: ExploreCell }[];
}

/** What a cell showed, for telling two apart: the trace's kind and length, or that none was found. */
const outcome = (c: ExploreCell): string => (c.trace ? `${c.verdict} ${c.length}` : 'none');

/** The cells of `a` and `b` (designs of `r`) that differ, requirement by requirement, hardware kind by kind. */
export function compare(r: ExploreReport, a: string, b: string): Comparison {
  const cell = (d: string, h: string, q: string) => r.cells.find((c) => c.design === d && c.hardware === h && c.requirement === q);
  const rows = r.requirements.flatMap((q) => r.hardware.flatMap((h) => {
    const ca = cell(a, h, q.name);
    const cb = cell(b, h, q.name);
    return ca && cb && outcome(ca) !== outcome(cb) ? [{ hardware: h, requirement: q.name, a: ca, b: cb }] : [];
  }));
  return { a, b, rows };
}

/** The steps of a trace, one line each, numbered as in the trace: `12. IOMMU_IOAS_MAP(...) → ok`. */
function lines(t: Trace | undefined, width: number): string[] {
  if (!t) return [];
  return t.steps.map((st, i) => {
    const answer = st.spec ? ` → ${formatResult(st.spec.result, st.bind)}` : '';
    const text = `${i + 1}. ${formatCmd(st.cmd)}${answer}`;
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  });
}

/** The comparison as text: per differing cell, both verdicts, then both traces in two columns. */
export function formatComparison(cmp: Comparison, r: ExploreReport, width = 72): string {
  if (cmp.rows.length === 0) return `${cmp.a} and ${cmp.b} answer every requirement alike`;
  const kind = (q: string) => r.requirements.find((x) => x.name === q)?.kind;
  const out = [`${cmp.a} and ${cmp.b} differ in ${cmp.rows.length} cell${cmp.rows.length === 1 ? '' : 's'}:`];
  for (const row of cmp.rows) {
    out.push('', `${row.requirement} on ${row.hardware}: ${cmp.a} ${cellMark(row.a, kind(row.requirement))}; ${cmp.b} ${cellMark(row.b, kind(row.requirement))}`);
    const left = lines(row.a.trace, width);
    const right = lines(row.b.trace, width);
    if (left.length + right.length === 0) continue;
    out.push(`  ${cmp.a.padEnd(width)} | ${cmp.b}`);
    for (let i = 0; i < Math.max(left.length, right.length); i++) out.push(`  ${(left[i] ?? '').padEnd(width)} | ${right[i] ?? ''}`.trimEnd());
  }
  return out.join('\n');
}
