// TURN Allocate over real sockets through the composed gateway (RFC 8656 §7.1-7.2): the challenge,
// the success and its attributes, retransmissions, 437, the request checks and EVEN-PORT.

import { test } from 'node:test';
import { Attr, StunMethod } from '../../src/stun/constants.ts';
import { checkFingerprint } from '../../src/stun/fingerprint.ts';
import { checkIntegrity } from '../../src/stun/integrity.ts';
import {
  AddressFamily,
  TransportProtocol,
  writeAddressFamily,
  writeDontFragment,
  writeEvenPort,
  writeRequestedTransport,
  writeReservationToken,
} from '../../src/turn/attributes.ts';
import {
  errorCodeOf,
  textOf,
  typesOf,
  uint32Of,
  unknownAttributesOf,
  valueOf,
  xorAddressOf,
} from './support/replies.ts';
import {
  REALM,
  type Transport,
  lifetimeAttr,
  requestedUdp,
  turnClient,
} from './support/turn-client.ts';
import { ALICE, startTurnGateway } from './support/turn-gateway.ts';

const transports: readonly Transport[] = ['udp', 'tcp'];

for (const transport of transports) {
  test(`${transport}: an Allocate without credentials is challenged, then succeeds with every attribute`, async (t) => {
    const { port, relay } = await startTurnGateway(t);
    const client = await turnClient(t, transport, port, ALICE);

    const challenge = await client.request(
      client.build(StunMethod.allocate, [requestedUdp], { auth: false }),
    );
    t.assert.equal(challenge.code, 401);
    t.assert.equal(textOf(challenge.message, Attr.realm), REALM);
    t.assert.match(textOf(challenge.message, Attr.nonce) ?? '', /^.{8,}$/);
    t.assert.equal(
      valueOf(challenge.message, Attr.messageIntegrity),
      undefined,
      'a 401 is not signed',
    );
    client.learn(challenge);

    const reply = await client.request(
      client.build(StunMethod.allocate, [requestedUdp], { fingerprint: true }),
    );
    t.assert.equal(reply.code, 'ok');
    const relayed = xorAddressOf(reply.message, Attr.xorRelayedAddress);
    t.assert.equal(relayed?.address, '127.0.0.1');
    const relayPort = relayed?.port ?? 0;
    t.assert.equal(relayPort >= relay.min && relayPort <= relay.max, true, `${relayPort} in range`);
    t.assert.equal(uint32Of(reply.message, Attr.lifetime), 600);
    t.assert.deepEqual(xorAddressOf(reply.message, Attr.xorMappedAddress), client.local);
    t.assert.equal(checkIntegrity(reply.message, client.key()), 'valid');
    t.assert.equal(checkFingerprint(reply.message), 'valid');
    t.assert.equal(typesOf(reply.message).at(-1), Attr.fingerprint);

    // Without FINGERPRINT in the request, none in the answer (another client, another 5-tuple).
    const plain = await turnClient(t, transport, port, ALICE);
    const second = await plain.allocate();
    t.assert.equal(second.code, 'ok');
    t.assert.equal(checkFingerprint(second.message), 'absent');
    t.assert.equal(checkIntegrity(second.message, plain.key()), 'valid');
    t.assert.notEqual(xorAddressOf(second.message, Attr.xorRelayedAddress)?.port, relayPort);
  });

  test(`${transport}: a retransmitted Allocate gets the same bytes, another Allocate on the 5-tuple 437`, async (t) => {
    const { port } = await startTurnGateway(t);
    const client = await turnClient(t, transport, port, ALICE);
    await client
      .request(client.build(StunMethod.allocate, [requestedUdp], { auth: false }))
      .then((r) => {
        client.learn(r);
      });
    const allocate = client.build(StunMethod.allocate, [requestedUdp], { fingerprint: true });
    const first = await client.request(allocate);
    t.assert.equal(first.code, 'ok');
    const again = await client.request(allocate);
    t.assert.deepEqual(again.bytes, first.bytes);

    const other = await client.allocate();
    t.assert.equal(other.code, 437);
    t.assert.equal(checkIntegrity(other.message, client.key()), 'valid', 'the 437 is signed');
  });
}

