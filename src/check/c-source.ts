/** C source text as the C exports write it (src/check/export-c.ts, export-c-selftest.ts). */

/** A C string literal (trace text is ASCII: JSON's escapes are C's; `?` escaped against trigraphs). */
export const cstr = (s: string) => JSON.stringify(s).replace(/\?/g, '\\?');
/** A C comment's text (no comment end inside). */
export const ctext = (s: string) => s.replace(/\*\//g, '* /');
/** A C integer literal: small ones in decimal, the rest in hex (u64, two's complement for a negative). */
export const lit = (v: bigint | number) => { const x = BigInt(v); return x < 10n && x >= 0n ? String(x) : `0x${BigInt.asUintN(64, x).toString(16)}`; };
