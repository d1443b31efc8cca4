// Whether a digest challenge says its nonce was merely stale (RFC 2617 §3.2.1, RFC 8760): then a
// 401/407 to a request with credentials is a retry request, not a rejected password.

import { DQUOTE, TOKEN, quotedStringEnd, skipChars, skipWhitespace, unquote } from './chars.ts';
import { type SipHead, headerValues } from './head.ts';

const COMMA = 0x2c;
const EQUAL = 0x3d;

/**
 * True when the WWW-Authenticate / Proxy-Authenticate value has an auth-param `stale=true`
 * (token or quoted, any case). Quoted strings are skipped whole, so a realm that merely contains
 * the text `stale=true` does not count.
 */
export function isStaleChallenge(value: string): boolean {
  let p = 0;
  while (p < value.length) {
    const nameStart = skipWhitespace(value, p);
    const nameEnd = skipChars(value, nameStart, TOKEN);
    p = skipWhitespace(value, nameEnd);
    if (value.charCodeAt(p) === EQUAL) {
      const valueStart = skipWhitespace(value, p + 1);
      const quoted = value.charCodeAt(valueStart) === DQUOTE;
      const valueEnd = quoted
        ? quotedStringEnd(value, valueStart)
        : skipChars(value, valueStart, TOKEN);
      if (valueEnd < 0) return false;
      const text = quoted
        ? unquote(value.slice(valueStart, valueEnd))
        : value.slice(valueStart, valueEnd);
      const name = value.slice(nameStart, nameEnd).toLowerCase();
      if (name === 'stale' && text.toLowerCase() === 'true') return true;
      p = skipWhitespace(value, valueEnd);
    }
    // A scheme name, a separator, or a byte we do not expect: step past it.
    if (p === nameStart || value.charCodeAt(p) === COMMA) p++;
  }
  return false;
}

/** Some challenge of the response (several may be offered, RFC 8760 §2.4) says stale=true. */
export function hasStaleChallenge(head: SipHead): boolean {
  return [
    ...headerValues(head, 'www-authenticate'),
    ...headerValues(head, 'proxy-authenticate'),
  ].some(isStaleChallenge);
}
