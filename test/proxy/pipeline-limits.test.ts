import { once } from 'node:events';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import {
  connectPlain,
  readToClose,
  readUntil,
  startBackend,
  startGateway,
  waitFor,
  WAIT_MS,
} from './support/harness.ts';
import { createPki } from './support/pki.ts';

const service = (port: number): unknown => ({
  name: 'pbx.example',
  host: '127.0.0.1',
  ports: { sip: { tcp: port } },
});

test('a client that sends nothing is closed at the deadline, on plain and TLS listeners', async (t) => {
  const pki = await createPki(t);
  for (const type of ['sip-tcp', 'sip-tls'] as const) {
    const gateway = await startGateway(t, {
      type,
      tls: pki.material,
      services: [],
      proxy: { firstMessageTimeout: '300ms' },
    });
    const started = Date.now();
    const silent = await connectPlain(gateway.port);
    const text = await readToClose(silent);
    const elapsed = Date.now() - started;
    t.assert.equal(elapsed >= 280 && elapsed < 2000, true, `${type}: closed after ${elapsed} ms`);
    // Without TLS there is no way to answer a TLS client in its protocol.
    t.assert.equal(text, type === 'sip-tcp' ? 'REFUSED first-message-timeout\n' : '');
    t.assert.deepEqual(gateway.events, [
      { ip: '127.0.0.1', reason: 'proxy.first-message-timeout' },
    ]);
  }
});

test('1,000 silent clients do not stop a normal client from being served', async (t) => {
  const backend = await startBackend(t, 'pbx');
  const gateway = await startGateway(t, {
    services: [service(backend.port)],
    proxy: { firstMessageTimeout: '3s', maxPendingPerIp: 100 },
  });
  // Ten source addresses with 100 connections each: exactly the per-IP limit.
  const silent: Socket[] = [];
  t.after(() => {
    for (const socket of silent) socket.destroy();
  });
  for (let i = 0; i < 1000; i++) {
    const socket = await connectPlain(gateway.port, { localAddress: `127.0.0.${2 + (i % 10)}` });
    silent.push(socket.resume()); // reads, so that the gateway's FIN is seen
  }
  const started = Date.now();
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  client.write('ROUTE pbx.example\n');
  t.assert.equal(
    await readUntil(client, (s) => s.endsWith('example\n')),
    'pbx\nROUTE pbx.example\n',
  );
  t.assert.equal(Date.now() - started < 1000, true, 'served at once');
  t.assert.equal(silent.filter((socket) => socket.closed).length, 0, 'the silent ones wait');
  t.assert.equal(gateway.events.length, 0);
  await waitFor(() => silent.every((socket) => socket.closed));
  t.assert.equal(gateway.events.length, 1000);
  t.assert.equal(
    gateway.events.every((event) => event.reason === 'proxy.first-message-timeout'),
    true,
  );
});

test('over the per-IP limit of pending connections a new one is closed at once', async (t) => {
  const backend = await startBackend(t, 'pbx');
  const gateway = await startGateway(t, {
    services: [service(backend.port)],
    proxy: { maxPendingPerIp: 2 },
  });
  const pending = [await connectPlain(gateway.port), await connectPlain(gateway.port)];
  t.after(() => {
    for (const socket of pending) socket.destroy();
  });
  const third = await connectPlain(gateway.port);
  t.assert.equal(await readToClose(third), '');
  t.assert.deepEqual(gateway.events, [{ ip: '127.0.0.1', reason: 'proxy.too-many-pending' }]);
  const elsewhere = await connectPlain(gateway.port, { localAddress: '127.0.0.2' });
  t.after(() => elsewhere.destroy());
  elsewhere.write('ROUTE pbx.example\n');
  await readUntil(elsewhere, (s) => s.endsWith('example\n'));
  // Once routed, a connection no longer counts: the slot is free again.
  pending[0]?.write('ROUTE pbx.example\n');
  await readUntil(pending[0] as Socket, (s) => s.endsWith('example\n'));
  const fourth = await connectPlain(gateway.port);
  t.after(() => fourth.destroy());
  fourth.write('ROUTE pbx.example\n');
  await readUntil(fourth, (s) => s.endsWith('example\n'));
});

test('a first message over maxFirstMessageBytes is refused as too large', async (t) => {
  const gateway = await startGateway(t, { services: [], proxy: { maxFirstMessageBytes: 256 } });
  const endless = await connectPlain(gateway.port);
  endless.write(`ROUTE ${'a'.repeat(300)}`);
  t.assert.equal(await readToClose(endless), 'REFUSED too-large\n');
  const long = await connectPlain(gateway.port);
  long.write(`ROUTE ${'a'.repeat(300)}\n`);
  t.assert.equal(await readToClose(long), 'REFUSED too-large\n');
  t.assert.deepEqual(
    gateway.events.map((event) => event.reason),
    ['proxy.too-large', 'proxy.too-large'],
  );
});

test("the sniffer's rejection is refused as malformed with the sniffer's reason", async (t) => {
  const gateway = await startGateway(t, { services: [] });
  const client = await connectPlain(gateway.port);
  client.write('HELLO');
  t.assert.equal(await readToClose(client), 'REFUSED malformed\n');
  t.assert.deepEqual(gateway.events, [{ ip: '127.0.0.1', reason: 'test.unknown-command' }]);
});

test('a first message that trickles in byte by byte is routed', async (t) => {
  const backend = await startBackend(t, 'pbx');
  const gateway = await startGateway(t, { services: [service(backend.port)] });
  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  for (const byte of 'ROUTE pbx.example\n') {
    client.write(byte);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  t.assert.equal(
    await readUntil(client, (s) => s.endsWith('example\n')),
    'pbx\nROUTE pbx.example\n',
  );
});

test('a blacklisted IP is closed at accept: no byte read, no event, no log line', async (t) => {
  const backend = await startBackend(t, 'pbx');
  const gateway = await startGateway(t, {
    services: [service(backend.port)],
    blocked: new Set(['127.0.0.1']),
  });
  const client = await connectPlain(gateway.port);
  client.write('ROUTE pbx.example\n');
  await once(client, 'close', { signal: AbortSignal.timeout(WAIT_MS) });
  t.assert.deepEqual(gateway.gateChecks, ['127.0.0.1']);
  t.assert.equal(gateway.gateRefusals.count, 1);
  t.assert.equal(gateway.protocol.sniffs.count, 0);
  t.assert.deepEqual(gateway.events, []);
  t.assert.equal(backend.connections.length, 0);
  t.assert.equal(
    await gateway.metric('pbxgate_proxy_connections_total', { outcome: 'blocked' }),
    1,
  );
  t.assert.equal(gateway.logLines.filter((l) => l['msg'] === 'proxy connection closed').length, 0);
});
