// A response head from the backend (RFC 9112 §4, §6.3): status, framing and persistence, as strict
// as requests (a backend that desyncs is answered 502, not relayed).

import { type Decoded, incomplete, malformed, ok } from '../../codec/decoded.ts';
import { CR, HTAB, LF, SP, asBuffer, byteAt } from './chars.ts';
import { scanFieldLines, summary, takeFields } from './field-lines.ts';
import {
  type BodyFraming,
  chunkedBody,
  findBareLineEnd,
  findHeadEnd,
  neededForHeadEnd,
  noBody,
  untilClose,
} from './framing.ts';
import { ChunkedCoding, ConnectionOption, findChunkedCoding } from './lists.ts';
import type { HeadLimits, HttpResponseProblem } from './problem.ts';
import { BAD_VERSION, NEED_MORE, VERSION_LENGTH, lineProblem, readVersion } from './version.ts';

export interface ResponseHead {
  /** The input as a Buffer view (no copy); `fields` offsets index it. */
  readonly bytes: Buffer;
  readonly size: number;
  readonly status: number;
  readonly version: '1.0' | '1.1';
  readonly framing: BodyFraming;
  /** 1xx other than 101: another head follows for the same request (RFC 9110 §15.2). */
  readonly isInterim: boolean;
  /** 101: after this head the connection is a tunnel (RFC 9110 §15.2.2). */
  readonly isSwitchingProtocols: boolean;
  /** ConnectionOption bits of the Connection fields. */
  readonly connection: number;
  /** RFC 9112 §9.3: whether the backend connection may carry another request afterwards. */
  readonly isPersistent: boolean;
  readonly fields: readonly number[];
}

/** The status line's parts; one module-level instance is reused. */
const statusLine = { version: 11, status: 0, lineEnd: 0, offset: 0 };
const LINE_INCOMPLETE = 'incomplete';
type LineResult = HttpResponseProblem | typeof LINE_INCOMPLETE | undefined;

function failAt(at: number, problem: HttpResponseProblem): HttpResponseProblem {
  statusLine.offset = at;
  return problem;
}

function readStatusCode(bytes: Uint8Array, at: number): number {
  let status = 0;
  for (let i = 0; i < 3; i++) {
    const digit = (bytes[at + i] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    status = status * 10 + digit;
  }
  return status >= 100 && status <= 599 ? status : -1;
}

/** After the status code: [ SP reason-phrase ] CRLF; returns the index of the CR or a problem. */
function scanReason(bytes: Uint8Array, at: number, end: number): number | LineResult {
  let p = at;
  if (bytes[p] === SP) {
    // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    let c = byteAt(bytes, ++p);
    while (p < end && (c >= SP ? c !== 0x7f : c === HTAB)) c = byteAt(bytes, ++p);
  }
  if (p + 1 >= end) return LINE_INCOMPLETE;
  if (bytes[p] === CR && bytes[p + 1] === LF) return p;
  return failAt(p, lineProblem(bytes, p, 'http.bad-status-line'));
}

/** status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (a missing last SP is accepted). */
function scanStatusLine(bytes: Uint8Array, end: number): LineResult {
  const version = readVersion(bytes, 0, end);
  if (version === NEED_MORE) return LINE_INCOMPLETE;
  if (version === BAD_VERSION) return failAt(0, lineProblem(bytes, 0, 'http.bad-status-line'));
  if (version !== 11 && version !== 10) return failAt(0, 'http.unsupported-version');
  if (end < VERSION_LENGTH + 4) return LINE_INCOMPLETE;
  const status = readStatusCode(bytes, VERSION_LENGTH + 1);
  if (bytes[VERSION_LENGTH] !== SP || status < 0) {
    return failAt(VERSION_LENGTH, 'http.bad-status-line');
  }
  const lineEnd = scanReason(bytes, VERSION_LENGTH + 4, end);
  if (typeof lineEnd !== 'number') return lineEnd;
  statusLine.version = version;
  statusLine.status = status;
  statusLine.lineEnd = lineEnd;
  return undefined;
}

/** RFC 9112 §6.3, in its order. */
function readFraming(
  bytes: Buffer,
  status: number,
  requestMethod: string,
): BodyFraming | HttpResponseProblem {
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) return noBody;
  if (summary.transferEncodingCount > 0) {
    if (summary.contentLengthCount > 0) return 'http.content-length-with-transfer-encoding';
    if (statusLine.version === 10) return 'http.transfer-encoding-http10';
    if (summary.transferEncodingCount > 1) return 'http.bad-transfer-encoding';
    const { transferEncodingStart: start, transferEncodingEnd: end } = summary;
    const chunked = findChunkedCoding(bytes, start, end);
    if (chunked === ChunkedCoding.misplaced) return 'http.bad-transfer-encoding';
    return chunked === ChunkedCoding.final ? chunkedBody : untilClose;
  }
  if (summary.contentLengthCount > 0) return { kind: 'length', length: summary.contentLength };
  return untilClose;
}

function buildHead(
  bytes: Buffer,
  size: number,
  framing: BodyFraming,
  fields: number[],
): ResponseHead {
  const { status, version } = statusLine;
  const connection = summary.connection;
  return {
    bytes,
    size,
    status,
    version: version === 11 ? '1.1' : '1.0',
    framing,
    isInterim: status < 200 && status !== 101,
    isSwitchingProtocols: status === 101,
    connection,
    isPersistent:
      status !== 101 &&
      framing.kind !== 'close' &&
      (connection & ConnectionOption.close) === 0 &&
      (version === 11 || (connection & ConnectionOption.keepAlive) !== 0),
    fields,
  };
}

function decodeWhole(
  bytes: Buffer,
  size: number,
  requestMethod: string,
  limits: HeadLimits,
): Decoded<ResponseHead, HttpResponseProblem> {
  if (!scanFieldLines(bytes, statusLine.lineEnd + 2, size - 2, limits.maxHeaders)) {
    return malformed(summary.problem ?? 'http.bad-field-name', summary.offset);
  }
  const framing = readFraming(bytes, statusLine.status, requestMethod);
  if (typeof framing === 'string') {
    return malformed(framing, Math.max(0, summary.transferEncodingStart));
  }
  return ok(buildHead(bytes, size, framing, takeFields()), size);
}

/**
 * Decodes the response head at the start of `input`, sent in answer to a `requestMethod` request
 * (HEAD responses have no body).
 */
export function decodeResponseHead(
  input: Uint8Array,
  requestMethod: string,
  limits: HeadLimits,
): Decoded<ResponseHead, HttpResponseProblem> {
  const bytes = asBuffer(input);
  const size = findHeadEnd(bytes, 0);
  if (size > limits.maxHeadBytes || (size < 0 && bytes.length >= limits.maxHeadBytes)) {
    return malformed('http.head-too-large', limits.maxHeadBytes);
  }
  const line = scanStatusLine(bytes, size < 0 ? bytes.length : size);
  if (size < 0) {
    if (line !== undefined && line !== LINE_INCOMPLETE) return malformed(line, statusLine.offset);
    const bare = findBareLineEnd(bytes, 0);
    if (bare >= 0) return malformed(bytes[bare] === LF ? 'http.bare-lf' : 'http.bare-cr', bare);
    return incomplete(neededForHeadEnd(bytes));
  }
  if (line !== undefined) {
    return malformed(line === LINE_INCOMPLETE ? 'http.bad-status-line' : line, statusLine.offset);
  }
  return decodeWhole(bytes, size, requestMethod, limits);
}
