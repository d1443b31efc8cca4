// Two clients of the gateway talking through their relays: the data is handed from one allocation
// to the other inside the gateway (src/turn/local-relays.ts). The relays advertise 127.0.0.2
// (turn.relay.external) but are bound to 127.0.0.1, so a datagram sent through the kernel to an
// advertised address would find no socket there: only the hand-over can deliver it.

import { test } from 'node:test';
import {
  isChannelData,
  isDataIndication,
  readChannelData,
  readDataIndication,
} from './support/replies.ts';
import { type Transport, allocated, turnClient } from './support/turn-client.ts';
import { ALICE, BOB, eventually, metricValue, startTurnGateway } from './support/turn-gateway.ts';

const ADVERTISED = '127.0.0.2';
const gatewayOptions = { relayExternal: ADVERTISED, allowedPeers: `[${ADVERTISED}/32]` };

for (const [aliceOver, bobOver] of [
  ['udp', 'udp'],
  ['udp', 'tcp'],
] as const satisfies readonly (readonly [Transport, Transport])[]) {
  test(`${aliceOver} to ${bobOver}: data between two relays of the gateway reaches the other client, from the sender's relayed address`, async (t) => {
    const { port, metrics } = await startTurnGateway(t, gatewayOptions);
    const alice = await turnClient(t, aliceOver, port, ALICE);
    const bob = await turnClient(t, bobOver, port, BOB);
    const aliceRelay = await allocated(alice);
    const bobRelay = await allocated(bob);
    t.assert.equal(aliceRelay.address, ADVERTISED);

    t.assert.equal((await alice.channelBind(0x4000, bobRelay)).code, 'ok');
    t.assert.equal((await bob.createPermission([aliceRelay])).code, 'ok');
    await alice.channelData(0x4000, Buffer.from('hello bob'));
    const toBob = readDataIndication(await bob.connection.inbox.next(isDataIndication));
    t.assert.deepEqual([toBob.peer, toBob.data], [aliceRelay, Buffer.from('hello bob')]);

    await bob.sendIndication(aliceRelay, Buffer.from('hello alice'));
    const toAlice = readChannelData(await alice.connection.inbox.next(isChannelData));
    t.assert.deepEqual([toAlice.channel, toAlice.data], [0x4000, Buffer.from('hello alice')]);

    const text = await metrics();
    for (const direction of ['to-peer', 'to-client']) {
      const total = ['udp', 'tcp'].reduce(
        (sum, transport) =>
          sum +
          (metricValue(
            text,
            `pbxgate_turn_relayed_packets_total{transport="${transport}",direction="${direction}"}`,
          ) ?? 0),
        0,
      );
      t.assert.equal(total, 2, direction);
    }
  });
}

test("the receiving allocation's permissions still apply: without one, nothing arrives", async (t) => {
  const { port, metrics } = await startTurnGateway(t, gatewayOptions);
  const alice = await turnClient(t, 'udp', port, ALICE);
  const bob = await turnClient(t, 'udp', port, BOB);
  await allocated(alice);
  const bobRelay = await allocated(bob);
  t.assert.equal((await alice.channelBind(0x4000, bobRelay)).code, 'ok');
  await alice.channelData(0x4000, Buffer.from('unasked'));
  const dropped = async (): Promise<number | undefined> =>
    metricValue(await metrics(), 'pbxgate_turn_dropped_total{reason="no-permission"}');
  t.assert.equal(await eventually(async () => (await dropped()) === 1), true);
  t.assert.deepEqual(bob.connection.inbox.items, []);
});
