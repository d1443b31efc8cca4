// ChannelData (RFC 8656 §12.4-12.6): hand-written frames, round trips, prefixes and mutated lengths.

import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeChannelData,
  encodeChannelData,
  frameChannelData,
  isChannelDataStart,
} from '../../src/turn/channel-data.ts';

const TIMEOUT = { timeout: 30_000 };

function bytes(text: string): Buffer {
  return Buffer.from(text, 'hex');
}

const hello = Buffer.from('hello'); // 68656c6c6f
// Channel 0x4001, length 5, "hello", then 3 bytes of padding over TCP/TLS.
const helloStream = '40010005' + '68656c6c6f' + '000000';
const helloDatagram = '40010005' + '68656c6c6f';

test('encodes "hello" on channel 0x4001 padded for a stream and bare for a datagram', (t) => {
  t.assert.equal(encodeChannelData(0x4001, hello, true).toString('hex'), helloStream);
  t.assert.equal(encodeChannelData(0x4001, hello, false).toString('hex'), helloDatagram);
});

test('encodes empty data and data already a multiple of 4 without padding', (t) => {
  t.assert.equal(encodeChannelData(0x4000, new Uint8Array(0), true).toString('hex'), '40000000');
  t.assert.equal(
    encodeChannelData(0x4fff, bytes('01020304'), true).toString('hex'),
    '4fff000401020304',
  );
});

test('the encoder refuses a channel outside the range and data over 65,535 bytes', (t) => {
  t.assert.throws(() => encodeChannelData(0x3fff, hello, true), RangeError);
  t.assert.throws(() => encodeChannelData(0x8000, hello, true), RangeError);
  t.assert.throws(() => encodeChannelData(0x4000, new Uint8Array(0x10000), false), RangeError);
  t.assert.equal(encodeChannelData(0x4000, new Uint8Array(0xffff), true).length, 0x10000 + 4);
});

test('decodes the padded frame from a stream, data as a view into the input', (t) => {
  const input = bytes(helloStream);
  const result = decodeChannelData(input, true);
  t.assert.equal(result.kind, 'ok');
  if (result.kind !== 'ok') return;
  t.assert.equal(result.size, 12);
  t.assert.equal(result.value.channel, 0x4001);
  t.assert.equal(Buffer.from(result.value.data).toString(), 'hello');
  t.assert.equal(result.value.data.buffer, input.buffer);
  t.assert.equal(result.value.data.byteOffset, input.byteOffset + 4);
});

test('a datagram decodes with or without padding, and its size excludes the padding', (t) => {
  for (const datagram of [helloDatagram, helloStream]) {
    const result = decodeChannelData(bytes(datagram), false);
    t.assert.equal(result.kind === 'ok' && result.size, 9, datagram);
    t.assert.equal(result.kind === 'ok' && Buffer.from(result.value.data).toString(), 'hello');
  }
});

test('an unpadded frame on a stream waits for its padding', (t) => {
  t.assert.deepEqual(decodeChannelData(bytes(helloDatagram), true), {
    kind: 'incomplete',
    needed: 3,
  });
});

const bad: readonly (readonly [string, string, boolean, unknown])[] = [
  [
    'channel 0x3FFF',
    '3fff0000',
    true,
    { kind: 'malformed', reason: 'turn.channel-number', offset: 0 },
  ],
  [
    'channel 0x8000',
    '80000000',
    false,
    { kind: 'malformed', reason: 'turn.channel-number', offset: 0 },
  ],
  [
    'a STUN first byte',
    '00',
    true,
    { kind: 'malformed', reason: 'turn.channel-number', offset: 0 },
  ],
  [
    'a 3-byte datagram',
    '400100',
    false,
    { kind: 'malformed', reason: 'turn.channel-data-short', offset: 0 },
  ],
  [
    'an empty datagram',
    '',
    false,
    { kind: 'malformed', reason: 'turn.channel-data-short', offset: 0 },
  ],
  // Length 16 with 4 bytes of data: malformed in a datagram, more to read on a stream.
  [
    'a datagram shorter than its length',
    '4001001001020304',
    false,
    { kind: 'malformed', reason: 'turn.channel-data-length', offset: 2 },
  ],
  [
    'a stream shorter than its length',
    '4001001001020304',
    true,
    { kind: 'incomplete', needed: 12 },
  ],
  ['an empty stream', '', true, { kind: 'incomplete', needed: 4 }],
];

