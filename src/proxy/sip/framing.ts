// Framing of the first SIP message on a stream (RFC 3261 §18.3): CRLF keep-alives skipped, the
// head up to CRLF CRLF, then exactly Content-Length bytes of body. Later messages on a relayed
// connection are framed incrementally by stream.ts with the same head decoder.

import { type Decoded, type Malformed, incomplete, malformed, ok } from '../../codec/decoded.ts';
import { asBuffer } from '../http/chars.ts';
import { CR, LF } from './chars.ts';
import {
  HEAD_TOO_LARGE,
  type SipHead,
  checkHeadBytes,
  decodeSipHead,
  findHeadEnd,
  readContentLength,
} from './head.ts';
import { type SipLimits, type SipProblem, defaultSipLimits } from './problem.ts';
import { readStartLine } from './start-line.ts';

const CRLF = Buffer.from('\r\n', 'latin1');

export interface SipHeadFrame {
  readonly head: SipHead;
  /** Where the start line begins (after any CRLF keep-alives). */
  readonly start: number;
  /** Just after the CRLF CRLF that ends the head: where the body begins. */
  readonly headEnd: number;
  readonly contentLength: number;
}

/**
 * RFC 3261 §7.5 and RFC 5626 §3.5.1: CRLFs before a start line are keep-alives and are skipped,
 * up to `max` bytes. Returns where the start line begins, or why not yet / not at all.
 */
export function skipLeadingCrlf(bytes: Uint8Array, max: number): Decoded<number, SipProblem> {
  let p = 0;
  while (p < bytes.length && (bytes[p] === CR || bytes[p] === LF)) {
    if (bytes[p] === LF || (p + 1 < bytes.length && bytes[p + 1] !== LF)) {
      return malformed('sip.bad-line-end', p);
    }
    if (p + 2 > max) return malformed('sip.too-many-crlf', p);
    p += 2;
  }
  return p >= bytes.length ? incomplete(1) : ok(p, p);
}

/**
 * Why the start of a head that has not ended yet can never become one: a byte no head may hold,
 * or a complete start line that is neither a request line nor a status line.
 */
function checkPartialHead(
  bytes: Uint8Array,
  start: number,
  scanned: number,
): Malformed<SipProblem> | undefined {
  const problem = checkHeadBytes(bytes, start, scanned);
  if (problem !== undefined) return malformed(problem.reason, problem.offset);
  const lineEnd = asBuffer(bytes).subarray(0, scanned).indexOf(CRLF, start);
  if (lineEnd < 0) return undefined;
  const line = readStartLine(asBuffer(bytes).toString('latin1', start, lineEnd));
  return line.kind === 'ok' ? undefined : malformed(line.reason, start);
}

/**
 * Frames the head of the first message in `bytes`: ok with the decoded head and its
 * Content-Length (the body may not have arrived yet; `size` is the head's end). Bytes that can
 * never become a head are refused as soon as they are seen, not only when the limit is reached.
 */
export function frameSipHead(
  bytes: Uint8Array,
  limits: SipLimits = defaultSipLimits,
): Decoded<SipHeadFrame, SipProblem> {
  const skipped = skipLeadingCrlf(bytes, limits.maxLeadingCrlfBytes);
  if (skipped.kind !== 'ok') return skipped;
  const start = skipped.value;
  const headEnd = findHeadEnd(bytes, start, limits.maxHeadBytes);
  if (headEnd < 0) {
    const scanned = Math.min(bytes.length, start + limits.maxHeadBytes);
    const problem = checkPartialHead(bytes, start, scanned);
    if (problem !== undefined) return problem;
    if (headEnd === HEAD_TOO_LARGE) return malformed('sip.head-too-large', scanned);
    return incomplete(1);
  }
  const head = decodeSipHead(bytes, start, headEnd);
  if (head.kind !== 'ok') return malformed(head.reason, start);
  const contentLength = readContentLength(head.value, limits.maxBodyBytes);
  if (contentLength.kind !== 'ok') return malformed(contentLength.reason, start);
  return ok({ head: head.value, start, headEnd, contentLength: contentLength.value }, headEnd);
}

/** Frames the whole first message: `size` covers keep-alives, head and body. */
export function frameSipMessage(
  bytes: Uint8Array,
  limits: SipLimits = defaultSipLimits,
): Decoded<SipHeadFrame, SipProblem> {
  const frame = frameSipHead(bytes, limits);
  if (frame.kind !== 'ok') return frame;
  const end = frame.value.headEnd + frame.value.contentLength;
  return bytes.length < end ? incomplete(end - bytes.length) : ok(frame.value, end);
}
