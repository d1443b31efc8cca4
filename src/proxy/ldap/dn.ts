// Distinguished names in their string form (RFC 4514 §3), escapes decoded exactly. Lenient only
// where real clients are (spaces around `,` `+` `=`, as in the innovaphone example
// `CN=user, DC=domain`); what another parser could read differently is refused, so that the domain
// the proxy routes by is the one the directory server reads.

import { isUtf8 } from 'node:buffer';

export interface Ava {
  /** The attribute type, lower-cased: a descriptor (`dc`) or a numeric OID. */
  readonly type: string;
  /** The decoded value; undefined for a `#hex` value (BER, left undecoded). */
  readonly value: string | undefined;
}

/** One RDN: its attribute-value pairs, several when multi-valued (`cn=a+uid=b`). */
export type Rdn = readonly Ava[];

interface Read<T> {
  readonly value: T;
  readonly next: number;
}

/** §3 attributeType: descr / numericoid. */
const TYPE = /[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)*/y;
/** §3 hexstring. */
const HEX_STRING = /#(?:[0-9A-Fa-f]{2})+/y;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
/** §3 pair: a backslash before one of these stands for the character itself. */
const ESCAPABLE: ReadonlySet<string> = new Set(['"', '+', ',', ';', '<', '>', '\\', ' ', '#', '=']);
/**
 * §3 stringchar excludes these unescaped. Refused rather than tolerated: RFC 2253 parsers take `;`
 * as an RDN separator and RFC 1779 ones `"` as a quote, and would read another DN.
 */
const FORBIDDEN: ReadonlySet<string> = new Set(['"', ';', '<', '>', '\0']);

function skipSpaces(text: string, at: number): number {
  let p = at;
  while (text[p] === ' ') p++;
  return p;
}

function hexPairAt(text: string, at: number): number | undefined {
  const pair = text.slice(at, at + 2);
  return HEX_PAIR.test(pair) ? parseInt(pair, 16) : undefined;
}

/** A backslash escape at `at`: a special character, or a run of `\XX` octets that is valid UTF-8. */
function readEscape(text: string, at: number): Read<string> | undefined {
  const escaped = text[at + 1];
  if (hexPairAt(text, at + 1) === undefined) {
    return escaped !== undefined && ESCAPABLE.has(escaped)
      ? { value: escaped, next: at + 2 }
      : undefined;
  }
  const octets: number[] = [];
  let p = at;
  for (let octet = hexPairAt(text, p + 1); text[p] === '\\' && octet !== undefined;) {
    octets.push(octet);
    p += 3;
    octet = hexPairAt(text, p + 1);
  }
  const buffer = Buffer.from(octets);
  return isUtf8(buffer) ? { value: buffer.toString('utf8'), next: p } : undefined;
}

/** A string value up to an unescaped `,` or `+`, without its unescaped trailing spaces. */
function readString(text: string, start: number): Read<string> | undefined {
  let out = '';
  let kept = 0; // out.length up to the last character that is not an unescaped space
  let at = start;
  while (at < text.length) {
    const c = text.charAt(at);
    if (c === ',' || c === '+') break;
    if (FORBIDDEN.has(c)) return undefined;
    if (c === '\\') {
      const escape = readEscape(text, at);
      if (escape === undefined) return undefined;
      out += escape.value;
      kept = out.length;
      at = escape.next;
    } else {
      out += c;
      at++;
      if (c !== ' ') kept = out.length;
    }
  }
  return { value: out.slice(0, kept), next: at };
}

function readHexString(text: string, at: number): Read<undefined> | undefined {
  HEX_STRING.lastIndex = at;
  if (!HEX_STRING.test(text)) return undefined;
  const next = skipSpaces(text, HEX_STRING.lastIndex);
  const after = text[next];
  return after === undefined || after === ',' || after === '+'
    ? { value: undefined, next }
    : undefined;
}

function readAva(text: string, start: number): Read<Ava> | undefined {
  TYPE.lastIndex = skipSpaces(text, start);
  const type = TYPE.exec(text);
  if (type === null) return undefined;
  let at = skipSpaces(text, TYPE.lastIndex);
  if (text[at] !== '=') return undefined;
  at = skipSpaces(text, at + 1);
  const value = text[at] === '#' ? readHexString(text, at) : readString(text, at);
  if (value === undefined) return undefined;
  return { value: { type: type[0].toLowerCase(), value: value.value }, next: value.next };
}

/** The RDNs of `text` in the order written (most specific first), or undefined when not a DN. */
export function parseDn(text: string): readonly Rdn[] | undefined {
  if (text.trim() === '') return [];
  const rdns: Rdn[] = [];
  let rdn: Ava[] = [];
  for (let at = 0; ; at++) {
    const ava = readAva(text, at);
    if (ava === undefined) return undefined;
    rdn.push(ava.value);
    at = ava.next;
    if (at >= text.length) {
      rdns.push(rdn);
      return rdns;
    }
    if (text[at] === ',') {
      rdns.push(rdn);
      rdn = [];
    }
  }
}
