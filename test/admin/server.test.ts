import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ADMIN_BODY_LIMIT_BYTES } from '../../src/admin/server.ts';
import type { FraudDetection } from '../../src/fraud/fraud.ts';
import { createLogger } from '../../src/observe/log.ts';
import { createFakeFraud } from './fake-fraud.ts';
import { errorOf, startAdmin } from './start-admin.ts';

test('GET /metrics is the Prometheus text of the registry', async (t) => {
  const admin = await startAdmin(t);
  const response = await admin.request('GET', '/metrics');
  t.assert.equal(response.status, 200);
  t.assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  t.assert.match(text, /^# HELP pbxgate_/m);
  t.assert.match(text, /^pbxgate_suspicious_events_total\{reason="test"\} 1$/m);
});

test('GET /api/status is what the status callback returns', async (t) => {
  const admin = await startAdmin(t, { deps: { status: () => ({ uptimeSeconds: 42 }) } });
  const response = await admin.request('GET', '/api/status');
  t.assert.deepEqual(await response.json(), { uptimeSeconds: 42 });
});

test('an unknown route is a JSON 404 once logged in', async (t) => {
  const admin = await startAdmin(t);
  const response = await admin.request('GET', '/api/nothing?x=1');
  t.assert.equal(response.status, 404);
  t.assert.deepEqual(await errorOf(response), {
    code: 'not-found',
    message: 'no route GET /api/nothing',
  });
});

test('bodies must be small JSON: too large is 413, other types 415, broken JSON 400', async (t) => {
  const admin = await startAdmin(t);
  const json = { 'content-type': 'application/json' };
  const large = await admin.request('POST', '/api/fraud/whitelist', {
    body: JSON.stringify({ cidr: 'x'.repeat(ADMIN_BODY_LIMIT_BYTES) }),
    headers: json,
  });
  t.assert.equal(large.status, 413);
  t.assert.equal((await errorOf(large)).code, 'payload-too-large');
  for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
    const other = await admin.request('POST', '/api/fraud/whitelist', {
      body: 'cidr=10.0.0.0/8',
      headers: { 'content-type': type },
    });
    t.assert.equal(other.status, 415, type);
    t.assert.equal((await errorOf(other)).code, 'unsupported-media-type');
  }
  const broken = await admin.request('POST', '/api/fraud/whitelist', {
    body: '{"cidr":',
    headers: json,
  });
  t.assert.equal(broken.status, 400);
  t.assert.equal((await errorOf(broken)).code, 'bad-request');
  t.assert.deepEqual(admin.fraud.calls, []);
});

test('a bug in a handler is a 500 without a stack trace, and the server keeps serving', async (t) => {
  const fraud: FraudDetection = {
    ...createFakeFraud(),
    snapshot: () => {
      throw new Error('secret internal detail');
    },
  };
  const admin = await startAdmin(t, { fraud });
  const response = await admin.request('GET', '/api/fraud');
  t.assert.equal(response.status, 500);
  const text = await response.text();
  t.assert.deepEqual(JSON.parse(text), {
    error: { code: 'internal-error', message: 'internal error (see the gateway log)' },
  });
  t.assert.doesNotMatch(text, /secret|at |\.ts/);
  t.assert.equal((await admin.request('GET', '/api/status')).status, 200);
});

test('a malformed URL is a JSON 400', async (t) => {
  const admin = await startAdmin(t);
  const response = await admin.request('DELETE', '/api/fraud/whitelist/%zz');
  t.assert.equal(response.status, 400);
  t.assert.equal((await errorOf(response)).code, 'bad-request');
});

test('stop closes the listener, also with a keep-alive connection open', async (t) => {
  const admin = await startAdmin(t);
  t.assert.equal((await admin.request('GET', '/api/status')).status, 200);
  await admin.server.stop();
  await t.assert.rejects(admin.request('GET', '/api/status'));
});

test('requests are logged at debug level only; info has the listen line and failed logins', async (t) => {
  const lines: { level: number; msg: string; part?: string; status?: number }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination: stream });
  const admin = await startAdmin(t, { deps: { log } });
  await admin.request('GET', '/api/status');
  await admin.request('GET', '/api/status', { auth: ['admin', 'wrong'] });
  await admin.server.stop();
  const info = lines.filter((line) => line.level >= 30).map((line) => line.msg);
  t.assert.deepEqual(info, ['admin listening', 'admin login failed']);
  const requests = lines.filter((line) => line.msg === 'admin request');
  t.assert.deepEqual(
    requests.map((line) => [line.level, line.part, line.status]),
    [
      [20, 'admin', 200],
      [20, 'admin', 401],
    ],
  );
  t.assert.doesNotMatch(JSON.stringify(lines), /correct horse|wrong"/);
});
