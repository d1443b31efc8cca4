// Field lines of a head (RFC 9112 §5): `field-name ":" OWS field-value OWS CRLF`, scanned once into a
// flat offset list, with the fields that decide framing, routing and connection handling noted.

import {
  COLON,
  CR,
  FIELD_VALUE,
  LF,
  TCHAR,
  byteAt,
  equalsLower,
  isWhitespace,
  skipSpaces,
  trimEnd,
} from './chars.ts';
import { Field, classifyHashedName, hashStep } from './field-names.ts';
import { readConnectionOptions } from './lists.ts';
import type { HttpHeadProblem } from './problem.ts';

/** Numbers per field in `fields`: name start, name end, value start, value end (OWS trimmed), Field. */
export const FIELD_STRIDE = 5;

/** What the scan learnt; one module-level instance is reused (the scan is synchronous). */
export interface FieldSummary {
  problem: HttpHeadProblem | undefined;
  offset: number;
  hostCount: number;
  hostStart: number;
  hostEnd: number;
  contentLengthCount: number;
  contentLength: number;
  transferEncodingCount: number;
  transferEncodingStart: number;
  transferEncodingEnd: number;
  /** ConnectionOption bits of every Connection field together. */
  connection: number;
  isUpgradeWebSocket: boolean;
  hasAuthorization: boolean;
  expectsContinue: boolean;
}

function initial(): FieldSummary {
  return {
    problem: undefined,
    offset: 0,
    hostCount: 0,
    hostStart: -1,
    hostEnd: -1,
    contentLengthCount: 0,
    contentLength: -1,
    transferEncodingCount: 0,
    transferEncodingStart: -1,
    transferEncodingEnd: -1,
    connection: 0,
    isUpgradeWebSocket: false,
    hasAuthorization: false,
    expectsContinue: false,
  };
}

export const summary: FieldSummary = initial();

function reset(): void {
  summary.problem = undefined;
  summary.offset = 0;
  summary.hostCount = 0;
  summary.hostStart = -1;
  summary.hostEnd = -1;
  summary.contentLengthCount = 0;
  summary.contentLength = -1;
  summary.transferEncodingCount = 0;
  summary.transferEncodingStart = -1;
  summary.transferEncodingEnd = -1;
  summary.connection = 0;
  summary.isUpgradeWebSocket = false;
  summary.hasAuthorization = false;
  summary.expectsContinue = false;
}

function fail(problem: HttpHeadProblem, offset: number): -1 {
  summary.problem = problem;
  summary.offset = offset;
  return -1;
}

/** The problem with a byte that may not appear in a field value (RFC 9110 §5.5). */
function controlProblem(bytes: Uint8Array, at: number): HttpHeadProblem {
  const c = bytes[at];
  if (c === 0) return 'http.nul';
  if (c === LF) return 'http.bare-lf';
  if (c === CR && bytes[at + 1] !== LF) return 'http.bare-cr';
  return 'http.bad-field-value';
}

/** RFC 9112 §5.1: no whitespace between name and colon; anything else that is not a tchar is bad. */
function nameProblem(bytes: Uint8Array, at: number): HttpHeadProblem {
  if (isWhitespace(bytes[at])) {
    return bytes[skipSpaces(bytes, at)] === COLON
      ? 'http.space-before-colon'
      : 'http.bad-field-name';
  }
  const problem = controlProblem(bytes, at);
  return problem === 'http.bad-field-value' ? 'http.bad-field-name' : problem;
}

