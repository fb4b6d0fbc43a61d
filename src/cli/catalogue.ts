/**
 * The catalogue: every design with its policy points, and which ioctls each design offers. A pure function
 * from design values to a report object; the CLI prints it as a table or as JSON.
 */
import { IOCTL_NAMES, IOMMUFD_HEADER, type HeaderIoctl } from '../uapi/index.js';
import type { Design } from '../spec/index.js';

export interface Catalogue {
  readonly designs: readonly {
    readonly name: string; readonly title: string; readonly node: string; readonly hardware: readonly string[];
    readonly policy: Readonly<Record<string, string>>; readonly ioctls: number; readonly rationale: string;
  }[];
  /** ioctl -> names of the designs that offer it */
  readonly ioctls: readonly { readonly ioctl: string; readonly designs: readonly string[] }[];
  /** every ioctl of the newest merged include/uapi/linux/iommufd.h: modelled for iommufd, or why not */
  readonly iommufdHeader: readonly HeaderIoctl[];
}

export function catalogue(designs: readonly Design[]): Catalogue {
  return {
    designs: designs.map((d) => ({
      name: d.name, title: d.title, node: d.node, hardware: d.hardware, policy: { ...d.policy }, ioctls: d.ioctls.length, rationale: d.rationale,
    })),
    ioctls: IOCTL_NAMES.map((ioctl) => ({ ioctl, designs: designs.filter((d) => d.ioctls.includes(ioctl)).map((d) => d.name) }))
      .filter((row) => row.designs.length > 0),
    iommufdHeader: IOMMUFD_HEADER,
  };
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));

/** A plain-text rendering: a policy table, then the ioctl x design matrix. */
export function formatCatalogue(c: Catalogue): string {
  const names = c.designs.map((d) => d.name);
  const keys = c.designs[0] ? Object.keys(c.designs[0].policy) : [];
  const w0 = Math.max(18, ...keys.map((k) => k.length), ...c.ioctls.map((r) => r.ioctl.length)) + 2;
  const ws = names.map((n) => Math.max(n.length, 16) + 2);
  const row = (head: string, cells: string[]) => pad(head, w0) + cells.map((x, i) => pad(x, ws[i]!)).join('').trimEnd(); // ws has one width per design
  const lines = [
    'Designs',
    ...c.designs.map((d) => `  ${pad(d.name, 24)}${d.title} (${d.node}; hardware: ${d.hardware.join(', ')})`),
    '',
    row('policy point', names),
    ...keys.map((k) => row(k, c.designs.map((d) => d.policy[k] ?? ''))),
    '',
    row('ioctl', names),
    ...c.ioctls.map((r) => row(r.ioctl, names.map((n) => (r.designs.includes(n) ? 'x' : '.')))),
    '',
    'include/uapi/linux/iommufd.h (newest merged: IOMMUFD_CMD_* 0x80-0x94; * = not in Linux 6.12) for iommufd',
    ...c.iommufdHeader.map((h) => `  0x${h.nr.toString(16)} ${pad(h.ioctl + (h.in612 ? '' : ' *'), 32)}${h.notModelled === null ? 'modelled' : `not modelled: ${h.notModelled}`}`),
  ];
  return lines.join('\n');
}
