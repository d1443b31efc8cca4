// TURN attribute values: hex written by hand from the RFC 8656 §18 and RFC 6062 §6.2 layouts,
// round trips, and readers fed arbitrary bytes.

import { test } from 'node:test';
import fc from 'fast-check';
import { Attr, StunClass, StunMethod } from '../../src/stun/constants.ts';
import { encodeStunMessage } from '../../src/stun/encode.ts';
import { stunType } from '../../src/stun/header.ts';
import { attributeValue, decodeStunMessage, findAttribute } from '../../src/stun/message.ts';
import { readXorAddress, writeXorAddress } from '../../src/stun/attributes/address.ts';
import { readUint32, writeUint32 } from '../../src/stun/attributes/scalar.ts';
import {
  AddressFamily,
  TransportProtocol,
  isChannelNumber,
  readAddressErrorCode,
  readAddressFamily,
  readChannelNumber,
  readConnectionId,
  readDontFragment,
  readEvenPort,
  readRequestedTransport,
  readReservationToken,
  writeAddressErrorCode,
  writeAddressFamily,
  writeChannelNumber,
  writeConnectionId,
  writeDontFragment,
  writeEvenPort,
  writeRequestedTransport,
  writeReservationToken,
} from '../../src/turn/attributes.ts';

const TIMEOUT = { timeout: 30_000 };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'hex');
}

test('writers produce the RFC 8656 §18 layouts byte for byte', (t) => {
  t.assert.equal(hex(writeRequestedTransport(TransportProtocol.udp)), '11000000');
  t.assert.equal(hex(writeRequestedTransport(TransportProtocol.tcp)), '06000000');
  t.assert.equal(hex(writeChannelNumber(0x4000)), '40000000');
  t.assert.equal(hex(writeChannelNumber(0x4fff)), '4fff0000');
  t.assert.equal(hex(writeAddressFamily(AddressFamily.ipv4)), '01000000');
  t.assert.equal(hex(writeAddressFamily(AddressFamily.ipv6)), '02000000');
  t.assert.equal(hex(writeEvenPort(true)), '80');
  t.assert.equal(hex(writeEvenPort(false)), '00');
  t.assert.equal(hex(writeDontFragment()), '');
  t.assert.equal(hex(writeConnectionId(0x01020304)), '01020304');
  t.assert.equal(hex(writeConnectionId(0xffffffff)), 'ffffffff');
  t.assert.equal(hex(writeReservationToken(bytes('0102030405060708'))), '0102030405060708');
});

test('ADDRESS-ERROR-CODE is ERROR-CODE with the family in the first octet (RFC 8656 §18.12)', (t) => {
  // 440 = class 4, number 40 (0x28); 508 = class 5, number 8.
  const reason440 = Buffer.from('Address Family not Supported').toString('hex');
  t.assert.equal(
    hex(writeAddressErrorCode(AddressFamily.ipv6, 440, 'Address Family not Supported')),
    `02000428${reason440}`,
  );
  const reason508 = Buffer.from('Insufficient Capacity').toString('hex');
  t.assert.equal(hex(writeAddressErrorCode(AddressFamily.ipv4, 508)), `01000508${reason508}`);
  t.assert.deepEqual(readAddressErrorCode(bytes(`02000428${reason440}`)), {
    family: 2,
    code: 440,
    reason: 'Address Family not Supported',
  });
  t.assert.equal(readAddressErrorCode(bytes('03000428')), 'turn.address-family-unknown');
  t.assert.equal(readAddressErrorCode(bytes('020004')), 'stun.error-code-length');
  t.assert.equal(readAddressErrorCode(bytes('02000264')), 'stun.error-code-range');
});

