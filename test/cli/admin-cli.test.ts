import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyPassword } from '../../src/admin/password.ts';
import type { AdminCliContext } from '../../src/cli/admin-client.ts';
import { runBlacklist, runWhitelist } from '../../src/cli/blacklist.ts';
import { runHashPassword, type SecretInput } from '../../src/cli/hash-password.ts';
import { ADMIN_PASSWORD, startAdmin } from '../admin/start-admin.ts';
import { freePort } from '../support/stun-server.ts';

const fixture = fileURLToPath(new URL('./fixtures/admin-command.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(
  args: readonly string[],
  options: { password?: string | null; stdin?: string } = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['PBXGATE_ADMIN_PASSWORD'];
  if (options.password !== null) env['PBXGATE_ADMIN_PASSWORD'] = options.password ?? ADMIN_PASSWORD;
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
    cwd: repoRoot,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

async function configFile(t: TestContext, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-admin-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'pbxgate.yaml');
  await writeFile(file, text);
  return file;
}

/** Runs a command in this process, output captured; the password as PBXGATE_ADMIN_PASSWORD. */
async function runHere(
  command: typeof runBlacklist,
  args: readonly string[],
  password: string | null = ADMIN_PASSWORD,
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const context: AdminCliContext = {
    env: password === null ? {} : { PBXGATE_ADMIN_PASSWORD: password },
    input: { stream: new PassThrough(), prompt: () => undefined },
  };
  const code = await command(
    args,
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    context,
  );
  const text = (lines: string[]): string => lines.map((line) => `${line}\n`).join('');
  return { code, stdout: text(out), stderr: text(err) };
}

test('as a real process, hash-password reads stdin and prints a hash that verifies', async (t) => {
  const [line, all, argv] = await Promise.all([
    run(['hash-password'], { stdin: 'pass word\nsecond line\n' }),
    run(['hash-password', '--password-stdin'], { stdin: 'two\nlines\n' }),
    run(['hash-password', 'secret']),
  ]);
  t.assert.equal(line.code, 0, line.stderr);
  t.assert.match(line.stdout, /^scrypt:16384:8:1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\n$/);
  t.assert.equal(await verifyPassword('pass word', line.stdout.trim()), true);
  t.assert.equal(all.code, 0, all.stderr);
  t.assert.equal(await verifyPassword('two\nlines', all.stdout.trim()), true);
  t.assert.equal(argv.code, 2);
  t.assert.match(argv.stderr, /never from the command line/);
});

test('as a real process, blacklist reaches the gateway found through --config, or says it cannot', async (t) => {
  const admin = await startAdmin(t);
  const { port } = admin.server.address();
  const file = await configFile(t, `admin:\n  listen: 0.0.0.0:${port}\n`);
  const closed = await freePort();
  const [add, refused] = await Promise.all([
    run(['blacklist', 'add', '192.0.2.1', '--minutes', '5', '--config', file]),
    run(['blacklist', 'list', '--admin', `127.0.0.1:${closed}`]),
  ]);
  t.assert.equal(add.code, 0, add.stderr);
  t.assert.equal(add.stdout, 'blacklisted 192.0.2.1 until 2023-11-14T22:18:20Z\n');
  t.assert.deepEqual(admin.fraud.calls, ['block 192.0.2.1 5']);
  t.assert.equal(refused.code, 1);
  t.assert.equal(
    refused.stderr,
    `pbxgate blacklist: cannot reach the admin API at http://127.0.0.1:${closed}: connection refused (is pbxgate running, with an admin: section?)\n`,
  );
});

test('hash-password on a terminal reads without echo, twice, and refuses a mismatch', async (t) => {
  const terminal = (
    answers: string[],
  ): { input: SecretInput; prompts: string[]; raw: boolean[] } => {
    const stream = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: (on: boolean) => raw.push(on),
    });
    const prompts: string[] = [];
    const raw: boolean[] = [];
    const input: SecretInput = {
      stream,
      prompt: (text) => {
        prompts.push(text);
        const answer = text.endsWith(': ') ? answers.shift() : undefined;
        if (answer !== undefined) setImmediate(() => stream.write(answer));
      },
    };
    return { input, prompts, raw };
  };
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line) };

  const ok = terminal(['s3cr\u007f\u007fecret\r', 's3ecret\r']);
  t.assert.equal(await runHashPassword([], io, ok.input), 0);
  t.assert.deepEqual(ok.prompts, ['Password: ', '\n', 'Again: ', '\n']);
  t.assert.deepEqual(ok.raw, [true, false, true, false]);
  t.assert.equal(await verifyPassword('s3ecret', out[0] ?? ''), true);

  const mismatch = terminal(['one\r', 'two\r']);
  t.assert.equal(await runHashPassword([], io, mismatch.input), 1);
  t.assert.deepEqual(err, ['pbxgate hash-password: the two passwords differ']);

  const cancel = terminal(['abc\u0003']);
  t.assert.equal(await runHashPassword([], io, cancel.input), 130);
  t.assert.equal(out.length, 1);
});

test('hash-password refuses an empty password', async (t) => {
  const err: string[] = [];
  const stream = new PassThrough();
  stream.end('\n');
  const code = await runHashPassword(
    [],
    { out: () => undefined, err: (line) => err.push(line) },
    { stream, prompt: () => undefined },
  );
  t.assert.equal(code, 1);
  t.assert.deepEqual(err, ['pbxgate hash-password: empty password']);
});

