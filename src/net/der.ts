// A tiny DER (X.690) writer: just the universal types and tags an X.509 certificate needs.
// Every writer returns one complete TLV; bad arguments are bugs here and throw RangeError.

const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
} as const;

// X.690 §8.1.2.2: tag numbers 0..30 fit the one-octet (low-tag-number) form, all we write.
const MAX_LOW_TAG_NUMBER = 30;
const CONTEXT_CLASS = 0x80;
const CONSTRUCTED = 0x20;

/** X.690 §8.1.3: short form below 128, else 0x80|n followed by n big-endian length octets. */
export function writeDerLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad DER length ${length}`);
  if (length < 0x80) return Buffer.of(length);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

export function writeDerTlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(tag), writeDerLength(content.length), content]);
}

export function writeDerSequence(items: readonly Uint8Array[]): Buffer {
  return writeDerTlv(TAG.sequence, Buffer.concat(items));
}

/** X.690 §11.6: the elements of a DER SET OF are sorted by their encodings. */
export function writeDerSet(items: readonly Uint8Array[]): Buffer {
  const sorted = [...items].sort((a, b) => Buffer.compare(a, b));
  return writeDerTlv(TAG.set, Buffer.concat(sorted));
}

/**
 * X.690 §8.3: two's complement in the fewest octets. A bigint may be negative; a byte array is
 * an unsigned big-endian magnitude (leading zeros are dropped, a 0x00 is added before a high bit).
 */
export function writeDerInteger(value: bigint | Uint8Array): Buffer {
  return writeDerTlv(
    TAG.integer,
    typeof value === 'bigint' ? twosComplement(value) : unsigned(value),
  );
}

function unsigned(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start += 1;
  const bytes = Buffer.from(magnitude.subarray(start));
  if (bytes.length === 0) return Buffer.of(0);
  return ((bytes[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
}

function twosComplement(value: bigint): Buffer {
  let octets = 1;
  // The smallest n with -2^(8n-1) <= value < 2^(8n-1).
  while (value >= 1n << BigInt(8 * octets - 1) || value < -(1n << BigInt(8 * octets - 1))) {
    octets += 1;
  }
  let rest = BigInt.asUintN(8 * octets, value);
  const bytes = Buffer.alloc(octets);
  for (let at = octets - 1; at >= 0; at -= 1) {
    bytes[at] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** X.690 §8.19: the first two arcs share one subidentifier (40·a + b), each in base 128. */
export function writeDerOid(dotted: string): Buffer {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw new RangeError(`bad OID ${dotted}`);
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const [first = 0n, second = 0n, ...rest] = arcs;
  if (first < 2n && second >= 40n) throw new RangeError(`bad OID ${dotted}: second arc over 39`);
  const body = [first * 40n + second, ...rest].flatMap(base128);
  return writeDerTlv(TAG.oid, Buffer.from(body));
}

function base128(value: bigint): number[] {
  const septets = [Number(value & 0x7fn)];
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) septets.unshift(Number(rest & 0x7fn) | 0x80);
  return septets;
}

export function writeDerUtf8String(text: string): Buffer {
  return writeDerTlv(TAG.utf8String, Buffer.from(text, 'utf8'));
}

/** X.680 §41.4: A–Z a–z 0–9 space ' ( ) + , - . / : = ? only. */
export function writeDerPrintableString(text: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) {
    throw new RangeError(`not a PrintableString: ${JSON.stringify(text)}`);
  }
  return writeDerTlv(TAG.printableString, Buffer.from(text, 'latin1'));
}

export function writeDerIa5String(text: string): Buffer {
  if (!/^\p{ASCII}*$/u.test(text))
    throw new RangeError(`not an IA5String: ${JSON.stringify(text)}`);
  return writeDerTlv(TAG.ia5String, Buffer.from(text, 'latin1'));
}

/** X.690 §8.6 and §11.2: one octet of unused-bit count, then the bits; unused bits must be 0. */
export function writeDerBitString(bits: Uint8Array, unusedBits = 0): Buffer {
  const last = bits[bits.length - 1];
  const isValid =
    Number.isInteger(unusedBits) &&
    unusedBits >= 0 &&
    unusedBits <= 7 &&
    (last === undefined ? unusedBits === 0 : (last & ((1 << unusedBits) - 1)) === 0);
  if (!isValid) throw new RangeError(`bad BIT STRING: ${unusedBits} unused bits`);
  return writeDerTlv(TAG.bitString, Buffer.concat([Buffer.of(unusedBits), bits]));
}

export function writeDerOctetString(bytes: Uint8Array): Buffer {
  return writeDerTlv(TAG.octetString, bytes);
}

/** X.690 §11.1: TRUE is 0xFF in DER. */
export function writeDerBoolean(value: boolean): Buffer {
  return writeDerTlv(TAG.boolean, Buffer.of(value ? 0xff : 0x00));
}

export function writeDerNull(): Buffer {
  return writeDerTlv(TAG.null, Buffer.alloc(0));
}

/** X.690 §11.8: YYMMDDHHMMSSZ, years 1950–2049 (RFC 5280 §4.1.2.5.1), seconds, no fraction. */
export function writeDerUtcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot hold year ${year}`);
  return writeDerTlv(TAG.utcTime, Buffer.from(timeDigits(date).slice(2) + 'Z', 'latin1'));
}

/** X.690 §11.7: YYYYMMDDHHMMSSZ, no fraction (RFC 5280 §4.1.2.5.2). */
export function writeDerGeneralizedTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime cannot hold year ${year}`);
  return writeDerTlv(TAG.generalizedTime, Buffer.from(timeDigits(date) + 'Z', 'latin1'));
}

/** RFC 5280 §4.1.2.5: UTCTime for dates through 2049, GeneralizedTime from 2050 on. */
export function writeDerTime(date: Date): Buffer {
  return date.getUTCFullYear() < 2050 ? writeDerUtcTime(date) : writeDerGeneralizedTime(date);
}

function timeDigits(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date');
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    String(date.getUTCFullYear()).padStart(4, '0') +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds())
  );
}

/** `[n] EXPLICIT`: a constructed context-specific TLV wrapping the whole inner encoding. */
export function writeDerExplicit(tagNumber: number, inner: Uint8Array): Buffer {
  return writeDerTlv(contextTag(tagNumber) | CONSTRUCTED, inner);
}

/**
 * `[n] IMPLICIT`: the inner element's own tag replaced by the context-specific one, keeping
 * its primitive/constructed bit (X.690 §8.14.3). `inner` is a complete TLV from this file.
 */
export function writeDerImplicit(tagNumber: number, inner: Uint8Array): Buffer {
  const innerTag = inner[0];
  if (innerTag === undefined || (innerTag & 0x1f) === 0x1f) {
    throw new RangeError('IMPLICIT needs a complete low-tag-number TLV');
  }
  const copy = Buffer.from(inner);
  copy[0] = contextTag(tagNumber) | (innerTag & CONSTRUCTED);
  return copy;
}

function contextTag(tagNumber: number): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > MAX_LOW_TAG_NUMBER) {
    throw new RangeError(`context tag number ${tagNumber} is not in 0..${MAX_LOW_TAG_NUMBER}`);
  }
  return CONTEXT_CLASS | tagNumber;
}
