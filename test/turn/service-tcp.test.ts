// RFC 6062 TCP allocations over real sockets: Connect to a TCP peer, a peer connecting in
// (ConnectionAttempt), ConnectionBind on a new client connection, then raw bytes both ways; the
// refusals (400, 403, 441, 442, 446, 447); everything closes with the control connection.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { Attr, StunClass, StunMethod } from '../../src/stun/constants.ts';
import { stunClassOf, stunMethodOf } from '../../src/stun/header.ts';
import { decodeStunMessage } from '../../src/stun/message.ts';
import type { TransportAddress } from '../../src/stun/attributes/address.ts';
import { readConnectionId, writeEvenPort } from '../../src/turn/attributes.ts';
import { valueOf, xorAddressOf } from './support/replies.ts';
import { type Pipe, dataConnection, tcpConnect, tcpPeer } from './support/tcp-peers.ts';
import { type Reply, type TurnClient, requestedTcp, turnClient } from './support/turn-client.ts';
import {
  ALICE,
  BOB,
  type TurnGateway,
  eventually,
  metricValue,
  startTurnGateway,
  within,
} from './support/turn-gateway.ts';

function connectionIdOf(reply: Reply): number {
  const raw = valueOf(reply.message, Attr.connectionId);
  const id = raw === undefined ? undefined : readConnectionId(raw);
  if (typeof id !== 'number') throw new Error(`no CONNECTION-ID in a ${reply.code}`);
  return id;
}

async function tcpAllocation(
  t: TestContext,
  gateway: TurnGateway,
): Promise<{ client: TurnClient; relayed: TransportAddress }> {
  const client = await turnClient(t, 'tcp', gateway.port, ALICE);
  const reply = await client.allocateTcp();
  const relayed = xorAddressOf(reply.message, Attr.xorRelayedAddress);
  if (reply.code !== 'ok' || relayed === undefined) throw new Error(`Allocate: ${reply.code}`);
  return { client, relayed };
}

/** `size` random bytes written by `from` arrive intact at `to`. */
async function crosses(t: TestContext, from: Pipe, to: Pipe, size: number): Promise<void> {
  const data = randomBytes(size);
  const before = to.received.length;
  from.write(data);
  const received = await to.until(before + size);
  t.assert.equal(received.subarray(before).equals(data), true);
}

test('Connect, then ConnectionBind on a new connection: the peer’s early bytes wait, then raw bytes flow both ways', async (t) => {
  const gateway = await startTurnGateway(t);
  const { client, relayed } = await tcpAllocation(t, gateway);
  t.assert.equal(relayed.address, '127.0.0.1');
  t.assert.equal(relayed.port >= gateway.relay.min && relayed.port <= gateway.relay.max, true);
  const peer = await tcpPeer(t);

  const connected = await client.connectPeer(peer.address);
  t.assert.equal(connected.code, 'ok');
  const id = connectionIdOf(connected);
  const atPeer = await peer.accepted.next();
  t.assert.equal(atPeer.remote.address, '127.0.0.1', 'the connection comes from the relay address');
  atPeer.write(Buffer.from('early'));

  // The client's first bytes ride in the same segment as its ConnectionBind.
  const data = await dataConnection(t, gateway.port, client.connectionBind(id), Buffer.from('hi'));
  t.assert.equal(data.code, 'ok');
  t.assert.equal((await data.pipe.until(5)).subarray(0, 5).toString(), 'early');
  t.assert.equal((await atPeer.until(2)).toString(), 'hi');
  await crosses(t, data.pipe, atPeer, 256 * 1024);
  await crosses(t, atPeer, data.pipe, 256 * 1024);
  // STUN-looking bytes are data now, not requests.
  const stunLike = client.build(StunMethod.refresh, []);
  data.pipe.write(stunLike);
  t.assert.equal(
    (await atPeer.until(2 + 256 * 1024 + stunLike.length))
      .subarray(-stunLike.length)
      .equals(stunLike),
    true,
  );

  const metrics = await gateway.metrics();
  t.assert.equal(metricValue(metrics, 'pbxgate_turn_tcp_connections'), 1);
  t.assert.equal(
    (metricValue(
      metrics,
      'pbxgate_turn_relayed_bytes_total{transport="tcp",direction="to-peer"}',
    ) ?? 0) >=
      256 * 1024,
    true,
  );
  // The allocation ends with its control connection, and its connections with it.
  client.connection.close();
  await within(atPeer.closed, 5000, 'peer connection close');
  await within(data.pipe.closed, 5000, 'data connection close');
  t.assert.equal(
    await eventually(
      async () => metricValue(await gateway.metrics(), 'pbxgate_turn_tcp_connections') === 0,
    ),
    true,
  );
});

