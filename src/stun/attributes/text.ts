// Text attributes (USERNAME, REALM, NONCE, SOFTWARE; RFC 8489 §14.3, §14.9, §14.10, §14.14).

import { type Decoded, malformed, ok } from '../../codec/decoded.ts';

export type TextProblem = 'stun.text-too-long' | 'stun.text-not-utf8';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** RFC 8489: USERNAME < 513 bytes; REALM, NONCE, SOFTWARE and reason phrases < 128 characters (763 bytes). */
export const MAX_USERNAME_BYTES = 512;
export const MAX_TEXT_BYTES = 763;

export function readText(
  value: Uint8Array,
  maxBytes = MAX_TEXT_BYTES,
): Decoded<string, TextProblem> {
  if (value.length > maxBytes) return malformed('stun.text-too-long', maxBytes);
  try {
    return ok(decoder.decode(value), value.length);
  } catch {
    return malformed('stun.text-not-utf8', 0);
  }
}

export function writeText(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}