// [reader, value hex, expected]: RFFU and reserved bits are ignored, lengths are exact.
const readerCases: readonly (readonly [(value: Uint8Array) => unknown, string, unknown])[] = [
  [readRequestedTransport, '11000000', 17],
  [readRequestedTransport, '06000000', 6],
  [readRequestedTransport, '11ffffff', 17],
  [readRequestedTransport, '11', 'turn.requested-transport-length'],
  [readRequestedTransport, '1100000000', 'turn.requested-transport-length'],
  [readChannelNumber, '40000000', 0x4000],
  [readChannelNumber, '4fffabcd', 0x4fff],
  [readChannelNumber, '3fff0000', 'turn.channel-number'],
  [readChannelNumber, '80000000', 'turn.channel-number'],
  [readChannelNumber, '7fff0000', 0x7fff],
  [readChannelNumber, '4000', 'turn.channel-number-length'],
  [readAddressFamily, '01000000', 1],
  [readAddressFamily, '02ffffff', 2],
  [readAddressFamily, '03000000', 'turn.address-family-unknown'],
  [readAddressFamily, '00000000', 'turn.address-family-unknown'],
  [readAddressFamily, '01', 'turn.address-family-length'],
  [readEvenPort, '80', { reserveNext: true }],
  [readEvenPort, '00', { reserveNext: false }],
  [readEvenPort, '7f', { reserveNext: false }],
  [readEvenPort, '', 'turn.even-port-length'],
  [readEvenPort, '80000000', 'turn.even-port-length'],
  [readReservationToken, '01020304050607', 'turn.reservation-token-length'],
  [readReservationToken, '010203040506070809', 'turn.reservation-token-length'],
  [readDontFragment, '', true],
  [readDontFragment, '00', 'turn.dont-fragment-length'],
  [readConnectionId, 'deadbeef', 0xdeadbeef],
  [readConnectionId, '000001', 'turn.connection-id-length'],
];

for (const [read, value, expected] of readerCases) {
  test(`${read.name} reads '${value}' as ${JSON.stringify(expected)}`, (t) => {
    t.assert.deepEqual(read(bytes(value)), expected);
  });
}

test('RESERVATION-TOKEN is read as a copy that outlives the packet', (t) => {
  const packet = bytes('aa0102030405060708bb');
  const token = readReservationToken(packet.subarray(1, 9));
  t.assert.equal(typeof token === 'string' ? token : hex(token), '0102030405060708');
  packet.fill(0);
  t.assert.equal(typeof token === 'string' ? token : hex(token), '0102030405060708');
});

test('isChannelNumber accepts exactly 0x4000-0x7FFF (RFC 5766 range)', (t) => {
  for (const [n, expected] of [
    [0x3fff, false],
    [0x4000, true],
    [0x4abc, true],
    [0x4fff, true],
    [0x5000, true],
    [0x7fff, true],
    [0x8000, false],
    [0x4000 + 0.5, false],
    [Number.NaN, false],
    [-0x4000, false],
  ] as const)
    t.assert.equal(isChannelNumber(n), expected, `0x${n.toString(16)}`);
});

// An Allocate request as a client sends it: REQUESTED-TRANSPORT UDP, EVEN-PORT with R (1 byte, 3 of
// padding), REQUESTED-ADDRESS-FAMILY IPv6, LIFETIME 3600 s.
const transactionId = bytes('000102030405060708090a0b');
const allocateHex =
  '000300202112a442' + // Allocate request, length 32, magic cookie
  '000102030405060708090a0b' + // transaction id
  '0019000411000000' + // REQUESTED-TRANSPORT 17
  '0018000180000000' + // EVEN-PORT R=1, 3 bytes of padding
  '0017000402000000' + // REQUESTED-ADDRESS-FAMILY IPv6
  '000d000400000e10'; // LIFETIME 3600

test('an Allocate request built from the writers matches the hand-written bytes', (t) => {
  const built = encodeStunMessage({
    type: stunType(StunMethod.allocate, StunClass.request),
    transactionId,
    attributes: [
      { type: Attr.requestedTransport, value: writeRequestedTransport(TransportProtocol.udp) },
      { type: Attr.evenPort, value: writeEvenPort(true) },
      { type: Attr.requestedAddressFamily, value: writeAddressFamily(AddressFamily.ipv6) },
      { type: Attr.lifetime, value: writeUint32(3600) },
    ],
    padByte: 0,
  });
  t.assert.equal(built.toString('hex'), allocateHex);
});

test('the attributes of the hand-written Allocate request read back', (t) => {
  const decoded = decodeStunMessage(bytes(allocateHex));
  t.assert.equal(decoded.kind, 'ok');
  if (decoded.kind !== 'ok') return;
  const message = decoded.value;
  const value = (type: number): Uint8Array => {
    const attribute = findAttribute(message, type);
    return attribute ? attributeValue(message, attribute) : new Uint8Array(0);
  };
  t.assert.equal(readRequestedTransport(value(Attr.requestedTransport)), TransportProtocol.udp);
  t.assert.deepEqual(readEvenPort(value(Attr.evenPort)), { reserveNext: true });
  t.assert.equal(readAddressFamily(value(Attr.requestedAddressFamily)), AddressFamily.ipv6);
  t.assert.equal(readUint32(value(Attr.lifetime)), 3600);
});

