// The start line of a SIP message (RFC 3261 §7.1, §7.2): a Request-Line
// `Method SP Request-URI SP SIP-Version` or a Status-Line `SIP-Version SP Status-Code SP Reason`.

import { TOKEN, isMadeOf } from './chars.ts';
import { type Checked, checked, refused } from './problem.ts';

export type SipStartLine =
  | { readonly kind: 'request'; readonly method: string; readonly requestUri: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

/** RFC 3261 §7.1: "SIP/2.0", case-insensitive (implementations send it upper-case). */
const VERSION = /^sip\/2\.0$/i;
/** Any other SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (RFC 4475 `badvers` sends SIP/7.0). */
const OTHER_VERSION = /^sip\/\d+\.\d+$/i;
/** Status-Code = 3DIGIT; a Reason-Phrase may be empty (RFC 4475 `noreason`). */
const STATUS_LINE = /^sip\/(\d+\.\d+) ([1-6]\d\d) (.*)$/is;

function readStatusLine(line: string): Checked<SipStartLine> {
  const match = STATUS_LINE.exec(line);
  if (match === null) return refused('sip.bad-start-line');
  const [, version = '', status = '', reason = ''] = match;
  if (version !== '2.0') return refused('sip.bad-version');
  return checked({ kind: 'response', status: Number(status), reason });
}

/** A Request-URI is one run of visible ASCII; its own syntax does not matter for routing. */
function isRequestUri(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return false;
  }
  return true;
}

/**
 * Exactly one SP between the three parts (RFC 4475 `lwsstart` and `trws` are invalid): a split on
 * SP must give three non-empty parts.
 */
function readRequestLine(line: string): Checked<SipStartLine> {
  const parts = line.split(' ');
  const [method = '', requestUri = '', version = ''] = parts;
  if (parts.length !== 3 || !isMadeOf(method, TOKEN) || !isRequestUri(requestUri)) {
    return refused('sip.bad-start-line');
  }
  if (!VERSION.test(version)) {
    return refused(OTHER_VERSION.test(version) ? 'sip.bad-version' : 'sip.bad-start-line');
  }
  return checked({ kind: 'request', method, requestUri });
}

/** Reads a start line (latin1 text, without its CRLF). */
export function readStartLine(line: string): Checked<SipStartLine> {
  return /^sip\//i.test(line) ? readStatusLine(line) : readRequestLine(line);
}
