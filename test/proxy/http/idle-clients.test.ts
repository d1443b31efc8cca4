// Slowloris at scale: 1,000 clients (1,000 different loopback addresses, so the per-IP pending
// limit does not apply) connect and send nothing. A normal client is served while they all hang
// on, and every one of them is closed at the first-message deadline and counted.
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { connectPlain } from '../support/harness.ts';
import { responseReader, startHttpBackend, startHttpGateway } from './listener-support.ts';

const IDLE_CLIENTS = 1000;
const DEADLINE_MS = 5000;

/** 127.1.0.1, 127.1.0.2, …: loopback addresses that exist on every Linux host. */
function addressOf(i: number): string {
  return `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

test('1,000 silent clients do not stop a normal one, and all are closed at the deadline', async (t) => {
  const backend = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    proxy: { firstMessageTimeout: `${DEADLINE_MS}ms` },
    services: [{ name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: backend.port } } }],
  });
  const idle: Socket[] = [];
  t.after(() => {
    for (const socket of idle) socket.destroy();
  });
  const openedAt = performance.now();
  for (let i = 0; i < IDLE_CLIENTS; i += 100) {
    const batch = Array.from({ length: 100 }, (_, j) =>
      connectPlain(gateway.port, { localAddress: addressOf(i + j) }),
    );
    idle.push(...(await Promise.all(batch)));
  }
  const closed = idle.map((socket) => once(socket, 'close').then(() => performance.now()));

  const client = await connectPlain(gateway.port);
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write('GET /x HTTP/1.1\r\nHost: a.example\r\n\r\n');
  const response = await responses.next();
  t.assert.equal(response.status, 200);
  t.assert.equal(
    idle.filter((socket) => socket.closed).length,
    0,
    'served while every silent client was still connected',
  );
  t.assert.equal(
    performance.now() - openedAt < DEADLINE_MS,
    true,
    'served before the silent clients’ deadline',
  );

  const closedAt = await Promise.all(closed);
  const late = closedAt.filter((at) => at - openedAt > DEADLINE_MS + 5000).length;
  t.assert.equal(late, 0, 'every silent client closed by the gateway, near the deadline');
  const early = closedAt.filter((at) => at - openedAt < DEADLINE_MS - 200).length;
  t.assert.equal(early, 0, 'none before it');
  const timeouts = gateway.events.filter((e) => e.reason === 'proxy.first-message-timeout');
  t.assert.equal(timeouts.length, IDLE_CLIENTS);
  t.assert.equal(new Set(timeouts.map((e) => e.ip)).size, IDLE_CLIENTS);
});