// A ChannelBind request: CHANNEL-NUMBER 0x4001 and XOR-PEER-ADDRESS 192.0.2.1:5000, where
// X-Port = 0x1388 ^ 0x2112 = 0x329a and X-Address = 0xc0000201 ^ 0x2112a442 = 0xe112a643.
const channelBindHex =
  '000900142112a442' + // ChannelBind request, length 20, magic cookie
  '000102030405060708090a0b' + // transaction id
  '000c000440010000' + // CHANNEL-NUMBER 0x4001, RFFU
  '001200080001329ae112a643'; // XOR-PEER-ADDRESS IPv4

test('a ChannelBind request built from the writers matches the hand-written bytes', (t) => {
  const peer = { family: 4, address: '192.0.2.1', port: 5000 } as const;
  const built = encodeStunMessage({
    type: stunType(StunMethod.channelBind, StunClass.request),
    transactionId,
    attributes: [
      { type: Attr.channelNumber, value: writeChannelNumber(0x4001) },
      { type: Attr.xorPeerAddress, value: writeXorAddress(peer, transactionId) },
    ],
  });
  t.assert.equal(built.toString('hex'), channelBindHex);
  const decoded = decodeStunMessage(built);
  if (decoded.kind !== 'ok') throw new Error(`did not decode: ${decoded.kind}`);
  const channel = findAttribute(decoded.value, Attr.channelNumber);
  const xorPeer = findAttribute(decoded.value, Attr.xorPeerAddress);
  t.assert.equal(channel && readChannelNumber(attributeValue(decoded.value, channel)), 0x4001);
  t.assert.deepEqual(
    xorPeer && readXorAddress(attributeValue(decoded.value, xorPeer), decoded.value.transactionId),
    peer,
  );
});

const readers: readonly ((value: Uint8Array) => unknown)[] = [
  readRequestedTransport,
  readChannelNumber,
  readAddressFamily,
  readEvenPort,
  readReservationToken,
  readDontFragment,
  readAddressErrorCode,
  readConnectionId,
];

test(
  'arbitrary values never make a reader throw, and a problem is a turn. or stun. string',
  TIMEOUT,
  (t) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (value) => {
        for (const read of readers) {
          const result = read(value);
          if (typeof result === 'string') t.assert.match(result, /^(turn|stun)\.[a-z-]+$/);
        }
      }),
    );
  },
);

test('fixed-size readers accept exactly their size', TIMEOUT, (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 12 }), (value) => {
      const n = value.length;
      t.assert.equal(typeof readRequestedTransport(value) === 'number', n === 4);
      t.assert.equal(typeof readEvenPort(value) === 'object', n === 1);
      t.assert.equal(readReservationToken(value) instanceof Uint8Array, n === 8);
      t.assert.equal(typeof readConnectionId(value) === 'number', n === 4);
      t.assert.equal(readDontFragment(value) === true, n === 0);
    }),
  );
});

test('every 16-bit channel number round trips exactly when it is in range', TIMEOUT, (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), (n) => {
      const read = readChannelNumber(writeChannelNumber(n));
      t.assert.equal(read === n, isChannelNumber(n));
      if (!isChannelNumber(n)) t.assert.equal(read, 'turn.channel-number');
    }),
  );
});

test('scalar and flag attributes round trip', TIMEOUT, (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xff }),
      fc.constantFrom(AddressFamily.ipv4, AddressFamily.ipv6),
      fc.boolean(),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      (protocol, family, reserveNext, id, token) => {
        t.assert.equal(readRequestedTransport(writeRequestedTransport(protocol)), protocol);
        t.assert.equal(readAddressFamily(writeAddressFamily(family)), family);
        t.assert.deepEqual(readEvenPort(writeEvenPort(reserveNext)), { reserveNext });
        t.assert.equal(readConnectionId(writeConnectionId(id)), id);
        t.assert.deepEqual(readReservationToken(writeReservationToken(token)), token);
      },
    ),
  );
});

test('ADDRESS-ERROR-CODE round trips for every code and reason', TIMEOUT, (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(AddressFamily.ipv4, AddressFamily.ipv6),
      fc.integer({ min: 300, max: 699 }),
      fc.string({ maxLength: 100 }),
      (family, code, reason) => {
        t.assert.deepEqual(readAddressErrorCode(writeAddressErrorCode(family, code, reason)), {
          family,
          code,
          reason,
        });
      },
    ),
  );
});
