// Properties of the STUN codec (CONVENTIONS §5): no throw on any bytes, round trips, prefixes, mutations.

import { test } from 'node:test';
import fc from 'fast-check';
import { answerStun } from '../../src/stun/answer.ts';
import { Attr, MAGIC_COOKIE } from '../../src/stun/constants.ts';
import { checkFingerprint } from '../../src/stun/fingerprint.ts';
import { frameStunMessage } from '../../src/stun/framing.ts';
import { decodeStunHeader, stunType } from '../../src/stun/header.ts';
import { checkIntegrity } from '../../src/stun/integrity.ts';
import { attributeValue, decodeStunMessage } from '../../src/stun/message.ts';
import {
  bytesToIp,
  ipToBytes,
  readAddress,
  readXorAddress,
  writeAddress,
  writeXorAddress,
} from '../../src/stun/attributes/address.ts';
import {
  canonicalIp,
  classicTransactionIdArb,
  messageSpecArb,
  encodeSpec,
  transactionIdArb,
  transportAddressArb,
  validMessageArb,
  attributeArb,
  classArb,
} from '../support/stun-arbitraries.ts';
import { contextArb, inspectMessage, readEveryWay, testAlternate } from '../support/stun-answer.ts';
import { rfc5769, rfc8489B1 } from '../support/vectors.ts';

const TIMEOUT = { timeout: 30_000 };

const vectors = (['2.1', '2.2', '2.3', '2.4'] as const).map((section) => ({
  name: `RFC 5769 §${section}`,
  bytes: rfc5769(section).bytes,
}));
// The RFC 8489 B.1 transcription has a length field covering the header too (`lengthQuirk`), so it
// does not decode; it is still good input for the mutation tests.
const mutationInputs = [...vectors, { name: 'RFC 8489 §B.1', bytes: rfc8489B1().bytes }];

/** Arbitrary bytes, STUN-shaped bytes (valid header, random body) and valid messages with noise. */
const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc
    .record({
      type: fc.integer({ min: 0, max: 0x3fff }),
      cookie: fc.boolean(),
      id: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      body: fc.uint8Array({ maxLength: 400 }),
    })
    .map(({ type, cookie, id, body }) => {
      const words = body.subarray(0, body.length & ~3);
      const out = Buffer.alloc(20 + words.length);
      out.writeUInt16BE(type, 0);
      out.writeUInt16BE(words.length, 2);
      out.set(id, 4);
      if (cookie) out.writeUInt32BE(MAGIC_COOKIE, 4);
      out.set(words, 20);
      return out;
    }),
  fc
    .tuple(validMessageArb, fc.uint8Array({ maxLength: 8 }))
    .map(([message, noise]) => Buffer.concat([message, noise])),
);

test('arbitrary bytes never make a decoder, framer, reader or the handler throw', TIMEOUT, () => {
  fc.assert(
    fc.property(bytesArb, contextArb, fc.uint8Array({ maxLength: 32 }), (bytes, context, key) => {
      decodeStunHeader(bytes);
      frameStunMessage(bytes);
      answerStun(bytes, context);
      const decoded = decodeStunMessage(bytes);
      if (decoded.kind === 'ok') inspectMessage(decoded.value, key);
    }),
  );
});

test('arbitrary attribute values never make an attribute reader throw', TIMEOUT, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), transactionIdArb, (value, transactionId) => {
      readEveryWay(value, transactionId);
    }),
  );
});

