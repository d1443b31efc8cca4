// Bodies and tunnels through the HTTP listener: chunked both ways, a large body streamed, a
// malformed chunked body refused, and a WebSocket-like upgrade relayed as raw bytes after 101.
import { once } from 'node:events';
import { type Socket, createServer } from 'node:net';
import { test } from 'node:test';
import { connectPlain, listenOn, readUntil } from '../support/harness.ts';
import {
  responseReader,
  startHttpBackend,
  startHttpGateway,
  waitClosed,
} from './listener-support.ts';

async function oneBackend(t: Parameters<typeof startHttpBackend>[0]) {
  const backend = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    services: [{ name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: backend.port } } }],
  });
  return { backend, gateway };
}

test('a chunked request body and a chunked response are relayed', async (t) => {
  const { backend, gateway } = await oneBackend(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write('POST /upload HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n');
  client.write('5\r\nhello\r\n');
  await new Promise((resolve) => setTimeout(resolve, 20));
  client.write('6\r\n world\r\n0\r\n\r\n');
  const posted = await responses.next();
  t.assert.equal(posted.body, 'alpha POST /upload hello world');
  t.assert.equal(backend.seen[0]?.headers['transfer-encoding'], 'chunked');
  client.write('GET /chunked HTTP/1.1\r\nHost: a.example\r\n\r\n');
  const chunked = await responses.next();
  t.assert.match(chunked.head, /transfer-encoding: chunked/i);
  t.assert.equal(chunked.body, 'f\r\nalpha part one;\r\ne\r\nalpha part two\r\n0\r\n\r\n');
  // The connection is still usable after a chunked exchange.
  client.write('GET /after HTTP/1.1\r\nHost: a.example\r\n\r\n');
  t.assert.equal((await responses.next()).body, 'alpha GET /after ');
});

test('a large Content-Length body is streamed to the backend whole', async (t) => {
  const { backend, gateway } = await oneBackend(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  const body = 'x'.repeat(4 * 1024 * 1024);
  client.write(`POST /big HTTP/1.1\r\nHost: a.example\r\nContent-Length: ${body.length}\r\n\r\n`);
  client.write(body);
  const response = await responses.next();
  t.assert.equal(response.status, 200);
  t.assert.equal(backend.seen[0]?.body.length, body.length);
});

test('a malformed chunked body is refused with 400 and counted', async (t) => {
  const { gateway } = await oneBackend(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write('POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
  t.assert.equal((await responses.next()).status, 400);
  await waitClosed(client);
  t.assert.deepEqual(gateway.reasons(), ['http.bad-chunk-size']);
});

/** Answers the first head with 101, then echoes raw bytes. */
async function startUpgradeBackend(t: Parameters<typeof startHttpBackend>[0]) {
  const heads: string[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    socket.on('error', () => undefined);
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      heads.push(text.slice(0, end));
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      );
      const rest = text.slice(end + 4);
      if (rest !== '') socket.write(`echo:${rest}`);
      socket.on('data', (more: Buffer) => socket.write(`echo:${more.toString('latin1')}`));
      socket.on('end', () => socket.end());
    };
    socket.on('data', onData);
  });
  const port = await listenOn(t, server);
  return { port, heads };
}

test('a WebSocket upgrade becomes a raw relay once the backend answered 101', async (t) => {
  const backend = await startUpgradeBackend(t);
  const gateway = await startHttpGateway(t, {
    services: [
      {
        name: 'ws.example',
        host: '127.0.0.1',
        ports: { http: { tcp: backend.port } },
        urls: ['/PBX0/WEBSOCKET'],
      },
    ],
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  client.write(
    'GET /PBX0/WEBSOCKET HTTP/1.1\r\nHost: ws.example\r\nConnection: Upgrade\r\n' +
      'Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Sec-WebSocket-Version: 13\r\n\r\n',
  );
  const head = await readUntil(client, (text) => text.includes('\r\n\r\n'));
  t.assert.match(head, /^HTTP\/1\.1 101 /);
  client.write('frame-1');
  t.assert.equal(await readUntil(client, (text) => text.includes('frame-1')), 'echo:frame-1');
  client.write('GET / HTTP/1.1\r\n\r\n');
  const raw = await readUntil(client, (text) => text.endsWith('\r\n\r\n'));
  t.assert.equal(raw, 'echo:GET / HTTP/1.1\r\n\r\n');
  t.assert.match(backend.heads[0] ?? '', /\r\nupgrade: websocket$/im);
  t.assert.match(backend.heads[0] ?? '', /\r\nX-Forwarded-For: 127\.0\.0\.1\r\n/);
  client.end();
  await once(client, 'close');
  t.assert.deepEqual(gateway.reasons(), []);
});

test('a large response reaches a client that reads slowly, whole and in order', async (t) => {
  const { gateway } = await oneBackend(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const size = 8 * 1024 * 1024;
  client.write(
    `GET /bytes/${size} HTTP/1.1\r\nHost: a.example\r\n\r\nGET /after HTTP/1.1\r\nHost: a.example\r\n\r\n`,
  );
  client.pause();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const responses = responseReader(client);
  client.resume();
  const big = await responses.next();
  t.assert.equal(big.body.length, size);
  t.assert.equal((await responses.next()).body, 'alpha GET /after ');
});

test('a backend that never answers gets 504 at the response timeout', async (t) => {
  const backend = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    responseTimeoutMs: 200,
    services: [{ name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: backend.port } } }],
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write('GET /silent HTTP/1.1\r\nHost: a.example\r\n\r\n');
  t.assert.equal((await responses.next()).status, 504);
  await waitClosed(client);
});

test('Expect: 100-continue gets the backend 100 before the body is sent', async (t) => {
  const { backend, gateway } = await oneBackend(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  client.write(
    'PUT /up HTTP/1.1\r\nHost: a.example\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n',
  );
  const interim = await readUntil(client, (text) => text.includes('\r\n\r\n'));
  t.assert.match(interim, /^HTTP\/1\.1 100 Continue\r\n/);
  const responses = responseReader(client);
  client.write('data');
  t.assert.equal((await responses.next()).body, 'alpha PUT /up data');
  t.assert.equal(backend.seen[0]?.body, 'data');
});

test('a response body that stops moving is cut at the idle timeout', async (t) => {
  const backend = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    proxy: { idleTimeout: '300ms' },
    services: [{ name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: backend.port } } }],
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(chunk));
  const startedAt = performance.now();
  client.write('GET /stall HTTP/1.1\r\nHost: a.example\r\n\r\n');
  await waitClosed(client);
  const elapsed = performance.now() - startedAt;
  const text = Buffer.concat(received).toString('latin1');
  t.assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  t.assert.equal(text.split('\r\n\r\n')[1], 's'.repeat(10), 'the 10 bytes, no refusal page');
  t.assert.equal(elapsed >= 250 && elapsed < 5000, true, `closed after ${Math.round(elapsed)} ms`);
});
