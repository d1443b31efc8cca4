// HTTPS terminated at the listener (self-signed material from a temp state directory): ALPN offers
// http/1.1 only, plain and TLS backends by the encryption rules, and curl through both listeners.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { type TlsMaterial, loadTlsContext } from '../../../src/net/tls.ts';
import { connectSecure, listenOn } from '../support/harness.ts';
import { testCertificate } from '../../support/stun-server.ts';
import { get, responseReader, startHttpBackend, startHttpGateway } from './listener-support.ts';

const CURL = '/usr/bin/curl';

async function material(t: TestContext): Promise<TlsMaterial> {
  const stateDir = await mkdtemp(join(tmpdir(), 'pbxgate-http-tls-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  const log = { info: () => undefined, warn: () => undefined };
  return loadTlsContext({ certificates: [], trust: [], stateDir, log });
}

/** A TLS backend that names itself and the X-Forwarded-Proto it saw. */
async function startTlsBackend(t: TestContext): Promise<number> {
  const { certPem, keyPem } = testCertificate();
  const server = createHttpsServer({ cert: certPem, key: keyPem }, (req, res) => {
    const text = `tls-backend ${req.url ?? ''} ${String(req.headers['x-forwarded-proto'])}`;
    res.writeHead(200, { 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  return listenOn(t, server);
}

test('HTTPS is terminated, ALPN picks http/1.1 and a tcp-only service gets plain HTTP', async (t) => {
  const backend = await startHttpBackend(t, 'alpha');
  const gateway = await startHttpGateway(t, {
    type: 'https',
    tls: await material(t),
    services: [{ name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: backend.port } } }],
  });
  const client = await connectSecure(gateway.port, {
    servername: 'a.example',
    ALPNProtocols: ['h2', 'http/1.1'],
  } as Parameters<typeof connectSecure>[1]);
  t.after(() => client.destroy());
  t.assert.equal(client.alpnProtocol, 'http/1.1');
  const responses = responseReader(client);
  client.write(get('/secure', 'a.example'));
  t.assert.equal((await responses.next()).body, 'alpha GET /secure ');
  t.assert.equal(backend.seen[0]?.headers['x-forwarded-proto'], 'https');
  t.assert.equal(backend.seen[0]?.headers.forwarded, 'for=127.0.0.1;proto=https;host=a.example');
});

test('with both ports, HTTPS goes to the TLS port and HTTP to the plain one', async (t) => {
  const plain = await startHttpBackend(t, 'plain');
  const tlsPort = await startTlsBackend(t);
  const services = [
    { name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: plain.port, tls: tlsPort } } },
  ];
  const tls = await material(t);
  const https = await startHttpGateway(t, { type: 'https', tls, services });
  const client = await connectSecure(https.port, { servername: 'a.example' });
  t.after(() => client.destroy());
  const responses = responseReader(client);
  client.write(get('/x', 'a.example'));
  t.assert.equal((await responses.next()).body, 'tls-backend /x https');
  t.assert.equal(plain.seen.length, 0);
});

test('curl through the HTTP and HTTPS listeners', { skip: !existsSync(CURL) }, async (t) => {
  const backend = await startHttpBackend(t, 'alpha');
  const services = [
    { name: 'a.example', host: '127.0.0.1', ports: { http: { tcp: backend.port } } },
  ];
  const http = await startHttpGateway(t, { services });
  const https = await startHttpGateway(t, { type: 'https', tls: await material(t), services });
  const run = promisify(execFile);
  const plain = await run(CURL, [
    '-sS',
    '-H',
    'Host: a.example',
    `http://127.0.0.1:${http.port}/one`,
    `http://127.0.0.1:${http.port}/two`,
  ]);
  t.assert.equal(plain.stdout, 'alpha GET /one alpha GET /two ');
  // curl reused its connection for the second URL: one backend connection served both.
  t.assert.equal(backend.seen[0]?.remotePort, backend.seen[1]?.remotePort);
  const secure = await run(CURL, [
    '-sS',
    '-k',
    '--resolve',
    `a.example:${https.port}:127.0.0.1`,
    '-d',
    'posted',
    `https://a.example:${https.port}/form`,
  ]);
  t.assert.equal(secure.stdout, 'alpha POST /form posted');
  t.assert.equal(backend.seen[2]?.headers['x-forwarded-for'], '127.0.0.1');
});
