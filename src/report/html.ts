/**
 * The explorer's report as one self-contained HTML page: the design x hardware x requirement matrix, and for each
 * cell its detail — the requirement, the verdict, and the trace as a sequence diagram in inline SVG.
 * Offline by construction: no external reference, inline CSS, and a three-line script that only marks the selected
 * cell (details open through `:target`, so the page also works with scripts off).
 * Pure and deterministic: the same report gives the same bytes (no dates, ids derived from the cell's names).
 * Every text that comes from the report or a trace goes through `esc` (a path may be '/dev/<script>').
 */
import { DESIGNS } from '../spec/index.js';
import { cellMark, type ExploreCell, type ExploreReport, type RequirementInfo } from '../explore/report.js';
import type { Comparison } from '../explore/compare.js';
import { formatCmd, formatResult } from '../check/format.js';
import { stepName, type Trace, type TraceStep } from '../check/trace.js';

// ---- text ------------------------------------------------------------------------------------------------------

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text or attribute value, safe in HTML and in inline SVG. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** `design|hardware|requirement`: the key tests and the page's script find a cell by. */
export const cellKey = (c: Pick<ExploreCell, 'design' | 'hardware' | 'requirement'>): string => `${c.design}|${c.hardware}|${c.requirement}`;

/** A valid, stable element id per cell: the key with anything but [A-Za-z0-9_-] replaced, numbered on a clash. */
function detailIds(cells: readonly ExploreCell[]): ReadonlyMap<ExploreCell, string> {
  const ids = new Map<ExploreCell, string>();
  const taken = new Set<string>();
  for (const c of cells) {
    const base = `cell-${cellKey(c).replace(/[^A-Za-z0-9_-]/g, '_')}`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    ids.set(c, id);
  }
  return ids;
}

// ---- verdicts --------------------------------------------------------------------------------------------------

const traceLength = (c: ExploreCell): number => c.length ?? c.trace?.steps.length ?? 0;

/** What the matrix shows: `✔ 3`, `✘ 5`, `unreachable (complete: 20,190 states)`, `none ≤ 6 (bounded: ...)`, `n/a`. */
export const cellText = (c: ExploreCell, kind?: RequirementInfo['kind']): string => cellMark(c, kind);

/**
 * Colour by meaning, not by symbol: a witness and a safety requirement that held are good news, a counterexample
 * is bad news, a capability not reached within the bound is a gap.
 */
function cellTone(c: ExploreCell, kind: RequirementInfo['kind'] | undefined): 'good' | 'bad' | 'gap' | 'open' {
  if (c.verdict === 'counterexample') return 'bad';
  if (c.verdict === 'witness') return 'good';
  if (c.verdict === 'incomplete') return 'open';
  return kind === 'safety' ? 'good' : 'gap';
}

/** One sentence on what the cell found. */
function verdictSentence(c: ExploreCell, req: RequirementInfo | undefined): string {
  switch (c.verdict) {
    case 'witness': return `Reached: a witness of ${plural(traceLength(c), 'step')}.`;
    case 'counterexample': return `Broken: a counterexample of ${plural(traceLength(c), 'step')}.`;
    case 'unreachable':
      return req?.kind === 'safety'
        ? `Holds: the search saw all ${plural(c.states, 'state')} of this vocabulary and none breaks it (a proof, for these calls).`
        : `Unreachable: the search saw all ${plural(c.states, 'state')} of this vocabulary and none reaches it (a proof, for these calls).`;
    case 'bounded':
      return `${req?.kind === 'safety' ? 'Not broken' : 'Not reached'} by any sequence of up to ${plural(c.depth, 'call')} after the set-up; the search stopped at its ${c.stop === 'depth' ? 'depth bound' : `state bound (${c.states} states)`} (a bounded result).`;
    case 'incomplete':
      return `Incomplete: the wall-clock safety stop ended the search after ${plural(c.depth, 'complete level')}; nothing is claimed beyond them.`;
  }
}

