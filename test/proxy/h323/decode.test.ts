// The H.225.0 decoders on the protocols.md vectors (Erlang-encoded, tshark-checked) with exact
// fields, then on encoder-built messages for the cases the document does not show.

import { test } from 'node:test';
import { PerReader } from '../../../src/codec/per.ts';
import { type H225Reader, readAlias } from '../../../src/proxy/h323/h225-common.ts';
import { decodeRasMessage } from '../../../src/proxy/h323/h225-ras.ts';
import { decodeUserInformation } from '../../../src/proxy/h323/h225-uu.ts';
import { resolveH323Limits } from '../../../src/proxy/h323/limits.ts';
import { decodeQ931 } from '../../../src/proxy/h323/q931.ts';
import { encodeGrq, encodeRasIndexOnly } from './support/h225-encode.ts';
import {
  type GenericDataSpec,
  type UserInformationSpec,
  encodeUserInformation,
  h46017,
  rasFacility,
} from './support/h225-messages.ts';
import { fromHex, hex } from './support/per-writer.ts';
import {
  DOC_ALIASES,
  DOC_GRQ,
  DOC_GRQ_FACILITY,
  DOC_RRQ,
  DOC_RRQ_FACILITY,
  DOC_SETUP_UUIE,
  docLikeGrq,
} from './support/doc-vectors.ts';
import { grq, rrq } from './support/builders.ts';
import { alias } from './support/vectors.ts';

const limits = resolveH323Limits();

function uuieOf(message: Uint8Array): Uint8Array {
  const q931 = decodeQ931(message.subarray(4));
  return q931.kind === 'ok' ? (q931.value.userUser ?? new Uint8Array(0)) : new Uint8Array(0);
}

test('the encoder reproduces the protocols.md vectors octet for octet', (t) => {
  t.assert.equal(hex(rasFacility(docLikeGrq())), hex(DOC_GRQ_FACILITY));
  t.assert.equal(DOC_GRQ.length, 69);
  t.assert.equal(DOC_RRQ.length, 129);
  t.assert.equal(DOC_RRQ_FACILITY.length, 164);
  // The octets protocols.md prints, in place.
  t.assert.equal(
    hex(DOC_GRQ_FACILITY.subarray(0, 33)),
    '0300006608020000627e005a052810010010810180500140001100004000010045', // §2.5, through the raw length 0x45
  );
  t.assert.equal(
    hex(DOC_GRQ.subarray(0, 25)),
    '02a01233060008914a000700c000020a06b702038000700062',
  );
  t.assert.equal(hex(DOC_RRQ_FACILITY.subarray(21, 23)), '808d');
  t.assert.equal(hex(DOC_RRQ_FACILITY.subarray(33, 37)), '80810ec0');
  t.assert.equal(hex(DOC_RRQ.subarray(DOC_RRQ.length - 13, DOC_RRQ.length - 12)), '34');
});

test('protocols.md §2.5: the FACILITY is body empty with H.460.17 carrying one GRQ', (t) => {
  const info = decodeUserInformation(uuieOf(DOC_GRQ_FACILITY), limits);
  t.assert.equal(info.kind, 'ok');
  if (info.kind !== 'ok') return;
  t.assert.equal(info.size, 89);
  t.assert.equal(info.value.body, 'empty');
  t.assert.equal(info.value.destinationAddress, undefined);
  t.assert.equal(info.value.ras.feature, true);
  t.assert.deepEqual(info.value.ras.messages.map(hex), [hex(DOC_GRQ)]);
});

test('protocols.md §2.6 ras_grq_gkid: seq 4660, gatekeeper pbx.example.com, alias alice', (t) => {
  t.assert.deepEqual(decodeRasMessage(DOC_GRQ, limits), {
    kind: 'ok',
    value: {
      kind: 'gatekeeperRequest',
      requestSeqNum: 4660,
      gatekeeperId: 'pbx.example.com',
      aliases: [alias('h323-ID', 'alice')],
    },
    size: 69,
  });
});

