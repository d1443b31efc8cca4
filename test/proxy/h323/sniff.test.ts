// The H.323 sniffer on the ProxyProtocol contract: routes of every vector, prefixes that need
// more, keep-alives and coalesced messages, early refusals, and each way a first message is refused.

import { test } from 'node:test';
import { createH323Protocol } from '../../../src/proxy/h323/protocol.ts';
import type { SniffResult } from '../../../src/proxy/protocol.ts';
import { encodeRasIndexOnly } from './support/h225-encode.ts';
import {
  type UserInformationSpec,
  encodeQ931,
  encodeUserInformation,
  h46017,
  rasFacility,
  setupMessage,
  tpkt,
} from './support/h225-messages.ts';
import { fromHex } from './support/per-writer.ts';
import { DOC_GRQ_FACILITY, DOC_RRQ_FACILITY } from './support/doc-vectors.ts';
import { grq, rrq } from './support/builders.ts';
import { vectors } from './support/vectors.ts';

const h323 = createH323Protocol();

function expected(vector: (typeof vectors)[number]): SniffResult {
  const { route } = vector;
  return 'reject' in route
    ? { kind: 'reject', reason: route.reject }
    : {
        kind: 'route',
        services: route.services,
        identity: route.identity,
        size: vector.bytes.length,
      };
}

for (const vector of vectors) {
  const { route } = vector;
  const outcome = 'reject' in route ? route.reject : route.services.join(', ').slice(0, 60);
  test(`${vector.name}: ${outcome}`, (t) => {
    t.assert.deepEqual(h323.sniff(vector.bytes), expected(vector));
  });
}

test('keep-alives before the first message are skipped and counted in its size', (t) => {
  const keepAlive = fromHex('03 00 00 04');
  const bytes = Uint8Array.from([...keepAlive, ...keepAlive, ...DOC_GRQ_FACILITY]);
  t.assert.deepEqual(h323.sniff(bytes), {
    kind: 'route',
    services: ['pbx.example.com'],
    identity: 'alice',
    size: 110,
  });
  t.assert.deepEqual(h323.sniff(Uint8Array.from([...keepAlive, ...keepAlive])), {
    kind: 'need-more',
  });
  const many = Uint8Array.from(Array.from({ length: 5 }, () => [...keepAlive]).flat());
  t.assert.deepEqual(h323.sniff(many), { kind: 'reject', reason: 'h323.keep-alive-first' });
});

test('what follows the first message is later traffic, outside its size', (t) => {
  const bytes = Uint8Array.from([...DOC_RRQ_FACILITY, ...DOC_GRQ_FACILITY, 0x16, 0x03]);
  const result = h323.sniff(bytes);
  t.assert.equal(result.kind === 'route' && result.size, DOC_RRQ_FACILITY.length);
});

test('bytes that are not TPKT, or a message that must not come first, are refused early', (t) => {
  t.assert.deepEqual(h323.sniff(fromHex('16')), { kind: 'reject', reason: 'h323.not-tpkt' });
  t.assert.deepEqual(h323.sniff(fromHex('47 45 54 20')), {
    kind: 'reject',
    reason: 'h323.not-tpkt',
  });
  t.assert.deepEqual(h323.sniff(fromHex('03 00 01 00 09')), {
    kind: 'reject',
    reason: 'h323.not-q931',
  });
  t.assert.deepEqual(h323.sniff(fromHex('03 00 01 00 08 02 00 01 07')), {
    kind: 'reject',
    reason: 'h323.unexpected-message',
  });
  t.assert.deepEqual(h323.sniff(fromHex('03 00 01 00 08 02 00 01 05')), { kind: 'need-more' });
  t.assert.deepEqual(h323.sniff(fromHex('03 00 00 08 08 02 00 00')), {
    kind: 'reject',
    reason: 'h323.not-q931',
  });
});

test('the size cap refuses a larger TPKT as soon as its header arrives', (t) => {
  const small = createH323Protocol({ maxFirstMessageBytes: 100 });
  t.assert.deepEqual(small.sniff(DOC_GRQ_FACILITY.subarray(0, 4)), {
    kind: 'reject',
    reason: 'h323.too-large',
  });
  const exact = createH323Protocol({ maxFirstMessageBytes: 102 });
  t.assert.equal(exact.sniff(DOC_GRQ_FACILITY).kind, 'route');
  // The watcher's cap is its own: the first message is not held to it.
  const watcherCap = createH323Protocol({ maxMessageBytes: 100 });
  t.assert.equal(watcherCap.sniff(DOC_GRQ_FACILITY).kind, 'route');
});

