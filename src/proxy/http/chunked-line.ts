// The byte-at-a-time part of the chunked framer (RFC 9112 §7.1): chunk-size lines with their
// extensions, the CRLF after chunk data, and the trailer section, one small step function per
// phase. Chunk data itself is skipped in bulk by chunked.ts.
//
//   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size = 1*HEXDIG                  (at most 16 digits here, and at most 2^53 - 1)
//   chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS ( token / quoted-string ) ] )
//   last-chunk = 1*("0") [ chunk-ext ] CRLF, then trailer-section CRLF

import {
  BACKSLASH,
  CR,
  DQUOTE,
  EQUALS,
  HEX_VALUE,
  HTAB,
  LF,
  SEMICOLON,
  SP,
  TCHAR,
} from './chars.ts';
import type { ChunkedProblem } from './problem.ts';

const COLON = 0x3a;
const MAX_DIGITS = 16;

export const Phase = {
  size: 0,
  sizeSpace: 1,
  extBeforeName: 2,
  extName: 3,
  extAfterName: 4,
  extBeforeValue: 5,
  extToken: 6,
  extQuoted: 7,
  extEscape: 8,
  extAfterValue: 9,
  sizeLf: 10,
  dataCr: 11,
  dataLf: 12,
  trailerStart: 13,
  trailerName: 14,
  trailerValue: 15,
  trailerLf: 16,
  endLf: 17,
  data: 18,
  done: 19,
  failed: 20,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export interface ChunkState {
  phase: Phase;
  size: number;
  digits: number;
  remaining: number;
  extensionBytes: number;
  trailerBytes: number;
  problem: ChunkedProblem | undefined;
  readonly limits: { readonly maxExtensionBytes: number; readonly maxTrailerBytes: number };
}

/** Sets the next phase; always true, so a step reads `return to(s, Phase.x)`. */
function to(s: ChunkState, phase: Phase): true {
  s.phase = phase;
  return true;
}

function fail(s: ChunkState, problem: ChunkedProblem): false {
  s.phase = Phase.failed;
  s.problem = problem;
  return false;
}

function isSpace(c: number): boolean {
  return c === SP || c === HTAB;
}

/** A byte that fits nowhere: a bare LF says so, anything else gets `problem`. */
function refuse(s: ChunkState, c: number, problem: ChunkedProblem): false {
  return fail(s, c === LF ? 'http.bare-lf' : problem);
}

/** After a size, name or value: ";" starts an extension, CR ends the line. */
function afterElement(s: ChunkState, c: number): boolean {
  if (c === SEMICOLON) return to(s, Phase.extBeforeName);
  if (c === CR) return to(s, Phase.sizeLf);
  if (isSpace(c))
    return to(s, s.phase === Phase.extName ? Phase.extAfterName : Phase.extAfterValue);
  return refuse(s, c, 'http.bad-chunk-ext');
}

function size(s: ChunkState, c: number): boolean {
  const digit = HEX_VALUE[c] ?? -1;
  if (digit >= 0) {
    if (++s.digits > MAX_DIGITS) return fail(s, 'http.bad-chunk-size');
    s.size = s.size * 16 + digit;
    return s.size <= Number.MAX_SAFE_INTEGER || fail(s, 'http.chunk-size-overflow');
  }
  // No digits at all ("-1", "+1", an empty line) is never a size; "0x10" stops at the "x".
  if (s.digits === 0 || (c !== SEMICOLON && c !== CR && !isSpace(c))) {
    return refuse(s, c, 'http.bad-chunk-size');
  }
  return isSpace(c) ? to(s, Phase.sizeSpace) : afterElement(s, c);
}

/** BWS after the size may only lead to an extension ("5 \r\n" is refused, a known desync). */
function sizeSpace(s: ChunkState, c: number): boolean {
  if (c === SEMICOLON) return to(s, Phase.extBeforeName);
  return isSpace(c) || refuse(s, c, 'http.bad-chunk-size');
}

function extBeforeName(s: ChunkState, c: number): boolean {
  if (TCHAR[c] === 1) return to(s, Phase.extName);
  return isSpace(c) || refuse(s, c, 'http.bad-chunk-ext');
}

function extName(s: ChunkState, c: number): boolean {
  if (TCHAR[c] === 1) return true;
  return c === EQUALS ? to(s, Phase.extBeforeValue) : afterElement(s, c);
}

function extAfterName(s: ChunkState, c: number): boolean {
  if (c === EQUALS) return to(s, Phase.extBeforeValue);
  return isSpace(c) || afterElement(s, c);
}

function extBeforeValue(s: ChunkState, c: number): boolean {
  if (c === DQUOTE) return to(s, Phase.extQuoted);
  if (TCHAR[c] === 1) return to(s, Phase.extToken);
  return isSpace(c) || refuse(s, c, 'http.bad-chunk-ext');
}

function extToken(s: ChunkState, c: number): boolean {
  return TCHAR[c] === 1 || afterElement(s, c);
}

/** RFC 9110 §5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text, or a quoted-pair. */
function extQuoted(s: ChunkState, c: number): boolean {
  if (c === DQUOTE) return to(s, Phase.extAfterValue);
  if (c === BACKSLASH) return to(s, Phase.extEscape);
  return c === HTAB || (c >= SP && c !== 0x7f) || refuse(s, c, 'http.bad-chunk-ext');
}

function extEscape(s: ChunkState, c: number): boolean {
  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
  if (c === HTAB || (c >= SP && c !== 0x7f)) return to(s, Phase.extQuoted);
  return refuse(s, c, 'http.bad-chunk-ext');
}

function extAfterValue(s: ChunkState, c: number): boolean {
  return isSpace(c) || afterElement(s, c);
}

/** The LF of CRLF; anything else after the CR makes it a bare CR. */
function lineFeed(s: ChunkState, c: number, next: Phase): boolean {
  return c === LF ? to(s, next) : fail(s, 'http.bare-cr');
}

function sizeLf(s: ChunkState, c: number): boolean {
  s.remaining = s.size;
  return lineFeed(s, c, s.size === 0 ? Phase.trailerStart : Phase.data);
}

/** The CRLF after chunk data: any other byte means the data outran its size (a TE.CL desync). */
function dataCr(s: ChunkState, c: number): boolean {
  return c === CR ? to(s, Phase.dataLf) : refuse(s, c, 'http.bad-chunk-end');
}

function dataLf(s: ChunkState, c: number): boolean {
  s.size = 0;
  s.digits = 0;
  return lineFeed(s, c, Phase.size);
}

/** RFC 9112 §7.1.2: trailer fields are field lines, as strict as in the head. */
function trailerStart(s: ChunkState, c: number): boolean {
  if (c === CR) return to(s, Phase.endLf);
  if (isSpace(c)) return fail(s, 'http.obs-fold');
  return TCHAR[c] === 1 ? to(s, Phase.trailerName) : refuse(s, c, 'http.bad-trailer');
}

function trailerName(s: ChunkState, c: number): boolean {
  if (c === COLON) return to(s, Phase.trailerValue);
  return TCHAR[c] === 1 || refuse(s, c, 'http.bad-trailer');
}

function trailerValue(s: ChunkState, c: number): boolean {
  if (c === CR) return to(s, Phase.trailerLf);
  return c === HTAB || (c >= SP && c !== 0x7f) || refuse(s, c, 'http.bad-trailer');
}

function trailerLf(s: ChunkState, c: number): boolean {
  return lineFeed(s, c, Phase.trailerStart);
}

function endLf(s: ChunkState, c: number): boolean {
  return lineFeed(s, c, Phase.done);
}

type Step = (s: ChunkState, c: number) => boolean;

/** Indexed by Phase, from `size` to `endLf`. */
const steps: readonly Step[] = [
  size,
  sizeSpace,
  extBeforeName,
  extName,
  extAfterName,
  extBeforeValue,
  extToken,
  extQuoted,
  extEscape,
  extAfterValue,
  sizeLf,
  dataCr,
  dataLf,
  trailerStart,
  trailerName,
  trailerValue,
  trailerLf,
  endLf,
];

/**
 * Advances the state by one byte outside chunk data and returns the new phase (`failed`, with
 * `s.problem` set, when the byte is malformed).
 */
export function stepLine(s: ChunkState, c: number): Phase {
  const phase = s.phase;
  if (phase >= Phase.sizeSpace && phase <= Phase.extAfterValue) {
    if (++s.extensionBytes > s.limits.maxExtensionBytes) fail(s, 'http.chunk-ext-too-large');
  } else if (phase >= Phase.trailerStart && ++s.trailerBytes > s.limits.maxTrailerBytes) {
    fail(s, 'http.trailer-too-large');
  }
  const step = steps[s.phase];
  if (step !== undefined) step(s, c);
  return s.phase;
}
