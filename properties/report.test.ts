/**
 * The explorer's HTML report: the matrix says each cell's verdict in a few characters, each traced cell has one
 * sequence diagram with one arrow per step on the right lanes, every text from a trace is escaped, and the page
 * references nothing outside itself.
 */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../src/report/html.js';
import { MALICIOUS_PATH, SAMPLE_REPORT } from './support/report-sample.js';

const html = renderReport(SAMPLE_REPORT);

/** data-cell -> the text of its matrix cell. */
function matrixCells(page: string): Record<string, string> {
  const table = page.slice(page.indexOf('<table id="matrix">'), page.indexOf('</table>'));
  const out: Record<string, string> = {};
  for (const m of table.matchAll(/<td class="cell[^"]*" data-cell="([^"]+)">(?:<a [^>]*>)?([^<]*)/g)) out[m[1]!] = m[2]!; // both groups always match
  return out;
}

/** data-cell -> the SVG diagram's source. */
function diagrams(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<svg class="sequence" data-cell="([^"]+)"[\s\S]*?<\/svg>/g)) out[m[1]!] = m[0]; // group 1 always matches
  return out;
}

describe('the matrix', () => {
  it('has one row per requirement with its kind and title, and one column per design x hardware kind', () => {
    expect(html).toContain('<table id="matrix">');
    expect(html).toMatch(/<th scope="row" class="req"><b>R-DMA<\/b> a device DMAs through a user map<\/th><td class="kind">capability<\/td>/);
    expect(html).toMatch(/<th scope="row" class="req"><b>P-OWNER<\/b> no DMA into pages another FD owns<\/th><td class="kind">safety<\/td>/);
    expect(html).toContain('<th colspan="1" title="iommufd as merged (/dev/iommu)">iommufd</th>');
  });

  it('says what was shown: ✔ n, ✘ n, holds / unreachable (complete), none ≤ k (bounded), incomplete (time)', () => {
    expect(matrixCells(html)).toEqual({
      'iommufd|host-pasid-table|R-DMA': '✔ 3',
      'rfc-v1|host-pasid-table|R-DMA': '✔ 2',
      'iommufd|host-pasid-table|P-OWNER': 'holds (complete: 900 states)',
      'rfc-v1|host-pasid-table|P-OWNER': '✘ 4',
      'iommufd|host-pasid-table|R-SVA': 'none ≤ 3 (bounded: stopped at 1,000 states)',
      'rfc-v1|host-pasid-table|R-SVA': 'incomplete (time: 2 levels, 650 states)',
    });
  });

  it('colours by meaning: a safety requirement that held is good, a counterexample bad, a clock stop open', () => {
    expect(html).toContain('<td class="cell open v-incomplete" data-cell="rfc-v1|host-pasid-table|R-SVA">');
    expect(html).toContain('<td class="cell gap v-bounded" data-cell="iommufd|host-pasid-table|R-SVA">');
    expect(html).toContain('<td class="cell good v-unreachable" data-cell="iommufd|host-pasid-table|P-OWNER">');
    expect(html).toContain('<td class="cell bad v-counterexample" data-cell="rfc-v1|host-pasid-table|P-OWNER">');
    expect(html).toContain('<td class="cell good v-witness" data-cell="iommufd|host-pasid-table|R-DMA">');
  });

  it('every cell links to a detail section that exists', () => {
    const links = [...html.matchAll(/<td class="cell[^"]*" data-cell="[^"]+"><a href="#([^"]+)"/g)].map((m) => m[1]);
    expect(links).toHaveLength(6);
    for (const id of links) expect(html).toContain(`<section class="detail" id="${id}"`);
  });
});