/** The spec rules a trace's calls took, in order and without repeats (what a counterexample went through). */
export function rulesOnPath(t: Trace): string[] {
  return [...new Set(t.steps.flatMap((st) => (st.spec ? [st.spec.rule] : [])))];
}

function minimalityText(c: ExploreCell): string {
  const m = c.minimality ?? c.trace?.origin.minimality;
  if (m === 'shortest') return 'Shortest: yes — breadth-first search, no shorter trace exists.';
  if (m === '1-minimal') return 'Shortest: not guaranteed — 1-minimal (no single step can be removed).';
  return 'Shortest: not guaranteed.';
}

// ---- the sequence diagram ----------------------------------------------------------------------------------------

/** The lanes, left to right; the address-space FD's lane is named after the design's node. */
const LANES = ['userspace', 'node', 'device', 'hardware', 'guest'] as const;
type Lane = (typeof LANES)[number];

const LANE_X0 = 110;
const LANE_DX = 200;
const HEAD_Y = 12;
const HEAD_H = 30;
const ROW_Y0 = HEAD_Y + HEAD_H + 34;
const ROW_DY = 46;
const WIDTH = LANE_X0 + LANE_DX * (LANES.length - 1) + 280;
/** Monospace 12px: a conservative advance, so a label never runs past the edge. */
const CHAR_W = 7.4;

const laneX = (l: Lane): number => LANE_X0 + LANE_DX * LANES.indexOf(l);

/** Where a step's arrow goes: `to === from` is a self-note (open, close, mmap stay in the process). */
function route(cmd: TraceStep['cmd']): { readonly from: Lane; readonly to: Lane } {
  const name = stepName(cmd);
  if ('ioctl' in cmd) return { from: 'userspace', to: name.startsWith('VFIO_') ? 'device' : 'node' };
  if (name === 'DMA') return { from: 'device', to: 'hardware' };
  if (name.startsWith('GUEST_WRITE_')) return { from: 'guest', to: 'hardware' };
  return { from: 'userspace', to: 'userspace' };
}

/** A label that fits `room` pixels, cut with '…'; the full text goes in a <title> tooltip when cut. */
function svgText(x: number, y: number, text: string, room: number, cls: string): string {
  const max = Math.max(8, Math.floor(room / CHAR_W));
  const cut = text.length > max;
  const shown = cut ? `${text.slice(0, max - 1)}…` : text;
  return `<text x="${x}" y="${y}" class="${cls}">${cut ? `<title>${esc(text)}</title>` : ''}${esc(shown)}</text>`;
}

function arrow(st: TraceStep, i: number, failedAt: number | undefined): string {
  const y = ROW_Y0 + i * ROW_DY;
  const { from, to } = route(st.cmd);
  const x1 = laneX(from);
  const x2 = laneX(to);
  const label = `${i + 1}. ${formatCmd(st.cmd)}`;
  // the spec's answer with its rule id; a hand-written step may carry none
  const answer = st.spec ? `→ ${formatResult(st.spec.result, st.bind)}  [${st.spec.rule}]` : null;
  const answerCls = st.spec?.result.ok === false ? 'result errno' : 'result';
  const band = failedAt === i + 1 ? `<rect class="failed" x="0" y="${y - 24}" width="${WIDTH}" height="${ROW_DY - 2}"/>` : '';
  let line: string;
  let tx: number;
  if (from === to) {
    // a self-note: a loop out of the lane and back, the label beside it
    line = `<path class="line" d="M${x1} ${y - 8} h28 v14 h-22"/><polygon class="head" points="${x1} ${y + 6},${x1 + 8} ${y + 2},${x1 + 8} ${y + 10}"/>`;
    tx = x1 + 36;
  } else {
    const dir = x2 > x1 ? 1 : -1;
    line = `<line class="line" x1="${x1}" y1="${y}" x2="${x2 - dir * 8}" y2="${y}"/><polygon class="head" points="${x2} ${y},${x2 - dir * 9} ${y - 5},${x2 - dir * 9} ${y + 5}"/>`;
    tx = Math.min(x1, x2) + 6;
  }
  const room = WIDTH - tx - 8;
  const texts = [svgText(tx, from === to ? y - 12 : y - 7, label, room, 'label'), answer === null ? '' : svgText(tx, y + (from === to ? 20 : 16), answer, room, answerCls)];
  return `<g class="arrow" data-step="${i + 1}" data-from="${from}" data-to="${to}">${band}${line}${texts.join('')}</g>`;
}

