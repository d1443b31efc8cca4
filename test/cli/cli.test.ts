import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { StunUdpClient, buildBindingRequest } from '../../src/stun/client.ts';
import { readBindingResult } from '../../src/stun/binding-result.ts';
import { freePort } from '../support/stun-server.ts';
import { runCli, spawnCli, waitForOutput } from '../support/cli.ts';

async function configFile(t: TestContext, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'pbxgate.yaml');
  await writeFile(file, text);
  return file;
}

test('check accepts the embedded default config', async (t) => {
  const result = await runCli(['check']);
  t.assert.equal(result.code, 0);
  t.assert.match(result.stdout, /default\.yaml: ok/);
});

test('check names file, line, column and key of every problem, and fails', async (t) => {
  const file = await configFile(
    t,
    'stun:\n  listen: [udp://127.0.0.1:3478]\nfraud:\n  blacklistMinutez: 5\n  suspiciousPerMinute: lots\n',
  );
  const result = await runCli(['check', '--config', file]);
  t.assert.equal(result.code, 1);
  t.assert.match(result.stderr, new RegExp(`${file}:4:3: fraud\\.blacklistMinutez: `));
  t.assert.match(result.stderr, new RegExp(`${file}:5:24: fraud\\.suspiciousPerMinute: `));
});

test('start with an invalid config prints the problem and exits non-zero without listening', async (t) => {
  const file = await configFile(t, 'stun:\n  listen: [udp://127.0.0.1:99999]\n');
  const result = await runCli(['start', '--config', file]);
  t.assert.equal(result.code, 2);
  t.assert.match(result.stderr, /:2:\d+: stun\.listen\.0: /);
});

test('start on a port that is taken prints one clear line and exits 1', async (t) => {
  const port = await freePort();
  const blocker = createSocket('udp4');
  t.after(() => blocker.close());
  await new Promise<void>((resolve) => blocker.bind(port, '127.0.0.1', resolve));
  const file = await configFile(
    t,
    `log: { level: warn }\nstun:\n  listen: [udp://127.0.0.1:${port}]\n`,
  );
  const result = await runCli(['start', '--config', file]);
  t.assert.equal(result.code, 1);
  t.assert.equal(
    result.stderr.trim(),
    `pbxgate: cannot listen on udp://127.0.0.1:${port}: address already in use`,
  );
});

test('start serves STUN, logs each listener and stops cleanly on SIGTERM and SIGINT', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const port = await freePort();
    const file = await configFile(
      t,
      `stun:\n  listen: [udp://127.0.0.1:${port}, tcp://127.0.0.1:${port}]\n`,
    );
    const child = spawnCli(['start', '--config', file]);
    t.after(() => child.kill('SIGKILL'));
    const output = await waitForOutput(child, (text) => text.includes('pbxgate started'));
    t.assert.match(output, new RegExp(`"listen":"udp://127.0.0.1:${port}"`));
    t.assert.match(output, new RegExp(`"listen":"tcp://127.0.0.1:${port}"`));
    const client = new StunUdpClient();
    await client.bind('127.0.0.1');
    t.after(() => {
      client.close();
    });
    const response = await client.transact(buildBindingRequest(), { address: '127.0.0.1', port });
    const result = readBindingResult(response.message);
    t.assert.equal(typeof result !== 'string' && result.mapped?.port, client.socket.address().port);
    child.kill(signal);
    const [code] = (await once(child, 'exit')) as [number | null];
    t.assert.equal(code, 0);
  }
});

test('the stun command prints the mapped address a server reports, and fails clearly on silence', async (t) => {
  const port = await freePort();
  const file = await configFile(t, `stun:\n  listen: [udp://127.0.0.1:${port}]\n`);
  const child = spawnCli(['start', '--config', file]);
  t.after(() => child.kill('SIGKILL'));
  await waitForOutput(child, (text) => text.includes('pbxgate started'));
  const ok = await runCli(['stun', `127.0.0.1:${port}`, '--json']);
  t.assert.equal(ok.code, 0, ok.stderr);
  const parsed = JSON.parse(ok.stdout) as { mapped: { address: string }; from: { port: number } };
  t.assert.equal(parsed.mapped.address, '127.0.0.1');
  t.assert.equal(parsed.from.port, port);
  const silent = await freePort();
  const fail = await runCli(['stun', `127.0.0.1:${silent}`, '--timeout', '1s']);
  t.assert.equal(fail.code, 1);
  t.assert.match(fail.stderr, /127\.0\.0\.1:\d+ over udp: no answer within 1s/);
});
