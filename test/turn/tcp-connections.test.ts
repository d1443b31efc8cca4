// The RFC 6062 connection table on its own, over real loopback sockets: the ConnectionBind
// timeout, the end of an allocation, and a closing side whose last bytes still reach the other.

import { once } from 'node:events';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { TcpConnections } from '../../src/turn/tcp-connections.ts';
import { Pipe } from './support/tcp-peers.ts';
import { within } from './support/turn-gateway.ts';

const PEER = { family: 4, address: '127.0.0.1', port: 5000 } as const;

/** A connected pair of loopback sockets: [the one we hand to the table, its far end]. */
async function socketPair(t: TestContext): Promise<[Socket, Pipe]> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const near = connect(port, '127.0.0.1');
  const [far] = await accepted;
  await once(near, 'connect');
  server.close();
  t.after(() => {
    near.destroy();
    far.destroy();
  });
  near.on('error', () => undefined);
  near.pause();
  return [near, new Pipe(far)];
}

test('a connection not bound within the timeout is closed, and its id forgotten', async (t) => {
  const counts: number[] = [];
  const table = new TcpConnections(() => 0, {
    bindTimeoutMs: 100,
    onCount: (count) => counts.push(count),
  });
  const [socket, far] = await socketPair(t);
  const id = table.add('alloc', PEER, socket);
  t.assert.equal(table.pending(id)?.peer, PEER);
  t.assert.equal(table.has('alloc', PEER), true);
  await within(far.closed, 2000, 'close after the bind timeout');
  t.assert.equal(table.pending(id), undefined);
  t.assert.equal(table.has('alloc', PEER), false);
  t.assert.deepEqual(counts, [1, 0]);
});

test('binding splices both ways, counts every byte, and the allocation’s end closes both', async (t) => {
  const metered: [string, number][] = [];
  const table = new TcpConnections((_key, direction, bytes) => {
    metered.push([direction, bytes]);
    return 0;
  });
  const [peerSide, peer] = await socketPair(t);
  const [clientSide, client] = await socketPair(t);
  const id = table.add('alloc', PEER, peerSide);
  t.assert.equal(table.bind(id, clientSide, Buffer.from('first')), true);
  t.assert.equal(table.bind(id, clientSide, Buffer.alloc(0)), false, 'once only');
  t.assert.equal((await peer.until(5)).toString(), 'first');
  client.write(Buffer.from('+more'));
  peer.write(Buffer.from('back'));
  t.assert.equal((await peer.until(10)).toString(), 'first+more');
  t.assert.equal((await client.until(4)).toString(), 'back');
  const total = (direction: string): number =>
    metered.filter(([d]) => d === direction).reduce((sum, [, n]) => sum + n, 0);
  t.assert.equal(total('to-peer'), 10);
  t.assert.equal(total('to-client'), 4);
  table.closeAllocation('alloc');
  await within(Promise.all([peer.closed, client.closed]), 2000, 'both closed');
  t.assert.equal(table.size, 0);
});

test('when the peer ends, what it sent last still reaches the client before the close', async (t) => {
  const table = new TcpConnections(() => 0);
  const [peerSide, peer] = await socketPair(t);
  const [clientSide, client] = await socketPair(t);
  const id = table.add('alloc', PEER, peerSide);
  table.bind(id, clientSide, Buffer.alloc(0));
  const last = Buffer.alloc(1024 * 1024, 7);
  peer.socket.end(last);
  await within(client.closed, 5000, 'client side closed');
  t.assert.equal(client.received.equals(last), true);
});
