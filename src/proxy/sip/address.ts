// The value of a From or To header (RFC 3261 §20.10, §20.20, §25.1): a name-addr
// `[display-name] <URI>` or a bare addr-spec, then header parameters such as `;tag=`. The URI
// itself is read by uri.ts.

import {
  DQUOTE,
  GEN_VALUE_CHAR,
  TOKEN,
  isWhitespace,
  quotedStringEnd,
  skipChars,
  skipWhitespace,
  unquote,
} from './chars.ts';

export interface SipAddress {
  /** The display name, quoted-pairs resolved; undefined for an addr-spec or none given. */
  readonly displayName: string | undefined;
  /** The URI as written (between `<` and `>`, or the bare addr-spec). */
  readonly uri: string;
  /** The `tag` header parameter, if present. */
  readonly tag: string | undefined;
}

const LAQUOT = 0x3c;
const SEMI = 0x3b;
const EQUAL = 0x3d;
/** Not a tag value: marks a parameter list that does not parse. */
const BAD = Symbol('bad parameters');

/** Display name tokens (`*(token LWS)`) from `at`; the index after them and the joined text. */
function readTokens(text: string, at: number): { end: number; name: string } {
  const words: string[] = [];
  let p = at;
  for (;;) {
    const end = skipChars(text, p, TOKEN);
    if (end === p) break;
    words.push(text.slice(p, end));
    p = skipWhitespace(text, end);
  }
  return { end: p, name: words.join(' ') };
}

/** A gen-value (token / host / quoted-string) at `at`; the index after it, or -1. */
function genValueEnd(text: string, at: number): number {
  if (text.charCodeAt(at) === DQUOTE) return quotedStringEnd(text, at);
  const end = skipChars(text, at, GEN_VALUE_CHAR);
  return end === at ? -1 : end;
}

/**
 * `*( SEMI generic-param )` from `at` to the end of the value, with SWS around `;` and `=`
 * (RFC 4475 `wsinv`: ` ;   tag    = 1918181833n`). Returns the tag, or BAD.
 */
function readParams(text: string, at: number): string | undefined | typeof BAD {
  let tag: string | undefined;
  let p = skipWhitespace(text, at);
  while (p < text.length) {
    if (text.charCodeAt(p) !== SEMI) return BAD;
    const nameStart = skipWhitespace(text, p + 1);
    const nameEnd = skipChars(text, nameStart, TOKEN);
    if (nameEnd === nameStart) return BAD;
    p = skipWhitespace(text, nameEnd);
    let value = '';
    if (text.charCodeAt(p) === EQUAL) {
      const valueStart = skipWhitespace(text, p + 1);
      const valueEnd = genValueEnd(text, valueStart);
      if (valueEnd < 0) return BAD;
      value = text.slice(valueStart, valueEnd);
      p = skipWhitespace(text, valueEnd);
    }
    if (text.slice(nameStart, nameEnd).toLowerCase() === 'tag') {
      // Two tags would let two parsers pick different dialogs.
      if (tag !== undefined || value === '') return BAD;
      tag = value;
    }
  }
  return tag;
}

function address(
  displayName: string | undefined,
  uri: string,
  tag: string | undefined | typeof BAD,
): SipAddress | undefined {
  return tag === BAD ? undefined : { displayName, uri, tag };
}

/** `<` URI `>` at `at` (LAQUOT), then parameters. */
function readNameAddr(
  text: string,
  at: number,
  displayName: string | undefined,
): SipAddress | undefined {
  const close = text.indexOf('>', at + 1);
  if (close < 0) return undefined;
  return address(displayName, text.slice(at + 1, close), readParams(text, close + 1));
}

/**
 * A bare addr-spec ends at the first `;` or whitespace: RFC 3261 §20.10 puts the parameters after
 * it on the header, and a URI holding `,`, `?` or `;` must be written in angle brackets.
 */
function readAddrSpec(text: string, at: number): SipAddress | undefined {
  let end = at;
  while (end < text.length && text.charCodeAt(end) !== SEMI && !isWhitespace(text.charCodeAt(end)))
    end++;
  const uri = text.slice(at, end);
  if (uri === '' || /[,?<>"]/.test(uri)) return undefined;
  return address(undefined, uri, readParams(text, end));
}

/**
 * Reads a From or To value (unfolded and trimmed, as decodeSipHead gives it); undefined when it is
 * neither a name-addr nor an addr-spec with well-formed parameters.
 */
export function readAddress(value: string): SipAddress | undefined {
  if (value.charCodeAt(0) === DQUOTE) {
    const end = quotedStringEnd(value, 0);
    if (end < 0) return undefined; // RFC 4475 `quotbal`
    const open = skipWhitespace(value, end);
    if (value.charCodeAt(open) !== LAQUOT) return undefined;
    return readNameAddr(value, open, unquote(value.slice(0, end)));
  }
  // RFC 4475 `lwsdisp`: `caller<sip:caller@example.com>` is accepted without LWS before `<`.
  const { end, name } = readTokens(value, 0);
  if (value.charCodeAt(end) === LAQUOT) {
    return readNameAddr(value, end, name === '' ? undefined : name);
  }
  return readAddrSpec(value, 0);
}
