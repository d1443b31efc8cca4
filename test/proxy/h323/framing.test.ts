// TPKT framing (RFC 1006 §6), the Q.931 message walk (Q.931 §4 / H.225.0 §7) and the incremental
// TPKT splitter of the watcher.

import { test } from 'node:test';
import { decodeQ931, decodeQ931Header } from '../../../src/proxy/h323/q931.ts';
import { createTpktSplitter } from '../../../src/proxy/h323/stream.ts';
import { frameTpkt } from '../../../src/proxy/h323/tpkt.ts';
import { encodeQ931, tpkt } from './support/h225-messages.ts';
import { fromHex, hex } from './support/per-writer.ts';
import { DOC_GRQ_FACILITY, DOC_RRQ_FACILITY } from './support/doc-vectors.ts';

test('a TPKT frames its payload; its prefixes are incomplete by exactly what is missing', (t) => {
  const frame = frameTpkt(DOC_GRQ_FACILITY, 65535);
  t.assert.equal(frame.kind === 'ok' && frame.size, 102);
  t.assert.equal(frame.kind === 'ok' && frame.value.payload.length, 98);
  for (let n = 0; n < DOC_GRQ_FACILITY.length; n++) {
    const prefix = frameTpkt(DOC_GRQ_FACILITY.subarray(0, n), 65535);
    t.assert.deepEqual(prefix, { kind: 'incomplete', needed: n < 4 ? 4 - n : 102 - n });
  }
});

test('TPKT: a keep-alive is an empty frame; wrong octets and oversize are refused at once', (t) => {
  t.assert.deepEqual(frameTpkt(fromHex('03 00 00 04 ff'), 65535), {
    kind: 'ok',
    value: { payload: new Uint8Array(0) },
    size: 4,
  });
  t.assert.deepEqual(frameTpkt(fromHex('16'), 65535), {
    kind: 'malformed',
    reason: 'h323.not-tpkt',
    offset: 0,
  });
  t.assert.deepEqual(frameTpkt(fromHex('03 01'), 65535), {
    kind: 'malformed',
    reason: 'h323.not-tpkt',
    offset: 1,
  });
  t.assert.deepEqual(frameTpkt(fromHex('03 00 00 03'), 65535), {
    kind: 'malformed',
    reason: 'h323.not-tpkt',
    offset: 2,
  });
  t.assert.deepEqual(frameTpkt(fromHex('03 00 20 01'), 8192), {
    kind: 'malformed',
    reason: 'h323.too-large',
    offset: 2,
  });
});

test('Q.931: header fields, the UUIE with its two-octet length, other elements walked over', (t) => {
  const payload = DOC_RRQ_FACILITY.subarray(4);
  const q931 = decodeQ931(payload);
  t.assert.equal(q931.kind, 'ok');
  if (q931.kind !== 'ok') return;
  t.assert.equal(q931.value.callReference, 0);
  t.assert.equal(q931.value.fromDestination, false);
  t.assert.equal(q931.value.messageType, 0x62);
  t.assert.equal(q931.value.userUser?.length, 151); // 0x98 = 152 with the protocol discriminator
  t.assert.equal(
    hex(q931.value.userUser ?? new Uint8Array(0)).slice(0, 20),
    '2810010010810180808d',
  );
  const setup = decodeQ931(
    encodeQ931({
      callReference: 0x1234,
      fromDestination: true,
      messageType: 0x05,
      elements: [
        { id: 0x04, value: fromHex('88 90 a5') },
        { single: 0xa1 },
        { id: 0x70, value: fromHex('81 31 32') },
      ],
      userUser: fromHex('00'),
      after: [{ id: 0x7f, value: new Uint8Array(0) }],
    }),
  );
  t.assert.deepEqual(setup, {
    kind: 'ok',
    value: {
      callReference: 0x1234,
      fromDestination: true,
      messageType: 5,
      userUser: fromHex('00'),
    },
    size: 23,
  });
});

