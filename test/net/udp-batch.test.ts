import { type Socket, createSocket } from 'node:dgram';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUdpBatch } from '../../src/net/udp-batch.ts';

async function bound(t: TestContext): Promise<Socket> {
  // As the gateway's sockets: IP literals, so a send leaves within the call (no dns.lookup tick).
  const socket = createSocket({
    type: 'udp4',
    lookup: (address, _options, callback) => {
      callback(null, address, 4);
    },
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => {
    try {
      socket.close();
    } catch {
      // closed by the test
    }
  });
  return socket;
}

/** A receiving socket and the texts of what it has received so far. */
async function receiver(t: TestContext): Promise<{ port: number; got: string[] }> {
  const socket = await bound(t);
  const got: string[] = [];
  socket.on('message', (data) => got.push(data.toString()));
  return { port: socket.address().port, got };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(10);
}

const text = (s: string): Uint8Array => Buffer.from(s);

test('datagrams queued in one turn leave together after it, in the order queued', async (t) => {
  const { port, got } = await receiver(t);
  const sender = await bound(t);
  const batch = createUdpBatch();
  for (const word of ['one', 'two', 'three']) batch.send(sender, text(word), port, '127.0.0.1');
  await until(() => got.length === 3);
  t.assert.deepEqual(got, ['one', 'two', 'three']);
});

test('nothing leaves during the turn: a socket closed in it sends nothing, and nothing throws', async (t) => {
  const { port, got } = await receiver(t);
  const closing = await bound(t);
  const staying = await bound(t);
  const batch = createUdpBatch();
  batch.send(closing, text('lost'), port, '127.0.0.1');
  batch.send(staying, text('kept'), port, '127.0.0.1');
  closing.close(); // a datagram sent at once would already be in the receiver's queue
  await until(() => got.length >= 1);
  await sleep(50);
  t.assert.deepEqual(got, ['kept']);
});

test('a full queue is sent at once; the rest waits for the end of the turn', async (t) => {
  const { port, got } = await receiver(t);
  const sender = await bound(t);
  const batch = createUdpBatch(3);
  for (const word of ['a', 'b', 'c', 'd']) batch.send(sender, text(word), port, '127.0.0.1');
  sender.close(); // 'd' was still waiting: it is lost with its socket
  await until(() => got.length >= 3);
  await sleep(50);
  t.assert.deepEqual(got, ['a', 'b', 'c']);
});

test('flush() sends what is queued now', async (t) => {
  const { port, got } = await receiver(t);
  const sender = await bound(t);
  const batch = createUdpBatch();
  batch.send(sender, text('now'), port, '127.0.0.1');
  batch.flush();
  sender.close();
  await until(() => got.length >= 1);
  t.assert.deepEqual(got, ['now']);
});
