// How a message body is delimited (RFC 9112 §6.3), shared by requests and responses.

import { CR, LF } from './chars.ts';

export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Responses only: the body runs until the backend closes (RFC 9112 §6.3 rule 8). */
  | { readonly kind: 'close' };

/** RFC 9112 §6.3 rule 7: a request without Content-Length or Transfer-Encoding has no body. */
export type RequestFraming = Exclude<BodyFraming, { readonly kind: 'close' }>;

export const noBody: BodyFraming & { readonly kind: 'none' } = { kind: 'none' };
export const chunkedBody: BodyFraming & { readonly kind: 'chunked' } = { kind: 'chunked' };
export const untilClose: BodyFraming & { readonly kind: 'close' } = { kind: 'close' };

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/** Index just past the first CRLFCRLF at or after `from` (a native search), or -1. */
export function findHeadEnd(bytes: Buffer, from: number): number {
  const at = bytes.indexOf(CRLFCRLF, from);
  return at < 0 ? -1 : at + 4;
}

/** A lower bound on the bytes still missing before a CRLFCRLF can end the head. */
export function neededForHeadEnd(bytes: Uint8Array): number {
  const n = bytes.length;
  if (bytes[n - 1] === CR) return bytes[n - 2] === LF && bytes[n - 3] === CR ? 1 : 3;
  return bytes[n - 1] === LF && bytes[n - 2] === CR ? 2 : 4;
}

/**
 * Offset of the first LF not preceded by CR or CR not followed by LF in bytes[from..], or -1. Lets a
 * head that will never end in CRLFCRLF (LF-only clients, smuggling attempts) be refused at once.
 */
export function findBareLineEnd(bytes: Buffer, from: number): number {
  for (let p = bytes.indexOf(LF, from); p >= 0; p = bytes.indexOf(LF, p + 1)) {
    if (p === from || bytes[p - 1] !== CR) return p;
  }
  for (let p = bytes.indexOf(CR, from); p >= 0; p = bytes.indexOf(CR, p + 1)) {
    if (p + 1 < bytes.length && bytes[p + 1] !== LF) return p;
  }
  return -1;
}
