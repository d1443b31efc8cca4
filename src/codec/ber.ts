// Bounded BER (ITU-T X.690) for the protocols that speak it (LDAP): element headers with definite
// lengths only, INTEGER / ENUMERATED / OCTET STRING values as views, and a writer for small answers.
// Malformed bytes are a value; nothing here throws.
//
// Offsets are absolute. A reader bounded by a container `end` may be given a prefix of the bytes
// (`end` beyond `bytes.length`): what lies past the prefix is `incomplete`, what crosses `end` is
// `malformed`, so the same reader serves whole messages and a watcher's first bytes of one.

import { type Decoded, incomplete, malformed, ok } from './decoded.ts';

export type BerProblem =
  | 'ber.non-minimal-tag'
  | 'ber.tag-too-long'
  | 'ber.indefinite-length'
  | 'ber.length-too-long'
  | 'ber.over-cap'
  | 'ber.overrun'
  | 'ber.unexpected-tag'
  | 'ber.bad-integer';

export type BerClass = 'universal' | 'application' | 'context' | 'private';

const CLASSES: readonly BerClass[] = ['universal', 'application', 'context', 'private'];

export interface BerHeader {
  /**
   * The first identifier octet as sent: class, constructed bit and a low tag number (`0x60` is
   * [APPLICATION 0] constructed). A high tag number has all five low bits set here.
   */
  readonly identifier: number;
  readonly tagClass: BerClass;
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** Octets of the contents. */
  readonly length: number;
}

export interface BerElement extends BerHeader {
  /** Offset of the identifier octet. */
  readonly start: number;
  readonly contentStart: number;
  /** contentStart + length. */
  readonly end: number;
}

/** X.690 §8.1.2.4: up to three subsequent tag octets (numbers below 2^21) are read; more are refused. */
const MAX_TAG_OCTETS = 3;
/** X.690 §8.1.3.5: up to four length octets (4 GiB); longer forms are refused. */
const MAX_LENGTH_OCTETS = 4;
const HIGH_TAG = 0x1f;
const INDEFINITE = 0x80;

/** Tag number and identifier octets at `at` (the first octet is present). */
function readTagNumber(bytes: Uint8Array, at: number, first: number): Decoded<number, BerProblem> {
  if ((first & HIGH_TAG) !== HIGH_TAG) return ok(first & HIGH_TAG, 1);
  let tagNumber = 0;
  for (let i = 1; i <= MAX_TAG_OCTETS; i++) {
    const octet = bytes[at + i];
    if (octet === undefined) return incomplete(2); // this octet and a length octet at least
    // §8.1.2.4.2 c): no leading 0x80 octet; §8.1.2.2: numbers up to 30 have the one-octet form.
    if (i === 1 && octet === 0x80) return malformed('ber.non-minimal-tag', at);
    tagNumber = tagNumber * 128 + (octet & 0x7f);
    if ((octet & 0x80) === 0) {
      return tagNumber < HIGH_TAG ? malformed('ber.non-minimal-tag', at) : ok(tagNumber, i + 1);
    }
  }
  return malformed('ber.tag-too-long', at);
}

/** The definite length at `at`; long forms may be non-minimal (Windows sends `84 00 00 00 4a`). */
function readLength(bytes: Uint8Array, at: number): Decoded<number, BerProblem> {
  const first = bytes[at];
  if (first === undefined) return incomplete(1);
  if (first < 0x80) return ok(first, 1);
  if (first === INDEFINITE) return malformed('ber.indefinite-length', at);
  const count = first & 0x7f; // 0xff (reserved, §8.1.3.5 c) lands here too
  if (count > MAX_LENGTH_OCTETS) return malformed('ber.length-too-long', at);
  const end = at + 1 + count;
  if (end > bytes.length) return incomplete(end - bytes.length);
  let length = 0;
  for (let p = at + 1; p < end; p++) length = length * 256 + (bytes[p] ?? 0);
  return ok(length, 1 + count);
}

/**
 * The identifier and length octets at `at`, on a stream: `incomplete` says how many more octets the
 * header needs at least. `size` is the header's size.
 */
export function readBerHeader(bytes: Uint8Array, at = 0): Decoded<BerHeader, BerProblem> {
  const first = bytes[at];
  if (first === undefined) return incomplete(2);
  const tag = readTagNumber(bytes, at, first);
  if (tag.kind !== 'ok') return tag;
  const length = readLength(bytes, at + tag.size);
  if (length.kind !== 'ok') return length;
  const header: BerHeader = {
    identifier: first,
    tagClass: CLASSES[first >> 6] ?? 'private',
    constructed: (first & 0x20) !== 0,
    tagNumber: tag.value,
    length: length.value,
  };
  return ok(header, tag.size + length.size);
}

/** The first element of a stream, whole: at most `maxSize` octets, header included. */
export function frameBerElement(
  bytes: Uint8Array,
  maxSize: number,
): Decoded<BerElement, BerProblem> {
  const header = readBerHeader(bytes, 0);
  if (header.kind !== 'ok') return header;
  const size = header.size + header.value.length;
  if (size > maxSize) return malformed('ber.over-cap', 0);
  if (size > bytes.length) return incomplete(size - bytes.length);
  return ok({ ...header.value, start: 0, contentStart: header.size, end: size }, size);
}

