// How TURN allocations end over real sockets (RFC 8656 §3.1, §7.3): Refresh with LIFETIME 0, the
// lifetime running out, the TCP connection closing; and what is left afterwards (relay port, 437).

import { test } from 'node:test';
import { Attr, StunMethod } from '../../src/stun/constants.ts';
import { checkIntegrity } from '../../src/stun/integrity.ts';
import { mintRestCredentials } from '../../src/turn/credentials.ts';
import { isDataIndication, readDataIndication, uint32Of, xorAddressOf } from './support/replies.ts';
import { type TurnClient, allocated, turnClient } from './support/turn-client.ts';
import {
  ALICE,
  SECRET,
  canBindUdp,
  eventually,
  metricValue,
  startTurnGateway,
  udpPeer,
} from './support/turn-gateway.ts';

async function relayPortOf(client: TurnClient): Promise<number> {
  return (await allocated(client)).port;
}

test('Refresh with LIFETIME 0 deletes the allocation: relay port closed, 437, a new Allocate works', async (t) => {
  const { port, metrics } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  const relayPort = await relayPortOf(client);
  t.assert.equal(await canBindUdp(relayPort), false, 'the relay holds its port');
  t.assert.match(await metrics(), /pbxgate_turn_allocations\{transport="udp"\} 1/);

  const refreshed = await client.refresh(1200);
  t.assert.equal(refreshed.code, 'ok');
  t.assert.equal(uint32Of(refreshed.message, Attr.lifetime), 1200);

  const deleted = await client.refresh(0);
  t.assert.equal(deleted.code, 'ok');
  t.assert.equal(uint32Of(deleted.message, Attr.lifetime), 0);
  t.assert.equal(checkIntegrity(deleted.message, client.key()), 'valid');
  t.assert.equal(await eventually(() => canBindUdp(relayPort)), true, 'relay port freed');
  t.assert.match(await metrics(), /pbxgate_turn_allocations\{transport="udp"\} 0/);

  t.assert.equal((await client.refresh(600)).code, 437);
  t.assert.equal(
    (await client.createPermission([{ family: 4, address: '127.0.0.1', port: 9 }])).code,
    437,
  );
  const again = await client.allocate();
  t.assert.equal(again.code, 'ok', 'the 5-tuple is free again');
});

test('a Refresh, CreatePermission or ChannelBind without an allocation is 437', async (t) => {
  const { port } = await startTurnGateway(t);
  for (const transport of ['udp', 'tcp'] as const) {
    const client = await turnClient(t, transport, port, ALICE);
    t.assert.equal((await client.refresh(600)).code, 437, transport);
    const peer = { family: 4, address: '127.0.0.1', port: 9 } as const;
    t.assert.equal((await client.createPermission([peer])).code, 437, transport);
    t.assert.equal((await client.channelBind(0x4000, peer)).code, 437, transport);
  }
});

test('closing the TCP connection ends its allocation and frees the relay port', async (t) => {
  const { port, metrics } = await startTurnGateway(t);
  const client = await turnClient(t, 'tcp', port, ALICE);
  const relayPort = await relayPortOf(client);
  t.assert.match(await metrics(), /pbxgate_turn_allocations\{transport="tcp"\} 1/);
  t.assert.equal(await canBindUdp(relayPort), false);
  client.connection.close();
  t.assert.equal(await eventually(() => canBindUdp(relayPort)), true, 'relay port freed');
  t.assert.match(await metrics(), /pbxgate_turn_allocations\{transport="tcp"\} 0/);
});

test('an allocation whose lifetime runs out is deleted', async (t) => {
  const { port } = await startTurnGateway(t, {
    turn: ['allocationLifetime: 1s', 'maxAllocationLifetime: 2s'],
  });
  const client = await turnClient(t, 'udp', port, ALICE);
  const reply = await client.allocate();
  t.assert.equal(uint32Of(reply.message, Attr.lifetime), 1);
  const relayPort = xorAddressOf(reply.message, Attr.xorRelayedAddress)?.port ?? 0;
  t.assert.equal(await eventually(() => canBindUdp(relayPort), 10_000), true, 'relay port freed');
  t.assert.equal((await client.refresh(2)).code, 437);
});

