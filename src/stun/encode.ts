// Building a STUN message: size first, one allocation, every byte written (RFC 8489 §5, §14).

import { Attr, FINGERPRINT_XOR, HEADER_SIZE, MAGIC_COOKIE } from './constants.ts';
import { crc32 } from './fingerprint.ts';
import { hmacOf, type IntegrityAlgorithm, integritySize } from './integrity.ts';

export interface AttributeValue {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface EncodeOptions {
  readonly type: number;
  /** 12 bytes, or 16 for an RFC 3489 message (then no magic cookie is written). */
  readonly transactionId: Uint8Array;
  readonly attributes: readonly AttributeValue[];
  /** Adds MESSAGE-INTEGRITY (sha1) or MESSAGE-INTEGRITY-SHA256 with this key after the attributes. */
  readonly integrity?: { readonly key: Uint8Array; readonly algorithm: IntegrityAlgorithm };
  readonly fingerprint?: boolean;
  /** Padding byte value; RFC 8489 says any value, RFC 5769's vectors use 0x20. */
  readonly padByte?: number;
}

export function padded(length: number): number {
  return (length + 3) & ~3;
}

export function encodeStunMessage(options: EncodeOptions): Buffer {
  let size = HEADER_SIZE;
  for (const a of options.attributes) size += 4 + padded(a.value.length);
  const macSize = options.integrity ? integritySize(options.integrity.algorithm) : 0;
  if (options.integrity) size += 4 + macSize;
  if (options.fingerprint === true) size += 8;

  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(options.type & 0x3fff, 0);
  if (options.transactionId.length === 16) {
    out.set(options.transactionId, 4);
  } else {
    out.writeUInt32BE(MAGIC_COOKIE, 4);
    out.set(options.transactionId.subarray(0, 12), 8);
  }
  let at = HEADER_SIZE;
  const pad = options.padByte ?? 0;
  for (const a of options.attributes) {
    out.writeUInt16BE(a.type, at);
    out.writeUInt16BE(a.value.length, at + 2);
    out.set(a.value, at + 4);
    const end = at + 4 + padded(a.value.length);
    out.fill(pad, at + 4 + a.value.length, end);
    at = end;
  }
  if (options.integrity) {
    // RFC 8489 §14.5: the length field covers MESSAGE-INTEGRITY as if it were the last attribute.
    out.writeUInt16BE(at + 4 + macSize - HEADER_SIZE, 2);
    const mac = hmacOf(options.integrity.algorithm, options.integrity.key, out.subarray(0, at));
    const type =
      options.integrity.algorithm === 'sha256'
        ? Attr.messageIntegritySha256
        : Attr.messageIntegrity;
    out.writeUInt16BE(type, at);
    out.writeUInt16BE(macSize, at + 2);
    out.set(mac.subarray(0, macSize), at + 4);
    at += 4 + macSize;
  }
  if (options.fingerprint === true) {
    out.writeUInt16BE(at + 8 - HEADER_SIZE, 2);
    const crc = (crc32(out.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0;
    out.writeUInt16BE(Attr.fingerprint, at);
    out.writeUInt16BE(4, at + 2);
    out.writeUInt32BE(crc, at + 4);
    at += 8;
  }
  out.writeUInt16BE(at - HEADER_SIZE, 2);
  return out;
}
