// TURN relaying over real sockets (RFC 8656 §9-§12): permissions and the peer policy, Send and Data
// indications, channels and ChannelData, with plain UDP sockets on 127.0.0.x as the peers.

import { test } from 'node:test';
import type { TransportAddress } from '../../src/stun/attributes/address.ts';
import {
  isChannelData,
  isDataIndication,
  readChannelData,
  readDataIndication,
} from './support/replies.ts';
import { type Transport, allocated, turnClient } from './support/turn-client.ts';
import {
  ALICE,
  type UdpPeer,
  eventually,
  metricValue,
  startTurnGateway,
  udpPeer,
} from './support/turn-gateway.ts';

const transports: readonly Transport[] = ['udp', 'tcp'];

/** The next datagram `peer` receives, checked to come from the relayed address. */
async function receivedFrom(peer: UdpPeer, relayed: TransportAddress): Promise<Buffer> {
  const datagram = await peer.inbox.next();
  if (datagram.from.port !== relayed.port || datagram.from.address !== relayed.address)
    throw new Error(`from ${datagram.from.address}:${datagram.from.port}, not the relay`);
  return datagram.data;
}

test('CreatePermission: 403 for denied peers, however spelled; 127.0.0.1 (allowedPeers) succeeds', async (t) => {
  const { port, metrics } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  const relayed = await allocated(client);
  const denied: readonly TransportAddress[] = [
    { family: 4, address: '10.0.0.1', port: 5060 },
    { family: 4, address: '169.254.169.254', port: 80 },
    { family: 6, address: '::ffff:127.0.0.2', port: 5060 },
    { family: 4, address: '0.0.0.0', port: 5060 },
  ];
  for (const peer of denied) {
    t.assert.equal((await client.createPermission([peer])).code, 403, peer.address);
  }
  const peer = await udpPeer(t);
  // One denied peer among good ones: the whole request is refused.
  t.assert.equal(
    (await client.createPermission([peer.address, denied[0] ?? peer.address])).code,
    403,
  );
  t.assert.equal((await client.createPermission([peer.address])).code, 'ok');
  t.assert.match(await metrics(), /pbxgate_suspicious_events_total\{reason="turn.peer-denied"\} 5/);

  // A Send to ::ffff:127.0.0.2 is dropped even though a socket listens there (loopback, not allowed).
  const hidden = await udpPeer(t, '127.0.0.2');
  await client.sendIndication(
    { family: 6, address: '::ffff:127.0.0.2', port: hidden.address.port },
    Buffer.from('in'),
  );
  await client.sendIndication(peer.address, Buffer.from('sentinel'));
  t.assert.deepEqual(await receivedFrom(peer, relayed), Buffer.from('sentinel'));
  t.assert.match(await metrics(), /pbxgate_turn_dropped_total\{reason="peer-denied"\} 1/);
  t.assert.deepEqual(hidden.inbox.items, []);
});

for (const transport of transports) {
  test(`${transport}: Send reaches the peer byte for byte, the answer comes back as a Data indication`, async (t) => {
    const { port } = await startTurnGateway(t);
    const client = await turnClient(t, transport, port, ALICE);
    const relayed = await allocated(client);
    const peer = await udpPeer(t);
    t.assert.equal((await client.createPermission([peer.address])).code, 'ok');

    const payload = Buffer.from([0x80, 0x00, 0x01, 0x02, 0xff, 0x00, 0x41]); // RTP-ish, 7 bytes
    await client.sendIndication(peer.address, payload);
    t.assert.deepEqual(await receivedFrom(peer, relayed), payload);

    await peer.send(Buffer.from('answer!'), relayed);
    const data = readDataIndication(await client.connection.inbox.next(isDataIndication));
    t.assert.deepEqual(data.peer, peer.address);
    t.assert.deepEqual(data.data, Buffer.from('answer!'));

    // Permissions are per IP: another port of 127.0.0.1 gets through without its own.
    const sibling = await udpPeer(t);
    await sibling.send(Buffer.from('sibling'), relayed);
    const fromSibling = readDataIndication(await client.connection.inbox.next(isDataIndication));
    t.assert.deepEqual(fromSibling.peer, sibling.address);
    t.assert.deepEqual(fromSibling.data, Buffer.from('sibling'));
  });
}