for (const [name, input, isStream, expected] of bad) {
  test(`decodes ${name} as ${JSON.stringify(expected)}`, (t) => {
    t.assert.deepEqual(decodeChannelData(bytes(input), isStream), expected);
  });
}

test('two frames back to back on a stream: the first size finds the second', (t) => {
  const input = bytes(helloStream + '4fff000401020304');
  const first = decodeChannelData(input, true);
  if (first.kind !== 'ok') throw new Error(first.kind);
  const second = decodeChannelData(input.subarray(first.size), true);
  t.assert.equal(second.kind === 'ok' && second.value.channel, 0x4fff);
  t.assert.equal(second.kind === 'ok' && second.size, 8);
  t.assert.equal(
    second.kind === 'ok' && Buffer.from(second.value.data).toString('hex'),
    '01020304',
  );
});

test('isChannelDataStart is true exactly for first bits 01 (0x40-0x7F)', (t) => {
  for (let b = 0; b <= 0xff; b++) t.assert.equal(isChannelDataStart(b), b >= 0x40 && b <= 0x7f);
});

const channelArb = fc.integer({ min: 0x4000, max: 0x7fff });
const dataArb = fc.uint8Array({ maxLength: 300 });

test('arbitrary bytes never throw, and an ok result stays inside the input', TIMEOUT, (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (input, isStream) => {
      frameChannelData(input);
      const result = decodeChannelData(input, isStream);
      if (result.kind !== 'ok') return;
      t.assert.equal(result.size <= input.length, true);
      t.assert.equal(result.value.data.byteOffset + result.value.data.length <= input.length, true);
    }),
  );
});

test('decode(encode(channel, data)) gives them back, padded or not', TIMEOUT, (t) => {
  fc.assert(
    fc.property(channelArb, dataArb, fc.boolean(), (channel, data, pad) => {
      const frame = encodeChannelData(channel, data, pad);
      t.assert.equal(frame.length % 4 === 0 || !pad, true);
      // Padding is zeroed even though the buffer comes from allocUnsafe.
      t.assert.deepEqual(
        [...frame.subarray(4 + data.length)],
        new Array<number>(frame.length - 4 - data.length).fill(0),
      );
      for (const isStream of pad ? [true, false] : [false]) {
        const result = decodeChannelData(frame, isStream);
        t.assert.equal(result.kind, 'ok');
        if (result.kind !== 'ok') return;
        t.assert.equal(result.value.channel, channel);
        t.assert.deepEqual(Buffer.from(result.value.data), Buffer.from(data));
        t.assert.equal(result.size, isStream ? frame.length : 4 + data.length);
      }
    }),
  );
});

test('every strict prefix of a padded frame is incomplete on a stream', TIMEOUT, (t) => {
  fc.assert(
    fc.property(channelArb, dataArb, fc.nat(), (channel, data, cut) => {
      const frame = encodeChannelData(channel, data, true);
      const prefix = frame.subarray(0, cut % frame.length);
      const result = decodeChannelData(prefix, true);
      t.assert.equal(result.kind, 'incomplete');
      // `needed` never overshoots: reading that much more never skips into the next message.
      if (result.kind === 'incomplete')
        t.assert.equal(prefix.length + result.needed <= frame.length, true);
    }),
  );
});

test('a mutated length never reads past the input', TIMEOUT, (t) => {
  fc.assert(
    fc.property(
      channelArb,
      dataArb,
      fc.integer({ min: 0, max: 0xffff }),
      fc.boolean(),
      (channel, data, length, isStream) => {
        const frame = encodeChannelData(channel, data, isStream);
        frame.writeUInt16BE(length, 2);
        const result = decodeChannelData(frame, isStream);
        if (isStream) {
          t.assert.equal(result.kind === 'ok', 4 + ((length + 3) & ~3) <= frame.length);
        } else {
          t.assert.equal(result.kind === 'ok', 4 + length <= frame.length);
          if (result.kind !== 'ok')
            t.assert.equal(
              result.kind === 'malformed' && result.reason,
              'turn.channel-data-length',
            );
        }
        if (result.kind !== 'ok') return;
        t.assert.equal(result.value.data.length, length);
        t.assert.equal(result.size <= frame.length, true);
      },
    ),
  );
});

test('a mutated byte anywhere never throws', TIMEOUT, () => {
  fc.assert(
    fc.property(
      channelArb,
      dataArb,
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.boolean(),
      (channel, data, at, byte, isStream) => {
        const frame = encodeChannelData(channel, data, isStream);
        frame[at % frame.length] = byte;
        decodeChannelData(frame, isStream);
      },
    ),
  );
});
