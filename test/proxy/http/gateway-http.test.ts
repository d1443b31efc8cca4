// HTTP through the composed gateway (config -> listener -> fraud): brute force ends in the blacklist.

import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { parseConfigText } from '../../../src/config/load.ts';
import { type Gateway, createGateway } from '../../../src/gateway.ts';
import { freePort, quietLog } from '../../support/stun-server.ts';

/** GET through the gateway with a Host header (fetch() does not let a caller set Host). */
async function get(port: number, headers: Record<string, string>): Promise<number> {
  const sent = request({ host: '127.0.0.1', port, path: '/PBX0/', headers, agent: false });
  sent.end();
  const [response] = (await once(sent, 'response')) as [IncomingMessage];
  response.resume();
  await once(response, 'end');
  return response.statusCode ?? 0;
}

/** A gateway with fraud detection (3 suspicious events a minute) before one HTTP backend. */
async function httpGateway(
  t: TestContext,
  backendPort: number,
): Promise<{ port: number; gateway: Gateway }> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-http-'));
  const config = parseConfigText(
    [
      'fraud: { suspiciousPerMinute: 3, blacklistMinutes: 5 }',
      `proxy:`,
      `  listen: { http: "127.0.0.1:${port}" }`,
      `  services: [{ name: pbx.example.com, host: 127.0.0.1, ports: { http: { tcp: ${backendPort} } } }]`,
    ].join('\n'),
    'test.yaml',
  );
  const gateway = await createGateway(config, { log: quietLog, baseDir: dir });
  await gateway.start();
  // Stopped before its state directory goes: the fraud store may still be writing into it.
  t.after(async () => {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { port, gateway };
}

test('a client whose credentials the backend refuses is blacklisted at the threshold and then reaches nothing', async (t) => {
  const seen: IncomingMessage[] = [];
  const backend = createServer((request, response) => {
    seen.push(request);
    response.writeHead(request.headers.authorization === undefined ? 200 : 401, {
      'content-length': '2',
    });
    response.end('no');
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.after(() => backend.close());
  const backendPort = (backend.address() as { port: number }).port;
  const { port, gateway } = await httpGateway(t, backendPort);

  t.assert.equal(await get(port, { host: 'pbx.example.com' }), 200);
  t.assert.equal(seen[0]?.headers['x-forwarded-for'], '127.0.0.1');
  for (let i = 0; i < 3; i++) {
    const status = await get(port, {
      host: 'pbx.example.com',
      authorization: 'Basic YWRtaW46Z3Vlc3M=',
    });
    t.assert.equal(status, 401);
  }
  const before = seen.length;
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write('GET /PBX0/ HTTP/1.1\r\nHost: pbx.example.com\r\n\r\n');
  await once(socket, 'close', { signal: AbortSignal.timeout(2000) });
  t.assert.equal(seen.length, before, 'the backend saw nothing from the blacklisted client');
  const metrics = await gateway.metrics.registry.metrics();
  t.assert.match(
    metrics,
    /pbxgate_suspicious_events_total\{reason="http.backend-refused-credentials"\} 3/,
  );
});

test('a brute force on one keep-alive connection is cut once the client is blacklisted', async (t) => {
  let seen = 0;
  const backend = createServer((_request, response) => {
    seen++;
    response.writeHead(401, { 'content-length': '2' });
    response.end('no');
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.after(() => backend.close());
  const backendPort = (backend.address() as { port: number }).port;
  const { port } = await httpGateway(t, backendPort);
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let answers = 0;
  socket.on('data', (chunk: Buffer) => {
    answers += chunk.toString('latin1').split('HTTP/1.1 401').length - 1;
  });
  const closed = once(socket, 'close');
  const guess =
    'GET /PBX0/ HTTP/1.1\r\nHost: pbx.example.com\r\nAuthorization: Basic Z3Vlc3M=\r\n\r\n';
  // One request at a time, as a guessing client does, until the gateway cuts the connection.
  for (let i = 0; i < 10 && !socket.destroyed; i++) {
    const before = answers;
    socket.write(guess);
    await Promise.race([
      closed,
      new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (answers > before) {
            clearInterval(poll);
            resolve();
          }
        }, 5);
        socket.once('close', () => {
          clearInterval(poll);
          resolve();
        });
      }),
    ]);
  }
  await closed;
  t.assert.equal(seen, 3, 'the backend saw only the guesses up to the threshold');
  t.assert.equal(answers, 3);
});