test('a peer connecting in: refused without a permission, ConnectionAttempt with one', async (t) => {
  const gateway = await startTurnGateway(t);
  const { client, relayed } = await tcpAllocation(t, gateway);
  const stranger = await tcpConnect(t, relayed);
  await within(stranger.closed, 5000, 'the unpermitted peer closed');

  t.assert.equal(
    (await client.createPermission([{ family: 4, address: '127.0.0.1', port: 0 }])).code,
    'ok',
  );
  const peer = await tcpConnect(t, relayed);
  peer.write(Buffer.from('before the bind'));
  const frame = await client.connection.inbox.next(
    (bytes) =>
      stunMethodOf(bytes.readUInt16BE(0)) === StunMethod.connectionAttempt &&
      stunClassOf(bytes.readUInt16BE(0)) === StunClass.indication,
  );
  const decoded = decodeStunMessage(frame);
  if (decoded.kind !== 'ok') throw new Error('undecodable ConnectionAttempt');
  const from = xorAddressOf(decoded.value, Attr.xorPeerAddress);
  t.assert.deepEqual(from, peer.local);
  const raw = valueOf(decoded.value, Attr.connectionId);
  const id = raw === undefined ? undefined : readConnectionId(raw);
  t.assert.equal(typeof id, 'number');

  const data = await dataConnection(t, gateway.port, client.connectionBind(Number(id)));
  t.assert.equal(data.code, 'ok');
  t.assert.equal((await data.pipe.until(15)).toString(), 'before the bind');
  await crosses(t, data.pipe, peer, 64 * 1024);
  // The peer closing closes the data connection (after what it sent is written).
  peer.write(Buffer.from('bye'));
  peer.socket.end();
  await within(data.pipe.closed, 5000, 'data connection close');
  t.assert.equal(data.pipe.received.subarray(-3).toString(), 'bye');
});

test('the RFC 6062 refusals: 400, 441, 401, 446, 447, and Send/ChannelBind on a TCP allocation', async (t) => {
  const gateway = await startTurnGateway(t);
  // TCP relaying needs a TCP control connection; no EVEN-PORT for it.
  const overUdp = await turnClient(t, 'udp', gateway.port, ALICE);
  t.assert.equal((await overUdp.allocateTcp()).code, 400);
  t.assert.equal(
    (await overUdp.connectPeer({ family: 4, address: '127.0.0.1', port: 9 })).code,
    437,
  );
  t.assert.equal((await overUdp.allocate()).code, 'ok');
  t.assert.equal(
    (await overUdp.connectPeer({ family: 4, address: '127.0.0.1', port: 9 })).code,
    400,
    'Connect on a UDP allocation',
  );
  const even = await turnClient(t, 'tcp', gateway.port, ALICE);
  t.assert.equal(
    (await even.allocateTcp([{ type: Attr.evenPort, value: writeEvenPort(false) }])).code,
    400,
  );

  const { client } = await tcpAllocation(t, gateway);
  const peer = await tcpPeer(t);
  t.assert.equal((await client.channelBind(0x4000, peer.address)).code, 400);
  t.assert.equal(
    (await client.createPermission([{ family: 4, address: '127.0.0.1', port: 0 }])).code,
    'ok',
  );
  await client.sendIndication(peer.address, Buffer.from('not on a TCP allocation'));
  t.assert.equal(
    await eventually(
      async () =>
        metricValue(
          await gateway.metrics(),
          'pbxgate_turn_dropped_total{reason="tcp-allocation"}',
        ) === 1,
    ),
    true,
  );
  const first = await client.connectPeer(peer.address);
  t.assert.equal(first.code, 'ok');
  t.assert.equal((await client.connectPeer(peer.address)).code, 446);
  // A port nothing listens on: the connection is refused at once.
  t.assert.equal(
    (await client.connectPeer({ family: 4, address: '127.0.0.1', port: 1 })).code,
    447,
  );

  const id = connectionIdOf(first);
  // Unknown id, another user, a wrong password: the connection stays unbound.
  t.assert.equal((await dataConnection(t, gateway.port, client.connectionBind(id ^ 1))).code, 400);
  t.assert.equal(
    metricValue(
      await gateway.metrics(),
      'pbxgate_suspicious_events_total{reason="turn.unknown-connection-id"}',
    ),
    1,
  );
  const bob = await turnClient(t, 'tcp', gateway.port, BOB);
  bob.nonce = client.nonce;
  t.assert.equal((await dataConnection(t, gateway.port, bob.connectionBind(id))).code, 441);
  const wrong = client.connectionBind(id, { auth: { username: ALICE.username, password: 'nope' } });
  t.assert.equal((await dataConnection(t, gateway.port, wrong)).code, 401);
  // ConnectionBind on the control connection itself is not a data connection.
  t.assert.equal((await client.request(client.connectionBind(id))).code, 400);
  // Still pending: the right one binds.
  t.assert.equal((await dataConnection(t, gateway.port, client.connectionBind(id))).code, 'ok');
  t.assert.equal(
    (await dataConnection(t, gateway.port, client.connectionBind(id))).code,
    400,
    'bound once',
  );
});

