// MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5), MESSAGE-INTEGRITY-SHA256 (§14.6) and credential keys (§9).

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Attr, HEADER_SIZE } from './constants.ts';
import type { StunMessage } from './message.ts';

export type IntegrityAlgorithm = 'sha1' | 'sha256';
export type PasswordAlgorithm = 'md5' | 'sha256';

export function integritySize(algorithm: IntegrityAlgorithm): number {
  return algorithm === 'sha256' ? 32 : 20;
}

export function hmacOf(algorithm: IntegrityAlgorithm, key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac(algorithm, key).update(data).digest();
}

/** RFC 8489 §9.2.2: key = MD5 or SHA-256 of `username ":" realm ":" password` (password prepared). */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
  algorithm: PasswordAlgorithm = 'md5',
): Buffer {
  return createHash(algorithm).update(`${username}:${realm}:${password}`, 'utf8').digest();
}

/** RFC 8489 §9.1.1: the short-term key is the password itself (OpaqueString-prepared). */
export function shortTermKey(password: string): Buffer {
  return Buffer.from(password, 'utf8');
}

// RFC 4013 (SASLprep) B.1 "commonly mapped to nothing" and C.1.2 non-ASCII spaces; then NFKC.
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const MAPPED_TO_NOTHING: ReadonlySet<number> = new Set([
  0x00ad,
  0x034f,
  0x1806,
  ...range(0x180b, 0x180d),
  ...range(0x200b, 0x200d),
  0x2060,
  ...range(0xfe00, 0xfe0f),
  0xfeff,
]);
const NON_ASCII_SPACE: ReadonlySet<number> = new Set([
  0x00a0,
  0x1680,
  ...range(0x2000, 0x200a),
  0x202f,
  0x205f,
  0x3000,
]);

/** SASLprep as RFC 5389 used it (RFC 5769 §2.4 relies on it); RFC 8489 moved to OpaqueString. */
export function saslprep(text: string): string {
  let mapped = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (MAPPED_TO_NOTHING.has(code)) continue;
    mapped += NON_ASCII_SPACE.has(code) ? ' ' : char;
  }
  return mapped.normalize('NFKC');
}

export type IntegrityCheck = 'absent' | 'valid' | 'invalid';

/**
 * Verifies MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY (RFC 8489 §14.5-14.6): the HMAC
 * covers everything before the attribute, with the header length as if the attribute were last.
 */
export function checkIntegrity(message: StunMessage, key: Uint8Array): IntegrityCheck {
  let attribute = message.attributes.find((a) => a.type === Attr.messageIntegritySha256);
  let algorithm: IntegrityAlgorithm = 'sha256';
  if (attribute === undefined) {
    attribute = message.attributes.find((a) => a.type === Attr.messageIntegrity);
    algorithm = 'sha1';
  }
  if (attribute === undefined) return 'absent';
  const size = integritySize(algorithm);
  // RFC 8489 §14.6: SHA256 may be truncated to 16..32 bytes in multiples of 4; SHA1 is exactly 20.
  const lengthOk =
    algorithm === 'sha1'
      ? attribute.length === size
      : attribute.length >= 16 && attribute.length <= size && attribute.length % 4 === 0;
  if (!lengthOk) return 'invalid';
  const bytes = message.bytes;
  const header = Buffer.from(bytes.subarray(0, HEADER_SIZE));
  header.writeUInt16BE(attribute.offset + attribute.length - HEADER_SIZE, 2);
  const mac = createHmac(algorithm, key)
    .update(header)
    .update(bytes.subarray(HEADER_SIZE, attribute.offset - 4))
    .digest()
    .subarray(0, attribute.length);
  const given = bytes.subarray(attribute.offset, attribute.offset + attribute.length);
  return timingSafeEqual(mac, given) ? 'valid' : 'invalid';
}
