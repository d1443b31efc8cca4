// Byte classes of RFC 3261 §25.1 as 256-entry tables (token, URI user, password and parameter
// characters) and the small string scanners the SIP parsers share. Header text is latin1, so
// every character code is one byte.

import { BACKSLASH, DQUOTE, HTAB, SP } from '../http/chars.ts';

export { CR, DQUOTE, LF } from '../http/chars.ts';

function table(singles: string): Uint8Array {
  const out = new Uint8Array(256);
  out.fill(1, 0x30, 0x3a);
  out.fill(1, 0x41, 0x5b);
  out.fill(1, 0x61, 0x7b);
  for (let i = 0; i < singles.length; i++) out[singles.charCodeAt(i)] = 1;
  return out;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~");
/** user = 1*( unreserved / escaped / user-unreserved ); "%" starts an escape, checked apart. */
export const USER_CHAR = table("-_.!~*'()&=+$,;?/%");
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const PASSWORD_CHAR = table("-_.!~*'()&=+$,%");
/** uri-parameters and headers: paramchar, hnv-unreserved and their separators ";", "=", "?", "&". */
export const URI_TAIL_CHAR = table("-_.!~*'()[]/:&+$?=;%");
/** hostname = *( domainlabel "." ) toplabel [ "." ]; "_" is tolerated as DNS names carry it. */
export const HOST_CHAR = table('-._');
/** gen-value = token / host / quoted-string: token characters plus ":" "[" "]" of an IPv6 host. */
export const GEN_VALUE_CHAR = table("-.!%*_+`'~:[]");

export function isWhitespace(code: number): boolean {
  return code === SP || code === HTAB;
}

/** The index of the first character at or after `at` that is neither SP nor HTAB. */
export function skipWhitespace(text: string, at: number): number {
  let p = at;
  while (p < text.length && isWhitespace(text.charCodeAt(p))) p++;
  return p;
}

/** `text` without leading and trailing SP / HTAB (String#trim would also eat latin1 0xA0 bytes). */
export function trimWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isWhitespace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** The index of the first character at or after `at` that is not in `chars`. */
export function skipChars(text: string, at: number, chars: Uint8Array): number {
  let p = at;
  while (p < text.length && chars[text.charCodeAt(p)] === 1) p++;
  return p;
}

/** True when text[start..end) is not empty and made of `chars` only. */
export function isMadeOf(text: string, chars: Uint8Array, start = 0, end = text.length): boolean {
  return end > start && skipChars(text, start, chars) >= end;
}

function isHex(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x46) ||
    (code >= 0x61 && code <= 0x66)
  );
}

/** RFC 3261 §25.1: escaped = "%" HEXDIG HEXDIG; every "%" in text[start..end) must start one. */
export function hasValidEscapes(text: string, start = 0, end = text.length): boolean {
  for (let p = text.indexOf('%', start); p >= 0 && p < end; p = text.indexOf('%', p + 1)) {
    if (p + 2 >= end) return false;
    if (!isHex(text.charCodeAt(p + 1)) || !isHex(text.charCodeAt(p + 2))) return false;
  }
  return true;
}

/**
 * The end of the quoted-string opening at text[at] (the index after its closing quote), or -1.
 * RFC 3261 §25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F); the head scan already refused
 * control characters, so any character may follow a backslash here.
 */
export function quotedStringEnd(text: string, at: number): number {
  for (let p = at + 1; p < text.length; p++) {
    const code = text.charCodeAt(p);
    if (code === DQUOTE) return p + 1;
    if (code === BACKSLASH) p++;
  }
  return -1;
}

/** The content of a quoted-string with its quoted-pairs resolved (`\"` -> `"`). */
export function unquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/gs, '$1');
}
