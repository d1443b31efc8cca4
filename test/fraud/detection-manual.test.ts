import { join } from 'node:path';
import { test } from 'node:test';
import { createFraudDetection } from '../../src/fraud/detection.ts';
import { PbxgateError } from '../../src/errors.ts';
import { createMetrics } from '../../src/observe/metrics.ts';
import {
  captureLog,
  fakeClock,
  fraudOptions,
  metricValue,
  MINUTE,
  setupFraud as setup,
  tempDir,
} from './helpers.ts';

test('manual entries: block with and without expiry, unblock', async (t) => {
  const { fraud, clock, metrics } = await setup(t);
  const timed = fraud.block('192.0.2.1');
  t.assert.deepEqual(timed, {
    key: '192.0.2.1',
    reason: 'manual',
    since: clock(),
    until: clock() + 60 * MINUTE,
    manual: true,
  });
  t.assert.equal(fraud.block('192.0.2.2', { minutes: 0, reason: 'abuse report' }).until, undefined);
  t.assert.equal(fraud.block('2001:db8::1', { minutes: 5 }).key, '2001:db8::/64');
  t.assert.equal(fraud.isBlocked('2001:db8::99'), true);
  t.assert.throws(() => fraud.block('not-an-ip'), PbxgateError);
  t.assert.throws(() => fraud.block('192.0.2.3', { minutes: -1 }), PbxgateError);
  t.assert.equal(fraud.unblock('2001:db8::/64'), true);
  t.assert.equal(fraud.unblock('192.0.2.1'), true);
  t.assert.equal(fraud.unblock('192.0.2.1'), false);
  t.assert.equal(fraud.unblock('garbage'), false);
  t.assert.equal(fraud.isBlocked('192.0.2.1'), false);
  clock.advance(1000 * MINUTE);
  t.assert.equal(fraud.isBlocked('192.0.2.2'), true);
  t.assert.equal(
    await metricValue(metrics, 'pbxgate_fraud_blacklistings_total', { kind: 'manual' }),
    3,
  );
});

test('promote turns a blacklist entry into a whitelist entry; allow and disallow manage CIDRs', async (t) => {
  const { fraud } = await setup(t, { whitelist: ['203.0.113.0/24'] });
  for (let i = 0; i < 3; i++) fraud.suspicious('2001:db8:5:6::1', 'sip.forbidden');
  t.assert.deepEqual(fraud.promote('2001:db8:5:6::1'), {
    cidr: '2001:db8:5:6::/64',
    source: 'manual',
  });
  t.assert.equal(fraud.isBlocked('2001:db8:5:6::1'), false);
  for (let i = 0; i < 10; i++) fraud.suspicious('2001:db8:5:6::1', 'sip.forbidden');
  t.assert.equal(fraud.isBlocked('2001:db8:5:6::1'), false);

  fraud.block('10.1.2.3');
  fraud.block('10.9.9.9');
  t.assert.deepEqual(fraud.allow('10.1.0.0/16'), { cidr: '10.1.0.0/16', source: 'manual' });
  t.assert.deepEqual(
    fraud.snapshot().blacklist.map((e) => e.key),
    ['10.9.9.9'],
  );
  t.assert.throws(() => fraud.allow('10.1.0.0/33'), PbxgateError);
  t.assert.deepEqual(fraud.snapshot().whitelist, [
    { cidr: '203.0.113.0/24', source: 'config' },
    { cidr: '2001:db8:5:6::/64', source: 'manual' },
    { cidr: '10.1.0.0/16', source: 'manual' },
  ]);
  t.assert.equal(fraud.disallow('203.0.113.0/24'), false);
  t.assert.equal(fraud.disallow('10.1.0.0/16'), true);
  t.assert.equal(fraud.disallow('10.1.0.0/16'), false);
  for (let i = 0; i < 3; i++) fraud.suspicious('10.1.2.3', 'http.backend-401');
  t.assert.equal(fraud.isBlocked('10.1.2.3'), true);
});

test('onChange listeners see every change; a throwing listener harms nothing', async (t) => {
  const { fraud, lines } = await setup(t);
  const seen: number[] = [];
  fraud.onChange(() => {
    throw new Error('listener bug');
  });
  fraud.onChange((snapshot) =>
    seen.push(snapshot.blacklist.length + 10 * snapshot.whitelist.length),
  );
  fraud.block('192.0.2.1');
  fraud.allow('198.51.100.0/24');
  fraud.allow('198.51.100.0/24'); // already there: no change
  fraud.unblock('192.0.2.1');
  fraud.unblock('192.0.2.1'); // nothing to remove: no change
  fraud.disallow('198.51.100.0/24');
  t.assert.deepEqual(seen, [1, 11, 10, 0]);
  t.assert.equal(lines.filter((l) => l['msg'] === 'a fraud onChange listener threw').length, 4);
});

test('a restart keeps blacklist and manual whitelist entries, re-keyed to a new prefix', async (t) => {
  const dir = await tempDir(t);
  const clock = fakeClock();
  const first = await setup(t, {}, { dir, clock });
  for (let i = 0; i < 3; i++) first.fraud.suspicious('192.0.2.7', 'http.backend-401');
  first.fraud.block('2001:db8:1:2::1', { minutes: 0 });
  first.fraud.allow('198.51.100.0/24');
  await first.fraud.stop();

  const second = await setup(t, { ipv6Prefix: 48 }, { dir, clock });
  t.assert.equal(second.fraud.isBlocked('192.0.2.7'), true);
  t.assert.equal(second.fraud.isBlocked('2001:db8:1:ffff::1'), true);
  t.assert.deepEqual(second.fraud.snapshot(), {
    blacklist: [
      {
        key: '192.0.2.7',
        reason: 'http.backend-401',
        since: clock(),
        until: clock() + 60 * MINUTE,
        manual: false,
      },
      { key: '2001:db8:1::/48', reason: 'manual', since: clock(), until: undefined, manual: true },
    ],
    whitelist: [{ cidr: '198.51.100.0/24', source: 'manual' }],
  });
  await second.fraud.stop();

  clock.advance(60 * MINUTE);
  const third = await setup(t, { whitelist: ['2001:db8::/32'] }, { dir, clock });
  t.assert.equal(third.fraud.isBlocked('192.0.2.7'), false);
  t.assert.deepEqual(third.fraud.snapshot().blacklist, []);
});

test('events before start are kept and merged with the stored entries', async (t) => {
  const dir = await tempDir(t);
  const clock = fakeClock();
  const first = await setup(t, {}, { dir, clock });
  first.fraud.block('192.0.2.1');
  await first.fraud.stop();

  const metrics = createMetrics({ defaultMetrics: false });
  const options = fraudOptions(join(dir, 'fraud.json'));
  const early = createFraudDetection(options, { log: captureLog().log, metrics, now: clock });
  for (let i = 0; i < 3; i++) early.suspicious('192.0.2.2', 'sip.forbidden');
  await early.start();
  await early.stop();
  const later = await setup(t, {}, { dir, clock });
  t.assert.deepEqual(
    later.fraud
      .snapshot()
      .blacklist.map((e) => e.key)
      .sort(),
    ['192.0.2.1', '192.0.2.2'],
  );
});