test('LIFETIME: the default when less is asked, the maximum when more is', async (t) => {
  const { port } = await startTurnGateway(t, { turn: ['maxAllocationLifetime: 1200s'] });
  const cases: readonly (readonly [number, number])[] = [
    [30, 600],
    [900, 900],
    [5000, 1200],
  ];
  for (const [asked, granted] of cases) {
    const client = await turnClient(t, 'udp', port, ALICE);
    const reply = await client.allocate([lifetimeAttr(asked)]);
    t.assert.equal(reply.code, 'ok');
    t.assert.equal(uint32Of(reply.message, Attr.lifetime), granted, `asked ${asked}`);
  }
});

test('the Allocate checks: 400 without REQUESTED-TRANSPORT, 442 for SCTP, 400 for TCP over UDP, 440 for IPv6, 420 for DONT-FRAGMENT', async (t) => {
  const { port } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  const missing = await client.call(StunMethod.allocate, [lifetimeAttr(600)]);
  t.assert.equal(missing.code, 400);
  t.assert.equal(checkIntegrity(missing.message, client.key()), 'valid');

  const sctp = await client.call(StunMethod.allocate, [
    { type: Attr.requestedTransport, value: writeRequestedTransport(132) },
  ]);
  t.assert.equal(sctp.code, 442);
  // RFC 6062 §5.1: a TCP allocation needs a TCP or TLS control connection.
  const tcp = await client.call(StunMethod.allocate, [
    { type: Attr.requestedTransport, value: writeRequestedTransport(TransportProtocol.tcp) },
  ]);
  t.assert.equal(tcp.code, 400);

  const ipv6 = await client.allocate([
    { type: Attr.requestedAddressFamily, value: writeAddressFamily(AddressFamily.ipv6) },
  ]);
  t.assert.equal(ipv6.code, 440);

  const dontFragment = await client.allocate([
    { type: Attr.dontFragment, value: writeDontFragment() },
  ]);
  t.assert.equal(dontFragment.code, 420);
  t.assert.deepEqual(unknownAttributesOf(dontFragment.message), [Attr.dontFragment]);

  const ipv4 = await client.allocate([
    { type: Attr.requestedAddressFamily, value: writeAddressFamily(AddressFamily.ipv4) },
  ]);
  t.assert.equal(ipv4.code, 'ok', 'none of the refusals left an allocation behind');
});

test('EVEN-PORT gives an even port; with the R bit a token that another client claims for port + 1', async (t) => {
  const { port, relay } = await startTurnGateway(t);
  const even = await turnClient(t, 'udp', port, ALICE);
  const plain = await even.allocate([{ type: Attr.evenPort, value: writeEvenPort(false) }]);
  t.assert.equal(plain.code, 'ok');
  t.assert.equal((xorAddressOf(plain.message, Attr.xorRelayedAddress)?.port ?? 1) % 2, 0);
  t.assert.equal(valueOf(plain.message, Attr.reservationToken), undefined);

  const reserving = await turnClient(t, 'udp', port, ALICE);
  const first = await reserving.allocate([{ type: Attr.evenPort, value: writeEvenPort(true) }]);
  t.assert.equal(first.code, 'ok');
  const firstPort = xorAddressOf(first.message, Attr.xorRelayedAddress)?.port ?? 1;
  t.assert.equal(firstPort % 2, 0);
  t.assert.equal(firstPort + 1 <= relay.max, true);
  const token = valueOf(first.message, Attr.reservationToken);
  t.assert.equal(token?.length, 8);

  const claiming = await turnClient(t, 'udp', port, ALICE);
  const second = await claiming.allocate([
    { type: Attr.reservationToken, value: writeReservationToken(token ?? new Uint8Array(8)) },
  ]);
  t.assert.equal(second.code, 'ok');
  t.assert.equal(xorAddressOf(second.message, Attr.xorRelayedAddress)?.port, firstPort + 1);

  // The token is spent; and a token beside EVEN-PORT is a bad request.
  const late = await turnClient(t, 'udp', port, ALICE);
  const spent = await late.allocate([
    { type: Attr.reservationToken, value: writeReservationToken(token ?? new Uint8Array(8)) },
  ]);
  t.assert.equal(spent.code, 508);
  const both = await late.allocate([
    { type: Attr.evenPort, value: writeEvenPort(false) },
    { type: Attr.reservationToken, value: writeReservationToken(new Uint8Array(8)) },
  ]);
  t.assert.equal(both.code, 400);
  t.assert.equal(errorCodeOf(both.message), 400);
});
