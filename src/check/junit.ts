/**
 * `check --junit FILE`: the run as JUnit XML, the format CI systems read. One test suite per design and hardware kind
 * (a cell), one test case per property the check holds the kernel to (CHECKED_PROPERTIES). A cell stops at its first
 * broken property: that case fails, its message naming the counterexample file, and the other cases of the cell are
 * skipped (they were checked only up to the failing run). A cell that passed passes every case.
 */
import type { CheckOutcome } from './engine.js';

/**
 * Every property a check violation can name (engine, differential, probes, invariants), in the order the README
 * introduces them. A test holds the list to the names the sources use.
 */
export const CHECKED_PROPERTIES = [
  'differential', 'wellFormed', 'P-PINCOUNT', 'P-IOVA-ALLOC', 'P-OWNER', 'P-OVERFLOW', 'P-ATOMIC', 'P-XLATE', 'P-INVAL', 'P-DIRTY',
  'P-FAULT', 'P-DESTROY', 'P-NOLEAK', 'P-WARN', 'P-OOPS',
] as const;

export interface JunitCell {
  readonly design: string;
  readonly hardware: string;
  /** the machine, where it is not the default world */
  readonly profile?: string;
  readonly outcome: CheckOutcome;
  /** the counterexample written for a failed cell */
  readonly counterexample?: string;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&apos;' };
/** Text for an XML attribute or element: escaped, and without the control characters XML 1.0 cannot carry. */
const xml = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?').replace(/[&<>"']/g, (c) => ESCAPES[c]!); // every match is a key

/** The XML document of a run (its seed) and its cells. */
export function junitXml(cells: readonly JunitCell[], run: { readonly seed: number }): string {
  const suites = cells.map((c) => {
    const name = `${c.design} on ${c.hardware}${c.profile ? ` (${c.profile})` : ''}`;
    const seconds = (c.outcome.stats.ms / 1000).toFixed(3);
    const broken = c.outcome.ok ? null : c.outcome.violation?.property ?? 'internal';
    const cases = CHECKED_PROPERTIES.map((p) => {
      const head = `    <testcase classname="${xml(`ioasid-lab.${c.design}.${c.hardware}`)}" name="${xml(p)}" time="${p === broken || broken === null ? seconds : '0'}"`;
      if (broken === null) return `${head}/>`;
      if (p !== broken) return `${head}>\n      <skipped message="${xml(`the cell stopped at its first broken property, ${broken}`)}"/>\n    </testcase>`;
      const v = c.outcome.violation;
      const message = `${v?.message ?? 'the check failed'}; counterexample: ${c.counterexample ?? '(not written)'}`;
      return `${head}>\n      <failure message="${xml(message)}" type="${xml(p)}">${xml(`step ${v?.step ?? '?'}: ${message}`)}</failure>\n    </testcase>`;
    });
    // a violation the list does not name (an internal error of the check) still fails the suite, as its own case
    if (broken !== null && !(CHECKED_PROPERTIES as readonly string[]).includes(broken)) {
      cases.push(`    <testcase classname="${xml(`ioasid-lab.${c.design}.${c.hardware}`)}" name="${xml(broken)}" time="${seconds}">\n      <failure message="${xml(c.outcome.violation?.message ?? 'the check failed')}" type="${xml(broken)}"/>\n    </testcase>`);
    }
    const failures = broken === null ? 0 : 1;
    const skipped = broken === null ? 0 : CHECKED_PROPERTIES.length - ((CHECKED_PROPERTIES as readonly string[]).includes(broken) ? 1 : 0);
    return [
      `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds}">`,
      `    <properties><property name="seed" value="${run.seed}"/><property name="runs" value="${c.outcome.stats.runs}"/><property name="steps" value="${c.outcome.stats.steps}"/></properties>`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  const tests = cells.reduce((n, c) => n + CHECKED_PROPERTIES.length + (c.outcome.ok || (CHECKED_PROPERTIES as readonly string[]).includes(c.outcome.violation?.property ?? '') ? 0 : 1), 0);
  const failures = cells.filter((c) => !c.outcome.ok).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ioasid-lab check" tests="${tests}" failures="${failures}" errors="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

/** Whether a file's first bytes are a report this writer made (what --junit may replace). */
export const isJunitReport = (head: string): boolean => head.startsWith('<?xml') && head.includes('<testsuites name="ioasid-lab check"');
