// The finer points of RFC 8656 and RFC 8489 over real sockets: address families (440, 443,
// ADDRESS-ERROR-CODE), attributes the server does not understand (420, or a discarded indication),
// and FINGERPRINT.

import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Attr, StunClass, StunMethod } from '../../src/stun/constants.ts';
import { type AttributeValue, encodeStunMessage } from '../../src/stun/encode.ts';
import { stunType } from '../../src/stun/header.ts';
import { readErrorCode } from '../../src/stun/attributes/error-code.ts';
import { writeXorAddress } from '../../src/stun/attributes/address.ts';
import type { TransportAddress } from '../../src/stun/attributes/address.ts';
import { AddressFamily, writeAddressFamily, writeDontFragment } from '../../src/turn/attributes.ts';
import { unknownAttributesOf, valueOf, xorAddressOf } from './support/replies.ts';
import { type TurnClient, allocated, requestedUdp, turnClient } from './support/turn-client.ts';
import { ALICE, type UdpPeer, startTurnGateway, udpPeer } from './support/turn-gateway.ts';

/** An attribute type nobody defined, in the comprehension-required range. */
const UNKNOWN_REQUIRED = 0x7ff0;

/** A Send indication to `peer` with extra attributes after DATA. */
function sendWith(peer: TransportAddress, data: Buffer, extra: readonly AttributeValue[]): Buffer {
  const transactionId = randomBytes(12);
  return encodeStunMessage({
    type: stunType(StunMethod.send, StunClass.indication),
    transactionId,
    attributes: [
      { type: Attr.xorPeerAddress, value: writeXorAddress(peer, transactionId) },
      { type: Attr.data, value: data },
      ...extra,
    ],
  });
}

/** Sends `suspect`, then a plain Send of 'sentinel': the first datagram at the peer tells. */
async function firstAtPeer(client: TurnClient, peer: UdpPeer, suspect: Buffer): Promise<string> {
  await client.connection.send(suspect);
  await client.sendIndication(peer.address, Buffer.from('sentinel'));
  return (await peer.inbox.next()).data.toString();
}

test('a peer of the other family is 443; ADDITIONAL-ADDRESS-FAMILY IPv6 on an IPv4 relay is reported, not refused', async (t) => {
  const { port } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  const reply = await client.allocate([
    { type: Attr.additionalAddressFamily, value: writeAddressFamily(AddressFamily.ipv6) },
  ]);
  t.assert.equal(reply.code, 'ok');
  t.assert.equal(xorAddressOf(reply.message, Attr.xorRelayedAddress)?.family, 4);
  const addressError = valueOf(reply.message, Attr.addressErrorCode);
  t.assert.equal(addressError?.[0], AddressFamily.ipv6);
  const error = addressError && readErrorCode(addressError);
  t.assert.equal(typeof error === 'object' ? error.code : error, 440);

  const globalV6: TransportAddress = { family: 6, address: '2a00:1450:4001:80b::200e', port: 3478 };
  t.assert.equal((await client.createPermission([globalV6])).code, 443);
});

test('a request with an unknown comprehension-required attribute is 420 listing it', async (t) => {
  const { port } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  await allocated(client);
  const peer = await udpPeer(t);
  const reply = await client.call(StunMethod.createPermission, [
    { type: Attr.xorPeerAddress, value: writeXorAddress(peer.address, new Uint8Array(12)) },
    { type: UNKNOWN_REQUIRED, value: new Uint8Array(4) },
  ]);
  t.assert.equal(reply.code, 420);
  t.assert.deepEqual(unknownAttributesOf(reply.message), [UNKNOWN_REQUIRED]);
});

test('a Refresh asking for another address family is 443 (RFC 8656 §7.3)', async (t) => {
  const { port } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  await allocated(client);
  const reply = await client.call(StunMethod.refresh, [
    { type: Attr.requestedAddressFamily, value: writeAddressFamily(AddressFamily.ipv6) },
  ]);
  t.assert.equal(reply.code, 443);
});

test('a Send indication with DONT-FRAGMENT is discarded: the server cannot set DF (RFC 8656 §11.2)', async (t) => {
  const { port } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  await allocated(client);
  const peer = await udpPeer(t);
  t.assert.equal((await client.createPermission([peer.address])).code, 'ok');
  const suspect = sendWith(peer.address, Buffer.from('df'), [
    { type: Attr.dontFragment, value: writeDontFragment() },
  ]);
  t.assert.equal(await firstAtPeer(client, peer, suspect), 'sentinel');
});

test('a Send indication with an unknown comprehension-required attribute is discarded (RFC 8489 §6.3.2)', async (t) => {
  const { port } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  await allocated(client);
  const peer = await udpPeer(t);
  t.assert.equal((await client.createPermission([peer.address])).code, 'ok');
  const suspect = sendWith(peer.address, Buffer.from('unknown'), [
    { type: UNKNOWN_REQUIRED, value: new Uint8Array(4) },
  ]);
  t.assert.equal(await firstAtPeer(client, peer, suspect), 'sentinel');
});

test('a TURN message whose FINGERPRINT does not verify is discarded, like a Binding (RFC 8489 §6.3)', async (t) => {
  const { port } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  const corrupt = client.build(StunMethod.allocate, [requestedUdp], {
    auth: false,
    fingerprint: true,
  });
  corrupt.writeUInt32BE((corrupt.readUInt32BE(corrupt.length - 4) ^ 1) >>> 0, corrupt.length - 4);
  await client.connection.send(corrupt);
  // The next request on the same socket is answered in order: after the corrupt one, if at all.
  const next = await client.request(
    client.build(StunMethod.allocate, [requestedUdp], { auth: false }),
  );
  t.assert.equal(next.code, 401);
  t.assert.deepEqual(client.connection.inbox.items, [], 'no answer to the corrupt request');
});
