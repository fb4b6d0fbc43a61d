/**
 * npm run rules: read every rule id the spec can return out of src/spec/*.ts and write src/spec/rules.ts, the
 * catalogue that rule coverage counts against. A rule id is a string literal ('IOAS_MAP.EINVAL.prot') or a
 * template whose prefix is a `const P = '…'` of its function or a parameter of it (`prefix`, `P`), resolved
 * through every call site that passes a literal or its own resolved prefix; `${o.kind}` ranges over the object
 * kinds. The dispatcher's generic outcomes (`${c.ioctl}.EBADF.fd`, …) are not listed: rules.ts derives them per
 * ioctl. A template this script cannot resolve is an error, so the catalogue never silently misses a rule.
 * A test (properties/coverage.test.ts) keeps the file current and checks that every rule the spec returns is in it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SPEC = 'src/spec';
export const RULES_PATH = join(SPEC, 'rules.ts');

/** Rule-id prefixes that are not the ioctl's own name, and the command they belong to. */
const SHORT: Readonly<Record<string, string>> = {
  ATTACH_PT: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', DETACH_PT: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', BIND_IOMMUFD: 'VFIO_DEVICE_BIND_IOMMUFD',
  HWPT_ALLOC: 'IOMMU_HWPT_ALLOC', HWPT_INVALIDATE: 'IOMMU_HWPT_INVALIDATE', DESTROY: 'IOMMU_DESTROY', GET_HW_INFO: 'IOMMU_GET_HW_INFO', OPTION: 'IOMMU_OPTION', HWPT_SET_DIRTY_TRACKING: 'IOMMU_HWPT_SET_DIRTY_TRACKING', HWPT_GET_DIRTY_BITMAP: 'IOMMU_HWPT_GET_DIRTY_BITMAP', FAULT_QUEUE_ALLOC: 'IOMMU_FAULT_QUEUE_ALLOC',
  VIOMMU_ALLOC: 'IOMMU_VIOMMU_ALLOC', VDEVICE_ALLOC: 'IOMMU_VDEVICE_ALLOC', VEVENTQ_ALLOC: 'IOMMU_VEVENTQ_ALLOC',
};
export const commandOf = (rule: string): string => {
  const p = rule.split('.')[0]!; // split has at least one element
  return SHORT[p] ?? (p.startsWith('IOAS_') ? `IOMMU_${p}` : p);
};

/** `${o.kind}` (IOMMU_DESTROY only): the object kinds an iommufd table holds (state.ts Obj). */
const OBJECT_KINDS = ['ioas', 'hwpt_paging', 'hwpt_nested', 'device', 'fault', 'access', 'viommu', 'vdevice', 'veventq'];
const GENERIC = /^\$\{c\.ioctl\}\./;

interface Fn { readonly file: string; readonly name: string; readonly params: readonly string[]; readonly start: number; readonly end: number }
interface Source { readonly file: string; readonly text: string }

function sources(): Source[] {
  return readdirSync(SPEC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('rules.ts'))
    .sort()
    .map((f) => ({ file: join(SPEC, f), text: readFileSync(join(SPEC, f), 'utf8') }));
}

/** Top-level functions (`function f(`, `const f = (`) with their parameter names and text span. */
function functions(src: Source): Fn[] {
  const heads = [...src.text.matchAll(/^(?:export )?(?:function (\w+)\s*(?:<[^>]*>)?\(|const (\w+)\s*=\s*(?:<[^>]*>)?\()/gm)];
  return heads.map((m, i) => {
    const start = m.index ?? 0;
    const open = start + m[0].length - 1;
    const args = balanced(src.text, open);
    const params = splitArgs(args).map((p) => p.trim().replace(/^\.\.\./, '').split(/[:=?]/)[0]!.trim()); // split has one element
    return { file: src.file, name: (m[1] ?? m[2])!, params, start, end: heads[i + 1]?.index ?? src.text.length }; // one group matched
  });
}

/** The text between the parenthesis at `open` and its partner. */
function balanced(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return text.slice(open + 1, i);
    }
  }
  return text.slice(open + 1);
}