test('quotas: the third allocation of a user is 486, and so is one beyond maxAllocations', async (t) => {
  const { port } = await startTurnGateway(t, {
    turn: ['maxAllocationsPerUser: 2', 'maxAllocations: 3'],
  });
  const clients: TurnClient[] = [];
  for (let i = 0; i < 3; i++) clients.push(await turnClient(t, 'udp', port, ALICE));
  const [first, second, third] = clients;
  if (first === undefined || second === undefined || third === undefined)
    throw new Error('clients');
  t.assert.equal((await first.allocate()).code, 'ok');
  t.assert.equal((await second.allocate()).code, 'ok');
  const over = await third.allocate();
  t.assert.equal(over.code, 486);
  t.assert.equal(checkIntegrity(over.message, third.key()), 'valid');

  const bob = await turnClient(t, 'udp', port, { username: 'bob', password: 'bob-pass' });
  t.assert.equal((await bob.allocate()).code, 'ok', 'another user has a quota of their own');
  const bob2 = await turnClient(t, 'udp', port, { username: 'bob', password: 'bob-pass' });
  t.assert.equal((await bob2.allocate()).code, 486, 'maxAllocations: 3 reached');

  t.assert.equal((await first.refresh(0)).code, 'ok');
  t.assert.equal((await third.allocate()).code, 'ok', 'a deleted allocation gives its place back');
});

test('metrics: allocations, relayed bytes and requests move; no username in any label', async (t) => {
  const { port, metrics } = await startTurnGateway(t);
  const before = await metrics();
  const toPeer = 'pbxgate_turn_relayed_bytes_total{transport="udp",direction="to-peer"}';
  t.assert.equal(metricValue(before, toPeer) ?? 0, 0);
  t.assert.equal(metricValue(before, 'pbxgate_turn_allocations{transport="udp"}') ?? 0, 0);

  const client = await turnClient(t, 'udp', port, ALICE);
  const relayPort = await relayPortOf(client);
  const peer = await udpPeer(t);
  t.assert.equal((await client.createPermission([peer.address])).code, 'ok');
  await client.sendIndication(peer.address, Buffer.alloc(100, 1));
  await peer.inbox.next();
  await peer.send(Buffer.alloc(40, 2), { family: 4, address: '127.0.0.1', port: relayPort });
  const data = readDataIndication(await client.connection.inbox.next(isDataIndication));
  t.assert.equal(data.data.length, 40);
  const wrong = { username: ALICE.username, password: 'nope' };
  await client.request(client.build(StunMethod.refresh, [], { auth: wrong }));
  // A REST user over TCP: its username (expiry:user id) must not become a label either.
  const rest = mintRestCredentials(SECRET, 'phone-4711', 3600, Date.now());
  const restClient = await turnClient(t, 'tcp', port, rest);
  t.assert.equal((await restClient.allocate()).code, 'ok');

  const text = await metrics();
  const value = (series: string): number | undefined => metricValue(text, series);
  t.assert.equal(value('pbxgate_turn_allocations{transport="udp"}'), 1);
  t.assert.equal(value('pbxgate_turn_allocations{transport="tcp"}'), 1);
  t.assert.equal(value(toPeer), 100);
  t.assert.equal(
    value('pbxgate_turn_relayed_bytes_total{transport="udp",direction="to-client"}'),
    40,
  );
  t.assert.equal(value('pbxgate_turn_requests_total{method="allocate",code="401"}'), 2);
  t.assert.equal(value('pbxgate_turn_requests_total{method="allocate",code="ok"}'), 2);
  t.assert.equal(value('pbxgate_turn_requests_total{method="create-permission",code="ok"}'), 1);
  t.assert.equal(value('pbxgate_turn_requests_total{method="refresh",code="401"}'), 1);
  const labelled = text.split('\n').filter((line) => line.includes('{'));
  const secrets = [ALICE.username, 'phone-4711', rest.username.split(':')[0] ?? rest.username];
  for (const secret of secrets) {
    t.assert.deepEqual(
      labelled.filter((line) => line.includes(secret)),
      [],
      `${secret} in a label`,
    );
  }
});
