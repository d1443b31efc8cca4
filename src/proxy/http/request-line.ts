// request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3), exactly one SP
// between elements; checked byte by byte so a non-HTTP stream is refused on its first bytes.

import { CR, LF, SP, TARGET_CHAR, byteAt, skipToken } from './chars.ts';
import type { HttpRequestProblem } from './problem.ts';
import { BAD_VERSION, NEED_MORE, VERSION_LENGTH, lineProblem, readVersion } from './version.ts';

/** Where the request line's parts are; one module-level instance is reused. */
export interface RequestLine {
  methodEnd: number;
  targetStart: number;
  targetEnd: number;
  /** Index of the CR that ends the line. */
  lineEnd: number;
  version: '1.0' | '1.1';
  /** Where the problem was found when the scan fails. */
  offset: number;
}

export const requestLine: RequestLine = {
  methodEnd: 0,
  targetStart: 0,
  targetEnd: 0,
  lineEnd: 0,
  version: '1.1',
  offset: 0,
};

/** scanRequestLine's answer when the line is a valid prefix that needs more bytes. */
export const LINE_INCOMPLETE = 'incomplete';

type LineResult = HttpRequestProblem | typeof LINE_INCOMPLETE | undefined;

function failAt(at: number, problem: HttpRequestProblem): HttpRequestProblem {
  requestLine.offset = at;
  return problem;
}

function scanVersion(bytes: Uint8Array, at: number, end: number): LineResult {
  const version = readVersion(bytes, at, end);
  if (version === NEED_MORE) return LINE_INCOMPLETE;
  if (version === BAD_VERSION) return failAt(at, lineProblem(bytes, at, 'http.bad-version'));
  const cr = at + VERSION_LENGTH;
  if (cr >= end) return LINE_INCOMPLETE;
  if (bytes[cr] !== CR) return failAt(cr, lineProblem(bytes, cr, 'http.bad-request-line'));
  if (cr + 1 >= end) return LINE_INCOMPLETE;
  if (bytes[cr + 1] !== LF) return failAt(cr, 'http.bare-cr');
  // HTTP/2 prior knowledge ("PRI * HTTP/2.0") and HTTP/1.2+ are not HTTP/1.x we can relay.
  if (version !== 11 && version !== 10) return failAt(at, 'http.unsupported-version');
  requestLine.version = version === 11 ? '1.1' : '1.0';
  requestLine.lineEnd = cr;
  return undefined;
}

/** method SP: returns the index of the SP, or a problem / LINE_INCOMPLETE. */
function scanMethod(bytes: Uint8Array, start: number, end: number): number | LineResult {
  const p = skipToken(bytes, start);
  if (p >= end) return LINE_INCOMPLETE;
  if (p > start && bytes[p] === SP) return p;
  // "GET CRLF" lacks a target; any other byte is not a tchar (TLS, binary, "GE\0T").
  const otherwise = p > start && bytes[p] === CR ? 'http.bad-request-line' : 'http.bad-method';
  return failAt(p, lineProblem(bytes, p, otherwise));
}

/** request-target SP: returns the index of the SP, or a problem / LINE_INCOMPLETE. */
function scanTarget(bytes: Uint8Array, start: number, end: number): number | LineResult {
  let p = start;
  while (p < end && TARGET_CHAR[byteAt(bytes, p)] === 1) p++;
  if (p >= end) return LINE_INCOMPLETE;
  if (p > start && bytes[p] === SP) return p;
  if (p > start && bytes[p] === CR) {
    // HTTP/0.9 "GET /path CRLF" has no version.
    if (p + 1 >= end) return LINE_INCOMPLETE;
    if (bytes[p + 1] === LF) return failAt(p, 'http.unsupported-version');
  }
  return failAt(
    p,
    lineProblem(bytes, p, p === start ? 'http.bad-request-line' : 'http.bad-target'),
  );
}

/**
 * Scans the request line starting at `start` within bytes[..end). Fills `requestLine` and returns
 * undefined when valid, LINE_INCOMPLETE when bytes run out first, else the problem.
 */
export function scanRequestLine(bytes: Uint8Array, start: number, end: number): LineResult {
  const methodEnd = scanMethod(bytes, start, end);
  if (typeof methodEnd !== 'number') return methodEnd;
  const targetEnd = scanTarget(bytes, methodEnd + 1, end);
  if (typeof targetEnd !== 'number') return targetEnd;
  requestLine.methodEnd = methodEnd;
  requestLine.targetStart = methodEnd + 1;
  requestLine.targetEnd = targetEnd;
  return scanVersion(bytes, targetEnd + 1, end);
}

const knownMethods: readonly string[] = [
  'GET',
  'POST',
  'HEAD',
  'PUT',
  'OPTIONS',
  'DELETE',
  'PATCH',
];

/** The method as a string, the common ones without allocating (methods are case-sensitive). */
export function readMethod(bytes: Buffer, start: number, end: number): string {
  for (const name of knownMethods) {
    if (name.length !== end - start) continue;
    let i = 0;
    while (i < name.length && bytes[start + i] === name.charCodeAt(i)) i++;
    if (i === name.length) return name;
  }
  return bytes.toString('latin1', start, end);
}
