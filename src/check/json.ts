/**
 * A strict JSON reader for files a user hands ioasid-lab. `JSON.parse` accepts what a trace must not hold: a key
 * given twice (the last one silently wins), an integer past 2^53 (silently rounded to another id), a number that
 * overflows to Infinity, and nesting deep enough to exhaust the stack of whatever walks the value next. This reader
 * refuses each with one line that says where ("line 3 column 14"). It is linear in the text and iterative, so no
 * input can overflow the stack, and it stops at the first problem.
 */

export interface JsonLimits {
  /** deepest nesting of arrays and objects (the trace format needs about a dozen) */
  readonly maxDepth: number;
}

export const TRACE_JSON_LIMITS: JsonLimits = { maxDepth: 64 };

/** A text that is not JSON ioasid-lab will take; `message` is one line without the file name. */
export class JsonError extends Error {
  override readonly name = 'JsonError';
}

type Container = { readonly kind: 'array'; readonly value: unknown[] } | { readonly kind: 'object'; readonly value: Record<string, unknown>; key: string | null };

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parse `text` as one JSON value under `limits`; throws JsonError. */
export function parseJson(text: string, limits: JsonLimits = TRACE_JSON_LIMITS): unknown {
  let i = 0;
  const where = (at: number): string => {
    let line = 1;
    let col = 1;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text[k] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    return `line ${line} column ${col}`;
  };
  const fail = (what: string, at = i): never => {
    throw new JsonError(`${what} at ${where(at)}`);
  };
  const skipWs = () => {
    while (i < text.length && WS.has(text[i]!)) i++; // i < length
  };
  const unexpected = (): never => fail(i >= text.length ? 'not JSON: unexpected end of input' : `not JSON: unexpected ${describeChar(text.charCodeAt(i))}`);

  const readString = (): string => {
    const start = i;
    i++; // the opening quote
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) fail('not JSON: unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) fail(`not JSON: ${describeChar(c)} inside a string (write it as an escape)`);
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('not JSON: bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && ESCAPES[e] !== undefined) {
          out += ESCAPES[e];
          i += 2;
        } else fail('not JSON: bad escape in a string');
        run = i;
        continue;
      }
      i++;
    }
  };

  const readNumber = (): number => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0] === '-') return unexpected();
    const src = m[0];
    const n = Number(src);
    if (!Number.isFinite(n)) fail(`number ${clip(src)} is out of range`);
    if (Number.isInteger(n) && !Number.isSafeInteger(n)) fail(`integer ${clip(src)} is past 2^53 and cannot be held exactly (write a u64 as a "0x..." string)`);
    i += src.length;
    return n;
  };

  const readScalar = (): unknown => {
    const c = text[i];
    if (c === '"') return readString();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return readNumber();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return unexpected();
  };

  const stack: Container[] = [];
  let result: unknown;
  let done = false;
  /** Place a finished value into the container on top (or as the result). */
  const place = (v: unknown) => {
    const top = stack[stack.length - 1];
    if (!top) {
      result = v;
      done = true;
    } else if (top.kind === 'array') top.value.push(v);
    else {
      // top.key was set by the key that preceded this value
      Object.defineProperty(top.value, top.key!, { value: v, enumerable: true, writable: true, configurable: true });
      top.key = null;
    }
  };
  /** After a value inside a container: a ',' (the next element follows), or closes, as many as there are. */
  const afterValue = (): void => {
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) return;
      skipWs();
      const c = text[i];
      const close = top.kind === 'array' ? ']' : '}';
      if (c === ',') {
        i++;
        return;
      }
      if (c === close) {
        i++;
        stack.pop();
        place(top.value);
        continue;
      }
      unexpected();
    }
  };
  const open = (c: Container) => {
    if (stack.length >= limits.maxDepth) fail(`nested deeper than ${limits.maxDepth} levels`);
    stack.push(c);
  };

  skipWs();
  while (!done) {
    const top = stack[stack.length - 1];
    skipWs();
    if (top?.kind === 'object' && top.key === null) {
      // a key, or the close of an empty object
      if (text[i] === '}' && Object.keys(top.value).length === 0) {
        i++;
        stack.pop();
        place(top.value);
        if (!done) afterValue();
        continue;
      }
      if (text[i] !== '"') unexpected();
      const at = i;
      const key = readString();
      if (Object.prototype.hasOwnProperty.call(top.value, key)) fail(`key ${clip(JSON.stringify(key))} given twice`, at);
      skipWs();
      if (text[i] !== ':') unexpected();
      i++;
      top.key = key;
      continue;
    }
    if (top?.kind === 'array' && text[i] === ']' && top.value.length === 0) {
      i++;
      stack.pop();
      place(top.value);
      if (!done) afterValue();
      continue;
    }
    const c = text[i];
    if (c === '[') {
      i++;
      open({ kind: 'array', value: [] });
      continue;
    }
    if (c === '{') {
      i++;
      open({ kind: 'object', value: {}, key: null });
      continue;
    }
    place(readScalar());
    if (!done) afterValue();
  }
  skipWs();
  if (i < text.length) unexpected();
  return result;
}

/** A character as a reader of a one-line error wants it: visible, never raw control bytes. */
function describeChar(code: number): string {
  if (code < 0x20 || code === 0x7f) return `control character 0x${code.toString(16).padStart(2, '0')}`;
  return `'${String.fromCharCode(code)}'`;
}

const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 37)}...` : s);
