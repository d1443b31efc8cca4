// The composed gateway as a real process: admin API + fraud detection + STUN, driven by the CLI.

import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { hashPassword } from '../../src/admin/password.ts';
import { StunUdpClient, buildBindingRequest } from '../../src/stun/client.ts';
import { runCli, spawnCli, waitForOutput } from '../support/cli.ts';
import { freePort } from '../support/stun-server.ts';

const PASSWORD = 'e2e-admin-password';
const fast = { rtoMs: 100, maxSends: 3, finalWaitFactor: 3 };

async function answered(port: number): Promise<boolean> {
  const client = new StunUdpClient();
  await client.bind('127.0.0.1');
  try {
    await client.transact(buildBindingRequest(), { address: '127.0.0.1', port }, fast);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

async function startGateway(t: TestContext, file: string) {
  const child = spawnCli(['start', '--config', file]);
  t.after(() => child.kill('SIGKILL'));
  await waitForOutput(child, (text) => text.includes('pbxgate started'));
  return child;
}

test('an admin blacklists an address with the CLI, STUN stops answering it, and the entry survives kill -9', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [adminPort, stunPort] = [await freePort(), await freePort()];
  const file = join(dir, 'pbxgate.yaml');
  const hash = await hashPassword(PASSWORD);
  await writeFile(
    file,
    [
      `admin: { listen: 127.0.0.1:${adminPort}, users: [{ name: admin, passwordHash: "${hash}" }] }`,
      'fraud: { suspiciousPerMinute: 10, blacklistMinutes: 60 }',
      `stun: { listen: [udp://127.0.0.1:${stunPort}] }`,
    ].join('\n'),
  );
  const env = { ...process.env, PBXGATE_ADMIN_PASSWORD: PASSWORD };
  const admin = ['--admin', `http://127.0.0.1:${adminPort}`];
  const first = await startGateway(t, file);
  t.assert.equal(await answered(stunPort), true);

  const added = await runCli(['blacklist', 'add', '127.0.0.1', ...admin], 20_000, env);
  t.assert.equal(added.code, 0, added.stderr);
  t.assert.equal(await answered(stunPort), false);

  const metrics = await fetch(`http://127.0.0.1:${adminPort}/metrics`, {
    headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` },
  });
  t.assert.match(await metrics.text(), /pbxgate_fraud_refused_total [1-9]/);

  first.kill('SIGKILL');
  await once(first, 'exit');
  await startGateway(t, file);
  t.assert.equal(await answered(stunPort), false, 'the entry survived kill -9 and restart');
  const listed = await runCli(['blacklist', 'list', '--json', ...admin], 20_000, env);
  t.assert.match(listed.stdout, /"key": "127\.0\.0\.1"/);

  const removed = await runCli(['blacklist', 'remove', '127.0.0.1', ...admin], 20_000, env);
  t.assert.equal(removed.code, 0, removed.stderr);
  t.assert.equal(await answered(stunPort), true);
});
