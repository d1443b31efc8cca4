// FINGERPRINT (RFC 8489 §14.7): CRC-32 (ISO 3309, as in zlib) of the message before it, XOR 0x5354554e.

import { Attr, FINGERPRINT_XOR, HEADER_SIZE } from './constants.ts';
import type { StunMessage } from './message.ts';

const table = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[n] = c;
}

export function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) {
    crc = (table[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}

export type FingerprintCheck = 'absent' | 'valid' | 'invalid';

/** Verifies the FINGERPRINT attribute; the decoder already made sure it is the last one. */
export function checkFingerprint(message: StunMessage): FingerprintCheck {
  const last = message.attributes[message.attributes.length - 1];
  if (last?.type !== Attr.fingerprint) return 'absent';
  if (last.length !== 4) return 'invalid';
  const bytes = message.bytes;
  const expected =
    (((bytes[last.offset] ?? 0) << 24) |
      ((bytes[last.offset + 1] ?? 0) << 16) |
      ((bytes[last.offset + 2] ?? 0) << 8) |
      (bytes[last.offset + 3] ?? 0)) >>>
    0;
  // The length field already covers FINGERPRINT, as the check requires (RFC 8489 §14.7).
  const covered = bytes.subarray(0, last.offset - 4);
  return (crc32(covered) ^ FINGERPRINT_XOR) >>> 0 === expected && covered.length >= HEADER_SIZE
    ? 'valid'
    : 'invalid';
}