/** The trace as a sequence diagram: five lanes, one arrow per step, errnos in red, the failing step banded. */
export function sequenceSvg(t: Trace, key: string, node: string): string {
  const names: Readonly<Record<Lane, string>> = { userspace: 'userspace', node, device: 'device FD', hardware: 'IOMMU / hardware', guest: 'guest memory' };
  const height = ROW_Y0 + t.steps.length * ROW_DY;
  const heads = LANES.map((l) => {
    const x = laneX(l);
    return `<g class="lane" data-lane="${l}"><line class="lifeline" x1="${x}" y1="${HEAD_Y + HEAD_H}" x2="${x}" y2="${height}"/>` +
      `<rect class="lanehead" x="${x - 80}" y="${HEAD_Y}" width="160" height="${HEAD_H}" rx="4"/>` +
      `<text class="lanename" x="${x}" y="${HEAD_Y + 20}" text-anchor="middle">${esc(names[l])}</text></g>`;
  });
  const arrows = t.steps.map((st, i) => arrow(st, i, t.verdict?.step));
  return `<svg class="sequence" data-cell="${esc(key)}" role="img" aria-label="${esc(`sequence diagram, ${plural(t.steps.length, 'step')}`)}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">\n${heads.join('\n')}\n${arrows.join('\n')}\n</svg>`;
}

