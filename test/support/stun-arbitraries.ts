// fast-check generators for STUN messages and transport addresses, shared by the STUN property tests.

import fc from 'fast-check';
import { Attr, MAGIC_COOKIE, type StunClass } from '../../src/stun/constants.ts';
import { type AttributeValue, encodeStunMessage } from '../../src/stun/encode.ts';
import { stunType } from '../../src/stun/header.ts';
import type { IntegrityAlgorithm } from '../../src/stun/integrity.ts';
import type { TransportAddress } from '../../src/stun/attributes/address.ts';

/** Types the encoder writes itself (integrity, fingerprint): a generated attribute never uses them. */
const RESERVED_TYPES: ReadonlySet<number> = new Set([
  Attr.messageIntegrity,
  Attr.messageIntegritySha256,
  Attr.fingerprint,
]);

export const classArb: fc.Arbitrary<StunClass> = fc.constantFrom(0b00, 0b01, 0b10, 0b11);

export const transactionIdArb = fc.uint8Array({ minLength: 12, maxLength: 12 });

/** 16 bytes whose first four are not the magic cookie, so the message reads as RFC 3489. */
export const classicTransactionIdArb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .filter((id) => Buffer.from(id).readUInt32BE(0) !== MAGIC_COOKIE);

export const attributeArb: fc.Arbitrary<AttributeValue> = fc.record({
  type: fc.integer({ min: 0, max: 0xffff }).filter((type) => !RESERVED_TYPES.has(type)),
  value: fc.uint8Array({ maxLength: 300 }),
});

export interface MessageSpec {
  readonly method: number;
  readonly cls: StunClass;
  readonly transactionId: Uint8Array;
  readonly attributes: readonly AttributeValue[];
  readonly integrity: { readonly key: Uint8Array; readonly algorithm: IntegrityAlgorithm } | null;
  readonly fingerprint: boolean;
  readonly padByte: number;
}

export const messageSpecArb: fc.Arbitrary<MessageSpec> = fc.record({
  method: fc.integer({ min: 0, max: 0xfff }),
  cls: classArb,
  transactionId: transactionIdArb,
  attributes: fc.array(attributeArb, { maxLength: 12 }),
  integrity: fc.option(
    fc.record({
      key: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      algorithm: fc.constantFrom<IntegrityAlgorithm>('sha1', 'sha256'),
    }),
  ),
  fingerprint: fc.boolean(),
  padByte: fc.integer({ min: 0, max: 255 }),
});

export function encodeSpec(spec: MessageSpec): Buffer {
  return encodeStunMessage({
    type: stunType(spec.method, spec.cls),
    transactionId: spec.transactionId,
    attributes: spec.attributes,
    ...(spec.integrity === null ? {} : { integrity: spec.integrity }),
    fingerprint: spec.fingerprint,
    padByte: spec.padByte,
  });
}

export const validMessageArb: fc.Arbitrary<Buffer> = messageSpecArb.map(encodeSpec);

export const portArb = fc.integer({ min: 0, max: 0xffff });

export const transportAddressArb: fc.Arbitrary<TransportAddress> = fc.oneof(
  fc.record({ family: fc.constant<4>(4), address: fc.ipV4(), port: portArb }),
  fc.record({ family: fc.constant<6>(6), address: fc.ipV6(), port: portArb }),
);

/** RFC 5952 text of an IPv6 address as WHATWG URL serialises it (lower case, no dotted quad). */
export function canonicalIp(address: string): string {
  if (!address.includes(':')) return address;
  return new URL(`http://[${address}]`).hostname.slice(1, -1);
}