test('blacklist and whitelist commands manage the lists of a running gateway', async (t) => {
  const admin = await startAdmin(t);
  const at = ['--admin', admin.baseUrl];

  const add = await runHere(runBlacklist, ['add', '192.0.2.1', '--minutes', '5', ...at]);
  t.assert.equal(add.code, 0, add.stderr);
  t.assert.equal(add.stdout, 'blacklisted 192.0.2.1 until 2023-11-14T22:18:20Z\n');

  const list = await runHere(runBlacklist, ['list', ...at]);
  t.assert.equal(list.code, 0, list.stderr);
  t.assert.deepEqual(list.stdout.split('\n'), [
    'KEY        REASON  SINCE                 UNTIL                 MANUAL',
    '192.0.2.1  manual  2023-11-14T22:13:20Z  2023-11-14T22:18:20Z  yes',
    '',
  ]);
  const json = await runHere(runBlacklist, ['list', '--json', ...at]);
  t.assert.deepEqual(JSON.parse(json.stdout), [
    {
      key: '192.0.2.1',
      reason: 'manual',
      since: 1_700_000_000_000,
      until: 1_700_000_300_000,
      manual: true,
    },
  ]);
  const whitelist = await runHere(runWhitelist, ['list', ...at]);
  t.assert.deepEqual(whitelist.stdout.split('\n'), [
    'CIDR             SOURCE',
    '192.0.2.10       config',
    '198.51.100.0/24  config',
    '',
  ]);

  const promote = await runHere(runBlacklist, ['promote', '192.0.2.1', ...at]);
  t.assert.equal(promote.stdout, 'moved 192.0.2.1 to the whitelist as 192.0.2.1\n');
  t.assert.equal((await runHere(runBlacklist, ['list', ...at])).stdout, 'the blacklist is empty\n');
  const addCidr = await runHere(runWhitelist, ['add', '2001:db8::/32', ...at]);
  t.assert.equal(addCidr.stdout, 'whitelisted 2001:db8::/32\n');
  const removeCidr = await runHere(runWhitelist, ['remove', '2001:db8::/32', ...at]);
  t.assert.equal(removeCidr.stdout, 'removed 2001:db8::/32 from the whitelist\n');
  const removeConfig = await runHere(runWhitelist, ['remove', '198.51.100.0/24', ...at]);
  t.assert.equal(removeConfig.code, 1);
  t.assert.equal(
    removeConfig.stderr,
    'pbxgate whitelist: 198.51.100.0/24 comes from the config file (fraud.whitelist): remove it there (HTTP 409)\n',
  );
  const removeMissing = await runHere(runBlacklist, ['remove', '192.0.2.99', ...at]);
  t.assert.equal(
    removeMissing.stderr,
    'pbxgate blacklist: 192.0.2.99 is not blacklisted (HTTP 404)\n',
  );
  t.assert.deepEqual(admin.fraud.calls, [
    'block 192.0.2.1 5',
    'promote 192.0.2.1',
    'allow 2001:db8::/32',
    'disallow 2001:db8::/32',
    'disallow 198.51.100.0/24',
    'unblock 192.0.2.99',
  ]);
});

test('a config without an admin section is named as the problem', async (t) => {
  const file = await configFile(t, 'stun:\n');
  const result = await runHere(runBlacklist, ['list', '--config', file]);
  t.assert.equal(result.code, 1);
  t.assert.equal(
    result.stderr,
    `pbxgate blacklist: ${file} has no admin: section, so the gateway runs no admin API\n`,
  );
});

test('failures are one clear line: wrong password, bad input, no password; usage errors throw', async (t) => {
  const admin = await startAdmin(t);
  const at = ['--admin', admin.baseUrl];
  const wrong = await runHere(runWhitelist, ['list', ...at], 'nope');
  t.assert.equal(wrong.code, 1);
  t.assert.equal(
    wrong.stderr,
    `pbxgate whitelist: ${admin.baseUrl} refused user "admin": wrong user name or password (the password comes from PBXGATE_ADMIN_PASSWORD)\n`,
  );
  const badIp = await runHere(runBlacklist, ['add', 'pbx.example.com', ...at]);
  t.assert.equal(badIp.code, 1);
  t.assert.match(badIp.stderr, /^pbxgate blacklist: ip: expected an IP address .* \(HTTP 400\)\n$/);
  const noPassword = await runHere(runBlacklist, ['list', ...at], null);
  t.assert.equal(noPassword.code, 1);
  t.assert.match(noPassword.stderr, /^pbxgate blacklist: set PBXGATE_ADMIN_PASSWORD/);
  for (const args of [
    ['remove'],
    ['list', 'extra'],
    ['drop', '192.0.2.1'],
    ['remove', '192.0.2.1', '--minutes', '5'],
    ['add', '192.0.2.1', '--minutes', 'soon'],
    ['list', '--admin', 'ftp://host'],
  ]) {
    await t.assert.rejects(
      runHere(runBlacklist, [...args, ...(args.includes('--admin') ? [] : at)]),
      {
        code: 'PBX_ERR_USAGE',
      },
    );
  }
  t.assert.deepEqual(admin.fraud.calls, []);
});
