// TPKT framing (RFC 1006 §6) of H.225.0 call signalling: version 3, reserved 0, a 16-bit length
// that includes the 4-octet header. A zero-payload TPKT (`03 00 00 04`) is a keep-alive.

import { type Decoded, incomplete, malformed, ok } from '../../codec/decoded.ts';

export const TPKT_HEADER = 4;
const VERSION = 3;

export type TpktProblem = 'h323.not-tpkt' | 'h323.too-large';

export interface TpktFrame {
  /** The Q.931 message (empty for a keep-alive), a view. */
  readonly payload: Uint8Array;
}

/** The first TPKT of `bytes`; `size` is its length. Wrong first octets are refused at once. */
export function frameTpkt(bytes: Uint8Array, maxBytes: number): Decoded<TpktFrame, TpktProblem> {
  if (bytes.length >= 1 && bytes[0] !== VERSION) return malformed('h323.not-tpkt', 0);
  if (bytes.length >= 2 && bytes[1] !== 0) return malformed('h323.not-tpkt', 1);
  const high = bytes[2];
  const low = bytes[3];
  if (high === undefined || low === undefined) return incomplete(TPKT_HEADER - bytes.length);
  const length = high * 256 + low;
  if (length < TPKT_HEADER) return malformed('h323.not-tpkt', 2);
  if (length > maxBytes) return malformed('h323.too-large', 2);
  if (bytes.length < length) return incomplete(length - bytes.length);
  return ok({ payload: bytes.subarray(TPKT_HEADER, length) }, length);
}
