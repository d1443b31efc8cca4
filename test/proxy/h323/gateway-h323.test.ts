// Issue 6, must-show 2, through the composed gateway (YAML config -> listeners -> fraud): a
// tunnelled RRQ sent over H.323/TCP and H.323/TLS arrives byte-identical at the backend its
// gatekeeper ID names; two gatekeeper IDs reach two backends; an RRJ with a security denial
// coming back reaches the client and is counted as suspicious.

import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { connect } from 'node:net';
import { parseConfigText } from '../../../src/config/load.ts';
import { type Gateway, createGateway } from '../../../src/gateway.ts';
import { freePort, quietLog } from '../../support/stun-server.ts';
import { rrj, rrq } from './support/builders.ts';
import { rasFacility } from './support/h225-messages.ts';

interface Backend {
  readonly port: number;
  readonly received: Buffer[];
  readonly sockets: Socket[];
}

async function backend(t: TestContext): Promise<Backend> {
  const received: Buffer[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, received, sockets };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function h323Gateway(
  t: TestContext,
  one: Backend,
  two: Backend,
): Promise<{ gateway: Gateway; tcp: number; tls: number }> {
  const tcp = await freePort();
  const tls = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-h323-'));
  const config = parseConfigText(
    [
      'fraud: { suspiciousPerMinute: 10, blacklistMinutes: 5 }',
      'proxy:',
      `  listen: { h323-tcp: "127.0.0.1:${tcp}", h323-tls: "127.0.0.1:${tls}" }`,
      '  services:',
      `    - { name: pbx.one.example, host: 127.0.0.1, ports: { h323: { tcp: ${one.port} } } }`,
      `    - { name: pbx.two.example, host: 127.0.0.1, ports: { h323: { tcp: ${two.port} } } }`,
    ].join('\n'),
    'test.yaml',
  );
  const gateway = await createGateway(config, { log: quietLog, baseDir: dir });
  await gateway.start();
  t.after(async () => {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { gateway, tcp, tls };
}

test('tunnelled RRQs over H.323/TCP and /TLS arrive byte-identical at the backend of their gatekeeper ID; an RRJ security denial counts', async (t) => {
  const one = await backend(t);
  const two = await backend(t);
  const { gateway, tcp, tls } = await h323Gateway(t, one, two);
  const toOne = rasFacility(rrq('pbx.one.example'));
  const toTwo = rasFacility(rrq('branch@pbx.two.example'));

  const plain = connect(tcp, '127.0.0.1');
  t.after(() => plain.destroy());
  await once(plain, 'connect');
  plain.write(toOne);
  await until(() => Buffer.concat(one.received).length === toOne.length, 'the RRQ at backend one');
  t.assert.equal(Buffer.concat(one.received).equals(Buffer.from(toOne)), true);

  const secure = connectTls({ port: tls, host: '127.0.0.1', rejectUnauthorized: false });
  t.after(() => secure.destroy());
  await once(secure, 'secureConnect');
  secure.write(toTwo);
  await until(() => Buffer.concat(two.received).length === toTwo.length, 'the RRQ at backend two');
  t.assert.equal(Buffer.concat(two.received).equals(Buffer.from(toTwo)), true);
  t.assert.equal(Buffer.concat(one.received).length, toOne.length, 'nothing else at backend one');

  // Backend two refuses the registration: securityDenial, answering the RRQ (seq 8).
  const reject = rrj({ extension: 3 });
  const back: Buffer[] = [];
  secure.on('data', (chunk: Buffer) => back.push(chunk));
  two.sockets[0]?.write(reject);
  await until(() => Buffer.concat(back).length === reject.length, 'the RRJ at the client');
  t.assert.equal(Buffer.concat(back).equals(Buffer.from(reject)), true);
  const metrics = await gateway.metrics.registry.metrics();
  t.assert.match(
    metrics,
    /pbxgate_suspicious_events_total\{reason="h323\.registration-rejected"\} 1/,
  );
});
