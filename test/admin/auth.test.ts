import { test } from 'node:test';
import { AUTH_CHALLENGE, readBasicCredentials } from '../../src/admin/auth.ts';
import { MAX_FAILED_LOGINS_PER_MINUTE } from '../../src/admin/login-backoff.ts';
import { createAdminServer } from '../../src/admin/server.ts';
import { PbxgateError } from '../../src/errors.ts';
import { createLogger } from '../../src/observe/log.ts';
import { createMetrics } from '../../src/observe/metrics.ts';
import { ADMIN_PASSWORD, ADMIN_USER, adminHash, errorOf, startAdmin } from './start-admin.ts';

const routes = [
  ['GET', '/metrics'],
  ['GET', '/api/status'],
  ['GET', '/api/fraud'],
  ['POST', '/api/fraud/blacklist'],
  ['DELETE', '/api/fraud/blacklist/192.0.2.1'],
  ['POST', '/api/fraud/blacklist/192.0.2.1/promote'],
  ['POST', '/api/fraud/whitelist'],
  ['DELETE', '/api/fraud/whitelist/192.0.2.0%2F24'],
  ['GET', '/no/such/route'],
] as const;

test('every route answers 401 with a Basic challenge when no credentials are sent', async (t) => {
  const admin = await startAdmin(t);
  for (const [method, path] of routes) {
    const json = method === 'POST' ? { ip: '192.0.2.1', cidr: '192.0.2.1' } : undefined;
    const response = await admin.request(method, path, { auth: null, json });
    t.assert.equal(response.status, 401, `${method} ${path}`);
    t.assert.equal(response.headers.get('www-authenticate'), AUTH_CHALLENGE);
    t.assert.equal((await errorOf(response)).code, 'unauthorized');
  }
  t.assert.deepEqual(admin.fraud.calls, [], 'nothing reached fraud detection');
  t.assert.deepEqual(admin.events, [], 'asking for the challenge is not suspicious');
});

test('a wrong password or unknown user is 401 and a suspicious event for the client', async (t) => {
  const admin = await startAdmin(t);
  for (const auth of [
    [ADMIN_USER, 'wrong'],
    ['root', ADMIN_PASSWORD],
  ] as const) {
    const response = await admin.request('GET', '/api/status', { auth });
    t.assert.equal(response.status, 401);
    t.assert.equal(response.headers.get('www-authenticate'), AUTH_CHALLENGE);
    t.assert.deepEqual(await errorOf(response), {
      code: 'unauthorized',
      message: 'wrong user name or password',
    });
  }
  const malformed = await admin.request('GET', '/api/status', {
    auth: null,
    headers: { authorization: 'Bearer abc' },
  });
  t.assert.equal(malformed.status, 401);
  t.assert.deepEqual(admin.events, [
    { ip: '127.0.0.1', reason: 'admin.bad-credentials' },
    { ip: '127.0.0.1', reason: 'admin.bad-credentials' },
    { ip: '127.0.0.1', reason: 'admin.malformed-authorization' },
  ]);
});

test('the right credentials work, again and again (cached), with security headers', async (t) => {
  const admin = await startAdmin(t);
  for (let i = 0; i < 3; i++) {
    const response = await admin.request('GET', '/api/status');
    t.assert.equal(response.status, 200);
    t.assert.deepEqual(await response.json(), { version: 'test', parts: ['admin'] });
    t.assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    t.assert.equal(response.headers.get('x-frame-options'), 'DENY');
    t.assert.equal(response.headers.get('cache-control'), 'no-store');
    t.assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  }
  t.assert.deepEqual(admin.events, []);
});

test(`after ${MAX_FAILED_LOGINS_PER_MINUTE} failed logins in a minute the client gets 429, even with the right password`, async (t) => {
  const admin = await startAdmin(t);
  for (let i = 0; i < MAX_FAILED_LOGINS_PER_MINUTE; i++) {
    const response = await admin.request('GET', '/api/status', { auth: [ADMIN_USER, `guess${i}`] });
    t.assert.equal(response.status, 401);
  }
  const blocked = await admin.request('GET', '/api/status');
  t.assert.equal(blocked.status, 429);
  const retryAfter = Number(blocked.headers.get('retry-after'));
  t.assert.equal(retryAfter > 0 && retryAfter <= 60, true, `retry-after ${retryAfter}`);
  t.assert.equal((await errorOf(blocked)).code, 'too-many-attempts');
  t.assert.equal(admin.events.length, MAX_FAILED_LOGINS_PER_MINUTE);
});

