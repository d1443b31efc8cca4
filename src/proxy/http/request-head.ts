// A request head (RFC 9112 §2-§7, strict where request smuggling lives): decoded once per request on
// a keep-alive connection, so the router and the URL allow-list see every request.

import { type Decoded, incomplete, malformed, ok } from '../../codec/decoded.ts';
import { CR, LF, asBuffer, equalsLower } from './chars.ts';
import { scanFieldLines, summary, takeFields } from './field-lines.ts';
import {
  type RequestFraming,
  chunkedBody,
  findBareLineEnd,
  findHeadEnd,
  neededForHeadEnd,
  noBody,
} from './framing.ts';
import { readHost } from './host.ts';
import { ConnectionOption } from './lists.ts';
import type { HeadLimits, HttpRequestProblem } from './problem.ts';
import { LINE_INCOMPLETE, readMethod, requestLine, scanRequestLine } from './request-line.ts';
import { readTarget, requestTarget } from './request-target.ts';

export { FIELD_STRIDE } from './field-lines.ts';

export interface RequestHead {
  /** The input as a Buffer view (no copy); every offset below indexes it. It may run past `size`. */
  readonly bytes: Buffer;
  /** Start of the request line (RFC 9112 §2.2: leading empty lines are skipped). */
  readonly start: number;
  /** Index of the CR ending the request line. */
  readonly lineEnd: number;
  /** Bytes of the head, leading empty lines and the final CRLFCRLF included. */
  readonly size: number;
  readonly method: string;
  readonly form: 'origin' | 'absolute' | 'asterisk';
  /** The target in origin-form (path and query), or "*". */
  readonly target: string;
  /** The target without its query: what the URL allow-list checks. */
  readonly path: string;
  readonly version: '1.0' | '1.1';
  /** Routing key (host.ts); from the absolute-form authority when there is one. */
  readonly host: string | undefined;
  /** The raw Host bytes (or absolute-form authority) as received, for Forwarded host=; -1 if none. */
  readonly hostStart: number;
  readonly hostEnd: number;
  readonly hasHostField: boolean;
  readonly framing: RequestFraming;
  /** ConnectionOption bits of the Connection fields. */
  readonly connection: number;
  /** RFC 9112 §9.3: whether the client connection may carry another request after this one. */
  readonly isPersistent: boolean;
  /** GET/1.1 with Connection: upgrade and Upgrade: websocket (RFC 6455 §4.1). */
  readonly isWebSocketUpgrade: boolean;
  /** Authorization is present (Cookie does not count: every browser visit carries cookies). */
  readonly hasCredentials: boolean;
  readonly expectsContinue: boolean;
  /** FIELD_STRIDE numbers per field: name start/end, value start/end (OWS trimmed), Field id. */
  readonly fields: readonly number[];
}

/** Refuses at the first byte that proves the head wrong, before the whole head has arrived. */
function decodePartial(bytes: Buffer, start: number): Decoded<never, HttpRequestProblem> {
  const problem = scanRequestLine(bytes, start, bytes.length);
  if (problem !== undefined && problem !== LINE_INCOMPLETE) {
    return malformed(problem, requestLine.offset);
  }
  const bare = findBareLineEnd(bytes, start);
  if (bare >= 0) return malformed(bytes[bare] === LF ? 'http.bare-lf' : 'http.bare-cr', bare);
  return incomplete(neededForHeadEnd(bytes));
}

function readFraming(bytes: Buffer, version: '1.0' | '1.1'): RequestFraming | HttpRequestProblem {
  if (summary.transferEncodingCount === 0) {
    return summary.contentLengthCount === 0
      ? noBody
      : { kind: 'length', length: summary.contentLength };
  }
  // RFC 9112 §6.1-§6.3: TE with CL, TE on 1.0, or anything but one "chunked" is refused.
  if (summary.contentLengthCount > 0) return 'http.content-length-with-transfer-encoding';
  if (version === '1.0') return 'http.transfer-encoding-http10';
  const { transferEncodingStart: start, transferEncodingEnd: end } = summary;
  if (summary.transferEncodingCount > 1 || !equalsLower(bytes, start, end, 'chunked')) {
    return 'http.bad-transfer-encoding';
  }
  return chunkedBody;
}

/** Host field checks of RFC 9112 §3.2 and §3.2.2; leaves the key in requestTarget.authorityHost. */
function readRoutingHost(bytes: Buffer, version: '1.0' | '1.1'): HttpRequestProblem | undefined {
  if (summary.hostCount > 1) return 'http.duplicate-host';
  if (summary.hostCount === 0) return version === '1.1' ? 'http.missing-host' : undefined;
  const host = readHost(bytes, summary.hostStart, summary.hostEnd);
  if (host === undefined) return 'http.bad-host';
  if (requestTarget.form !== 'absolute') {
    requestTarget.authorityHost = host;
    requestTarget.authorityStart = summary.hostStart;
    requestTarget.authorityEnd = summary.hostEnd;
  } else if (host !== requestTarget.authorityHost) {
    return 'http.host-mismatch';
  }
  return undefined;
}