test('protocols.md §2.6 ras_rrq_location: two-octet lengths, aliases alice and 201', (t) => {
  const info = decodeUserInformation(uuieOf(DOC_RRQ_FACILITY), limits);
  t.assert.equal(
    info.kind === 'ok' && hex(info.value.ras.messages[0] ?? new Uint8Array(0)),
    hex(DOC_RRQ),
  );
  t.assert.deepEqual(decodeRasMessage(DOC_RRQ, limits), {
    kind: 'ok',
    value: {
      kind: 'registrationRequest',
      requestSeqNum: 4661,
      gatekeeperId: 'branch1@pbx.example.com/site2',
      aliases: [alias('h323-ID', 'alice'), alias('dialedDigits', '201')],
    },
    size: 129,
  });
});

test('protocols.md §2.7 uuie_setup_h323id: body setup, destination h323-ID bob@example.com', (t) => {
  const info = decodeUserInformation(DOC_SETUP_UUIE, limits);
  t.assert.deepEqual(info.kind === 'ok' && info.value, {
    body: 'setup',
    destinationAddress: [alias('h323-ID', 'bob@example.com')],
    ras: { feature: false, messages: [] },
  });
});

test('protocols.md §2.7 alias alternatives: email-ID, url-ID, dialedDigits as printed', (t) => {
  const read = (bytes: Uint8Array): unknown => {
    const r: H225Reader = PerReader.over(bytes);
    const value = readAlias(r, limits);
    return r.failed ? r.failure : { ...value, rest: r.remainingBits };
  };
  t.assert.deepEqual(read(DOC_ALIASES.email), {
    kind: 'email-ID',
    value: 'bob@example.com',
    rest: 0,
  });
  t.assert.deepEqual(read(DOC_ALIASES.url), {
    kind: 'url-ID',
    value: 'h323:bob@example.com',
    rest: 0,
  });
  t.assert.deepEqual(read(DOC_ALIASES.digits), { kind: 'dialedDigits', value: '12345', rest: 4 });
  // An open type longer than its string: the octets left over are refused.
  t.assert.deepEqual(read(fromHex('82 12 00 0e 62 6f 62 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 00')), {
    reason: 'h225.trailing-octets',
    bit: 152,
  });
});

test('RAS: rejects are read to their reason, other messages by index alone', (t) => {
  const other = decodeRasMessage(encodeRasIndexOnly(6, fromHex('ff ff')), limits);
  t.assert.deepEqual(other.kind === 'ok' && other.value, {
    kind: 'other',
    extension: false,
    index: 6,
  });
  const extension = decodeRasMessage(fromHex('80 01 00'), limits); // resourcesAvailableIndicate
  t.assert.deepEqual(extension.kind === 'ok' && extension.value, {
    kind: 'other',
    extension: true,
    index: 0,
  });
  const beyond = decodeRasMessage(fromHex('78'), limits); // root index 30 of 25
  t.assert.equal(beyond.kind === 'malformed' && beyond.reason, 'h225.unknown-alternative');
  const truncated = decodeRasMessage(DOC_GRQ.subarray(0, 40), limits);
  t.assert.deepEqual(truncated, { kind: 'malformed', reason: 'per.overrun', offset: 39 });
});

test('every body alternative is decoded to reach genericData behind it', (t) => {
  const bodies: UserInformationSpec['body'][] = [
    { kind: 'callProceeding' },
    { kind: 'connect' },
    { kind: 'alerting' },
    { kind: 'information' },
    { kind: 'releaseComplete', reason: 11 },
    { kind: 'releaseComplete' },
    { kind: 'facility', reason: 1 },
    { kind: 'extension', index: 0, value: fromHex('12 34 56') },
    { kind: 'extension', index: 9, value: fromHex('00') },
  ];
  const names = bodies.map((body) => {
    const info = decodeUserInformation(
      encodeUserInformation({ body, genericData: [h46017(DOC_RRQ)] }),
      limits,
    );
    return info.kind === 'malformed'
      ? info.reason
      : info.kind === 'ok' && [info.value.body, info.value.ras.messages.length];
  });
  t.assert.deepEqual(names, [
    ['callProceeding', 1],
    ['connect', 1],
    ['alerting', 1],
    ['information', 1],
    ['releaseComplete', 1],
    ['releaseComplete', 1],
    ['facility', 1],
    ['progress', 1],
    ['unknown', 1],
  ]);
});

