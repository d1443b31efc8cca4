// Byte classes of RFC 9110 §5.6.2 and RFC 9112 as 256-entry tables, plus latin1 views: the parsers
// look bytes up instead of running a regex per field.

export const HTAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const DQUOTE = 0x22;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
export const EQUALS = 0x3d;
export const BACKSLASH = 0x5c;

function table(ranges: readonly (readonly [number, number])[], singles: string): Uint8Array {
  const out = new Uint8Array(256);
  for (const [from, to] of ranges) out.fill(1, from, to + 1);
  for (let i = 0; i < singles.length; i++) out[singles.charCodeAt(i)] = 1;
  return out;
}

const DIGIT: readonly [number, number] = [0x30, 0x39];
const UPPER: readonly [number, number] = [0x41, 0x5a];
const LOWER: readonly [number, number] = [0x61, 0x7a];

/** RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
export const TCHAR = table([DIGIT, UPPER, LOWER], "!#$%&'*+-.^_`|~");

/** RFC 9110 §5.5: field-vchar, SP and HTAB inside a value; obs-text (0x80-0xFF) is allowed. */
export const FIELD_VALUE = table(
  [
    [0x20, 0x7e],
    [0x80, 0xff],
  ],
  '\t',
);

/** request-target bytes: visible ASCII except "#" (no fragment is sent, RFC 9112 §3.2). */
export const TARGET_CHAR = (() => {
  const out = table([[0x21, 0x7e]], '');
  out[0x23] = 0;
  return out;
})();

/** RFC 3986 unreserved: the only reg-name bytes we accept in a Host (no pct-encoding, no sub-delims). */
export const HOST_CHAR = table([DIGIT, UPPER, LOWER], '-._~');

export const HEX_VALUE: Int8Array = (() => {
  const out = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) out[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    out[0x41 + i] = 10 + i;
    out[0x61 + i] = 10 + i;
  }
  return out;
})();

export function isWhitespace(c: number | undefined): boolean {
  return c === SP || c === HTAB;
}

/** A Buffer over the same memory (no copy), so native indexOf/toString/copy are available. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Compares bytes[start..end) with an ASCII name made of letters, digits, "-", "_", ":" and "/",
 * ignoring case. `| 0x20` folds A-Z onto a-z and leaves those other characters as they are; the
 * bytes it could fold onto them (CR onto "-", DEL onto "_" and the like) are controls that the
 * callers' scans have already refused.
 */
export function equalsLower(bytes: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((byteAt(bytes, start + i) | 0x20) !== (lower.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

/** bytes[at], or 0 past the end: one small inlined helper instead of `?? 0` at every read. */
export function byteAt(bytes: Uint8Array, at: number): number {
  return bytes[at] ?? 0;
}

/** The index of the first byte at or after `at` that is neither SP nor HTAB. */
export function skipSpaces(bytes: Uint8Array, at: number): number {
  let p = at;
  while (isWhitespace(bytes[p])) p++;
  return p;
}

/** `end` moved back over trailing SP / HTAB, not before `start`. */
export function trimEnd(bytes: Uint8Array, start: number, end: number): number {
  let e = end;
  while (e > start && isWhitespace(bytes[e - 1])) e--;
  return e;
}

/** The index of the first byte at or after `at` that is not a tchar. */
export function skipToken(bytes: Uint8Array, at: number): number {
  let p = at;
  while (TCHAR[byteAt(bytes, p)] === 1) p++;
  return p;
}
