// The head of a SIP message (RFC 3261 §7): its start line and header fields, with folded lines
// joined, names in their full lower-case form and values trimmed. Values are latin1 text, so each
// character is the byte on the wire and a value is written back byte for byte.

import { asBuffer } from '../http/chars.ts';
import { CR, LF, TOKEN, isWhitespace, skipChars, skipWhitespace, trimWhitespace } from './chars.ts';
import { canonicalHeaderName } from './header-names.ts';
import { type Checked, type SipProblem, checked, refused } from './problem.ts';
import { type SipStartLine, readStartLine } from './start-line.ts';

export interface SipHeader {
  /** Lower case, compact form expanded: `f` and `FROM` are both `from`. */
  readonly name: string;
  /** Unfolded (each CRLF and the whitespace after it is one SP), without outer whitespace. */
  readonly value: string;
}

export interface SipHead {
  readonly startLine: SipStartLine;
  /** In message order. */
  readonly headers: readonly SipHeader[];
}

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** Where findHeadEnd found nothing yet, and where it never will within the limit. */
export const HEAD_INCOMPLETE = -1;
export const HEAD_TOO_LARGE = -2;

/**
 * The index just after the CRLF CRLF that ends the head starting at `start`, searching from
 * `searchFrom` (to resume a search), or HEAD_INCOMPLETE / HEAD_TOO_LARGE.
 */
export function findHeadEnd(
  bytes: Uint8Array,
  start: number,
  maxHeadBytes: number,
  searchFrom = start,
): number {
  const limit = Math.min(bytes.length, start + maxHeadBytes);
  const at = asBuffer(bytes).subarray(0, limit).indexOf(HEAD_END, Math.max(start, searchFrom));
  if (at >= 0) return at + HEAD_END.length;
  return bytes.length - start >= maxHeadBytes ? HEAD_TOO_LARGE : HEAD_INCOMPLETE;
}

/** The first byte of bytes[from..to) a head may not hold, as a problem, or undefined. */
export function checkHeadBytes(
  bytes: Uint8Array,
  from: number,
  to: number,
): { readonly reason: SipProblem; readonly offset: number } | undefined {
  for (let p = from; p < to; p++) {
    const c = bytes[p] ?? 0;
    if (c >= 0x20 && c !== 0x7f) continue;
    if (c === CR) {
      // A CR must start a CRLF; a CR that ends the bytes may still get its LF.
      if (p + 1 < bytes.length && bytes[p + 1] !== LF)
        return { reason: 'sip.bad-line-end', offset: p };
    } else if (c === LF) {
      if (p === from || bytes[p - 1] !== CR) return { reason: 'sip.bad-line-end', offset: p };
    } else if (c !== 0x09) {
      // NUL and the other controls have no place in a head (RFC 3261 §25.1 TEXT-UTF8 excludes
      // them); refusing them keeps them out of everything we log or echo.
      return { reason: 'sip.control-char', offset: p };
    }
  }
  return undefined;
}

/** Reads `name *(SP / HTAB) ":" value`; LWS before the colon is legal in SIP (RFC 3261 §7.3.1). */
function readHeaderLine(line: string): SipHeader | undefined {
  const nameEnd = skipChars(line, 0, TOKEN);
  const colon = skipWhitespace(line, nameEnd);
  if (nameEnd === 0 || line.charCodeAt(colon) !== 0x3a) return undefined;
  return {
    name: canonicalHeaderName(line.slice(0, nameEnd)),
    value: trimWhitespace(line.slice(colon + 1)),
  };
}

/** Header lines with their continuation lines joined (RFC 3261 §7.3.1 line folding). */
function readHeaderLines(lines: readonly string[]): Checked<SipHeader[]> {
  const headers: SipHeader[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (isWhitespace(line.charCodeAt(0))) {
      const last = headers.pop();
      if (last === undefined) return refused('sip.bad-fold');
      const more = trimWhitespace(line);
      const value = more === '' || last.value === '' ? last.value + more : `${last.value} ${more}`;
      headers.push({ name: last.name, value });
      continue;
    }
    const header = readHeaderLine(line);
    if (header === undefined) return refused('sip.bad-header');
    headers.push(header);
  }
  return checked(headers);
}

/**
 * Decodes the head in bytes[start..headEnd), where headEnd is just after its CRLF CRLF (as
 * findHeadEnd returns it). Content-Length is not checked here: see readContentLength.
 */
export function decodeSipHead(bytes: Uint8Array, start: number, headEnd: number): Checked<SipHead> {
  const problem = checkHeadBytes(bytes, start, headEnd);
  if (problem !== undefined) return refused(problem.reason);
  const lines = asBuffer(bytes)
    .toString('latin1', start, headEnd - 4)
    .split('\r\n');
  const startLine = readStartLine(lines[0] ?? '');
  if (startLine.kind !== 'ok') return startLine;
  const headers = readHeaderLines(lines);
  if (headers.kind !== 'ok') return headers;
  return checked({ startLine: startLine.value, headers: headers.value });
}

/** The values of every header called `name` (lower case, full form), in message order. */
export function headerValues(head: SipHead, name: string): string[] {
  const values: string[] = [];
  for (const header of head.headers) if (header.name === name) values.push(header.value);
  return values;
}

/**
 * RFC 3261 §18.3 and §20.14: on a stream Content-Length is mandatory; we also want exactly one,
 * as 1*DIGIT, within the body limit (RFC 4475 `ncl` sends -999, `mcl01` two of them).
 */
export function readContentLength(head: SipHead, maxBodyBytes: number): Checked<number> {
  const values = headerValues(head, 'content-length');
  const [value] = values;
  if (value === undefined) return refused('sip.missing-content-length');
  if (values.length > 1) return refused('sip.duplicate-content-length');
  if (!/^\d{1,15}$/.test(value)) return refused('sip.bad-content-length');
  const length = Number(value);
  return length > maxBodyBytes ? refused('sip.body-too-large') : checked(length);
}
