import { test } from 'node:test';
import { Attr, StunClass, StunMethod } from '../../src/stun/constants.ts';
import { encodeStunMessage } from '../../src/stun/encode.ts';
import { checkFingerprint } from '../../src/stun/fingerprint.ts';
import { stunType } from '../../src/stun/header.ts';
import { checkIntegrity, longTermKey, saslprep, shortTermKey } from '../../src/stun/integrity.ts';
import {
  type StunMessage,
  attributeValue,
  decodeStunMessage,
  findAttribute,
} from '../../src/stun/message.ts';
import { readXorAddress, writeXorAddress } from '../../src/stun/attributes/address.ts';
import { readText, writeText } from '../../src/stun/attributes/text.ts';
import { rfc5769 } from '../support/vectors.ts';

function decode(bytes: Buffer): StunMessage {
  const result = decodeStunMessage(bytes);
  if (result.kind !== 'ok') throw new Error(`vector did not decode: ${JSON.stringify(result)}`);
  return result.value;
}

function text(message: StunMessage, type: number): string | undefined {
  const attribute = findAttribute(message, type);
  const decoded = attribute ? readText(attributeValue(message, attribute)) : undefined;
  return decoded?.kind === 'ok' ? decoded.value : undefined;
}

test('the RFC 5769 §2.1 request decodes into six attributes with a valid integrity and fingerprint', (t) => {
  const vector = rfc5769('2.1');
  const message = decode(vector.bytes);
  t.assert.equal(message.type, stunType(StunMethod.binding, StunClass.request));
  t.assert.equal(Buffer.from(message.transactionId).toString('hex'), vector.transactionId);
  t.assert.deepEqual(
    message.attributes.map((a) => a.type),
    [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028],
  );
  t.assert.equal(text(message, Attr.software), vector.software);
  t.assert.equal(text(message, Attr.username), vector.username);
  t.assert.equal(checkFingerprint(message), 'valid');
  t.assert.equal(checkIntegrity(message, shortTermKey(vector.password)), 'valid');
  t.assert.equal(checkIntegrity(message, shortTermKey('wrong')), 'invalid');
});

test('the RFC 5769 §2.1 request is rebuilt byte for byte', (t) => {
  const vector = rfc5769('2.1');
  const built = encodeStunMessage({
    type: stunType(StunMethod.binding, StunClass.request),
    transactionId: Buffer.from(vector.transactionId, 'hex'),
    attributes: [
      { type: Attr.software, value: writeText(vector.software ?? '') },
      { type: Attr.priority, value: Buffer.from('6e0001ff', 'hex') },
      { type: Attr.iceControlled, value: Buffer.from('932ff9b151263b36', 'hex') },
      { type: Attr.username, value: writeText(vector.username ?? '') },
    ],
    integrity: { key: shortTermKey(vector.password), algorithm: 'sha1' },
    fingerprint: true,
    padByte: 0x20,
  });
  t.assert.equal(built.toString('hex'), vector.hex);
});

for (const section of ['2.2', '2.3'] as const) {
  test(`the RFC 5769 §${section} response decodes to its mapped address and is rebuilt byte for byte`, (t) => {
    const vector = rfc5769(section);
    const message = decode(vector.bytes);
    const attribute = findAttribute(message, Attr.xorMappedAddress);
    t.assert.notEqual(attribute, undefined);
    if (!attribute) return;
    const mapped = readXorAddress(attributeValue(message, attribute), message.transactionId);
    t.assert.deepEqual(mapped, {
      family: section === '2.2' ? 4 : 6,
      address: vector.mappedAddress,
      port: vector.mappedPort,
    });
    t.assert.equal(checkFingerprint(message), 'valid');
    t.assert.equal(checkIntegrity(message, shortTermKey(vector.password)), 'valid');
    if (typeof mapped === 'string') return;
    const built = encodeStunMessage({
      type: stunType(StunMethod.binding, StunClass.success),
      transactionId: Buffer.from(vector.transactionId, 'hex'),
      attributes: [
        { type: Attr.software, value: writeText(vector.software ?? '') },
        { type: Attr.xorMappedAddress, value: writeXorAddress(mapped, message.transactionId) },
      ],
      integrity: { key: shortTermKey(vector.password), algorithm: 'sha1' },
      fingerprint: true,
      padByte: 0x20,
    });
    t.assert.equal(built.toString('hex'), vector.hex);
  });
}

test('the RFC 5769 §2.4 long-term key comes from the SASLprep-ed password', (t) => {
  const vector = rfc5769('2.4');
  t.assert.equal(saslprep(vector.passwordBeforeSaslprep ?? ''), vector.password);
  const key = longTermKey(vector.username ?? '', vector.realm ?? '', vector.password);
  t.assert.equal(key.toString('hex'), vector.longTermKeyHex);
});

test('the RFC 5769 §2.4 request verifies with the long-term key and is rebuilt byte for byte', (t) => {
  const vector = rfc5769('2.4');
  const message = decode(vector.bytes);
  const key = longTermKey(vector.username ?? '', vector.realm ?? '', vector.password);
  t.assert.equal(text(message, Attr.username), vector.username);
  t.assert.equal(text(message, Attr.nonce), vector.nonce);
  t.assert.equal(text(message, Attr.realm), vector.realm);
  t.assert.equal(checkFingerprint(message), 'absent');
  t.assert.equal(checkIntegrity(message, key), 'valid');
  const built = encodeStunMessage({
    type: stunType(StunMethod.binding, StunClass.request),
    transactionId: Buffer.from(vector.transactionId, 'hex'),
    attributes: [
      { type: Attr.username, value: writeText(vector.username ?? '') },
      { type: Attr.nonce, value: writeText(vector.nonce ?? '') },
      { type: Attr.realm, value: writeText(vector.realm ?? '') },
    ],
    integrity: { key, algorithm: 'sha1' },
  });
  t.assert.equal(built.toString('hex'), vector.hex);
});

test('a flipped byte anywhere before FINGERPRINT makes the fingerprint invalid', (t) => {
  const vector = rfc5769('2.2');
  for (let at = 20; at < vector.bytes.length - 8; at++) {
    const copy = Buffer.from(vector.bytes);
    copy[at] = (copy[at] ?? 0) ^ 0x01;
    const result = decodeStunMessage(copy);
    if (result.kind !== 'ok') continue;
    t.assert.equal(checkFingerprint(result.value), 'invalid', `byte ${at}`);
  }
});

test('MESSAGE-INTEGRITY-SHA256 round-trips and detects a changed byte', (t) => {
  const key = longTermKey('user', 'realm', 'pass', 'sha256');
  const built = encodeStunMessage({
    type: stunType(StunMethod.binding, StunClass.request),
    transactionId: Buffer.alloc(12, 7),
    attributes: [{ type: Attr.username, value: writeText('user') }],
    integrity: { key, algorithm: 'sha256' },
    fingerprint: true,
  });
  t.assert.equal(checkIntegrity(decode(built), key), 'valid');
  const copy = Buffer.from(built);
  copy[25] = (copy[25] ?? 0) ^ 0x40;
  t.assert.equal(checkIntegrity(decode(copy), key), 'invalid');
});
