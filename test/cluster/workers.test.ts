// `pbxgate start --workers 2` as real processes: the workers serve the proxy on one shared port,
// their suspicious events blacklist a client in the primary and the ban reaches every worker, the
// admin API sees every process, a dead worker is replaced, and nothing outlives the primary.

import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { request } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword } from '../../src/admin/password.ts';
import { spawnCli, waitForOutput } from '../support/cli.ts';
import { freePort } from '../support/stun-server.ts';

const PASSWORD = 'workers-admin-password';
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One request on a fresh connection; status 0 when the connection was closed without an answer. */
function get(port: number, host: string, path: string): Promise<Reply> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', () => {
      resolve({ status: 0, body: '' });
    });
    req.end();
  });
}

async function admin(port: number, method: string, path: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: AUTH },
  });
  const text = await res.text();
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

async function startBackend(t: TestContext): Promise<number> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`backend ${req.url ?? ''}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no backend port');
  return address.port;
}

async function startWorkers(t: TestContext, type: 'http' | 'https' = 'http') {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-workers-'));
  const [adminPort, proxyPort, backendPort] = [
    await freePort(),
    await freePort(),
    await startBackend(t),
  ];
  const file = join(dir, 'pbxgate.yaml');
  const hash = await hashPassword(PASSWORD);
  await writeFile(
    file,
    [
      `admin: { listen: 127.0.0.1:${adminPort}, users: [{ name: admin, passwordHash: "${hash}" }] }`,
      'fraud: { suspiciousPerMinute: 5, blacklistMinutes: 60 }',
      'proxy:',
      `  listen: { ${type}: "127.0.0.1:${proxyPort}" }`,
      '  services:',
      `    - { name: pbx.example, host: 127.0.0.1, ports: { http: { tcp: ${backendPort} } }, urls: [/PBX0/] }`,
    ].join('\n'),
  );
  const child = spawnCli(['start', '--config', file, '--workers', '2']);
  // The directory goes after the process: a running gateway may still write its state there.
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await rm(dir, { recursive: true, force: true });
  });
  await waitForOutput(child, (text) => text.includes('pbxgate started'));
  const status = (await admin(adminPort, 'GET', '/api/status')) as { workers?: number[] };
  return { child, adminPort, proxyPort, workers: status.workers ?? [] };
}

test('two workers serve one port; a ban from their events reaches both; SIGTERM stops all', async (t) => {
  const { child, adminPort, proxyPort, workers } = await startWorkers(t);
  t.assert.equal(workers.length, 2);
  t.assert.equal(workers.every(isAlive), true);
  t.assert.equal(
    workers.includes(child.pid ?? -1),
    false,
    'the workers are processes of their own',
  );

  for (let i = 0; i < 20; i++) {
    t.assert.deepEqual(await get(proxyPort, 'pbx.example', '/PBX0/a'), {
      status: 200,
      body: 'backend /PBX0/a',
    });
  }
  const metrics = String(await admin(adminPort, 'GET', '/metrics'));
  t.assert.match(
    metrics,
    /pbxgate_proxy_connections_total\{type="http",outcome="routed"\} 20\b/,
    'the primary sums the workers',
  );

  // Five unknown hosts (the threshold) over fresh connections, spread over the workers by the kernel.
  for (let i = 0; i < 5; i++) {
    t.assert.equal((await get(proxyPort, 'unknown.example', '/')).status, 404);
  }
  await until('the primary blacklists 127.0.0.1', async () => {
    const fraud = (await admin(adminPort, 'GET', '/api/fraud')) as {
      blacklist: { key: string }[];
    };
    return fraud.blacklist.some((entry) => entry.key === '127.0.0.1');
  });
  // Every worker refuses it now: many fresh connections, none answered.
  await until('every worker enforces the ban', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => get(proxyPort, 'pbx.example', '/PBX0/a')),
    );
    return replies.every((reply) => reply.status === 0);
  });

  await admin(adminPort, 'DELETE', '/api/fraud/blacklist/127.0.0.1');
  await until('the removal reaches every worker', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => get(proxyPort, 'pbx.example', '/PBX0/a')),
    );
    return replies.every((reply) => reply.status === 200);
  });

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  t.assert.equal(code, 0);
  await until('no worker outlives the primary', () => !workers.some(isAlive));
});

test('a worker that dies is replaced, and the port keeps being served', async (t) => {
  const { child, adminPort, proxyPort, workers } = await startWorkers(t);
  const [victim] = workers;
  if (victim === undefined) throw new Error('no worker');
  process.kill(victim, 'SIGKILL');
  await until('a new worker replaces the dead one', async () => {
    const status = (await admin(adminPort, 'GET', '/api/status')) as { workers: number[] };
    return status.workers.length === 2 && !status.workers.includes(victim);
  });
  for (let i = 0; i < 10; i++) {
    t.assert.equal((await get(proxyPort, 'pbx.example', '/PBX0/b')).status, 200);
  }
  // kill -9 of the primary: the workers notice the lost channel and stop by themselves.
  const status = (await admin(adminPort, 'GET', '/api/status')) as { workers: number[] };
  child.kill('SIGKILL');
  await once(child, 'exit');
  await until('the workers stop when the primary is gone', () => !status.workers.some(isAlive));
});

/** One TLS connection; resolves with whether it resumed and the session to offer next time. */
function tlsSession(
  port: number,
  session: Buffer | undefined,
): Promise<{ reused: boolean; session: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    let next: Buffer | undefined;
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'pbx.example',
      rejectUnauthorized: false,
      ...(session === undefined ? {} : { session }),
    });
    socket.on('session', (ticket: Buffer) => {
      next = ticket;
    });
    socket.once('secureConnect', () => {
      const reused = socket.isSessionReused();
      // TLS 1.3 sends its ticket after the handshake: one request/response lets it arrive.
      socket.write('GET /PBX0/a HTTP/1.1\r\nHost: pbx.example\r\nConnection: close\r\n\r\n');
      socket.resume();
      socket.once('end', () => {
        socket.destroy();
        resolve({ reused, session: next ?? session });
      });
    });
    socket.once('error', reject);
  });
}

test('TLS sessions resume whichever worker the reconnect lands on', async (t) => {
  const { proxyPort } = await startWorkers(t, 'https');
  let { session } = await tlsSession(proxyPort, undefined);
  let resumed = 0;
  for (let i = 0; i < 12; i++) {
    const result = await tlsSession(proxyPort, session);
    if (result.reused) resumed++;
    session = result.session;
  }
  // With a ticket key per worker about half would fall back to a full handshake.
  t.assert.equal(resumed, 12);
});
