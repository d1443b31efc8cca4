import { test } from 'node:test';
import type { FraudSnapshot } from '../../src/fraud/fraud.ts';
import { PbxgateError } from '../../src/errors.ts';
import { eventually, fakeClock, metricValue, MINUTE, setupFraud as setup } from './helpers.ts';

test('the Nth suspicious event within a minute blacklists the IP, with one log line', async (t) => {
  const { fraud, clock, lines, metrics } = await setup(t);
  fraud.suspicious('192.0.2.7', 'http.backend-401');
  clock.advance(20_000);
  fraud.suspicious('192.0.2.7', 'http.backend-401');
  t.assert.equal(fraud.isBlocked('192.0.2.7'), false);
  clock.advance(20_000);
  fraud.suspicious('192.0.2.7', 'sip.forbidden');
  t.assert.equal(fraud.isBlocked('192.0.2.7'), true);
  t.assert.equal(fraud.isBlocked('::ffff:192.0.2.7'), true);
  t.assert.equal(fraud.isBlocked('192.0.2.8'), false);
  const until = clock() + 60 * MINUTE;
  t.assert.deepEqual(fraud.snapshot().blacklist, [
    { key: '192.0.2.7', reason: 'sip.forbidden', since: clock(), until, manual: false },
  ]);
  const logged = lines.filter((l) => l['msg'] === 'blacklisted');
  t.assert.equal(logged.length, 1);
  t.assert.deepEqual(logged[0], {
    ...logged[0],
    part: 'fraud',
    remoteIp: '192.0.2.7',
    key: '192.0.2.7',
    reason: 'sip.forbidden',
    until: new Date(until).toISOString(),
  });
  for (let i = 0; i < 5; i++) fraud.suspicious('192.0.2.7', 'http.backend-401');
  t.assert.equal(lines.filter((l) => l['msg'] === 'blacklisted').length, 1);
  t.assert.equal(
    await metricValue(metrics, 'pbxgate_fraud_blacklistings_total', { kind: 'auto' }),
    1,
  );
  t.assert.equal(await metricValue(metrics, 'pbxgate_fraud_blacklisted'), 1);
});

test('events spread over more than a minute do not blacklist', async (t) => {
  const { fraud, clock } = await setup(t);
  for (let i = 0; i < 10; i++) {
    fraud.suspicious('192.0.2.7', 'ldap.invalid-credentials');
    clock.advance(30_000);
  }
  t.assert.equal(fraud.isBlocked('192.0.2.7'), false);
});

test('IPv6 clients are counted and blocked per /64', async (t) => {
  const { fraud } = await setup(t);
  fraud.suspicious('2001:db8:1:2::a', 'sip.forbidden');
  fraud.suspicious('2001:db8:1:2::b', 'sip.forbidden');
  fraud.suspicious('2001:db8:1:2:ffff::c', 'sip.forbidden');
  t.assert.equal(fraud.isBlocked('2001:db8:1:2:1234::1'), true);
  t.assert.equal(fraud.isBlocked('2001:db8:1:3::a'), false);
  t.assert.deepEqual(
    fraud.snapshot().blacklist.map((e) => e.key),
    ['2001:db8:1:2::/64'],
  );
});

test('the configured prefix length is used for IPv6 keys', async (t) => {
  const { fraud } = await setup(t, { ipv6Prefix: 48 });
  for (const ip of ['2001:db8:1:1::1', '2001:db8:1:2::1', '2001:db8:1:3::1'])
    fraud.suspicious(ip, 'sip.forbidden');
  t.assert.equal(fraud.isBlocked('2001:db8:1:ffff::1'), true);
  t.assert.deepEqual(
    fraud.snapshot().blacklist.map((e) => e.key),
    ['2001:db8:1::/48'],
  );
});

test('whitelisted addresses are never counted nor blocked, even by hand', async (t) => {
  const whitelist = ['198.51.100.0/24', '2001:db8:1:2::5'];
  const { fraud } = await setup(t, { whitelist });
  for (let i = 0; i < 100; i++) {
    fraud.suspicious('198.51.100.9', 'http.backend-401');
    fraud.suspicious('::ffff:198.51.100.10', 'http.backend-401');
  }
  t.assert.equal(fraud.isBlocked('198.51.100.9'), false);
  t.assert.deepEqual(fraud.snapshot().blacklist, []);
  t.assert.throws(
    () => fraud.block('198.51.100.9'),
    (err) => err instanceof PbxgateError && err.code === 'PBX_ERR_USAGE',
  );
  // Its /64 can be blocked, but the whitelisted address in it still passes.
  for (let i = 0; i < 3; i++) fraud.suspicious('2001:db8:1:2::6', 'sip.forbidden');
  t.assert.equal(fraud.isBlocked('2001:db8:1:2::6'), true);
  t.assert.equal(fraud.isBlocked('2001:db8:1:2::5'), false);
});

test('an entry stops blocking at its expiry, before the sweep; the sweep removes it and tells', async (t) => {
  const clock = fakeClock();
  const { fraud } = await setup(t, { blacklistMinutes: 2 }, { clock, sweepEveryMs: 10 });
  const changes: FraudSnapshot[] = [];
  fraud.onChange((snapshot) => changes.push(snapshot));
  for (let i = 0; i < 3; i++) fraud.suspicious('192.0.2.7', 'http.backend-401');
  t.assert.equal(changes.length, 1);
  clock.advance(2 * MINUTE - 1);
  t.assert.equal(fraud.isBlocked('192.0.2.7'), true);
  clock.advance(1);
  t.assert.equal(fraud.isBlocked('192.0.2.7'), false);
  t.assert.deepEqual(fraud.snapshot().blacklist, []);
  await eventually(() => changes.length === 2);
  t.assert.deepEqual(changes[1]?.blacklist, []);
});

test('countRefused counts refusals in the metric', async (t) => {
  const { fraud, metrics } = await setup(t);
  fraud.countRefused();
  fraud.countRefused();
  t.assert.equal(await metricValue(metrics, 'pbxgate_fraud_refused_total'), 2);
});
