// Comma-separated field values (RFC 9110 §5.6.1 "#element" lists): Connection options and
// transfer codings, read in place without splitting into strings.

import { COMMA, SEMICOLON, equalsLower, isWhitespace } from './chars.ts';

/** Connection options (RFC 9110 §7.6.1) the gateway acts on, as bits. */
export const ConnectionOption = { close: 1, keepAlive: 2, upgrade: 4, te: 8, other: 16 } as const;

function optionBit(bytes: Uint8Array, start: number, end: number): number {
  if (equalsLower(bytes, start, end, 'close')) return ConnectionOption.close;
  if (equalsLower(bytes, start, end, 'keep-alive')) return ConnectionOption.keepAlive;
  if (equalsLower(bytes, start, end, 'upgrade')) return ConnectionOption.upgrade;
  if (equalsLower(bytes, start, end, 'te')) return ConnectionOption.te;
  return ConnectionOption.other;
}

/** Start of the next list element at or after `at` (skipping OWS and empty elements), or `end`. */
function elementStart(bytes: Uint8Array, at: number, end: number): number {
  let p = at;
  while (p < end && (bytes[p] === COMMA || isWhitespace(bytes[p]))) p++;
  return p;
}

function elementEnd(bytes: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end && bytes[p] !== COMMA) p++;
  return p;
}

function trimEnd(bytes: Uint8Array, start: number, end: number): number {
  let e = end;
  while (e > start && isWhitespace(bytes[e - 1])) e--;
  return e;
}

/** The ConnectionOption bits a Connection field value lists. */
export function readConnectionOptions(bytes: Uint8Array, start: number, end: number): number {
  let flags = 0;
  for (let p = elementStart(bytes, start, end); p < end;) {
    const next = elementEnd(bytes, p, end);
    flags |= optionBit(bytes, p, trimEnd(bytes, p, next));
    p = elementStart(bytes, next, end);
  }
  return flags;
}

function lowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

function sameToken(bytes: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let i = 0; i < aEnd - a; i++) {
    if (lowerByte(bytes[a + i] ?? 0) !== lowerByte(bytes[b + i] ?? 0)) return false;
  }
  return true;
}

/** Whether a Connection value [start, end) lists the field name [nameStart, nameEnd). */
export function listsOption(
  bytes: Uint8Array,
  start: number,
  end: number,
  nameStart: number,
  nameEnd: number,
): boolean {
  for (let p = elementStart(bytes, start, end); p < end;) {
    const next = elementEnd(bytes, p, end);
    if (sameToken(bytes, p, trimEnd(bytes, p, next), nameStart, nameEnd)) return true;
    p = elementStart(bytes, next, end);
  }
  return false;
}

/** Where `chunked` stands in a Transfer-Encoding list (RFC 9112 §6.1). */
export const ChunkedCoding = { absent: 0, final: 1, misplaced: 2 } as const;
export type ChunkedCoding = (typeof ChunkedCoding)[keyof typeof ChunkedCoding];

/** RFC 9112 §6.1: chunked must be the final coding and must not be applied twice. */
export function findChunkedCoding(bytes: Uint8Array, start: number, end: number): ChunkedCoding {
  let seen = 0;
  let isLastChunked = false;
  for (let p = elementStart(bytes, start, end); p < end;) {
    const next = elementEnd(bytes, p, end);
    let nameEnd = p;
    while (nameEnd < next && bytes[nameEnd] !== SEMICOLON && !isWhitespace(bytes[nameEnd])) {
      nameEnd++;
    }
    isLastChunked = equalsLower(bytes, p, nameEnd, 'chunked');
    if (isLastChunked) seen++;
    p = elementStart(bytes, next, end);
  }
  if (seen === 0) return ChunkedCoding.absent;
  return seen === 1 && isLastChunked ? ChunkedCoding.final : ChunkedCoding.misplaced;
}
