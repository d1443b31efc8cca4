// A real WebSocket client and server (the `ws` package, an independent RFC 6455 implementation)
// through the HTTP listener: the upgrade is routed and URL-checked like any request, then relayed.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type TestContext, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { startHttpGateway } from './listener-support.ts';

async function startEchoServer(t: TestContext): Promise<{ port: number; closes: number[] }> {
  const closes: number[] = [];
  const server = createServer();
  const wss = new WebSocketServer({ server, path: '/PBX0/WEBSOCKET' });
  wss.on('connection', (socket, request) => {
    socket.send(`hello ${String(request.headers['x-forwarded-for'])}`);
    socket.on('message', (data, isBinary) => {
      socket.send(data, { binary: isBinary });
    });
    socket.on('close', (code) => closes.push(code));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    wss.close();
    server.close();
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, closes };
}

/** The echo server behind pbxgate as service pbx.example, and a client socket for `path`. */
async function throughGateway(t: TestContext, urls: readonly string[], path: string) {
  const backend = await startEchoServer(t);
  const gateway = await startHttpGateway(t, {
    services: [
      { name: 'pbx.example', host: '127.0.0.1', ports: { http: { tcp: backend.port } }, urls },
    ],
  });
  const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}${path}`, {
    headers: { host: 'pbx.example' },
  });
  t.after(() => {
    socket.terminate();
  });
  return { backend, gateway, socket };
}

function nextMessage(socket: WebSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    socket.once('message', (data: Buffer) => {
      resolve(data);
    });
    socket.once('error', reject);
  });
}

test('a WebSocket client talks through pbxgate to a WebSocket server', async (t) => {
  const { backend, gateway, socket } = await throughGateway(
    t,
    ['/PBX0/WEBSOCKET'],
    '/PBX0/WEBSOCKET',
  );
  const greeting = nextMessage(socket);
  await once(socket, 'open');
  t.assert.equal((await greeting).toString(), 'hello 127.0.0.1', 'the backend saw X-Forwarded-For');

  for (const size of [1, 125, 126, 65_535, 65_536, 1_000_000]) {
    const payload = Buffer.alloc(size, size % 251);
    const echoed = nextMessage(socket);
    socket.send(payload);
    t.assert.equal((await echoed).equals(payload), true, `${size} bytes echoed intact`);
  }
  const text = nextMessage(socket);
  socket.send('žluťoučký kůň');
  t.assert.equal((await text).toString(), 'žluťoučký kůň');

  const pong = once(socket, 'pong');
  socket.ping('are you there');
  t.assert.equal(((await pong)[0] as Buffer).toString(), 'are you there');

  socket.close(4001, 'bye');
  const [code] = (await once(socket, 'close')) as [number];
  t.assert.equal(code, 4001);
  for (let i = 0; i < 50 && backend.closes.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.assert.deepEqual(backend.closes, [4001], 'the close code crossed the relay');
  t.assert.deepEqual(gateway.events, []);
});

test('a WebSocket upgrade to a URL outside the allow-list gets 403 and is counted', async (t) => {
  const { gateway, socket } = await throughGateway(t, ['/PBX0/MY'], '/PBX0/WEBSOCKET');
  socket.on('error', () => undefined);
  const [, response] = (await once(socket, 'unexpected-response')) as [
    unknown,
    { statusCode: number },
  ];
  t.assert.equal(response.statusCode, 403);
  t.assert.deepEqual(gateway.reasons(), ['http.url-not-allowed']);
});