/** RFC 6455 §4.1: GET, HTTP/1.1, Connection: upgrade and Upgrade: websocket. */
function isWebSocketUpgrade(method: string, version: '1.0' | '1.1'): boolean {
  return (
    (summary.connection & ConnectionOption.upgrade) !== 0 &&
    summary.isUpgradeWebSocket &&
    method === 'GET' &&
    version === '1.1'
  );
}

function hasBody(framing: RequestFraming): boolean {
  return framing.kind === 'chunked' || (framing.kind === 'length' && framing.length > 0);
}

/** The head from the scratch state once the line, fields, target and Host checked out. */
function buildHead(
  bytes: Buffer,
  start: number,
  size: number,
  method: string,
  framing: RequestFraming,
  fields: number[],
): RequestHead {
  const { lineEnd, version } = requestLine;
  const connection = summary.connection;
  return {
    bytes,
    start,
    lineEnd,
    size,
    method,
    form: requestTarget.form,
    target: requestTarget.target,
    path: requestTarget.path,
    version,
    host: requestTarget.authorityHost,
    hostStart: requestTarget.authorityStart,
    hostEnd: requestTarget.authorityEnd,
    hasHostField: summary.hostCount > 0,
    framing,
    connection,
    isPersistent:
      (connection & ConnectionOption.close) === 0 &&
      (version === '1.1' || (connection & ConnectionOption.keepAlive) !== 0),
    isWebSocketUpgrade: isWebSocketUpgrade(method, version),
    hasCredentials: summary.hasAuthorization,
    expectsContinue: summary.expectsContinue,
    fields,
  };
}

/** Checks what the request line and fields mean together (RFC 9112 §3.2, §6). */
function readMeaning(
  bytes: Buffer,
  start: number,
  size: number,
): Decoded<RequestHead, HttpRequestProblem> {
  const { methodEnd, targetStart, targetEnd, version } = requestLine;
  const method = readMethod(bytes, start, methodEnd);
  if (method === 'CONNECT') return malformed('http.connect', start);
  const targetProblem = readTarget(bytes, targetStart, targetEnd, method);
  if (targetProblem !== undefined) return malformed(targetProblem, targetStart);
  const hostProblem = readRoutingHost(bytes, version);
  if (hostProblem !== undefined) return malformed(hostProblem, Math.max(summary.hostStart, start));
  const framing = readFraming(bytes, version);
  if (typeof framing === 'string') {
    return malformed(framing, Math.max(summary.transferEncodingStart, start));
  }
  // A body on an upgrade request would be relayed as tunnel bytes after a 101: refuse it.
  if (hasBody(framing) && isWebSocketUpgrade(method, version)) {
    return malformed('http.upgrade-with-body', start);
  }
  return ok(buildHead(bytes, start, size, method, framing, takeFields()), size);
}

function decodeWhole(
  bytes: Buffer,
  start: number,
  size: number,
  limits: HeadLimits,
): Decoded<RequestHead, HttpRequestProblem> {
  const lineProblem = scanRequestLine(bytes, start, size);
  if (lineProblem !== undefined) {
    // The head holds a CRLF, so the line cannot be cut short; `incomplete` here would be a bug.
    const problem = lineProblem === LINE_INCOMPLETE ? 'http.bad-request-line' : lineProblem;
    return malformed(problem, requestLine.offset);
  }
  if (!scanFieldLines(bytes, requestLine.lineEnd + 2, size - 2, limits.maxHeaders)) {
    return malformed(summary.problem ?? 'http.bad-field-name', summary.offset);
  }
  return readMeaning(bytes, start, size);
}

/**
 * Decodes the request head at the start of `input`: `incomplete` until the CRLFCRLF that ends it has
 * arrived (unless the bytes so far are already wrong), `http.head-too-large` once more than
 * `limits.maxHeadBytes` bytes have no end of head in them.
 */
export function decodeRequestHead(
  input: Uint8Array,
  limits: HeadLimits,
): Decoded<RequestHead, HttpRequestProblem> {
  const bytes = asBuffer(input);
  let start = 0;
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
  while (bytes[start] === CR && bytes[start + 1] === LF) start += 2;
  if (start === bytes.length - 1 && bytes[start] === CR) return incomplete(1);
  const size = findHeadEnd(bytes, start);
  if (size > limits.maxHeadBytes || (size < 0 && bytes.length >= limits.maxHeadBytes)) {
    return malformed('http.head-too-large', limits.maxHeadBytes);
  }
  return size < 0 ? decodePartial(bytes, start) : decodeWhole(bytes, start, size, limits);
}