/** RFC 9110 §8.6: Content-Length = 1*DIGIT; 15 digits keep it an exact JS integer. */
function readContentLength(bytes: Uint8Array, start: number, end: number): number {
  if (end === start || end - start > 15) return -1;
  let value = 0;
  for (let p = start; p < end; p++) {
    const digit = byteAt(bytes, p) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function noteContentLength(bytes: Uint8Array, start: number, end: number): number {
  // RFC 9110 §8.6 lets a recipient accept identical repeats; we refuse every repeat instead.
  if (summary.contentLengthCount++ > 0) return fail('http.duplicate-content-length', start);
  summary.contentLength = readContentLength(bytes, start, end);
  return summary.contentLength < 0 ? fail('http.bad-content-length', start) : 0;
}

/** Records a known field's value; -1 (with the problem set) when it is refused outright. */
function note(bytes: Uint8Array, field: Field, start: number, end: number): number {
  if (field === Field.contentLength) return noteContentLength(bytes, start, end);
  if (field === Field.host && summary.hostCount++ === 0) {
    summary.hostStart = start;
    summary.hostEnd = end;
  } else if (field === Field.transferEncoding) {
    summary.transferEncodingCount++;
    summary.transferEncodingStart = start;
    summary.transferEncodingEnd = end;
  } else if (field === Field.connection) {
    summary.connection |= readConnectionOptions(bytes, start, end);
  } else if (field === Field.upgrade) {
    summary.isUpgradeWebSocket = equalsLower(bytes, start, end, 'websocket');
  } else if (field === Field.authorization) {
    summary.hasAuthorization = true;
  } else if (field === Field.expect) {
    summary.expectsContinue = equalsLower(bytes, start, end, '100-continue');
  }
  return 0;
}

/** The first byte at or after `at` that is not field-vchar, SP, HTAB or obs-text (RFC 9110 §5.5). */
function skipValue(bytes: Uint8Array, at: number): number {
  let p = at;
  while (FIELD_VALUE[byteAt(bytes, p)] === 1) p++;
  return p;
}

/** Fields of the current scan, copied out by takeFields (one exact-size array per head). */
const scratch: number[] = [];
let scratchLength = 0;
/** hashStep hash of the name scanNameEnd last read. */
let nameHash = 0;

/** The end of the field name at `at` (first byte that is not a tchar), hashing it on the way. */
function scanNameEnd(bytes: Uint8Array, at: number): number {
  let p = at;
  let hash = 0;
  let c = byteAt(bytes, p);
  while (TCHAR[c] === 1) {
    hash = hashStep(hash, c);
    c = byteAt(bytes, ++p);
  }
  nameHash = hash;
  return p;
}

/** Scans the field line at `lineStart`; returns where the next line starts, or -1. */
function scanFieldLine(bytes: Uint8Array, lineStart: number): number {
  // RFC 9112 §5.2: a line starting with whitespace is obs-fold; a server may reject it (we do).
  if (isWhitespace(bytes[lineStart])) return fail('http.obs-fold', lineStart);
  const nameEnd = scanNameEnd(bytes, lineStart);
  if (nameEnd === lineStart || bytes[nameEnd] !== COLON) {
    return fail(nameProblem(bytes, nameEnd), nameEnd);
  }
  const valueStart = skipSpaces(bytes, nameEnd + 1);
  const lineEnd = skipValue(bytes, valueStart);
  if (bytes[lineEnd] !== CR || bytes[lineEnd + 1] !== LF) {
    return fail(controlProblem(bytes, lineEnd), lineEnd);
  }
  const valueEnd = trimEnd(bytes, valueStart, lineEnd);
  const field = classifyHashedName(bytes, lineStart, nameEnd, nameHash);
  if (field === Field.framingLookalike) return fail('http.bad-field-name', lineStart);
  const at = scratchLength;
  scratch[at] = lineStart;
  scratch[at + 1] = nameEnd;
  scratch[at + 2] = valueStart;
  scratch[at + 3] = valueEnd;
  scratch[at + 4] = field;
  scratchLength = at + FIELD_STRIDE;
  if (field !== Field.other && note(bytes, field, valueStart, valueEnd) < 0) return -1;
  return lineEnd + 2;
}

/**
 * Scans the field lines in [from, last), where `last` is the index of the CR of the empty line
 * that ends the head (the caller found it). Returns false with `summary.problem` set on the first
 * problem; else takeFields() has the fields.
 */
export function scanFieldLines(
  bytes: Uint8Array,
  from: number,
  last: number,
  maxHeaders: number,
): boolean {
  reset();
  scratchLength = 0;
  let count = 0;
  for (let p = from; p < last;) {
    if (++count > maxHeaders) {
      fail('http.too-many-headers', p);
      return false;
    }
    p = scanFieldLine(bytes, p);
    if (p < 0) return false;
  }
  return true;
}

/** The fields of the last successful scan: FIELD_STRIDE numbers per field, in a fresh array. */
export function takeFields(): number[] {
  return scratch.slice(0, scratchLength);
}
