// Framing a TURN TCP/TLS stream where STUN messages and ChannelData interleave (RFC 8656 §12.5).

import { test } from 'node:test';
import fc from 'fast-check';
import { frameStunMessage } from '../../src/stun/framing.ts';
import { decodeChannelData, encodeChannelData } from '../../src/turn/channel-data.ts';
import { frameTurnStream } from '../../src/turn/stream-framing.ts';
import { validMessageArb } from '../support/stun-arbitraries.ts';

const TIMEOUT = { timeout: 30_000 };

function bytes(text: string): Buffer {
  return Buffer.from(text, 'hex');
}

// A Binding request with no attributes: type 0x0001, length 0, magic cookie, transaction id.
const binding = '000100002112a442' + '000102030405060708090a0b';
// A Refresh request with LIFETIME 0 (delete the allocation): length 8.
const refresh = '000400082112a442' + '0c0b0a090807060504030201' + '000d000400000000';
// Channel 0x4001 carrying "hello" (5 bytes) and its 3 bytes of padding.
const channelHello = '40010005' + '68656c6c6f' + '000000';

test('frames a Binding request, a Refresh request and a padded ChannelData', (t) => {
  t.assert.deepEqual(frameTurnStream(bytes(binding)), { kind: 'ok', value: 'stun', size: 20 });
  t.assert.deepEqual(frameTurnStream(bytes(refresh)), { kind: 'ok', value: 'stun', size: 28 });
  t.assert.deepEqual(frameTurnStream(bytes(channelHello)), {
    kind: 'ok',
    value: 'channel-data',
    size: 12,
  });
});

test('walks an interleaved stream message by message', (t) => {
  const stream = bytes(binding + channelHello + refresh + '4000000000');
  const seen: (readonly [string, number])[] = [];
  let at = 0;
  for (;;) {
    const frame = frameTurnStream(stream.subarray(at));
    if (frame.kind !== 'ok') {
      // The trailing '4000000000' is an empty ChannelData and the first byte of a STUN header.
      t.assert.deepEqual(frame, { kind: 'incomplete', needed: 19 });
      break;
    }
    seen.push([frame.value, frame.size]);
    at += frame.size;
  }
  t.assert.deepEqual(seen, [
    ['stun', 20],
    ['channel-data', 12],
    ['stun', 28],
    ['channel-data', 4],
  ]);
});

const cases: readonly (readonly [string, string, unknown])[] = [
  ['nothing', '', { kind: 'incomplete', needed: 4 }],
  ['one STUN byte', '00', { kind: 'incomplete', needed: 19 }],
  ['a STUN header without its body', refresh.slice(0, 40), { kind: 'incomplete', needed: 8 }],
  ['one ChannelData byte', '40', { kind: 'incomplete', needed: 3 }],
  ['an unpadded ChannelData', '4001000568656c6c6f', { kind: 'incomplete', needed: 3 }],
  ['first bits 10 (RTP)', '80', { kind: 'malformed', reason: 'turn.not-turn', offset: 0 }],
  ['first bits 11', 'ff000000', { kind: 'malformed', reason: 'turn.not-turn', offset: 0 }],
  [
    'first byte 0x80 (neither STUN nor ChannelData)',
    '80000000',
    { kind: 'malformed', reason: 'turn.not-turn', offset: 0 },
  ],
  [
    'a STUN length not a multiple of 4',
    '00010003',
    { kind: 'malformed', reason: 'stun.bad-length', offset: 2 },
  ],
];

for (const [name, input, expected] of cases) {
  test(`frames ${name} as ${JSON.stringify(expected)}`, (t) => {
    t.assert.deepEqual(frameTurnStream(bytes(input)), expected);
  });
}

const channelFrameArb = fc
  .tuple(fc.integer({ min: 0x4000, max: 0x7fff }), fc.uint8Array({ maxLength: 200 }))
  .map(([channel, data]) => encodeChannelData(channel, data, true));

const messageArb = fc.oneof(
  validMessageArb.map((frame) => ({ kind: 'stun' as const, frame })),
  channelFrameArb.map((frame) => ({ kind: 'channel-data' as const, frame })),
);

test(
  'arbitrary bytes never throw, and an ok frame agrees with the per-protocol framers',
  TIMEOUT,
  (t) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        const frame = frameTurnStream(input);
        if (frame.kind !== 'ok') return;
        t.assert.equal(frame.size <= input.length, true);
        const first = input[0] ?? 0;
        if (frame.value === 'stun') {
          t.assert.equal(first >> 6, 0);
          t.assert.deepEqual(frameStunMessage(input), {
            kind: 'ok',
            value: frame.size,
            size: frame.size,
          });
        } else {
          t.assert.equal(first >> 6, 1);
          const decoded = decodeChannelData(input, true);
          t.assert.equal(decoded.kind === 'ok' && decoded.size, frame.size);
        }
      }),
    );
  },
);

test(
  'a generated interleaving of STUN and ChannelData splits back into its messages',
  TIMEOUT,
  (t) => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 8 }), (messages) => {
        const stream = Buffer.concat(messages.map((m) => m.frame));
        let at = 0;
        for (const { kind, frame } of messages) {
          const result = frameTurnStream(stream.subarray(at));
          t.assert.deepEqual(result, { kind: 'ok', value: kind, size: frame.length });
          at += frame.length;
        }
        t.assert.deepEqual(frameTurnStream(stream.subarray(at)), { kind: 'incomplete', needed: 4 });
      }),
    );
  },
);

test('every strict prefix of a message is incomplete, never malformed', TIMEOUT, (t) => {
  fc.assert(
    fc.property(messageArb, fc.nat(), ({ frame }, cut) => {
      const prefix = frame.subarray(0, cut % frame.length);
      const result = frameTurnStream(prefix);
      t.assert.equal(result.kind, 'incomplete');
      if (result.kind === 'incomplete')
        t.assert.equal(prefix.length + result.needed <= frame.length, true);
    }),
  );
});

test('a mutated length field never frames past the input it was given', TIMEOUT, (t) => {
  fc.assert(
    fc.property(messageArb, fc.integer({ min: 0, max: 0xffff }), ({ frame }, length) => {
      const copy = Buffer.from(frame);
      copy.writeUInt16BE(length, 2);
      const result = frameTurnStream(copy);
      if (result.kind === 'ok') t.assert.equal(result.size <= copy.length, true);
      if (result.kind === 'incomplete') t.assert.equal(result.needed > 0, true);
    }),
  );
});

test('a mutated byte anywhere never throws', TIMEOUT, () => {
  fc.assert(
    fc.property(messageArb, fc.nat(), fc.integer({ min: 0, max: 255 }), ({ frame }, at, byte) => {
      const copy = Buffer.from(frame);
      copy[at % copy.length] = byte;
      frameTurnStream(copy);
    }),
  );
});
