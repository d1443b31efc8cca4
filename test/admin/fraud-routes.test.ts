import { test } from 'node:test';
import { errorOf, startAdmin } from './start-admin.ts';

const NOW = 1_700_000_000_000;

test('GET /api/fraud lists both lists, with until as null for entries without expiry', async (t) => {
  const admin = await startAdmin(t);
  admin.fraud.block('192.0.2.7', { minutes: 0, reason: 'sip.forbidden' });
  const response = await admin.request('GET', '/api/fraud');
  t.assert.equal(response.status, 200);
  t.assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  t.assert.deepEqual(await response.json(), {
    blacklist: [
      { key: '192.0.2.7', reason: 'sip.forbidden', since: NOW, until: null, manual: true },
    ],
    whitelist: [
      { cidr: '192.0.2.10', source: 'config' },
      { cidr: '198.51.100.0/24', source: 'config' },
    ],
  });
});

test('POST /api/fraud/blacklist adds an entry, with the default or the given minutes', async (t) => {
  const admin = await startAdmin(t);
  const added = await admin.request('POST', '/api/fraud/blacklist', {
    json: { ip: '192.0.2.1', minutes: 5 },
  });
  t.assert.equal(added.status, 201);
  t.assert.deepEqual(await added.json(), {
    key: '192.0.2.1',
    reason: 'manual',
    since: NOW,
    until: NOW + 5 * 60_000,
    manual: true,
  });
  const byDefault = await admin.request('POST', '/api/fraud/blacklist', {
    json: { ip: '2001:db8::1' },
  });
  t.assert.equal(byDefault.status, 201);
  const forever = await admin.request('POST', '/api/fraud/blacklist', {
    json: { ip: '192.0.2.2', minutes: 0 },
  });
  t.assert.equal(((await forever.json()) as { until: unknown }).until, null);
  t.assert.deepEqual(admin.fraud.calls, [
    'block 192.0.2.1 5',
    'block 2001:db8::1 undefined',
    'block 192.0.2.2 0',
  ]);
});

const badBlocks: [string, unknown, RegExp][] = [
  ['a host name', { ip: 'pbx.example.com' }, /^ip: expected an IP address/],
  ['a short IPv4 form', { ip: '127.1' }, /^ip: expected an IP address/],
  ['a CIDR', { ip: '192.0.2.0/24' }, /^ip: expected an IP address/],
  ['no ip', { minutes: 5 }, /^ip: is required$/],
  ['negative minutes', { ip: '192.0.2.1', minutes: -1 }, /^minutes: expected a whole number/],
  ['fractional minutes', { ip: '192.0.2.1', minutes: 1.5 }, /^minutes: expected a whole number/],
  ['minutes as text', { ip: '192.0.2.1', minutes: '5' }, /^minutes: expected a whole number/],
  [
    'an unknown key',
    { ip: '192.0.2.1', minutez: 5 },
    /^minutez: unknown key \(did you mean minutes\?\)$/,
  ],
  ['a list', ['192.0.2.1'], /^body: expected a JSON object/],
  ['null', null, /^body: expected a JSON object/],
];

for (const [name, json, message] of badBlocks) {
  test(`POST /api/fraud/blacklist with ${name} is 400 and changes nothing`, async (t) => {
    const admin = await startAdmin(t);
    const response = await admin.request('POST', '/api/fraud/blacklist', { json });
    t.assert.equal(response.status, 400);
    const error = await errorOf(response);
    t.assert.equal(error.code, 'bad-request');
    t.assert.match(error.message, message);
    t.assert.deepEqual(admin.fraud.calls, []);
  });
}

test('DELETE /api/fraud/blacklist/:ip removes an entry (204), then 404; bad input 400', async (t) => {
  const admin = await startAdmin(t);
  admin.fraud.block('192.0.2.1');
  const removed = await admin.request('DELETE', '/api/fraud/blacklist/192.0.2.1');
  t.assert.equal(removed.status, 204);
  t.assert.equal(await removed.text(), '');
  const again = await admin.request('DELETE', '/api/fraud/blacklist/192.0.2.1');
  t.assert.equal(again.status, 404);
  t.assert.deepEqual(await errorOf(again), {
    code: 'not-found',
    message: '192.0.2.1 is not blacklisted',
  });
  const bad = await admin.request('DELETE', '/api/fraud/blacklist/not-an-ip');
  t.assert.equal(bad.status, 400);
  t.assert.match((await errorOf(bad)).message, /^ip: expected an IP address or a CIDR/);
});

