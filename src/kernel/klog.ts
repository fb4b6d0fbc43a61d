/**
 * Kernel log lines as findings: a WARN_ON that fired is P-WARN, an oops or BUG is P-OOPS — the same properties the
 * simulated kernel's WARN_ON and crashes break (differential.ts kernelFault), named after the first line that says
 * where (`WARNING: CPU: 0 PID: 71 at drivers/iommu/iommufd/pages.c:1402 iopt_area_unpin_domain+0x…`).
 */

export interface LogFinding {
  readonly property: 'P-WARN' | 'P-OOPS';
  readonly message: string;
}

const WARN = /^WARNING: CPU: \d+ PID: \d+ at (.*)$/;
const OOPS = /^(BUG: .*|kernel BUG at .*|Oops: .*|general protection fault.*|Unable to handle .*|Kernel panic.*)$/;

/** The first WARN or oops among `lines`, with the lines around it that say why (the refcount or list report before a WARN). */
export function logFinding(lines: readonly string[]): LogFinding | null {
  for (const [i, l] of lines.entries()) {
    const w = WARN.exec(l);
    if (w) {
      const why = lines.slice(Math.max(0, i - 3), i).filter((x) => !/cut here/.test(x) && x.trim() !== '').pop();
      return { property: 'P-WARN', message: `Linux WARN at ${w[1]}${why ? ` (${why.trim()})` : ''}` };
    }
    const o = OOPS.exec(l);
    if (o) {
      const rip = lines.slice(i, i + 12).find((x) => /^RIP: /.test(x));
      return { property: 'P-OOPS', message: `Linux oops: ${o[1]}${rip ? ` (${rip.trim()})` : ''}` };
    }
  }
  return null;
}
