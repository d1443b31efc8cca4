import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { longTermKey } from '../../src/stun/integrity.ts';
import { createTurnCredentials } from '../../src/turn/credentials.ts';
import { runCli } from '../support/cli.ts';

const realm = 'pbxgate.test';

async function configFile(t: TestContext, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-turn-credentials-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'pbxgate.yaml');
  await writeFile(file, text);
  return file;
}

/** The lines `name: value` of the plain output, in order. */
function fieldsOf(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line): [string, string] => [
        line.slice(0, line.indexOf(': ')),
        line.slice(line.indexOf(': ') + 2),
      ]),
  );
}

test('--json mints with --secret: the password verifies and the expiry is now + ttl', async (t) => {
  const before = Math.floor(Date.now() / 1000);
  const result = await runCli([
    'turn-credentials',
    '--secret',
    'northSecret42',
    '--user',
    'phone1',
    '--ttl',
    '1h',
    '--json',
  ]);
  const after = Math.floor(Date.now() / 1000);
  t.assert.equal(result.code, 0, result.stderr);
  const minted = JSON.parse(result.stdout) as { username: string; password: string; ttl: number };
  t.assert.deepEqual(Object.keys(minted), ['username', 'password', 'ttl']);
  t.assert.equal(minted.ttl, 3600);
  t.assert.match(minted.username, /^\d+:phone1$/);
  const expiry = Number(minted.username.split(':')[0]);
  t.assert.equal(expiry >= before + 3600 && expiry <= after + 3600, true, minted.username);
  const byHand = createHmac('sha1', 'northSecret42').update(minted.username).digest('base64');
  t.assert.equal(minted.password, byHand);
  const credentials = createTurnCredentials({
    realm,
    accounts: [],
    sharedSecrets: ['northSecret42'],
  });
  const user = credentials.lookup(minted.username, Date.now());
  t.assert.equal(user?.user, 'phone1');
  t.assert.deepEqual(user?.keys[0], longTermKey(minted.username, realm, minted.password));
});

test('without --secret the first turn.sharedSecret of the config mints, for a day', async (t) => {
  const file = await configFile(
    t,
    ['stun:', 'turn:', `  realm: ${realm}`, '  sharedSecret: [new-secret, old-secret]', ''].join(
      '\n',
    ),
  );
  const result = await runCli(['turn-credentials', '--config', file, '--user', 'alice']);
  t.assert.equal(result.code, 0, result.stderr);
  const fields = fieldsOf(result.stdout);
  t.assert.deepEqual([...fields.keys()], ['username', 'password', 'ttl']);
  t.assert.equal(fields.get('ttl'), '86400');
  const username = fields.get('username') ?? '';
  const password = fields.get('password') ?? '';
  const credentials = createTurnCredentials({
    realm,
    accounts: [],
    sharedSecrets: ['new-secret', 'old-secret'],
  });
  const user = credentials.lookup(username, Date.now());
  t.assert.equal(user?.user, 'alice');
  t.assert.deepEqual(
    user?.keys[0],
    longTermKey(username, realm, password),
    'minted with the first',
  );
});

test('a config without a shared secret is a usage error', async (t) => {
  const file = await configFile(
    t,
    ['stun:', 'turn:', '  realm: r', '  accounts: [{ user: u, password: p }]', ''].join('\n'),
  );
  const result = await runCli(['turn-credentials', '--config', file]);
  t.assert.equal(result.code, 2);
  t.assert.match(result.stderr, /has no turn\.sharedSecret: add one, or give --secret/);
  t.assert.equal(result.stdout, '');
});

test('a bad --ttl is a usage error', async (t) => {
  const result = await runCli(['turn-credentials', '--secret', 's', '--ttl', '10']);
  t.assert.equal(result.code, 2);
  t.assert.match(result.stderr, /--ttl wants a whole number of seconds/);
  t.assert.match(result.stderr, /usage:/);
});

test('a config with problems is reported like check does, exit 1', async (t) => {
  const file = await configFile(t, 'stun:\nturn:\n  realm: r\n  sharedSecret: []\n');
  const result = await runCli(['turn-credentials', '--config', file]);
  t.assert.equal(result.code, 1);
  t.assert.match(result.stderr, /:4:3: turn\.sharedSecret: needs at least one secret/);
});