test('without a permission for its IP, data is dropped both ways', async (t) => {
  const { port, metrics } = await startTurnGateway(t, {
    allowedPeers: '[127.0.0.1/32, 127.0.0.2/32]',
  });
  const client = await turnClient(t, 'udp', port, ALICE);
  const relayed = await allocated(client);
  const peer = await udpPeer(t);
  const stranger = await udpPeer(t, '127.0.0.2');
  t.assert.equal((await client.createPermission([peer.address])).code, 'ok');

  await stranger.send(Buffer.from('let me in'), relayed);
  await peer.send(Buffer.from('sentinel'), relayed);
  const first = readDataIndication(await client.connection.inbox.next());
  t.assert.deepEqual(first.data, Buffer.from('sentinel'), 'the stranger came first: not dropped');

  await client.sendIndication(stranger.address, Buffer.from('out'));
  await client.sendIndication(peer.address, Buffer.from('sentinel 2'));
  t.assert.deepEqual(await receivedFrom(peer, relayed), Buffer.from('sentinel 2'));
  t.assert.match(await metrics(), /pbxgate_turn_dropped_total\{reason="no-permission"\} 2/);
  t.assert.deepEqual(stranger.inbox.items, []);

  // Once permitted, the stranger's data is relayed.
  t.assert.equal((await client.createPermission([stranger.address])).code, 'ok');
  await stranger.send(Buffer.from('hello'), relayed);
  const hello = readDataIndication(await client.connection.inbox.next());
  t.assert.deepEqual([hello.peer, hello.data], [stranger.address, Buffer.from('hello')]);
});

for (const transport of transports) {
  test(`${transport}: ChannelBind 0x4000, then ChannelData both ways`, async (t) => {
    const { port } = await startTurnGateway(t);
    const client = await turnClient(t, transport, port, ALICE);
    const relayed = await allocated(client);
    const peer = await udpPeer(t);
    t.assert.equal((await client.channelBind(0x4000, peer.address)).code, 'ok');

    // ChannelBind installs the permission too: no CreatePermission needed.
    const odd = Buffer.from('five!'); // 5 bytes: over TCP, 3 bytes of padding
    await client.channelData(0x4000, odd);
    t.assert.deepEqual(await receivedFrom(peer, relayed), odd);

    await peer.send(Buffer.from('12345'), relayed);
    const frame = await client.connection.inbox.next(isChannelData);
    const decoded = readChannelData(frame);
    t.assert.equal(decoded.channel, 0x4000);
    t.assert.deepEqual(decoded.data, Buffer.from('12345'));
    if (transport === 'tcp') {
      t.assert.equal(frame.length, 12);
      t.assert.deepEqual(decoded.padding, Buffer.alloc(3));
    } else {
      t.assert.equal(frame.length, 9);
    }
    t.assert.equal((await client.channelBind(0x4000, peer.address)).code, 'ok', 'a refresh');
  });
}

test('ChannelBind: 400 for a number out of range and for a channel or peer bound elsewhere', async (t) => {
  const { port, metrics } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  await allocated(client);
  const peer = await udpPeer(t);
  const other = await udpPeer(t);
  t.assert.equal((await client.channelBind(0x3fff, peer.address)).code, 400);
  t.assert.equal((await client.channelBind(0x4000, peer.address)).code, 'ok');
  t.assert.equal((await client.channelBind(0x4000, other.address)).code, 400, 'channel taken');
  t.assert.equal((await client.channelBind(0x4001, peer.address)).code, 400, 'peer taken');
  t.assert.equal((await client.channelBind(0x4001, other.address)).code, 'ok');
  t.assert.equal(
    (await client.channelBind(0x4002, { family: 4, address: '10.0.0.1', port: 5060 })).code,
    403,
  );
  const channels = async (): Promise<number | undefined> =>
    metricValue(await metrics(), 'pbxgate_turn_channels');
  t.assert.equal(await eventually(async () => (await channels()) === 2), true, 'gauge: 2 channels');
});
