// `pbxgate nat-type`: servers from --stun or nat.stunServers, text and JSON output, exit codes.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runNatType } from '../../src/cli/nat-type.ts';
import { PbxgateError } from '../../src/errors.ts';
import type { NatServerReport } from '../../src/nat/report.ts';
import { pbxgateStun, silentServer } from '../nat/peers.ts';
import { runCli } from '../support/cli.ts';

const TIMEOUT = { timeout: 20_000 };

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) },
    out,
    err,
  };
}

async function configFile(t: TestContext, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-nat-type-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'pbxgate.yaml');
  await writeFile(file, text);
  return file;
}

function usageMessage(err: unknown): string {
  return err instanceof PbxgateError && err.code === 'PBX_ERR_USAGE' ? err.message : '';
}

test('prints the verdicts per logical server as text', TIMEOUT, async (t) => {
  const server = await pbxgateStun(t);
  const { io, out } = captureIo();
  const code = await runNatType(['--stun', `127.0.0.1:${server.port}`], io);
  t.assert.equal(code, 0);
  const text = out.join('\n');
  t.assert.match(text, new RegExp(`^server 1: 127\\.0\\.0\\.1:${server.port}$`, 'm'));
  t.assert.match(text, new RegExp(`answered by: +127\\.0\\.0\\.1:${server.port} in [\\d.]+ ms`));
  t.assert.match(text, /external address: +127\.0\.0\.1:\d+/);
  t.assert.match(text, /behind a NAT: +no/);
  t.assert.match(text, /classic type: +open internet +\(RFC 3489\)/);
  t.assert.match(text, /mapping: +endpoint independent +\(RFC 5780\)/);
  t.assert.match(text, /filtering: +endpoint independent +\(RFC 5780\)/);
  t.assert.match(text, /hairpinning: +yes/);
});

test('--json prints one record per logical server; unknowns say why', TIMEOUT, async (t) => {
  const full = await pbxgateStun(t);
  const single = await pbxgateStun(t, false);
  const { io, out } = captureIo();
  const stun = `127.0.0.1:${full.port};127.0.0.1:${single.port}`;
  const code = await runNatType(['--stun', stun, '--json', '--rto', '20ms'], io);
  t.assert.equal(code, 0);
  t.assert.equal(out.length, 1);
  const { servers } = JSON.parse(out[0] ?? '') as { servers: NatServerReport[] };
  t.assert.deepEqual(
    servers.map((s) => [s.server, s.classic, s.mapping, s.filtering]),
    [
      [`127.0.0.1:${full.port}`, 'open-internet', 'endpoint-independent', 'endpoint-independent'],
      [`127.0.0.1:${single.port}`, 'unknown', 'unknown', 'unknown'],
    ],
  );
  t.assert.equal(servers[1]?.unknown.classic, 'no-second-address');
});

test('without --stun the servers come from nat.stunServers of --config', TIMEOUT, async (t) => {
  const server = await pbxgateStun(t);
  const file = await configFile(t, `nat: { stunServers: "127.0.0.1:${server.port}" }\n`);
  const { io, out } = captureIo();
  t.assert.equal(await runNatType(['--config', file, '--json'], io), 0);
  const { servers } = JSON.parse(out[0] ?? '') as { servers: NatServerReport[] };
  t.assert.equal(servers[0]?.classic, 'open-internet');
});

test('a config without a nat section is a usage error naming both ways out', async (t) => {
  const file = await configFile(t, 'stun: {}\n');
  await t.assert.rejects(runNatType(['--config', file], captureIo().io), (err) =>
    /has no nat\.stunServers: add them, or give --stun/.test(usageMessage(err)),
  );
});

test('a broken config prints its problems and exits 1', async (t) => {
  const file = await configFile(t, 'nat: { stunServers: "a;b;c" }\n');
  const { io, err } = captureIo();
  t.assert.equal(await runNatType(['--config', file], io), 1);
  t.assert.match(err.join('\n'), /nat\.stunServers: at most 2 logical servers/);
});

test('nothing answering: udp blocked, exit 1, after 79 RTO', TIMEOUT, async (t) => {
  const dead = await silentServer(t);
  const { io, out } = captureIo();
  const started = performance.now();
  const code = await runNatType(['--stun', `127.0.0.1:${dead.endpoint.port}`, '--rto', '10ms'], io);
  const elapsed = performance.now() - started;
  t.assert.equal(code, 1);
  t.assert.match(out.join('\n'), /classic type: +udp blocked/);
  t.assert.match(out.join('\n'), /answered by: +none of 127\.0\.0\.1:\d+/);
  t.assert.equal(elapsed >= 780 && elapsed < 1500, true, `took ${elapsed} ms`);
});

test('a --bind address that is not ours is an error, not "UDP blocked"', TIMEOUT, async (t) => {
  const { io, out, err } = captureIo();
  const code = await runNatType(['--stun', '127.0.0.1:3478', '--bind', '192.0.2.77'], io);
  t.assert.equal(code, 1);
  t.assert.deepEqual(out, []);
  t.assert.match(err.join('\n'), /^pbxgate nat-type: .*EADDRNOTAVAIL/);
});

const usageErrors: readonly [readonly string[], RegExp][] = [
  [['--stun', '2001:db8::1'], /--stun IPv6 addresses go in brackets/],
  [['--stun', '192.0.2.1', '--rto', '0ms'], /--rto wants a duration of at least 1 ms/],
  [['--stun', '192.0.2.1', '--lifetime', '10'], /--lifetime wants a duration of at least 1000 ms/],
  [['--stun', '192.0.2.1', '--bind', 'eth0'], /--bind wants an IP address/],
  [['--stun', '192.0.2.1', 'extra'], /unexpected argument "extra"/],
];

for (const [argv, message] of usageErrors) {
  test(`usage error: ${argv.join(' ')}`, async (t) => {
    await t.assert.rejects(runNatType(argv, captureIo().io), (err) =>
      message.test(usageMessage(err)),
    );
  });
}

test('pbxgate lists nat-type and refuses a bad --stun with exit 2', TIMEOUT, async (t) => {
  const help = await runCli(['--help']);
  t.assert.match(help.stdout, /pbxgate nat-type \[--stun "A;B"\]/);
  const bad = await runCli(['nat-type', '--stun', 'a;b;c']);
  t.assert.equal(bad.code, 2);
  t.assert.match(bad.stderr, /pbxgate nat-type: --stun at most 2 logical servers/);
});
