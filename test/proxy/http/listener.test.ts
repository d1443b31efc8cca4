// The HTTP listener over real sockets: routing by Host, forwarding fields, keep-alive requests each
// routed and checked, refusals (404, 403, 502, 400) and the listener serving on after them.
import { test } from 'node:test';
import { proxySchema } from '../../../src/config/schema-proxy.ts';
import { createLogger } from '../../../src/observe/log.ts';
import { createMetrics } from '../../../src/observe/metrics.ts';
import { createHttpListeners } from '../../../src/proxy/http/listener.ts';
import { connectPlain, waitFor } from '../support/harness.ts';
import {
  get,
  responseReader,
  startHttpBackend,
  startHttpGateway,
  waitClosed,
} from './listener-support.ts';

async function twoBackends(t: Parameters<typeof startHttpBackend>[0]) {
  const a = await startHttpBackend(t, 'alpha');
  const b = await startHttpBackend(t, 'beta');
  const gateway = await startHttpGateway(t, {
    services: [
      { name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: a.port } } },
      {
        name: 'b.example',
        host: '127.0.0.1',
        ports: { http: { tcp: b.port } },
        urls: ['/PBX0/MY', '/PBX0/WEBSOCKET', '/files/'],
      },
    ],
  });
  return { a, b, gateway };
}

