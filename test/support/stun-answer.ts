// Reading what answerStun produced, plus the handler fixtures and generators the STUN tests share.

import fc from 'fast-check';
import type { StunAnswer } from '../../src/stun/answer.ts';
import type { AlternateSet, BindingContext } from '../../src/stun/binding.ts';
import { readBindingResult } from '../../src/stun/binding-result.ts';
import { Attr, StunClass, StunMethod, reasonPhrases } from '../../src/stun/constants.ts';
import { type AttributeValue, encodeStunMessage } from '../../src/stun/encode.ts';
import { checkFingerprint } from '../../src/stun/fingerprint.ts';
import { stunType } from '../../src/stun/header.ts';
import { checkIntegrity } from '../../src/stun/integrity.ts';
import {
  type StunMessage,
  attributeValue,
  decodeStunMessage,
  findAttribute,
} from '../../src/stun/message.ts';
import {
  type TransportAddress,
  readAddress,
  readXorAddress,
} from '../../src/stun/attributes/address.ts';
import { readChangeRequest, writeChangeRequest } from '../../src/stun/attributes/change-request.ts';
import { type StunError, readErrorCode } from '../../src/stun/attributes/error-code.ts';
import { readPort, readUint32, writePort } from '../../src/stun/attributes/scalar.ts';
import { readText } from '../../src/stun/attributes/text.ts';
import { readUnknownAttributes } from '../../src/stun/attributes/unknown.ts';
import {
  attributeArb,
  classicTransactionIdArb,
  transactionIdArb,
  transportAddressArb,
} from './stun-arbitraries.ts';

/** RFC 5780 2x2: primary 198.51.100.1, alternate IP .2; primary port 3478, alternate 3479. */
export const testAlternate: AlternateSet = {
  originFor: (changeIp, changePort) => ({
    family: 4,
    address: changeIp ? '198.51.100.2' : '198.51.100.1',
    port: changePort ? 3479 : 3478,
  }),
};

export const testSoftware = Buffer.from('pbxgate 0.1');

export const contextArb: fc.Arbitrary<BindingContext> = fc.record({
  transport: fc.constantFrom('udp' as const, 'tcp' as const, 'tls' as const),
  source: transportAddressArb,
  local: fc.option(transportAddressArb, { nil: undefined }),
  alternate: fc.constantFrom(testAlternate, undefined),
  software: fc.constantFrom(testSoftware, undefined),
});

/** Binding requests built from the attributes the handler reacts to, plus random ones. */
export const bindingRequestArb: fc.Arbitrary<Buffer> = fc
  .record({
    transactionId: fc.oneof(transactionIdArb, classicTransactionIdArb),
    fingerprint: fc.boolean(),
    attributes: fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 7 }).map((flags) => ({
          type: Attr.changeRequest,
          value: new Uint8Array([0, 0, 0, flags]),
        })),
        fc.integer({ min: 0, max: 0xffff }).map((port) => ({
          type: Attr.responsePort,
          value: writePort(port),
        })),
        fc.nat(1500).map((length) => ({ type: Attr.padding, value: new Uint8Array(length) })),
        fc.constantFrom(0x0002, 0x0fff, 0xc000, 0x8022).map((type) => ({
          type,
          value: new Uint8Array(4),
        })),
        attributeArb,
      ),
      { maxLength: 8 },
    ),
  })
  .map(({ transactionId, fingerprint, attributes }) =>
    encodeStunMessage({
      type: stunType(StunMethod.binding, StunClass.request),
      transactionId,
      attributes,
      fingerprint: fingerprint && transactionId.length === 12,
    }),
  );

export const modernId = Buffer.from('0102030405060708090a0b0c', 'hex');
/** RFC 3489: 16 bytes, the first four of which are not the magic cookie. */
export const classicId = Buffer.from('a1a2a3a4b1b2b3b4c1c2c3c4d1d2d3d4', 'hex');

export interface RequestOptions {
  readonly method?: number;
  readonly cls?: StunClass;
  readonly transactionId?: Uint8Array;
  readonly fingerprint?: boolean;
}

/** A request as the handler tests send it: Binding, 12-byte id, no FINGERPRINT unless asked. */
export function request(attributes: AttributeValue[] = [], options: RequestOptions = {}): Buffer {
  return encodeStunMessage({
    type: stunType(options.method ?? StunMethod.binding, options.cls ?? StunClass.request),
    transactionId: options.transactionId ?? modernId,
    attributes,
    fingerprint: options.fingerprint ?? false,
  });
}

/** CHANGE-REQUEST with these flags (RFC 5780 §7.2). */
export const change = (changeIp: boolean, changePort: boolean): AttributeValue => ({
  type: Attr.changeRequest,
  value: writeChangeRequest({ changeIp, changePort }),
});

export type Sent = Extract<StunAnswer, { kind: 'send' }>;

/** The answer and its decoded message; throws (fails the test) on a drop or undecodable bytes. */
export function sent(answer: StunAnswer): { answer: Sent; message: StunMessage } {
  if (answer.kind !== 'send') throw new Error(`expected an answer, got a drop: ${answer.reason}`);
  const decoded = decodeStunMessage(answer.bytes);
  if (decoded.kind !== 'ok') throw new Error(`the answer does not decode: ${decoded.kind}`);
  if (decoded.size !== answer.bytes.length) throw new Error('the answer has trailing bytes');
  return { answer, message: decoded.value };
}

/** The address attribute of this type (XOR-decoded for XOR-MAPPED-ADDRESS), if present. */
export function addressIn(
  message: StunMessage,
  type: number,
): TransportAddress | string | undefined {
  const attribute = findAttribute(message, type);
  if (!attribute) return undefined;
  const value = attributeValue(message, attribute);
  return type === Attr.xorMappedAddress
    ? readXorAddress(value, message.transactionId)
    : readAddress(value);
}

export function errorIn(message: StunMessage): StunError | string | undefined {
  const attribute = findAttribute(message, Attr.errorCode);
  return attribute ? readErrorCode(attributeValue(message, attribute)) : undefined;
}

export function unknownIn(message: StunMessage): number[] | undefined {
  const attribute = findAttribute(message, Attr.unknownAttributes);
  return attribute ? readUnknownAttributes(attributeValue(message, attribute)) : undefined;
}

/** Decodes an error answer, checking its type and that its reason phrase is our constant one. */
export function expectError(
  t: { assert: { equal(a: unknown, b: unknown): void; deepEqual(a: unknown, b: unknown): void } },
  answer: StunAnswer,
  code: number,
  method: number = StunMethod.binding,
): StunMessage {
  const { message } = sent(answer);
  t.assert.equal(message.type, stunType(method, StunClass.error));
  t.assert.deepEqual(errorIn(message), { code, reason: reasonPhrases.get(code) });
  return message;
}

/** Every reader in src/stun/attributes, on one value; what they return does not matter here. */
export function readEveryWay(value: Uint8Array, transactionId: Uint8Array): void {
  readAddress(value);
  readXorAddress(value, transactionId);
  readChangeRequest(value);
  readErrorCode(value);
  readPort(value);
  readUint32(value);
  readText(value);
  readUnknownAttributes(value);
}

/** Everything that runs on a decoded message: attribute readers, Binding result, checks. */
export function inspectMessage(message: StunMessage, key: Uint8Array): void {
  for (const attribute of message.attributes) {
    readEveryWay(attributeValue(message, attribute), message.transactionId);
  }
  readBindingResult(message);
  checkFingerprint(message);
  checkIntegrity(message, key);
}