test(
  'a generated message decodes back to its type, transaction id and attributes',
  TIMEOUT,
  (t) => {
    fc.assert(
      fc.property(messageSpecArb, (spec) => {
        const bytes = encodeSpec(spec);
        const decoded = decodeStunMessage(bytes);
        t.assert.equal(decoded.kind, 'ok');
        if (decoded.kind !== 'ok') return;
        const message = decoded.value;
        t.assert.equal(decoded.size, bytes.length);
        t.assert.equal(bytes.length % 4, 0);
        t.assert.equal(message.type, stunType(spec.method, spec.cls));
        t.assert.equal(message.method, spec.method);
        t.assert.equal(message.class, spec.cls);
        t.assert.equal(message.hasCookie, true);
        t.assert.deepEqual(Buffer.from(message.transactionId), Buffer.from(spec.transactionId));
        const expectedTypes = spec.attributes.map((a) => a.type);
        if (spec.integrity) {
          const macType =
            spec.integrity.algorithm === 'sha1'
              ? Attr.messageIntegrity
              : Attr.messageIntegritySha256;
          expectedTypes.push(macType);
        }
        if (spec.fingerprint) expectedTypes.push(Attr.fingerprint);
        t.assert.deepEqual(
          message.attributes.map((a) => a.type),
          expectedTypes,
        );
        spec.attributes.forEach((expected, i) => {
          const attribute = message.attributes[i];
          t.assert.notEqual(attribute, undefined);
          if (!attribute) return;
          t.assert.deepEqual(
            Buffer.from(attributeValue(message, attribute)),
            Buffer.from(expected.value),
          );
        });
        const key = spec.integrity?.key ?? new Uint8Array(1);
        t.assert.equal(checkIntegrity(message, key), spec.integrity ? 'valid' : 'absent');
        t.assert.equal(checkFingerprint(message), spec.fingerprint ? 'valid' : 'absent');
      }),
    );
  },
);

test('a generated RFC 3489 message keeps all 16 transaction id bytes', TIMEOUT, (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xfff }),
      classArb,
      classicTransactionIdArb,
      fc.array(attributeArb, { maxLength: 6 }),
      (method, cls, transactionId, attributes) => {
        const bytes = encodeSpec({
          method,
          cls,
          transactionId,
          attributes,
          integrity: null,
          fingerprint: false,
          padByte: 0,
        });
        const decoded = decodeStunMessage(bytes);
        t.assert.equal(decoded.kind, 'ok');
        if (decoded.kind !== 'ok') return;
        t.assert.equal(decoded.value.hasCookie, false);
        t.assert.deepEqual(Buffer.from(decoded.value.transactionId), Buffer.from(transactionId));
        t.assert.deepEqual(
          decoded.value.attributes.map((a) => a.type),
          attributes.map((a) => a.type),
        );
      },
    ),
  );
});

function assertEveryPrefixIncomplete(
  t: { assert: { equal(actual: unknown, expected: unknown, message?: string): void } },
  bytes: Uint8Array,
): void {
  for (let end = 0; end < bytes.length; end++) {
    const prefix = bytes.subarray(0, end);
    t.assert.equal(decodeStunMessage(prefix).kind, 'incomplete', `prefix of ${end} bytes`);
    t.assert.equal(frameStunMessage(prefix).kind, 'incomplete', `framed prefix of ${end} bytes`);
  }
}

for (const vector of vectors) {
  test(`every strict prefix of the ${vector.name} vector is incomplete, never malformed`, (t) => {
    t.assert.equal(decodeStunMessage(vector.bytes).kind, 'ok');
    assertEveryPrefixIncomplete(t, vector.bytes);
  });
}

test('every strict prefix of a generated message is incomplete, never malformed', TIMEOUT, (t) => {
  fc.assert(
    fc.property(validMessageArb, (bytes) => {
      assertEveryPrefixIncomplete(t, bytes);
    }),
  );
});

const outcomes = new Set(['ok', 'malformed', 'incomplete']);

/** Decodes a mutant and, when it still decodes, runs everything that reads a message over it. */
function decodeMutant(bytes: Uint8Array): string {
  const decoded = decodeStunMessage(bytes);
  if (decoded.kind === 'ok') inspectMessage(decoded.value, Buffer.from('key'));
  answerStun(bytes, {
    transport: 'udp',
    source: { family: 4, address: '192.0.2.1', port: 1 },
    local: undefined,
    alternate: testAlternate,
    software: undefined,
  });
  return decoded.kind;
}

for (const vector of mutationInputs) {
  test(
    `the ${vector.name} vector with a random byte replaced decodes without throwing`,
    TIMEOUT,
    (t) => {
      fc.assert(
        fc.property(
          fc.nat(vector.bytes.length - 1),
          fc.integer({ min: 0, max: 255 }),
          (at, byte) => {
            const copy = Buffer.from(vector.bytes);
            copy[at] = byte;
            t.assert.equal(outcomes.has(decodeMutant(copy)), true);
          },
        ),
      );
    },
  );

  test(`the ${vector.name} vector cut at every offset decodes without throwing`, (t) => {
    for (let end = 0; end <= vector.bytes.length; end++) {
      t.assert.equal(outcomes.has(decodeMutant(vector.bytes.subarray(0, end))), true);
    }
  });
}