/**
 * The header of the element at `at` inside a container ending at `end`; its contents must fit the
 * container but need not be present yet. `size` is the whole element's size.
 */
export function readBerElementHeader(
  bytes: Uint8Array,
  at: number,
  end: number,
): Decoded<BerElement, BerProblem> {
  if (at >= end) return malformed('ber.overrun', at);
  const header = readBerHeader(bytes, at);
  if (header.kind === 'incomplete')
    return end > bytes.length ? header : malformed('ber.overrun', at);
  if (header.kind === 'malformed') return header;
  const contentStart = at + header.size;
  const elementEnd = contentStart + header.value.length;
  if (elementEnd > end) return malformed('ber.overrun', at);
  return ok({ ...header.value, start: at, contentStart, end: elementEnd }, elementEnd - at);
}

/** Like readBerElementHeader, and the contents must be present. */
export function readBerElement(
  bytes: Uint8Array,
  at: number,
  end: number,
): Decoded<BerElement, BerProblem> {
  const element = readBerElementHeader(bytes, at, end);
  if (element.kind !== 'ok') return element;
  const missing = element.value.end - bytes.length;
  return missing > 0 ? incomplete(missing) : element;
}

/**
 * An INTEGER (or, with identifier 0x0a, an ENUMERATED) of one to four octets, two's complement
 * (X.690 §8.3): enough for LDAP's MessageID (0 .. 2^31-1) and resultCode. Redundant leading octets
 * are accepted: the value is unambiguous.
 */
export function readBerInteger(
  bytes: Uint8Array,
  at: number,
  end: number,
  identifier = 0x02,
): Decoded<number, BerProblem> {
  const element = readBerElement(bytes, at, end);
  if (element.kind !== 'ok') return element;
  const { contentStart, length } = element.value;
  if (element.value.identifier !== identifier) return malformed('ber.unexpected-tag', at);
  if (length < 1 || length > 4) return malformed('ber.bad-integer', at);
  let value = ((bytes[contentStart] ?? 0) << 24) >> 24; // the sign comes from the first octet
  for (let p = contentStart + 1; p < contentStart + length; p++)
    value = value * 256 + (bytes[p] ?? 0);
  return ok(value, element.size);
}

/** An ENUMERATED (X.690 §8.4: encoded as an INTEGER). */
export function readBerEnumerated(
  bytes: Uint8Array,
  at: number,
  end: number,
): Decoded<number, BerProblem> {
  return readBerInteger(bytes, at, end, 0x0a);
}

/** A primitive OCTET STRING (or an implicitly tagged one), as a view of its contents. */
export function readBerOctetString(
  bytes: Uint8Array,
  at: number,
  end: number,
  identifier = 0x04,
): Decoded<Uint8Array, BerProblem> {
  const element = readBerElement(bytes, at, end);
  if (element.kind !== 'ok') return element;
  if (element.value.identifier !== identifier) return malformed('ber.unexpected-tag', at);
  return ok(bytes.subarray(element.value.contentStart, element.value.end), element.size);
}

function lengthOctets(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  return length < 0x1000000 ? 4 : 5;
}

/** One element with a low-tag identifier octet, its contents in order, and a minimal length. */
export function encodeBerElement(
  identifier: number,
  contents: readonly Uint8Array[] = [],
): Uint8Array {
  let length = 0;
  for (const part of contents) length += part.length;
  const lengthSize = lengthOctets(length);
  const out = Buffer.allocUnsafe(1 + lengthSize + length);
  out[0] = identifier & 0xff;
  if (lengthSize === 1) out[1] = length;
  else {
    out[1] = 0x80 | (lengthSize - 1);
    for (let i = 2; i <= lengthSize; i++) {
      out[i] = Math.floor(length / 2 ** (8 * (lengthSize - i))) % 256;
    }
  }
  let at = 1 + lengthSize;
  for (const part of contents) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A minimal two's complement INTEGER (or ENUMERATED with 0x0a); `value` is taken as a 32-bit integer. */
export function encodeBerInteger(value: number, identifier = 0x02): Uint8Array {
  const v = value | 0;
  let size = 1;
  while (size < 4 && (v < -(2 ** (8 * size - 1)) || v >= 2 ** (8 * size - 1))) size++;
  const contents = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) contents[i] = (v >> (8 * (size - 1 - i))) & 0xff;
  return encodeBerElement(identifier, [contents]);
}

export function encodeBerEnumerated(value: number): Uint8Array {
  return encodeBerInteger(value, 0x0a);
}

/** An OCTET STRING (or an implicitly tagged one); a string is written as UTF-8. */
export function encodeBerOctetString(value: Uint8Array | string, identifier = 0x04): Uint8Array {
  return encodeBerElement(identifier, [typeof value === 'string' ? Buffer.from(value) : value]);
}