test('a listener for the secondary gatekeeper takes the second standby location', (t) => {
  const secondary = createH323Protocol({ standbyRole: 'secondary' });
  const bytes = rasFacility(rrq('desk@pbx.example.com/main:backup'));
  t.assert.deepEqual(secondary.sniff(bytes), {
    kind: 'route',
    services: ['pbx.example.com/backup', 'pbx.example.com'],
    identity: 'alice',
    size: bytes.length,
  });
  t.assert.deepEqual(h323.sniff(bytes).kind === 'route' && h323.sniff(bytes), {
    kind: 'route',
    services: ['pbx.example.com/main', 'pbx.example.com'],
    identity: 'alice',
    size: bytes.length,
  });
});

function reasonOf(bytes: Uint8Array): string | undefined {
  const result = h323.sniff(bytes);
  return result.kind === 'reject' ? result.reason : undefined;
}

function facility(spec: Partial<UserInformationSpec>): Uint8Array {
  const userUser = encodeUserInformation({ body: { kind: 'extension', index: 1 }, ...spec });
  return tpkt(encodeQ931({ messageType: 0x62, userUser }));
}

test('several tunnelled RAS messages must agree on their gatekeeper', (t) => {
  const both = rasFacility([grq(undefined, { endpointAlias: [] }), rrq('pbx.example.com/x')]);
  t.assert.deepEqual(h323.sniff(both), {
    kind: 'route',
    services: ['pbx.example.com/x', 'pbx.example.com'],
    identity: 'alice',
    size: both.length,
  });
  const same = rasFacility([grq('a@PBX.example.com/x'), rrq('b@pbx.example.com/X')]);
  t.assert.equal(h323.sniff(same).kind, 'route');
  t.assert.equal(
    reasonOf(rasFacility([grq('pbx.example.com'), rrq('pbx.example.com/x')])),
    'h323.conflicting-gatekeeper-ids',
  );
  t.assert.equal(
    reasonOf(rasFacility([grq('pbx.example.com'), encodeRasIndexOnly(6, new Uint8Array(8))])),
    'h323.unexpected-ras',
  );
});

test('a FACILITY without tunnelled RAS, or with RAS that does not decode, is refused', (t) => {
  t.assert.equal(reasonOf(facility({ h245Tunnelling: true })), 'h323.no-tunnelled-ras');
  t.assert.equal(reasonOf(facility({ genericData: [{ id: 17 }] })), 'h323.no-tunnelled-ras');
  t.assert.equal(
    reasonOf(facility({ genericData: [h46017(fromHex('00 a0'))] })),
    'h323.undecodable',
  );
  t.assert.equal(reasonOf(rasFacility(grq('pbx/a/b'))), 'h323.bad-gatekeeper-id');
  t.assert.equal(reasonOf(tpkt(encodeQ931({ messageType: 0x62 }))), 'h323.no-user-user');
  t.assert.equal(
    reasonOf(tpkt(encodeQ931({ messageType: 0x62, userUser: fromHex('ff') }))),
    'h323.undecodable',
  );
});

test('a SETUP must carry a Setup body; its RAS is not what routes it', (t) => {
  const wrongBody = encodeUserInformation({ body: { kind: 'facility' } });
  t.assert.equal(
    reasonOf(tpkt(encodeQ931({ messageType: 0x05, userUser: wrongBody }))),
    'h323.unexpected-message',
  );
  const withRas = setupMessage(
    { destinationAddress: [{ kind: 'email-ID', value: 'bob@example.com' }] },
    { genericData: [h46017(rrq('other.example'))] },
  );
  t.assert.deepEqual(h323.sniff(withRas), {
    kind: 'route',
    services: ['example.com'],
    identity: undefined,
    size: withRas.length,
  });
});

test('H.323 has no refusal message of its own: the connection just closes', (t) => {
  for (const cause of [
    'malformed',
    'unknown-service',
    'forbidden',
    'backend-unavailable',
    'too-large',
  ] as const) {
    t.assert.equal(h323.refuse(DOC_GRQ_FACILITY, cause), undefined);
    t.assert.equal(h323.refuse(undefined, cause), undefined);
  }
  t.assert.equal(h323.kind, 'h323');
});