for (const vector of vectors) {
  test(`the ${vector.name} vector with each length field off by one decodes without throwing`, (t) => {
    const decoded = decodeStunMessage(vector.bytes);
    if (decoded.kind !== 'ok') throw new Error('vector did not decode');
    const lengthFields = [2, ...decoded.value.attributes.map((a) => a.offset - 2)];
    for (const at of lengthFields) {
      for (const delta of [-1, 1]) {
        const copy = Buffer.from(vector.bytes);
        copy.writeUInt16BE((copy.readUInt16BE(at) + delta) & 0xffff, at);
        const kind = decodeMutant(copy);
        t.assert.equal(outcomes.has(kind), true, `length at ${at} ${delta > 0 ? '+1' : '-1'}`);
        // A header length that is not a multiple of 4 is refused before anything else.
        if (at === 2) t.assert.equal(kind, 'malformed');
      }
    }
  });
}

test('an XOR address written then read gives back the canonical address and port', TIMEOUT, (t) => {
  fc.assert(
    fc.property(
      transportAddressArb,
      fc.oneof(transactionIdArb, classicTransactionIdArb),
      (address, transactionId) => {
        const expected = { ...address, address: canonicalIp(address.address) };
        const value = writeXorAddress(address, transactionId);
        t.assert.equal(value.length, address.family === 4 ? 8 : 20);
        t.assert.deepEqual(readXorAddress(value, transactionId), expected);
        t.assert.deepEqual(readAddress(writeAddress(address)), expected);
      },
    ),
  );
});

/** Reference: parse the WHATWG-canonical text (hex words, at most one '::', no dotted quad). */
function referenceIpv6Bytes(address: string): Buffer {
  const canonical = canonicalIp(address.split('%')[0] ?? '');
  const [head = '', tail] = canonical.split('::');
  const headWords = head === '' ? [] : head.split(':');
  const tailWords = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headWords.length - tailWords.length).fill('0');
  const out = Buffer.alloc(16);
  [...headWords, ...zeros, ...tailWords].forEach((word, i) => {
    out.writeUInt16BE(parseInt(word, 16), i * 2);
  });
  return out;
}

test('ipToBytes agrees with a reference conversion for any IPv6 text form', TIMEOUT, (t) => {
  fc.assert(
    fc.property(fc.ipV6(), (address) => {
      const bytes = ipToBytes(address);
      t.assert.deepEqual(bytes && Buffer.from(bytes), referenceIpv6Bytes(address));
      if (bytes) t.assert.equal(bytesToIp(bytes), canonicalIp(address));
    }),
  );
});

test('ipToBytes agrees with the dotted quad for any IPv4 address', TIMEOUT, (t) => {
  fc.assert(
    fc.property(fc.ipV4(), (address) => {
      const bytes = ipToBytes(address);
      t.assert.deepEqual(bytes && [...bytes], address.split('.').map(Number));
    }),
  );
});

const ipv6Forms: readonly (readonly [string, string])[] = [
  ['::', '00000000000000000000000000000000'],
  ['::1', '00000000000000000000000000000001'],
  ['1::', '00010000000000000000000000000000'],
  ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
  ['::1.2.3.4', '00000000000000000000000001020304'],
  ['1::1.2.3.4', '00010000000000000000000001020304'],
  ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
  ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
  ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ['2001:DB8::A', '20010db800000000000000000000000a'],
  ['fe80::1%eth0', 'fe800000000000000000000000000001'],
];

for (const [address, hex] of ipv6Forms) {
  test(`ipToBytes reads ${address} as ${hex}`, (t) => {
    const bytes = ipToBytes(address);
    t.assert.equal(bytes && Buffer.from(bytes).toString('hex'), hex);
    t.assert.deepEqual(referenceIpv6Bytes(address).toString('hex'), hex);
  });
}

test('ipToBytes refuses text that is not an IP address', (t) => {
  for (const text of ['', 'localhost', '1.2.3', '127.1', '1:2:3:4:5:6:7:8:9', ':::']) {
    t.assert.equal(ipToBytes(text), undefined, text);
  }
});