function tunnelled(
  genericData: readonly GenericDataSpec[],
  extra: Partial<UserInformationSpec> = {},
): unknown {
  const info = decodeUserInformation(
    encodeUserInformation({ body: { kind: 'extension', index: 1 }, genericData, ...extra }),
    limits,
  );
  return info.kind === 'malformed' ? info.reason : info.kind === 'ok' && info.value.ras;
}

test('genericData: other features and parameters are skipped, every RAS parameter is kept', (t) => {
  const a = grq('a.example');
  const b = rrq('b.example');
  t.assert.deepEqual(
    tunnelled([
      { id: 18, parameters: [{ id: 1, content: { raw: fromHex('ff') } }] },
      { id: { oid: '1.3.6.1.4.1.6666.1' } },
      {
        id: 17,
        parameters: [
          { id: 2, content: { text: 'x' } },
          { id: 1, content: { raw: a } },
          {
            id: 3,
            content: {
              nested: [{ id: 5, parameters: [{ id: 1, content: { number32: 2 ** 32 - 1 } }] }],
            },
          },
          { id: 1, content: { raw: b } },
          { id: 4, content: { bool: true } },
        ],
      },
    ]),
    { feature: true, messages: [a, b] },
  );
  t.assert.deepEqual(tunnelled([{ id: 17 }]), { feature: true, messages: [] });
  t.assert.deepEqual(tunnelled([]), { feature: false, messages: [] });
  t.assert.deepEqual(
    tunnelled([{ id: 17, parameters: [{ id: 1, content: { text: 'RRQ' } }] }]),
    'h225.bad-tunnelled-ras',
  );
  t.assert.deepEqual(tunnelled([{ id: 17, parameters: [{ id: 1 }] }]), 'h225.bad-tunnelled-ras');
  // RAS parameters of a nested GenericData are not H.460.17's.
  t.assert.deepEqual(
    tunnelled([{ id: 9, parameters: [{ id: 1, content: { nested: [h46017(a)] } }] }]),
    { feature: false, messages: [] },
  );
});

test('genericData nested deeper than the cap is refused', (t) => {
  let data: GenericDataSpec = { id: 1 };
  for (let depth = 0; depth < 9; depth++)
    data = { id: 1, parameters: [{ id: 1, content: { nested: [data] } }] };
  t.assert.equal(tunnelled([data]), 'h225.too-deep');
});

test('a UUIE is decoded in full: user-data is read, octets left over are refused', (t) => {
  const spec: UserInformationSpec = {
    body: { kind: 'extension', index: 1 },
    userData: fromHex('01 02'),
  };
  const info = decodeUserInformation(encodeUserInformation(spec), limits);
  t.assert.equal(info.kind === 'ok' && info.value.body, 'empty');
  const padded = Uint8Array.from([...encodeUserInformation(spec), 0]);
  t.assert.deepEqual(decodeUserInformation(padded, limits), {
    kind: 'malformed',
    reason: 'h225.trailing-octets',
    offset: 9,
  });
  const root7 = decodeUserInformation(fromHex('07 00'), limits); // body root index 7 of 7
  t.assert.equal(root7.kind === 'malformed' && root7.reason, 'h225.unknown-alternative');
});

test('lists longer than maxItems are refused', (t) => {
  const aliases = Array.from({ length: 5 }, (_, i) => ({
    kind: 'dialedDigits' as const,
    value: `${i}`,
  }));
  const bytes = encodeGrq({
    seq: 1,
    rasAddress: { ip: [1, 2, 3, 4], port: 1 },
    endpointType: {},
    endpointAlias: aliases,
  });
  t.assert.equal(decodeRasMessage(bytes, resolveH323Limits({ maxItems: 5 })).kind, 'ok');
  const refused = decodeRasMessage(bytes, resolveH323Limits({ maxItems: 4 }));
  t.assert.equal(refused.kind === 'malformed' && refused.reason, 'per.over-cap');
});