test('Q.931 refusals: discriminator, call reference length, shifts, overruns, duplicates', (t) => {
  const reason = (text: string): string | undefined => {
    const q931 = decodeQ931(fromHex(text));
    return q931.kind === 'malformed' ? q931.reason : undefined;
  };
  t.assert.equal(reason('09 02 00 00 62'), 'h323.not-q931');
  t.assert.equal(reason('08 01 00 62'), 'h323.bad-call-reference');
  t.assert.equal(reason('08 02 00 00 e2'), 'h323.not-q931');
  t.assert.equal(reason('08 02 00 00 62 96 7e 00 02 05 00'), 'h323.codeset-shift');
  t.assert.equal(reason('08 02 00 00 62 04 05 88'), 'h323.bad-element');
  t.assert.equal(reason('08 02 00 00 62 7e 00 09 05 00'), 'h323.bad-element');
  t.assert.equal(reason('08 02 00 00 62 7e 00 02 04 00'), 'h323.bad-user-user');
  t.assert.equal(reason('08 02 00 00 62 7e 00 01 05'), 'h323.bad-user-user');
  t.assert.equal(
    reason('08 02 00 00 62 7e 00 02 05 00 7e 00 02 05 00'),
    'h323.duplicate-user-user',
  );
  t.assert.equal(reason(`08 02 00 00 62 ${'a1 '.repeat(65)}`), 'h323.too-many-elements');
  t.assert.equal(reason('08 02 00'), 'h323.not-q931');
  t.assert.deepEqual(decodeQ931Header(fromHex('08 02 00')), { kind: 'incomplete', needed: 2 });
});

/** Feeds `bytes` in pieces of `size`, collecting frames (hex) and the last result. */
function split(
  bytes: Uint8Array,
  size: number,
  max = 65535,
  oversize: 'refuse' | 'skip' = 'refuse',
): { frames: string[]; result: string } {
  const splitter = createTpktSplitter(max, oversize);
  const frames: string[] = [];
  let result = 'ok';
  for (let at = 0; at < bytes.length; at += size) {
    result = splitter.push(bytes.subarray(at, at + size), (payload) => {
      frames.push(hex(payload));
      return true;
    });
  }
  return { frames, result };
}

test('the splitter yields the same frames however the stream is cut', (t) => {
  const stream = Uint8Array.from([
    ...DOC_GRQ_FACILITY,
    3,
    0,
    0,
    4,
    ...DOC_RRQ_FACILITY,
    ...tpkt(fromHex('08')),
  ]);
  const whole = split(stream, stream.length);
  t.assert.equal(whole.frames.length, 4);
  t.assert.equal(whole.frames[1], '');
  for (const size of [1, 2, 3, 5, 7, 64, 101, 103]) t.assert.deepEqual(split(stream, size), whole);
});

test('the splitter refuses non-TPKT, refuses or skips oversize frames, and stops when told', (t) => {
  t.assert.equal(split(fromHex('16 03 01 00'), 1).result, 'not-tpkt');
  t.assert.equal(split(fromHex('03 00 00 02'), 1).result, 'not-tpkt');
  const big = Uint8Array.from([...tpkt(new Uint8Array(200)), ...DOC_GRQ_FACILITY]);
  t.assert.equal(split(big, 13, 150).result, 'too-large');
  t.assert.deepEqual(split(big, 13, 150, 'skip'), {
    frames: [hex(DOC_GRQ_FACILITY.subarray(4))],
    result: 'ok',
  });
  const splitter = createTpktSplitter(65535, 'refuse');
  t.assert.equal(
    splitter.push(Uint8Array.from([...DOC_GRQ_FACILITY, ...DOC_GRQ_FACILITY]), () => false),
    'stopped',
  );
  t.assert.equal(
    splitter.push(DOC_GRQ_FACILITY, () => true),
    'stopped',
  );
});
