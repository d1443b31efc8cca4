import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseConfigText } from '../src/config/load.ts';
import { createGateway } from '../src/gateway.ts';
import { createSelfSignedCertificate } from '../src/net/self-signed.ts';
import { StunUdpClient, buildBindingRequest } from '../src/stun/client.ts';
import { freePort, quietLog } from './support/stun-server.ts';

async function stateDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-gw-'));
  // Retried: the gateway stops in a later hook, and its fraud store may write here until then.
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
  return dir;
}

async function sendGarbage(port: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('garbage that is not STUN\r\n');
  await once(socket, 'close');
}

/** A gateway built from YAML lines, started in-process with its state in a fresh directory. */
async function startGateway(t: TestContext, dir: string, lines: readonly string[]) {
  const config = parseConfigText(lines.join('\n'), 'test.yaml');
  const gateway = await createGateway(config, { log: quietLog, baseDir: dir });
  await gateway.start();
  t.after(() => gateway.stop());
  return gateway;
}

async function boundClient(t: TestContext): Promise<StunUdpClient> {
  const client = new StunUdpClient();
  await client.bind('127.0.0.1');
  t.after(() => {
    client.close();
  });
  return client;
}

test('garbage over STUN/TCP blacklists the client at the threshold; it then gets no answer over UDP', async (t) => {
  const dir = await stateDir(t);
  const port = await freePort();
  const gateway = await startGateway(t, dir, [
    'fraud: { suspiciousPerMinute: 3, blacklistMinutes: 5 }',
    `stun: { listen: [udp://127.0.0.1:${port}, tcp://127.0.0.1:${port}] }`,
  ]);
  const client = await boundClient(t);
  const fast = { rtoMs: 100, maxSends: 2, finalWaitFactor: 2 };
  const before = await client.transact(buildBindingRequest(), { address: '127.0.0.1', port }, fast);
  t.assert.equal(before.from.port, port);

  for (let i = 0; i < 3; i++) await sendGarbage(port);

  await t.assert.rejects(
    client.transact(buildBindingRequest(), { address: '127.0.0.1', port }, fast),
  );
  const refused = connect(port, '127.0.0.1');
  await once(refused, 'close', { signal: AbortSignal.timeout(2000) });
  const metrics = await gateway.metrics.registry.metrics();
  t.assert.match(metrics, /pbxgate_fraud_refused_total [1-9]/);
  t.assert.match(metrics, /pbxgate_suspicious_events_total\{reason="stun.not-stun"\} 3/);
  await gateway.stop();
  const saved = await readFile(join(dir, 'state', 'fraud.json'), 'utf8');
  t.assert.match(saved, /127\.0\.0\.1/);
});

test('a whitelisted client is never blacklisted', async (t) => {
  const dir = await stateDir(t);
  const port = await freePort();
  await startGateway(t, dir, [
    'fraud: { suspiciousPerMinute: 2, whitelist: [127.0.0.0/8] }',
    `stun: { listen: [udp://127.0.0.1:${port}, tcp://127.0.0.1:${port}] }`,
  ]);
  for (let i = 0; i < 5; i++) await sendGarbage(port);
  const client = await boundClient(t);
  const answer = await client.transact(buildBindingRequest(), { address: '127.0.0.1', port });
  t.assert.equal(answer.from.port, port);
});

test('reloadTls swaps the STUN/TLS certificate without a restart; a bad file keeps the old one', async (t) => {
  const dir = await stateDir(t);
  const port = await freePort();
  const write = async (cn: string): Promise<void> => {
    const pair = createSelfSignedCertificate({ commonName: cn, altNames: ['localhost'], days: 1 });
    await writeFile(join(dir, 'gw.pem'), pair.certPem);
    await writeFile(join(dir, 'gw.key'), pair.keyPem);
  };
  await write('first.test');
  const gateway = await startGateway(t, dir, [
    'tls: { certificates: [{ cert: gw.pem, key: gw.key }] }',
    `stun: { listen: [tls://127.0.0.1:${port}] }`,
  ]);
  const subjectSeen = async (): Promise<string> => {
    const socket = connectTls({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      rejectUnauthorized: false,
    });
    await once(socket, 'secureConnect');
    const cn = String(socket.getPeerCertificate().subject.CN);
    socket.destroy();
    return cn;
  };
  t.assert.equal(await subjectSeen(), 'first.test');
  await write('second.test');
  t.assert.equal(await gateway.reloadTls(), true);
  t.assert.equal(await subjectSeen(), 'second.test');
  await writeFile(join(dir, 'gw.pem'), 'not a certificate');
  await t.assert.rejects(gateway.reloadTls(), /gw\.pem/);
  t.assert.equal(await subjectSeen(), 'second.test');
});
