import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { type TestContext, test } from 'node:test';
import {
  MAX_READ_BYTES,
  MAX_STREAMED_READ_BYTES,
  MIN_READ_BYTES,
  type PooledReads,
  adoptAccepted,
  pooledReadsOf,
} from '../../src/net/pooled-reads.ts';

const WAIT = { signal: AbortSignal.timeout(10_000) };

/** A paused-on-connect server whose accepted sockets are adopted; resolves each adopted socket. */
async function adoptingServer(t: TestContext): Promise<{
  server: Server;
  port: number;
  accepted: () => Promise<{ original: Socket; adopted: Socket }>;
}> {
  const waiting: ((pair: { original: Socket; adopted: Socket }) => void)[] = [];
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (original) => {
    const adopted = adoptAccepted(original);
    waiting.shift()?.({ original, adopted });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    accepted: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

async function client(t: TestContext, port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  t.after(() => socket.destroy());
  await once(socket, 'connect', WAIT);
  return socket;
}

/** One connection: the client's end and the adopted server end with its pooled reads. */
async function adoptedConnection(
  t: TestContext,
): Promise<{ peer: Socket; adopted: Socket; reads: PooledReads }> {
  const { port, accepted } = await adoptingServer(t);
  const next = accepted();
  const peer = await client(t, port);
  const { adopted } = await next;
  const reads = pooledReadsOf(adopted);
  if (reads === undefined) throw new Error('not adopted');
  return { peer, adopted, reads };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

test('an adopted socket reads and writes as the accepted one would, paused until resumed', async (t) => {
  const { port, accepted } = await adoptingServer(t);
  const next = accepted();
  const peer = await client(t, port);
  const { original, adopted } = await next;
  t.assert.notEqual(adopted, original);
  t.assert.equal(original.destroyed, true);
  t.assert.notEqual(pooledReadsOf(adopted), undefined);
  t.assert.equal(adopted.remoteAddress, '127.0.0.1');
  t.assert.equal(adopted.remotePort, peer.localPort);
  peer.write('hello');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.assert.equal(adopted.isPaused(), true);
  const chunks: Buffer[] = [];
  adopted.on('data', (chunk: Buffer) => chunks.push(chunk));
  adopted.resume();
  peer.end(' world');
  await once(adopted, 'end', WAIT);
  t.assert.equal(Buffer.concat(chunks).toString(), 'hello world');
  // Half-closed by the peer, the adopted socket can still answer.
  const answer = once(peer, 'data', WAIT);
  adopted.end('bye');
  t.assert.equal(String((await answer)[0]), 'bye');
});

test("the server's connection count drops with the adoption: close() waits for nothing", async (t) => {
  const { server, port, accepted } = await adoptingServer(t);
  const next = accepted();
  await client(t, port);
  const { adopted } = await next;
  await new Promise((resolve) => setImmediate(resolve));
  const count = await new Promise<number>((resolve, reject) => {
    server.getConnections((err, n) => {
      if (err) reject(err);
      else resolve(n);
    });
  });
  t.assert.equal(count, 0);
  const closed = once(server, 'close', WAIT);
  server.close();
  await closed; // would hang while an adopted socket still counted
  adopted.destroy();
});

test('streamed mode keeps backpressure: a paused adopted socket stops reading', async (t) => {
  const { port, accepted } = await adoptingServer(t);
  const next = accepted();
  const peer = await client(t, port);
  const { adopted } = await next;
  const payload = randomBytes(32 * 1024 * 1024);
  let writtenAll = false;
  peer.write(payload, () => {
    writtenAll = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Nobody read: the kernel buffers and the socket's high-water mark hold a few MiB, not 32.
  t.assert.equal(writtenAll, false);
  t.assert.equal(adopted.readableLength <= 64 * 1024, true, `${adopted.readableLength} buffered`);
  const hash = createHash('sha256');
  let received = 0;
  adopted.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    received += chunk.length;
    if (received === payload.length) adopted.end();
  });
  adopted.resume();
  await once(adopted, 'finish', WAIT);
  t.assert.equal(hash.digest('hex'), sha256(payload));
  // Each streamed read is copied: no point in reading more at once than Node would.
  t.assert.equal(pooledReadsOf(adopted)?.readSize, MAX_STREAMED_READ_BYTES);
});

test('direct mode: a lent buffer is never read into again, and buffers grow for bulk', async (t) => {
  const { peer, adopted, reads } = await adoptedConnection(t);
  t.assert.equal(reads.readSize, MIN_READ_BYTES);
  const payload = randomBytes(16 * 1024 * 1024);
  // Holds every other chunk unreleased to the end (the rest are copied, then released): a read
  // into a lent buffer would change the bytes collected.
  const held: { chunk: Buffer; release: () => void }[] = [];
  let largest = 0;
  reads.direct((chunk, release) => {
    largest = Math.max(largest, chunk.length);
    if (held.length % 2 === 0) {
      held.push({ chunk: Buffer.from(chunk), release });
      release();
    } else {
      held.push({ chunk, release });
    }
  });
  adopted.resume();
  peer.end(payload);
  await once(adopted, 'end', WAIT);
  const received = Buffer.concat(held.map(({ chunk }) => chunk));
  t.assert.equal(received.length, payload.length);
  t.assert.equal(sha256(received), sha256(payload));
  t.assert.equal(reads.readSize, MAX_READ_BYTES);
  t.assert.equal(largest > 64 * 1024, true, `largest read ${largest}`);
});

test('direct mode hands over what waits in the stream, then reads on resume', async (t) => {
  const { peer, adopted, reads } = await adoptedConnection(t);
  adopted.unshift(Buffer.from('waiting')); // as a reader gives back what it did not use
  const got: string[] = [];
  reads.direct((chunk, release) => {
    got.push(chunk.toString());
    release();
  });
  t.assert.deepEqual(got, ['waiting']);
  adopted.resume();
  peer.write('later');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.assert.deepEqual(got, ['waiting', 'later']);
});

test('a quiet connection shrinks its read buffer back', async (t) => {
  const { peer, adopted, reads } = await adoptedConnection(t);
  reads.direct((_chunk, release) => {
    release();
  });
  adopted.resume();
  peer.write(randomBytes(4 * 1024 * 1024));
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.assert.equal(reads.readSize, MAX_READ_BYTES);
  for (let i = 0; i < 200 && reads.readSize > MIN_READ_BYTES; i++) {
    peer.write('ping');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  t.assert.equal(reads.readSize, MIN_READ_BYTES);
});

test('a socket without a stream handle is kept as it is', (t) => {
  const socket = connect({ host: '127.0.0.1', port: 9 });
  socket.on('error', () => undefined);
  socket.destroy();
  t.assert.equal(adoptAccepted(socket), socket);
  t.assert.equal(pooledReadsOf(socket), undefined);
});