test('an IPv6 /64 entry key is removed through its URL-encoded form', async (t) => {
  const admin = await startAdmin(t);
  admin.fraud.block('2001:db8:1:2::/64');
  const path = `/api/fraud/blacklist/${encodeURIComponent('2001:db8:1:2::/64')}`;
  t.assert.equal((await admin.request('DELETE', path)).status, 204);
  t.assert.deepEqual(admin.fraud.calls.at(-1), 'unblock 2001:db8:1:2::/64');
});

test('POST /api/fraud/blacklist/:ip/promote turns the entry into a manual whitelist entry', async (t) => {
  const admin = await startAdmin(t);
  admin.fraud.block('192.0.2.1');
  const promoted = await admin.request('POST', '/api/fraud/blacklist/192.0.2.1/promote');
  t.assert.equal(promoted.status, 200);
  t.assert.deepEqual(await promoted.json(), { cidr: '192.0.2.1', source: 'manual' });
  t.assert.equal(admin.fraud.isBlocked('192.0.2.1'), false);
  const bad = await admin.request('POST', '/api/fraud/blacklist/192.0.2.999/promote');
  t.assert.equal(bad.status, 400);
  t.assert.deepEqual(admin.fraud.calls, ['block 192.0.2.1 undefined', 'promote 192.0.2.1']);
});

test('POST /api/fraud/whitelist adds an address or a CIDR; bad input is 400', async (t) => {
  const admin = await startAdmin(t);
  for (const cidr of ['203.0.113.0/24', '2001:db8::/32', '203.0.113.9']) {
    const response = await admin.request('POST', '/api/fraud/whitelist', { json: { cidr } });
    t.assert.equal(response.status, 201);
    t.assert.deepEqual(await response.json(), { cidr, source: 'manual' });
  }
  for (const json of [{ cidr: '10.0.0.0/33' }, { cidr: 'example.com' }, { ip: '10.0.0.1' }, {}]) {
    const response = await admin.request('POST', '/api/fraud/whitelist', { json });
    t.assert.equal(response.status, 400, JSON.stringify(json));
    t.assert.equal((await errorOf(response)).code, 'bad-request');
  }
  t.assert.equal(admin.fraud.calls.length, 3);
});

test('DELETE /api/fraud/whitelist/:cidr removes a manual entry; a config entry is 409; unknown 404', async (t) => {
  const admin = await startAdmin(t);
  admin.fraud.allow('203.0.113.0/24');
  const removed = await admin.request('DELETE', '/api/fraud/whitelist/203.0.113.0%2F24');
  t.assert.equal(removed.status, 204);
  const fromConfig = await admin.request('DELETE', '/api/fraud/whitelist/198.51.100.0%2F24');
  t.assert.equal(fromConfig.status, 409);
  t.assert.deepEqual(await errorOf(fromConfig), {
    code: 'config-entry',
    message: '198.51.100.0/24 comes from the config file (fraud.whitelist): remove it there',
  });
  const unknown = await admin.request('DELETE', '/api/fraud/whitelist/203.0.113.0%2F24');
  t.assert.equal(unknown.status, 404);
  const bad = await admin.request('DELETE', '/api/fraud/whitelist/203.0.113.0%2F99');
  t.assert.equal(bad.status, 400);
  t.assert.match((await errorOf(bad)).message, /^cidr: expected an IP address or a CIDR/);
});

test('without fraud detection every /api/fraud route is 404 fraud-not-configured', async (t) => {
  const admin = await startAdmin(t, { fraud: null });
  for (const [method, path] of [
    ['GET', '/api/fraud'],
    ['POST', '/api/fraud/blacklist'],
    ['DELETE', '/api/fraud/blacklist/192.0.2.1'],
    ['POST', '/api/fraud/blacklist/192.0.2.1/promote'],
    ['POST', '/api/fraud/whitelist'],
    ['DELETE', '/api/fraud/whitelist/192.0.2.0%2F24'],
  ] as const) {
    const response = await admin.request(method, path);
    t.assert.equal(response.status, 404, `${method} ${path}`);
    t.assert.equal((await errorOf(response)).code, 'fraud-not-configured');
  }
  const status = await admin.request('GET', '/api/status');
  t.assert.equal(status.status, 200);
});
