// The 20-byte STUN header (RFC 8489 §5) and the RFC 3489 form without a magic cookie.

import { type Decoded, incomplete, malformed, ok } from '../codec/decoded.ts';
import { HEADER_SIZE, MAGIC_COOKIE, type StunClass } from './constants.ts';

export type StunHeaderProblem = 'stun.not-stun' | 'stun.bad-length';

export interface StunHeader {
  readonly type: number;
  readonly method: number;
  readonly class: StunClass;
  /** Body length in bytes (after the header). */
  readonly length: number;
  /** False for an RFC 3489 message: bytes 4-7 are not the magic cookie and belong to the id. */
  readonly hasCookie: boolean;
}

/** RFC 8489 §5: class bits C0 (bit 4) and C1 (bit 8) are interleaved with the 12 method bits. */
export function stunClassOf(type: number): StunClass {
  return (((type >> 4) & 1) | ((type >> 7) & 2)) as StunClass;
}

export function stunMethodOf(type: number): number {
  return (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
}

export function stunType(method: number, cls: StunClass): number {
  return (
    (method & 0x000f) |
    ((method & 0x0070) << 1) |
    ((method & 0x0f80) << 2) |
    ((cls & 1) << 4) |
    ((cls & 2) << 7)
  );
}

/**
 * Reads the header. A prefix shorter than 20 bytes is incomplete unless its first bytes already rule
 * STUN out (the top two bits must be zero, RFC 8489 §5), so a stream framer can refuse early.
 */
export function decodeStunHeader(bytes: Uint8Array): Decoded<StunHeader, StunHeaderProblem> {
  const first = bytes[0];
  if (first === undefined) return incomplete(HEADER_SIZE);
  if ((first & 0xc0) !== 0) return malformed('stun.not-stun', 0);
  if (bytes.length >= 4 && (bytes[3] ?? 0) % 4 !== 0) return malformed('stun.bad-length', 2);
  if (bytes.length < HEADER_SIZE) return incomplete(HEADER_SIZE - bytes.length);
  const type = ((first << 8) | (bytes[1] ?? 0)) & 0x3fff;
  const length = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  const cookie =
    (((bytes[4] ?? 0) << 24) |
      ((bytes[5] ?? 0) << 16) |
      ((bytes[6] ?? 0) << 8) |
      (bytes[7] ?? 0)) >>>
    0;
  return ok(
    {
      type,
      method: stunMethodOf(type),
      class: stunClassOf(type),
      length,
      hasCookie: cookie === MAGIC_COOKIE,
    },
    HEADER_SIZE,
  );
}
