// HTTP-version = HTTP-name "/" DIGIT "." DIGIT, HTTP-name = %s"HTTP" (RFC 9112 §2.3), and the
// line-level problems shared by the request line and the status line.

import { CR, LF } from './chars.ts';
import type { HttpHeadProblem } from './problem.ts';

export const VERSION_LENGTH = 8;
/** readVersion results besides major * 10 + minor. */
export const NEED_MORE = -1;
export const BAD_VERSION = -2;

const PATTERN = 'HTTP/0.0';

/** major * 10 + minor of the version at bytes[at..], NEED_MORE when cut short, or BAD_VERSION. */
export function readVersion(bytes: Uint8Array, at: number, end: number): number {
  for (let i = 0; i < VERSION_LENGTH; i++) {
    if (at + i >= end) return NEED_MORE;
    const c = bytes[at + i] ?? 0;
    if (i === 5 || i === 7) {
      if (c < 0x30 || c > 0x39) return BAD_VERSION;
    } else if (c !== PATTERN.charCodeAt(i)) {
      return BAD_VERSION;
    }
  }
  return ((bytes[at + 5] ?? 0) - 0x30) * 10 + ((bytes[at + 7] ?? 0) - 0x30);
}

/** The problem of a byte that ends a start-line element where it must not: NUL, bare LF, bare CR. */
export function lineProblem<P extends string>(
  bytes: Uint8Array,
  at: number,
  otherwise: P,
): P | HttpHeadProblem {
  const c = bytes[at];
  if (c === 0) return 'http.nul';
  if (c === LF) return 'http.bare-lf';
  if (c === CR && at + 1 < bytes.length && bytes[at + 1] !== LF) return 'http.bare-cr';
  return otherwise;
}
