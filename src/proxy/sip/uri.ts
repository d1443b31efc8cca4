// URIs in From (RFC 3261 §19.1, §25.1): `sip:` / `sips:` `[userinfo@]host[:port][;params][?headers]`
// give a domain (the routing key) and a user (the identity a client certificate must carry);
// `tel:` (RFC 3966) has no domain, and other schemes are not routable.

import { isIPv4, isIPv6 } from 'node:net';
import {
  HOST_CHAR,
  PASSWORD_CHAR,
  URI_TAIL_CHAR,
  USER_CHAR,
  hasValidEscapes,
  isMadeOf,
  skipChars,
} from './chars.ts';

export type SipUri =
  | {
      readonly scheme: 'sip' | 'sips';
      /** The user part as written (escapes kept); undefined when the URI has no userinfo. */
      readonly user: string | undefined;
      /** Host lower-cased, one trailing dot stripped; an IPv6 reference without brackets. */
      readonly domain: string;
    }
  | { readonly scheme: 'tel' }
  | { readonly scheme: 'other'; readonly name: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** user = 1*( unreserved / escaped / user-unreserved ); UTF-8 bytes are tolerated (latin1 >= 0x80). */
function isUser(user: string): boolean {
  for (let i = 0; i < user.length; i++) {
    const code = user.charCodeAt(i);
    if (code < 0x80 && USER_CHAR[code] !== 1) return false;
  }
  return user.length > 0 && hasValidEscapes(user);
}

/** userinfo = user [ ":" password ]; the user when both are well-formed. */
function userOf(userinfo: string): string | undefined {
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? '' : userinfo.slice(colon + 1);
  if (!isUser(user)) return undefined;
  if (password !== '' && !(isMadeOf(password, PASSWORD_CHAR) && hasValidEscapes(password))) {
    return undefined;
  }
  return user;
}

/** RFC 3261 §25.1 hostname: dot-separated labels of alphanum and "-", not starting or ending in "-". */
function isHostname(name: string): boolean {
  if (name.length === 0 || name.length > MAX_DOMAIN_LENGTH) return false;
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_LENGTH) return false;
    if (!isMadeOf(label, HOST_CHAR) || label.startsWith('-') || label.endsWith('-')) return false;
  }
  // A toplabel starts with ALPHA: an all-digit last label means an IPv4 address, which must be one.
  return !/^\d+$/.test(labels[labels.length - 1] ?? '') || isIPv4(name);
}

/** port = 1*DIGIT, at most 65535. */
function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535;
}

/** hostport = host [ ":" port ]; the domain, or undefined. */
function readHostport(hostport: string): string | undefined {
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    const address = hostport.slice(1, close).toLowerCase();
    const rest = hostport.slice(close + 1);
    if (close < 0 || !isIPv6(address)) return undefined;
    return rest === '' || (rest.startsWith(':') && isPort(rest.slice(1))) ? address : undefined;
  }
  const colon = hostport.indexOf(':');
  const host = colon < 0 ? hostport : hostport.slice(0, colon);
  if (colon >= 0 && !isPort(hostport.slice(colon + 1))) return undefined;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return isHostname(name) ? name.toLowerCase() : undefined;
}

/** Every character a hostport may hold: host characters, ":" and the brackets of an IPv6 reference. */
const HOST_PORT_CHAR = (() => {
  const out = HOST_CHAR.slice();
  for (const c of ':[]') out[c.charCodeAt(0)] = 1;
  return out;
})();

/** uri-parameters and headers after the hostport: `;` or `?` first, escapes well-formed. */
function isUriTail(tail: string): boolean {
  if (tail === '') return true;
  return /^[;?]/.test(tail) && isMadeOf(tail, URI_TAIL_CHAR) && hasValidEscapes(tail);
}

/**
 * The part after `sip:`. The user part may hold `;` and `?` (RFC 4475 `semiuri`), so the userinfo
 * boundary is settled first: "@" appears nowhere else in a SIP URI, so there may be one at most.
 */
function readSipUri(scheme: 'sip' | 'sips', rest: string): SipUri | undefined {
  const at = rest.indexOf('@');
  if (at !== rest.lastIndexOf('@')) return undefined;
  const user = at < 0 ? undefined : userOf(rest.slice(0, at));
  if (at >= 0 && user === undefined) return undefined;
  const hostEnd = skipChars(rest, at + 1, HOST_PORT_CHAR);
  if (!isUriTail(rest.slice(hostEnd))) return undefined;
  const domain = readHostport(rest.slice(at + 1, hostEnd));
  return domain === undefined ? undefined : { scheme, user, domain };
}

/** Reads a URI as written in From or To; undefined when it is not a URI we can read. */
export function readUri(text: string): SipUri | undefined {
  const match = SCHEME.exec(text);
  if (match === null) return undefined;
  const scheme = (match[1] ?? '').toLowerCase();
  const rest = text.slice(scheme.length + 1);
  if (scheme === 'sip' || scheme === 'sips') return readSipUri(scheme, rest);
  if (scheme === 'tel') return { scheme: 'tel' };
  return { scheme: 'other', name: scheme };
}

/**
 * The identity a user part names: escapes decoded (RFC 4475 `esc01`: `I%20have%20spaces` is
 * "I have spaces") and read as UTF-8. Undefined when that is not valid UTF-8 or holds a control
 * character (RFC 4475 `escnull`'s `%00`): such a name cannot be what a certificate carries.
 */
export function userIdentity(user: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < user.length; i++) {
    if (user[i] === '%') {
      bytes.push(Number.parseInt(user.slice(i + 1, i + 3), 16)); // NaN (a broken escape) becomes 0
      i += 2;
    } else {
      bytes.push(user.charCodeAt(i));
    }
  }
  let text: string;
  try {
    text = UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  return /[\u0000-\u001f\u007f-\u009f]/.test(text) ? undefined : text;
}
