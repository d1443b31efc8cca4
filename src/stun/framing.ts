// STUN over a byte stream (RFC 8489 §6.2.2): the header's length field frames each message.

import { type Decoded, incomplete, ok } from '../codec/decoded.ts';
import { HEADER_SIZE } from './constants.ts';
import { type StunHeaderProblem, decodeStunHeader } from './header.ts';

/** Finds the first whole message in `bytes`: its size, or how many more bytes are needed. */
export function frameStunMessage(bytes: Uint8Array): Decoded<number, StunHeaderProblem> {
  const header = decodeStunHeader(bytes);
  if (header.kind !== 'ok') return header;
  const size = HEADER_SIZE + header.value.length;
  if (bytes.length < size) return incomplete(size - bytes.length);
  return ok(size, size);
}
