/**
 * Text that reaches a terminal or a CI log from user input — a file name, an excerpt of a bad value, an OS error —
 * goes through `printable` first: control characters (ESC, BEL, NUL, newlines) and invisible format characters
 * (bidi overrides) are shown as escapes, so a file cannot drive the terminal of whoever reads the log and an error
 * stays on one line. `excerpt` shows a value of any size in a bounded number of characters without stringifying
 * all of it first.
 */

const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

const escapeChar = (c: string): string => {
  const named: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  const code = c.codePointAt(0) ?? 0;
  return named[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
};

/** `s` with every control and format character escaped: one printable line. */
export const printable = (s: string): string => s.replace(UNPRINTABLE, escapeChar);

/** At most `max` characters of `s`, with "..." when cut. */
export const clip = (s: string, max = 40): string => (s.length > max ? `${s.slice(0, max - 3)}...` : s);

/**
 * A bounded, printable rendering of a JSON-like value: stops as soon as `max` characters are written, so a
 * 20,000-deep array costs as much as a short one.
 */
export function excerpt(v: unknown, max = 40): string {
  /** literal text between values (brackets, commas, keys) */
  class Lit {
    constructor(readonly text: string) {}
  }
  let out = '';
  const stack: unknown[] = [v];
  while (stack.length > 0 && out.length <= max) {
    const x = stack.pop();
    if (x instanceof Lit) out += x.text;
    else if (Array.isArray(x)) {
      out += '[';
      stack.push(new Lit(']'));
      for (let k = Math.min(x.length, max) - 1; k >= 0; k--) stack.push(x[k], ...(k > 0 ? [new Lit(',')] : []));
    } else if (typeof x === 'object' && x !== null) {
      out += '{';
      stack.push(new Lit('}'));
      const entries = Object.entries(x).slice(0, max);
      for (let k = entries.length - 1; k >= 0; k--) {
        const [key, val] = entries[k]!; // k < entries.length
        stack.push(val, new Lit(`${k > 0 ? ',' : ''}${JSON.stringify(key)}:`));
      }
    } else out += typeof x === 'bigint' ? `0x${x.toString(16)}` : (JSON.stringify(x) ?? String(x));
  }
  return clip(printable(out), max);
}
