// tshark (4.0) as an independent H.225.0 decoder (protocols.md §8): for every test vector it must
// read the same Q.931 message type, body, tunnelled RAS messages, gatekeeper identifiers, aliases,
// reject reasons and Setup destinations as pbxgate's decoder, without calling anything malformed;
// and the RasMessages pbxgate extracts from H.460.17 must be RAS messages to tshark on their own.
// Skipped where tshark is missing, failed on CI (CI set) where it is.

import { test } from 'node:test';
import { encodeGcf, encodeRcf } from './support/h225-encode.ts';
import {
  type GenericDataSpec,
  encodeQ931,
  encodeUserInformation,
  h46017,
  rasFacility,
  tpkt,
} from './support/h225-messages.ts';
import { grq, rrq } from './support/builders.ts';
import {
  readRasWithTshark,
  readWithPbxgate,
  readWithTshark,
  requireTshark,
} from './support/tshark.ts';
import { DOC_GRQ, DOC_RRQ } from './support/doc-vectors.ts';
import { vectors } from './support/vectors.ts';

const TIMEOUT = { timeout: 60_000 };

/** Server messages and other bodies the watcher reads, beside the routing vectors. */
const extras = [
  {
    name: 'RRQ with every TransportAddress alternative',
    bytes: rasFacility(
      rrq('pbx.example.com', {
        callSignalAddress: (['ipSourceRoute', 'ipxAddress', 'netBios', 'nsap'] as const).map(
          (other) => ({ ip: [192, 0, 2, 10], port: 1720, other }),
        ),
      }),
    ),
  },
  {
    name: 'FACILITY with other generic data beside H.460.17',
    bytes: facilityWith([
      {
        id: 9999,
        parameters: [
          { id: 1, content: { number32: 4000000000 } },
          { id: 2, content: { text: 'x' } },
          { id: 3, content: { bool: true } },
          {
            id: 4,
            content: {
              nested: [{ id: 5, parameters: [{ id: 6, content: { raw: Uint8Array.of(1) } }] }],
            },
          },
        ],
      },
      { id: { oid: '1.3.6.1.4.1.6666.1' } },
      h46017(grq('pbx.example.com'), rrq('pbx.example.com')),
    ]),
  },
  {
    name: 'GCF and RCF tunnelled together',
    bytes: rasFacility([encodeGcf(7, 'pbx.example.com'), encodeRcf(8, 'pbx.example.com')]),
  },
  {
    name: 'RELEASE COMPLETE with a reason',
    bytes: tpkt(
      encodeQ931({
        callReference: 9,
        messageType: 0x5a,
        userUser: encodeUserInformation({ body: { kind: 'releaseComplete', reason: 5 } }),
      }),
    ),
  },
  {
    name: 'CALL PROCEEDING',
    bytes: tpkt(
      encodeQ931({
        callReference: 9,
        fromDestination: true,
        messageType: 0x02,
        userUser: encodeUserInformation({ body: { kind: 'callProceeding' }, h245Tunnelling: true }),
      }),
    ),
  },
  {
    name: 'CONNECT from a gateway',
    bytes: tpkt(
      encodeQ931({
        callReference: 9,
        fromDestination: true,
        messageType: 0x07,
        userUser: encodeUserInformation({ body: { kind: 'connect' } }),
      }),
    ),
  },
  {
    name: 'FACILITY with a Facility-UUIE body and tunnelled RRQ',
    bytes: tpkt(
      encodeQ931({
        messageType: 0x62,
        userUser: encodeUserInformation({
          body: { kind: 'facility' },
          genericData: [{ id: 17, parameters: [{ id: 1, content: { raw: DOC_RRQ } }] }],
        }),
      }),
    ),
  },
];

function facilityWith(genericData: readonly GenericDataSpec[]): Uint8Array {
  const userUser = encodeUserInformation({ body: { kind: 'extension', index: 1 }, genericData });
  return tpkt(encodeQ931({ messageType: 0x62, userUser }));
}

test('tshark reads every vector as pbxgate does', TIMEOUT, async (t) => {
  if (!requireTshark(t)) return;
  const all = [...vectors, ...extras];
  const ours = all.map((v) => readWithPbxgate(v.bytes));
  const theirs = await readWithTshark(all.map((v) => v.bytes));
  t.assert.equal(theirs.length, all.length);
  all.forEach((vector, i) => {
    const { malformed, ...reading } = theirs[i] ?? { malformed: true };
    const own = ours[i];
    t.assert.equal(malformed, false, `${vector.name}: tshark finds it malformed`);
    t.assert.notEqual(own, undefined, `${vector.name}: pbxgate does not decode it`);
    if (own === undefined) return;
    t.assert.deepEqual(reading, own.reading, vector.name);
  });
  // The fields the routing depends on are really there (not both empty).
  const gatekeeperIds = theirs
    .flatMap((r) => r.ras.map((m) => m.gatekeeperId))
    .filter((g) => g !== undefined);
  t.assert.equal(gatekeeperIds.length >= 15, true);
  t.assert.equal(theirs.filter((r) => r.destination !== undefined).length >= 7, true);
});

test(
  'the RasMessages pbxgate takes out of H.460.17 are RAS messages to tshark too',
  TIMEOUT,
  async (t) => {
    if (!requireTshark(t)) return;
    const extracted = vectors.flatMap((v) => [...(readWithPbxgate(v.bytes)?.raw ?? [])]);
    const expected = vectors.flatMap((v) => [...(readWithPbxgate(v.bytes)?.reading.ras ?? [])]);
    t.assert.equal(extracted.length >= 20, true);
    const theirs = await readRasWithTshark(extracted);
    t.assert.deepEqual(
      theirs.map((r) => r[0]),
      expected,
    );
    // The protocols.md RAS vectors themselves, bare, as §8 suggests.
    const [grq, rrq] = await readRasWithTshark([DOC_GRQ, DOC_RRQ]);
    t.assert.deepEqual(grq, [
      { index: 0, gatekeeperId: 'pbx.example.com', aliases: ['h323-ID=alice'], reason: undefined },
    ]);
    t.assert.deepEqual(rrq, [
      {
        index: 3,
        gatekeeperId: 'branch1@pbx.example.com/site2',
        aliases: ['h323-ID=alice', 'dialedDigits=201'],
        reason: undefined,
      },
    ]);
  },
);