describe('the sequence diagrams', () => {
  const svgs = diagrams(html);
  const arrows = (svg: string) => [...svg.matchAll(/<g class="arrow" data-step="(\d+)" data-from="(\w+)" data-to="(\w+)">/g)].map((m) => `${m[1]} ${m[2]}->${m[3]}`);

  it('one per traced cell, none for a cell without a trace', () => {
    expect(Object.keys(svgs).sort()).toEqual(['iommufd|host-pasid-table|R-DMA', 'rfc-v1|host-pasid-table|P-OWNER', 'rfc-v1|host-pasid-table|R-DMA']);
  });

  it('one arrow per step, from the issuing lane to the target lane', () => {
    expect(arrows(svgs['iommufd|host-pasid-table|R-DMA']!)).toEqual(['1 userspace->userspace', '2 userspace->node', '3 device->hardware']);
    expect(arrows(svgs['rfc-v1|host-pasid-table|R-DMA']!)).toEqual(['1 userspace->userspace', '2 userspace->node']);
    expect(arrows(svgs['rfc-v1|host-pasid-table|P-OWNER']!)).toEqual(['1 userspace->userspace', '2 userspace->node', '3 userspace->device', '4 guest->hardware']);
  });

  it('names the address-space FD lane after the design node', () => {
    expect(svgs['iommufd|host-pasid-table|R-DMA']).toContain('>/dev/iommu</text>');
    expect(svgs['rfc-v1|host-pasid-table|P-OWNER']).toContain('>/dev/ioasid</text>');
    for (const svg of Object.values(svgs)) for (const lane of ['userspace', 'device FD', 'IOMMU / hardware', 'guest memory']) expect(svg).toContain(`>${lane}</text>`);
  });

  it('labels arrows with formatCmd and the result, errnos in red', () => {
    const svg = svgs['rfc-v1|host-pasid-table|P-OWNER']!;
    expect(svg).toContain('>2. IOASID_ALLOC $fd1</text>');
    expect(svg).toContain('class="result">→ ok $ioasid1  [IOASID_ALLOC.ok]</text>');
    expect(svg).toContain('class="result errno">→ EBADF  [VFIO_BIND_IOASID_FD.EBADF.fd]</text>');
    expect(svgs['iommufd|host-pasid-table|R-DMA']).toContain('class="result">→ hit 0x100000  [DMA.ok]</text>');
  });

  it('bands the step where the property broke', () => {
    expect(svgs['rfc-v1|host-pasid-table|P-OWNER']).toMatch(/<g class="arrow" data-step="4"[^>]*><rect class="failed"/);
    expect(html).toContain('P-OWNER at step 4: dev1 reaches page 0x5000 that fd2 owns');
  });

  it('cuts a long label with … and keeps the full text in a <title> tooltip', () => {
    const long = renderReport({
      ...SAMPLE_REPORT,
      cells: SAMPLE_REPORT.cells.map((c) => (c.trace ? { ...c, trace: { ...c.trace, steps: [{ cmd: { env: 'OPEN', path: `/dev/${'x'.repeat(300)}` } }] } } : c)),
    });
    expect(long).toContain(`<title>1. OPEN /dev/${'x'.repeat(300)}</title>1. OPEN /dev/xxx`);
    expect(long).toMatch(/x…<\/text>/);
  });
});

describe('the details', () => {
  it('give the requirement description and whether the trace is shortest', () => {
    expect(html).toContain('Capability: Seed M1: map user memory, attach, DMA hits it.');
    expect(html).toContain('Safety: Properties: a device reaches only pages of its own FD.');
    expect(html).toContain('Shortest: yes — breadth-first search, no shorter trace exists.');
    expect(html).toContain('Shortest: not guaranteed — 1-minimal (no single step can be removed).');
    expect(html).toContain('Holds: the search saw all 900 states of this vocabulary and none breaks it (a proof, for these calls).');
    expect(html).toContain('Not reached by any sequence of up to 3 calls after the set-up; the search stopped at its state bound (1000 states) (a bounded result).');
    expect(html).toContain('Incomplete: the wall-clock safety stop ended the search after 2 complete levels; nothing is claimed beyond them.');
  });

  it('a counterexample lists the spec rules on its path, in order', () => {
    expect(html).toContain('<p class="rules">Spec rules on the path: <code>OPEN.ok</code> <code>IOASID_ALLOC.ok</code> <code>VFIO_BIND_IOASID_FD.EBADF.fd</code> <code>GUEST_WRITE_PGTABLE.ok</code></p>');
  });
});

describe('the comparison of two designs', () => {
  it('lists the cells where they differ, with both traces side by side', () => {
    const section = html.slice(html.indexOf('<section id="compare">'), html.indexOf('</section>', html.indexOf('<section id="compare">')));
    expect(section).toContain('iommufd and rfc-v1: 2 cells differ');
    expect([...section.matchAll(/data-compare="([^"]+)"/g)].map((m) => m[1])).toEqual(['host-pasid-table|R-DMA', 'host-pasid-table|P-OWNER']);
    expect(section).toContain('<b>holds (complete: 900 states)</b>');
    expect(section).toContain('<b>✘ 4</b>');
  });
});

describe('the page is safe and self-contained', () => {
  it('escapes a path with markup in it wherever it appears', () => {
    expect(html).not.toContain(MALICIOUS_PATH);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('OPEN /dev/&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<script/g)).toHaveLength(1); // the page's own
  });

  it('escapes quotes in attributes (a requirement name cannot close data-cell)', () => {
    const evil = renderReport({
      ...SAMPLE_REPORT,
      requirements: SAMPLE_REPORT.requirements.map((q) => (q.name === 'R-DMA' ? { ...q, name: 'R"><img src=x onerror=alert(1)>' } : q)),
      cells: SAMPLE_REPORT.cells.map((c) => (c.requirement === 'R-DMA' ? { ...c, requirement: 'R"><img src=x onerror=alert(1)>' } : c)),
    });
    expect(evil).not.toContain('<img');
    expect(evil).toContain('data-cell="iommufd|host-pasid-table|R&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
  });

  it('references nothing outside itself (works offline)', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link\b|\bsrc=|@import|url\(/);
  });

  it('is deterministic', () => {
    expect(renderReport(SAMPLE_REPORT)).toBe(html);
  });
});