test('turn.relay.tcp: false answers a TCP Allocate with 442', async (t) => {
  const gateway = await startTurnGateway(t, { relayTcp: false });
  const client = await turnClient(t, 'tcp', gateway.port, ALICE);
  t.assert.equal((await client.call(StunMethod.allocate, [requestedTcp])).code, 442);
});

test('maxBytesPerSecond holds back a TCP connection instead of dropping its bytes', async (t) => {
  const gateway = await startTurnGateway(t, { turn: ['maxBytesPerSecond: 50000'] });
  const { client } = await tcpAllocation(t, gateway);
  const peer = await tcpPeer(t);
  const connected = await client.connectPeer(peer.address);
  const atPeer = await peer.accepted.next();
  const data = await dataConnection(
    t,
    gateway.port,
    client.connectionBind(connectionIdOf(connected)),
  );
  t.assert.equal(data.code, 'ok');
  const payload = randomBytes(200_000);
  const started = Date.now();
  for (let at = 0; at < payload.length; at += 10_000)
    data.pipe.write(payload.subarray(at, at + 10_000));
  const received = await atPeer.until(payload.length, 15_000);
  const elapsed = Date.now() - started;
  t.assert.equal(received.equals(payload), true, 'every byte, in order');
  // 200 kB at 50 kB/s: at least the 150 kB past the first second's budget waits its turn.
  t.assert.equal(elapsed >= 2000, true, `took ${elapsed} ms`);
});

/** A TCP port that listens with a backlog of 0 and never accepts: connects to it hang. */
async function blackHole(t: TestContext): Promise<number> {
  const child = spawn('python3', [
    '-c',
    'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)',
  ]);
  t.after(() => child.kill('SIGKILL'));
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return Number(line.toString().trim());
}

test('Connects in flight count against the allocation’s 64 connections, and end with it', async (t) => {
  const gateway = await startTurnGateway(t);
  const { client } = await tcpAllocation(t, gateway);
  const peer = { family: 4, address: '127.0.0.1', port: await blackHole(t) } as const;
  // Its accept queue (one) is taken first: every Connect after this one hangs in its handshake.
  const first = await tcpConnect(t, peer);
  t.assert.equal(first.socket.destroyed, false);
  const codes: (number | 'ok')[] = [];
  const started = Date.now();
  for (let i = 0; i < 70; i++) {
    client
      .connectPeer(peer)
      .then((reply) => codes.push(reply.code))
      .catch(() => undefined); // the ones still connecting are never answered: the allocation ends
  }
  t.assert.equal(
    await eventually(() => codes.filter((code) => code === 508).length >= 6, 3000),
    true,
    `codes so far: ${codes.join(',')}`,
  );
  t.assert.deepEqual(codes, [508, 508, 508, 508, 508, 508], 'the 65th to 70th, at once');
  // The allocation ends with its control connection: the connects in flight are dropped with it
  // (the gateway runs in this process: its sockets are among ours).
  const sockets = (): number =>
    process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;
  const before = sockets();
  client.connection.close();
  t.assert.equal(
    await eventually(() => sockets() <= before - 64),
    true,
    `sockets: ${before} before, ${sockets()} after`,
  );
  t.assert.equal(Date.now() - started < 10_000, true, 'no connect waited for its 15 s timeout');
});