// ---- the page --------------------------------------------------------------------------------------------------

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
.sub { color: #57606a; margin: 0 0 1rem; }
table#matrix { border-collapse: collapse; margin-bottom: 1.5rem; }
#matrix th, #matrix td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: center; vertical-align: middle; }
#matrix th.req { text-align: left; font-weight: normal; } #matrix th.req b { font-family: ui-monospace, monospace; }
#matrix td.kind { font-size: .85em; color: #57606a; }
#matrix td.cell a { display: block; color: inherit; text-decoration: none; font-weight: 600; white-space: nowrap; }
#matrix td.good { background: #dafbe1; } #matrix td.bad { background: #ffd8d3; } #matrix td.gap { background: #fff1c2; } #matrix td.open { background: #eaeef2; }
#matrix td.cell a { white-space: normal; max-width: 11rem; }
#matrix td.missing { color: #8c959f; }
#matrix td.selected { outline: 3px solid #0969da; outline-offset: -3px; }
.legend span { display: inline-block; padding: 0 .4rem; margin-right: .5rem; border-radius: 3px; }
.legend .good { background: #dafbe1; } .legend .bad { background: #ffd8d3; } .legend .gap { background: #fff1c2; } .legend .open { background: #eaeef2; }
.rules code { background: #f6f8fa; padding: 0 .25rem; margin-right: .25rem; }
table.compare { border-collapse: collapse; margin-bottom: 1.5rem; } table.compare td, table.compare th { border: 1px solid #d0d7de; padding: .3rem .5rem; vertical-align: top; }
table.compare ol { margin: 0; padding-left: 1.4rem; font: 12px ui-monospace, monospace; }
.detail { display: none; border-top: 2px solid #d0d7de; padding-top: 1rem; }
.detail:target { display: block; }
.detail .desc { max-width: 60rem; }
.detail ol { font-family: ui-monospace, monospace; font-size: 12px; }
.detail ol .errno { color: #cf222e; }
.diagram { overflow-x: auto; }
svg.sequence { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
svg.sequence .lifeline { stroke: #8c959f; stroke-dasharray: 4 4; }
svg.sequence .lanehead { fill: #f6f8fa; stroke: #57606a; }
svg.sequence .lanename { font: 600 12px system-ui, sans-serif; fill: #1b1f24; }
svg.sequence .line { stroke: #1b1f24; fill: none; stroke-width: 1.3; }
svg.sequence .head { fill: #1b1f24; }
svg.sequence text.label, svg.sequence text.result { paint-order: stroke; stroke: #fff; stroke-width: 3px; fill: #1b1f24; }
svg.sequence text.result { fill: #1a7f37; }
svg.sequence text.errno { fill: #cf222e; }
svg.sequence .failed { fill: #ffebe9; }
`;

/** Marks the matrix cell whose detail is shown; everything else is plain links and :target. */
const SCRIPT = `
function mark() {
  for (const a of document.querySelectorAll('#matrix td.cell a')) a.parentElement.classList.toggle('selected', a.getAttribute('href') === location.hash);
}
addEventListener('hashchange', mark); mark();
`;

function matrix(r: ExploreReport, find: (d: string, h: string, q: string) => ExploreCell | undefined, ids: ReadonlyMap<ExploreCell, string>): string {
  const hw = r.hardware.length;
  const head1 = r.designs.map((d) => `<th colspan="${hw}" title="${esc(d.title)}">${esc(d.name)}</th>`).join('');
  const head2 = r.designs.map(() => r.hardware.map((h) => `<th class="hw">${esc(h)}</th>`).join('')).join('');
  const rows = r.requirements.map((q) => {
    const cells = r.designs.map((d) => r.hardware.map((h) => {
      const key = `${d.name}|${h}|${q.name}`;
      const c = find(d.name, h, q.name);
      if (c === undefined) return `<td class="cell missing" data-cell="${esc(key)}">—</td>`;
      const tip = `${verdictSentence(c, q)} ${c.design} on ${c.hardware}`;
      return `<td class="cell ${cellTone(c, q.kind)} v-${c.verdict}" data-cell="${esc(key)}">` +
        `<a href="#${ids.get(c) ?? ''}" title="${esc(c.unavailable === undefined ? tip : `${tip}: ${c.unavailable}`)}">${esc(cellText(c, q.kind))}</a></td>`;
    }).join('')).join('');
    return `<tr><th scope="row" class="req"><b>${esc(q.name)}</b> ${esc(q.title)}</th><td class="kind">${esc(q.kind)}</td>${cells}</tr>`;
  });
  return `<table id="matrix">\n<thead><tr><th rowspan="2">requirement</th><th rowspan="2">kind</th>${head1}</tr><tr>${head2}</tr></thead>\n` +
    `<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

/** The numbered program under the diagram: the same steps as text, for reading and copying. */
function program(t: Trace): string {
  const items = t.steps.map((st) => {
    const answer = st.spec ? ` → <span class="${st.spec.result.ok ? 'ok' : 'errno'}">${esc(formatResult(st.spec.result, st.bind))}</span> <small>[${esc(st.spec.rule)}]</small>` : '';
    return `<li>${esc(formatCmd(st.cmd))}${answer}</li>`;
  });
  return `<ol class="steps">${items.join('')}</ol>`;
}

function detail(c: ExploreCell, req: RequirementInfo | undefined, id: string): string {
  const key = cellKey(c);
  const node = Object.hasOwn(DESIGNS, c.design) ? DESIGNS[c.design as keyof typeof DESIGNS].node : 'address-space FD';
  const t = c.trace;
  const parts = [
    `<section class="detail" id="${id}" data-cell="${esc(key)}">`,
    `<h2>${esc(req ? `${req.name}: ${req.title}` : c.requirement)} — ${esc(c.design)} on ${esc(c.hardware)}</h2>`,
    `<p class="verdict"><b>${esc(verdictSentence(c, req))}</b> ${esc(`${c.states.toLocaleString('en')} states visited, depth ${c.depth}, ${(c.ms / 1000).toFixed(1)} s.`)}</p>`,
    req ? `<p class="desc">${esc(`${req.kind === 'capability' ? 'Capability' : 'Safety'}: ${req.description}`)}</p>` : '',
    t ? `<p class="minimality">${esc(minimalityText(c))}</p>` : '',
    c.unavailable === undefined ? '' : `<p class="unavailable">${esc(`Not offered by ${c.design}: ${c.unavailable}.`)}</p>`,
    t && c.verdict === 'counterexample' ? `<p class="rules">Spec rules on the path: ${rulesOnPath(t).map((r) => `<code>${esc(r)}</code>`).join(' ')}</p>` : '',
    t?.verdict ? `<p class="broke">${esc(`${t.verdict.property} at step ${t.verdict.step}: ${t.verdict.message}`)}</p>` : '',
    t ? `<div class="diagram">${sequenceSvg(t, key, node)}</div>${program(t)}` : '',
    '</section>',
  ];
  return parts.filter((p) => p !== '').join('\n');
}

/** What each design's vocabulary leaves out of its ioctl table, and why (a "none" is only as wide as the calls). */
function leftOutSection(r: ExploreReport): string {
  const items = r.designs.flatMap((d) => d.leftOut.map((x) => `<li><b>${esc(d.name)}</b> <code>${esc(x.ioctl)}</code>: ${esc(x.why)}</li>`));
  return items.length === 0 ? '' : `<details id="left-out"><summary>Ioctls the explorer does not call, and why</summary><ul>${items.join('')}</ul></details>`;
}

/** `--compare A B`: the cells where two designs differ, both traces side by side. */
function comparisonSection(cmp: Comparison, ids: ReadonlyMap<ExploreCell, string>, r: ExploreReport): string {
  const kind = (q: string) => r.requirements.find((x) => x.name === q)?.kind;
  const side = (c: ExploreCell) => `<a href="#${ids.get(c) ?? ''}"><b>${esc(cellText(c, kind(c.requirement)))}</b></a>${c.trace ? program(c.trace) : ''}`;
  const rows = cmp.rows.map((row) => `<tr data-compare="${esc(`${row.hardware}|${row.requirement}`)}"><th scope="row">${esc(row.requirement)}<br><small>${esc(row.hardware)}</small></th><td>${side(row.a)}</td><td>${side(row.b)}</td></tr>`);
  return `<section id="compare"><h2>${esc(`${cmp.a} and ${cmp.b}: ${plural(cmp.rows.length, 'cell')} differ`)}</h2>\n` +
    `<table class="compare"><thead><tr><th>requirement</th><th>${esc(cmp.a)}</th><th>${esc(cmp.b)}</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></section>`;
}

/** The whole page. */
const REPORT_GENERATOR = 'ioasid-lab';
const REPORT_TITLE = 'ioasid-lab: design explorer report';

/** Whether the start of a file is an ioasid-lab report page (`explore --html` replaces only those unless --force). */
export const isReportPage = (head: string): boolean =>
  head.includes(`<meta name="generator" content="${REPORT_GENERATOR}">`) || head.includes(`<title>${REPORT_TITLE}</title>`);

export function renderReport(r: ExploreReport): string {
  const find = (d: string, h: string, q: string) => r.cells.find((c) => c.design === d && c.hardware === h && c.requirement === q);
  const ids = detailIds(r.cells);
  const reqs = new Map(r.requirements.map((q) => [q.name, q]));
  const details = r.cells.map((c) => detail(c, reqs.get(c.requirement), ids.get(c) ?? ''));
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${REPORT_GENERATOR}">`,
    `<title>${REPORT_TITLE}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<h1>ioasid-lab: design explorer report</h1>',
    `<p class="sub">${esc(`${plural(r.designs.length, 'design')} × ${plural(r.hardware.length, 'hardware kind')} × ${plural(r.requirements.length, 'requirement')}; each search breadth-first, up to ${r.depth} calls after the set-up and ${r.maxStates.toLocaleString('en')} distinct states (${r.schema}).`)}</p>`,
    '<p class="legend"><span class="good">✔ n: witness of n steps / holds: no counterexample</span><span class="bad">✘ n: counterexample of n steps</span><span class="gap">unreachable / none ≤ k: capability not reached</span><span class="open">incomplete: stopped by the clock</span> complete: every state searched; bounded: stopped at a bound. Click a cell for its trace.</p>',
    matrix(r, find, ids),
    leftOutSection(r),
    ...(r.comparison ? [comparisonSection(r.comparison, ids, r)] : []),
    ...details,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