test('requests are routed by Host to two backends, with X-Forwarded-For set', async (t) => {
  const { a, b, gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/x', 'a.example', 'X-Forwarded-For: 6.6.6.6\r\n'));
  const first = await responses.next();
  t.assert.equal(first.status, 200);
  t.assert.equal(first.body, 'alpha GET /x ');
  client.write(get('/PBX0/MY?x=1', 'B.Example:80'));
  const second = await responses.next();
  t.assert.equal(second.body, 'beta GET /PBX0/MY?x=1 ');
  t.assert.equal(a.seen[0]?.headers['x-forwarded-for'], '127.0.0.1');
  t.assert.equal(a.seen[0]?.headers['x-forwarded-proto'], 'http');
  t.assert.equal(a.seen[0]?.headers.forwarded, 'for=127.0.0.1;proto=http;host=a.example');
  t.assert.equal(b.seen[0]?.headers['x-forwarded-for'], '127.0.0.1');
  t.assert.deepEqual(gateway.events, []);
});

test('every keep-alive request is routed and URL-checked again: allowed, then refused', async (t) => {
  const { b, gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/files/a.txt', 'b.example'));
  t.assert.equal((await responses.next()).status, 200);
  client.write(get('/PBX0/MY', 'b.example'));
  t.assert.equal((await responses.next()).status, 200);
  client.write(get('/files/sub/a.txt', 'b.example'));
  const refused = await responses.next();
  t.assert.equal(refused.status, 403);
  await waitClosed(client);
  t.assert.deepEqual(
    b.seen.map((r) => r.url),
    ['/files/a.txt', '/PBX0/MY'],
  );
  // Both allowed requests went over one backend connection.
  t.assert.equal(b.seen[0]?.remotePort, b.seen[1]?.remotePort);
  t.assert.deepEqual(gateway.reasons(), ['http.url-not-allowed']);
});

test('pipelined requests are answered one by one, in order', async (t) => {
  const { a, gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/1', 'a.example') + get('/2', 'a.example') + get('/3', 'a.example'));
  t.assert.equal((await responses.next()).body, 'alpha GET /1 ');
  t.assert.equal((await responses.next()).body, 'alpha GET /2 ');
  t.assert.equal((await responses.next()).body, 'alpha GET /3 ');
  t.assert.equal(a.seen.length, 3);
});

test('an unknown Host is answered 404 and counted', async (t) => {
  const { a, gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/', 'nobody.example'));
  t.assert.equal((await responses.next()).status, 404);
  await waitClosed(client);
  t.assert.deepEqual(gateway.reasons(), ['proxy.unknown-service']);
  t.assert.equal(a.seen.length, 0);
});

test('a URL outside the allow-list is answered 403 and reaches no backend', async (t) => {
  const { b, gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/admin', 'b.example'));
  t.assert.equal((await responses.next()).status, 403);
  await waitClosed(client);
  t.assert.deepEqual(gateway.reasons(), ['http.url-not-allowed']);
  t.assert.equal(b.seen.length, 0);
});

test('a client IP outside the service allow-list is answered 403', async (t) => {
  const a = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    services: [
      {
        name: 'a.example',
        host: '127.0.0.1',
        ports: { http: { tcp: a.port } },
        allow: { http: ['192.0.2.0/24'] },
      },
    ],
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/', 'a.example'));
  t.assert.equal((await responses.next()).status, 403);
  t.assert.deepEqual(gateway.reasons(), ['proxy.forbidden']);
  t.assert.equal(a.seen.length, 0);
});

test('a backend that is down gets 502, and the listener keeps serving others', async (t) => {
  const a = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    services: [
      { name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: a.port } } },
      // Port 1 on loopback: nothing listens there, the connect is refused.
      { name: 'down.example', host: '127.0.0.1', ports: { http: { tcp: 1 } } },
    ],
  });
  const down = await connectPlain(gateway.port);
  t.after(() => down.destroy());
  const downResponses = responseReader(down);
  down.write(get('/', 'down.example'));
  t.assert.equal((await downResponses.next()).status, 502);
  await waitClosed(down);
  t.assert.deepEqual(gateway.reasons(), ['proxy.backend-unavailable']);

  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/ok', 'a.example'));
  t.assert.equal((await responses.next()).body, 'alpha GET /ok ');
});

test('a smuggling attempt (Content-Length with Transfer-Encoding) gets 400 and nothing reaches the backend', async (t) => {
  const { a, gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(
    'POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a.example\r\n\r\n',
  );
  t.assert.equal((await responses.next()).status, 400);
  await waitClosed(client);
  t.assert.deepEqual(gateway.reasons(), ['http.content-length-with-transfer-encoding']);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.assert.equal(a.seen.length, 0);
});

test('a backend 401 to a request with credentials counts as suspicious', async (t) => {
  const { gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/status/401', 'a.example'));
  t.assert.equal((await responses.next()).status, 401);
  t.assert.deepEqual(gateway.reasons(), []);
  client.write(get('/status/401', 'a.example', 'Authorization: Basic YTpi\r\n'));
  t.assert.equal((await responses.next()).status, 401);
  await waitFor(() => gateway.events.length > 0);
  t.assert.deepEqual(gateway.reasons(), ['http.backend-refused-credentials']);
});

test('a client that sends nothing is closed at the deadline and counted', async (t) => {
  const a = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    proxy: { firstMessageTimeout: '200ms' },
    services: [{ name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: a.port } } }],
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  await waitClosed(client);
  t.assert.deepEqual(gateway.reasons(), ['proxy.first-message-timeout']);
});

test('an oversized request head is answered 431', async (t) => {
  const { a, gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/', 'a.example', `X-Big: ${'y'.repeat(70_000)}\r\n`));
  t.assert.equal((await responses.next()).status, 431);
  t.assert.deepEqual(gateway.reasons(), ['http.head-too-large']);
  t.assert.equal(a.seen.length, 0);
});

test('a kept backend connection the backend closed is replaced for the next request', async (t) => {
  const { a, gateway } = await twoBackends(t);
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/1', 'a.example'));
  t.assert.equal((await responses.next()).body, 'alpha GET /1 ');
  client.write(get('/close', 'a.example', 'X-Close-Backend: yes\r\n'));
  t.assert.equal((await responses.next()).body, 'alpha GET /close ');
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.write(get('/2', 'a.example'));
  t.assert.equal((await responses.next()).body, 'alpha GET /2 ');
  t.assert.notEqual(a.seen[1]?.remotePort, a.seen[2]?.remotePort);
});

test('createHttpListeners makes one listener per configured HTTP type only', (t) => {
  const config = proxySchema.parse({ listen: { http: 8080, 'sip-tcp': 5060 }, services: [] });
  const listeners = createHttpListeners(config, {
    suspicious: () => undefined,
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
  });
  t.assert.deepEqual(
    listeners.map((listener) => listener.name),
    ['proxy-http'],
  );
});

test('proxy.trustedProxies: a trusted client’s X-Forwarded-For and Forwarded are extended', async (t) => {
  const a = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    proxy: { trustedProxies: ['127.0.0.0/8'] },
    services: [{ name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: a.port } } }],
  });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(
    get('/x', 'a.example', 'X-Forwarded-For: 198.51.100.7\r\nForwarded: for=198.51.100.7\r\n'),
  );
  t.assert.equal((await responses.next()).status, 200);
  t.assert.equal(a.seen[0]?.headers['x-forwarded-for'], '198.51.100.7, 127.0.0.1');
  t.assert.match(a.seen[0]?.headers.forwarded ?? '', /^for=198\.51\.100\.7, for=127\.0\.0\.1;/);
});