/** Split an argument list at its top-level commas. */
function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of args) {
    if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    if (c === ')' || c === ']' || c === '}' || c === '>') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

export function extractRules(): { rules: Set<string>; unresolved: string[] } {
  const srcs = sources();
  const fns = srcs.flatMap(functions);
  const rules = new Set<string>();
  const unresolved: string[] = [];
  /** template literals already read as rule ids (file:offset) */
  const handled = new Set<string>();
  const enclosing = (file: string, at: number) => fns.find((f) => f.file === file && f.start <= at && at < f.end);

  /** The values a prefix variable can have at `at` in `file`. */
  const values = (file: string, at: number, v: string, seen: Set<string>): string[] => {
    const f = enclosing(file, at);
    if (!f) return [];
    const text = srcs.find((s) => s.file === file)!.text; // file came from srcs
    const local = new RegExp(`const ${v} = '([A-Z_]+)'`).exec(text.slice(f.start, at));
    if (local) return [local[1]!]; // group 1 matched
    const i = f.params.indexOf(v);
    if (i < 0 || seen.has(`${f.file}:${f.name}`)) return [];
    seen.add(`${f.file}:${f.name}`);
    const out: string[] = [];
    for (const s of srcs) {
      for (const m of s.text.matchAll(new RegExp(`\\b${f.name}\\(`, 'g'))) {
        const callAt = m.index ?? 0;
        if (s.file === f.file && callAt === f.start + (/function /.test(s.text.slice(f.start, f.start + 20)) ? s.text.slice(f.start).indexOf(f.name) : 0)) continue;
        const arg = splitArgs(balanced(s.text, callAt + m[0].length - 1))[i]?.trim();
        if (arg === undefined) continue;
        const lit = /^'([A-Z_]+)'$/.exec(arg);
        if (lit) out.push(lit[1]!); // group 1 matched
        else if (/^\w+$/.test(arg)) out.push(...values(s.file, callAt, arg, new Set(seen)));
      }
    }
    return [...new Set(out)];
  };

  for (const s of srcs) {
    for (const m of s.text.matchAll(/'([A-Z][A-Z_0-9]*\.(?:ok|E[A-Z]+)(?:\.[a-z_0-9]+)?)'|'(DMA)'/g)) rules.add((m[1] ?? m[2])!); // one group matched
    for (const m of s.text.matchAll(/`(\$\{([\w.]+)\}((?:\.[A-Za-z_0-9]+|\$\{o\.kind\})+(?:_[a-z_]+)?))`/g)) {
      const [whole, , v, rest] = m as unknown as [string, string, string, string];
      if (GENERIC.test(whole.slice(1))) continue;
      handled.add(`${s.file}:${m.index}`);
      const heads = v === 'o.kind' ? [] : values(s.file, m.index ?? 0, v, new Set());
      if (heads.length === 0) {
        unresolved.push(`${s.file}: ${whole}`);
        continue;
      }
      for (const h of heads) rules.add(`${h}${rest}`);
    }
    for (const m of s.text.matchAll(/`([A-Z][A-Z_]*\.(?:ok|E[A-Z]+)\.)\$\{o\.kind\}([a-z_]*)`/g)) {
      handled.add(`${s.file}:${m.index}`);
      for (const k of OBJECT_KINDS) rules.add(`${m[1]}${k}${m[2]}`);
    }
    // any other template that looks like a rule id is one this script does not understand
    for (const m of s.text.matchAll(/`[^`\n]*\$\{[^`\n]*`/g)) {
      if (handled.has(`${s.file}:${m.index}`) || GENERIC.test(m[0].slice(1))) continue;
      if (/\.(ok|E[A-Z]+)(\.|`)|\}\.\$\{/.test(m[0])) unresolved.push(`${s.file}: ${m[0]}`);
    }
  }
  return { rules, unresolved };
}

export function rulesSource(rules: ReadonlySet<string>): string {
  const by = new Map<string, string[]>();
  for (const r of [...rules].sort()) by.set(commandOf(r), [...(by.get(commandOf(r)) ?? []), r]);
  const rows = [...by.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([cmd, rs]) => `  ${cmd}: [\n${rs.map((r) => `    '${r}',`).join('\n')}\n  ],`).join('\n');
  return `/**
 * Every outcome each command can have, by rule id: the coverage points of \`ioasid-lab check\`. GENERATED by
 * \`npm run rules\` (scripts/gen-rules.ts) from the rule ids written in src/spec/; do not edit by hand. The
 * dispatcher's generic outcomes of every ioctl (EBADF, ENOTTY, an unbound device FD) are added by rulesOf().
 */
import type { Design } from './design.js';

export const RULES: Readonly<Record<string, readonly string[]>> = {
${rows}
};

/** The dispatcher's outcomes an ioctl of \`design\` can have (step.ts ioctlOutcome), besides its own rules. */
export function genericRules(ioctl: string, design: Design, bindIoctls: readonly string[]): string[] {
  const bind = design.ioctls.find((i) => bindIoctls.includes(i));
  return [\`\${ioctl}.EBADF.fd\`, \`\${ioctl}.ENOTTY.wrong_file\`, ...(bind !== undefined && ioctl !== bind ? [\`\${ioctl}.EINVAL.device_not_bound\`] : [])];
}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { rules, unresolved } = extractRules();
  if (unresolved.length > 0) {
    process.stderr.write(`gen-rules: cannot resolve the prefix of:\n${unresolved.join('\n')}\n`);
    process.exit(2);
  }
  writeFileSync(RULES_PATH, rulesSource(rules));
  process.stdout.write(`wrote ${RULES_PATH}: ${rules.size} rule ids\n`);
}