test('the backoff ends when the failures are a minute old', async (t) => {
  let clock = 1_000_000;
  const admin = await startAdmin(t, { deps: { now: () => clock } });
  for (let i = 0; i < MAX_FAILED_LOGINS_PER_MINUTE; i++)
    await admin.request('GET', '/api/status', { auth: [ADMIN_USER, 'wrong'] });
  t.assert.equal((await admin.request('GET', '/api/status')).status, 429);
  clock += 60_000;
  t.assert.equal((await admin.request('GET', '/api/status')).status, 200);
});

test('a request with a foreign Origin is refused before any login', async (t) => {
  const admin = await startAdmin(t);
  const foreign = await admin.request('POST', '/api/fraud/blacklist', {
    json: { ip: '192.0.2.1' },
    headers: { origin: 'http://evil.example' },
  });
  t.assert.equal(foreign.status, 403);
  t.assert.equal((await errorOf(foreign)).code, 'cross-origin');
  const crossSite = await admin.request('GET', '/api/fraud', {
    headers: { 'sec-fetch-site': 'cross-site' },
  });
  t.assert.equal(crossSite.status, 403);
  const own = await admin.request('GET', '/api/fraud', {
    headers: { origin: admin.baseUrl },
  });
  t.assert.equal(own.status, 200);
  t.assert.deepEqual(admin.fraud.calls, []);
});

test('with no users the admin server refuses to start (the API always needs a login)', async (t) => {
  const deps = {
    log: createLogger({ level: 'silent', pretty: false }),
    metrics: createMetrics({ defaultMetrics: false }),
    fraud: undefined,
    suspicious: () => undefined,
    status: () => ({}),
  };
  const listen = { host: '127.0.0.1', port: 0 };
  t.assert.throws(
    () => createAdminServer({ listen, users: [] }, deps),
    (err: unknown) =>
      err instanceof PbxgateError && err.code === 'PBX_ERR_CONFIG' && /no users/.test(err.message),
  );
  t.assert.throws(
    () => createAdminServer({ listen, users: [{ name: 'a', passwordHash: 'scrypt:x' }] }, deps),
    (err: unknown) => err instanceof PbxgateError && err.code === 'PBX_ERR_CONFIG',
  );
  const passwordHash = await adminHash();
  t.assert.throws(
    () =>
      createAdminServer(
        {
          listen,
          users: [
            { name: 'a', passwordHash },
            { name: 'a', passwordHash },
          ],
        },
        deps,
      ),
    (err: unknown) => err instanceof PbxgateError && err.code === 'PBX_ERR_CONFIG',
  );
});

test('a port in use is one PBX_ERR_LISTEN error naming the address', async (t) => {
  const admin = await startAdmin(t);
  const { port } = admin.server.address();
  const second = createAdminServer(
    {
      listen: { host: '127.0.0.1', port },
      users: [{ name: 'a', passwordHash: await adminHash() }],
    },
    {
      log: createLogger({ level: 'silent', pretty: false }),
      metrics: createMetrics({ defaultMetrics: false }),
      fraud: undefined,
      suspicious: () => undefined,
      status: () => ({}),
    },
  );
  await t.assert.rejects(second.start(), {
    code: 'PBX_ERR_LISTEN',
    message: `cannot listen on http://127.0.0.1:${port} (admin): address already in use`,
  });
});

test('Basic credentials are read per RFC 7617: the password may hold colons, the user may not be empty', (t) => {
  const encode = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;
  t.assert.deepEqual(readBasicCredentials(encode('admin:a:b')), { name: 'admin', password: 'a:b' });
  t.assert.deepEqual(readBasicCredentials(`basic  ${Buffer.from('u:p').toString('base64')}`), {
    name: 'u',
    password: 'p',
  });
  t.assert.equal(readBasicCredentials(encode(':secret')), undefined);
  t.assert.equal(readBasicCredentials(encode('no-colon')), undefined);
  t.assert.equal(readBasicCredentials('Basic'), undefined);
  t.assert.equal(readBasicCredentials('Basic %%%'), undefined);
  t.assert.equal(readBasicCredentials('Digest x'), undefined);
});
