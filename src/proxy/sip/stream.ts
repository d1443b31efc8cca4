// Incremental framing of one direction of a relayed SIP connection (RFC 3261 §18.3): chunks split
// anywhere, several messages per chunk. Only a head that spans chunks is buffered (up to the head
// limit); bodies and CRLF keep-alives are skipped by count, so a large body costs no memory.

import { CR, LF } from './chars.ts';
import {
  HEAD_TOO_LARGE,
  type SipHead,
  decodeSipHead,
  findHeadEnd,
  readContentLength,
} from './head.ts';
import type { SipLimits, SipProblem } from './problem.ts';

export interface StreamRead {
  /** The heads completed in this chunk, in order. */
  readonly heads: readonly SipHead[];
  /** What ended framing, in this chunk or before (the reader stays failed), or undefined. */
  readonly problem: SipProblem | undefined;
}

export interface SipStreamReader {
  /** Frames `chunk` on from where the last chunk ended. */
  read(chunk: Uint8Array): StreamRead;
}

const BETWEEN = 0;
const HEAD = 1;
const BODY = 2;
const INITIAL_BUFFER_BYTES = 1024;

export function createSipStreamReader(limits: SipLimits): SipStreamReader {
  let mode = BETWEEN;
  /** In BETWEEN: a CR ended the last chunk and its LF is due. */
  let pendingCr = false;
  /** A head that spans chunks: its bytes so far. */
  let buffer = Buffer.alloc(0);
  let buffered = 0;
  let bodyLeft = 0;
  let problem: SipProblem | undefined;
  let heads: SipHead[] = [];

  /** Ends framing for good; -1 is what the scanners return for it. */
  const fail = (reason: SipProblem): -1 => {
    problem = reason;
    return -1;
  };

  /** RFC 5626 §3.5.1 keep-alives (CRLF CRLF pings, CRLF pongs) between messages. */
  const skipBetween = (chunk: Uint8Array, at: number): number => {
    let p = at;
    if (pendingCr) {
      if (chunk[p] !== LF) return fail('sip.bad-line-end');
      pendingCr = false;
      p++;
    }
    while (p < chunk.length && chunk[p] === CR) {
      if (p + 1 === chunk.length) {
        pendingCr = true;
        return chunk.length;
      }
      if (chunk[p + 1] !== LF) return fail('sip.bad-line-end');
      p += 2;
    }
    if (p < chunk.length) {
      if (chunk[p] === LF) return fail('sip.bad-line-end');
      mode = HEAD;
    }
    return p;
  };

  /** A complete head in bytes[start..end): decoded and framed; false on a problem. */
  const finishHead = (bytes: Uint8Array, start: number, end: number): boolean => {
    const head = decodeSipHead(bytes, start, end);
    if (head.kind !== 'ok') {
      fail(head.reason);
      return false;
    }
    const length = readContentLength(head.value, limits.maxBodyBytes);
    if (length.kind !== 'ok') {
      fail(length.reason);
      return false;
    }
    bodyLeft = length.value;
    mode = bodyLeft > 0 ? BODY : BETWEEN;
    heads.push(head.value);
    return true;
  };

  const keep = (chunk: Uint8Array, from: number, to: number): void => {
    const needed = buffered + to - from;
    if (needed > buffer.length) {
      const size = Math.max(needed, 2 * buffer.length, INITIAL_BUFFER_BYTES);
      const grown = Buffer.alloc(Math.min(size, limits.maxHeadBytes));
      buffer.copy(grown, 0, 0, buffered);
      buffer = grown;
    }
    buffer.set(chunk.subarray(from, to), buffered);
    buffered = needed;
  };

  /** The head from `at`: read in place when the chunk holds all of it, else gathered in `buffer`. */
  const readHead = (chunk: Uint8Array, at: number): number => {
    const before = buffered;
    if (before === 0) {
      const end = findHeadEnd(chunk, at, limits.maxHeadBytes);
      if (end >= 0) return finishHead(chunk, at, end) ? end : -1;
      if (end === HEAD_TOO_LARGE) return fail('sip.head-too-large');
      keep(chunk, at, chunk.length); // shorter than the limit, or it would have been too large
      return chunk.length;
    }
    keep(chunk, at, Math.min(chunk.length, at + limits.maxHeadBytes - before));
    const end = findHeadEnd(buffer.subarray(0, buffered), 0, limits.maxHeadBytes, before - 3);
    if (end === HEAD_TOO_LARGE) return fail('sip.head-too-large');
    if (end < 0) return chunk.length;
    buffered = 0;
    const finished = finishHead(buffer, 0, end);
    // A rare long head should not keep its buffer for the life of the connection.
    if (buffer.length > 4 * INITIAL_BUFFER_BYTES) buffer = Buffer.alloc(0);
    return finished ? at + end - before : -1;
  };

  return {
    read(chunk) {
      heads = [];
      let at = 0;
      while (problem === undefined && at < chunk.length) {
        if (mode === BETWEEN) {
          at = skipBetween(chunk, at);
        } else if (mode === BODY) {
          const skipped = Math.min(bodyLeft, chunk.length - at);
          bodyLeft -= skipped;
          at += skipped;
          if (bodyLeft === 0) mode = BETWEEN;
        } else {
          at = readHead(chunk, at);
        }
      }
      return { heads, problem };
    },
  };
}
