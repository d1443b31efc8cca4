// request-target forms (RFC 9112 §3.2): origin-form, absolute-form (its authority replaces Host,
// §3.2.2), asterisk-form for OPTIONS only; authority-form belongs to CONNECT, which is refused.

import { equalsLower } from './chars.ts';
import { readHost } from './host.ts';
import type { HttpRequestProblem } from './problem.ts';

const SLASH = 0x2f;
const QUESTION = 0x3f;
const AT = 0x40;
const ASTERISK = 0x2a;

/** What the target says; one module-level instance is reused. */
export interface RequestTarget {
  form: 'origin' | 'absolute' | 'asterisk';
  /** origin-form target: path and query ("/" when an absolute-form URI had no path), or "*". */
  target: string;
  /** target without its query. */
  path: string;
  /** absolute-form only: the authority bytes and the host they name. */
  authorityStart: number;
  authorityEnd: number;
  authorityHost: string | undefined;
}

export const requestTarget: RequestTarget = {
  form: 'origin',
  target: '/',
  path: '/',
  authorityStart: -1,
  authorityEnd: -1,
  authorityHost: undefined,
};

function queryStart(bytes: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end && bytes[p] !== QUESTION) p++;
  return p;
}

function setPathAndQuery(bytes: Buffer, start: number, end: number): void {
  const query = queryStart(bytes, start, end);
  if (start === end || bytes[start] === QUESTION) {
    // RFC 9112 §3.2.1: an empty path is sent as "/".
    requestTarget.target = '/' + bytes.toString('latin1', start, end);
    requestTarget.path = '/';
    return;
  }
  const target = bytes.toString('latin1', start, end);
  requestTarget.target = target;
  requestTarget.path = query === end ? target : target.slice(0, query - start);
}

function readAbsoluteForm(
  bytes: Buffer,
  start: number,
  end: number,
): HttpRequestProblem | undefined {
  const length = end - start;
  const schemeLength =
    length >= 7 && equalsLower(bytes, start, start + 7, 'http://')
      ? 7
      : length >= 8 && equalsLower(bytes, start, start + 8, 'https://')
        ? 8
        : 0;
  // authority-form ("host:443") and other schemes have no place outside CONNECT.
  if (schemeLength === 0) return 'http.bad-target';
  const authorityStart = start + schemeLength;
  let p = authorityStart;
  while (p < end && bytes[p] !== SLASH && bytes[p] !== QUESTION) {
    // RFC 9110 §4.2.4: userinfo in an http(s) URI is to be treated as an error.
    if (bytes[p] === AT) return 'http.bad-target';
    p++;
  }
  const host = readHost(bytes, authorityStart, p);
  if (host === undefined) return 'http.bad-host';
  requestTarget.form = 'absolute';
  requestTarget.authorityStart = authorityStart;
  requestTarget.authorityEnd = p;
  requestTarget.authorityHost = host;
  setPathAndQuery(bytes, p, end);
  return undefined;
}

/** Reads bytes[start..end) (already checked to be visible ASCII without "#") for `method`. */
export function readTarget(
  bytes: Buffer,
  start: number,
  end: number,
  method: string,
): HttpRequestProblem | undefined {
  requestTarget.authorityStart = -1;
  requestTarget.authorityEnd = -1;
  requestTarget.authorityHost = undefined;
  const first = bytes[start];
  if (first === SLASH) {
    requestTarget.form = 'origin';
    setPathAndQuery(bytes, start, end);
    return undefined;
  }
  if (first === ASTERISK && end - start === 1) {
    if (method !== 'OPTIONS') return 'http.bad-target';
    requestTarget.form = 'asterisk';
    requestTarget.target = '*';
    requestTarget.path = '*';
    return undefined;
  }
  return readAbsoluteForm(bytes, start, end);
}
