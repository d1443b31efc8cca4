// A worker's copy of the fraud lists: enforced locally, replaced by the primary's pushes, expiring
// on its own; events are batched to the primary once per loop turn.
import { test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { MAX_EVENTS_PER_BATCH, createFraudMirror } from '../../src/cluster/fraud-mirror.ts';

const rules = {
  suspiciousPerMinute: 3,
  blacklistMinutes: 10,
  ipv6Prefix: 64,
  whitelist: ['192.0.2.128/25'],
};

test('the pushed lists decide; an entry expires without a push', (t) => {
  let now = 1_000_000;
  const mirror = createFraudMirror(rules, {
    send: () => undefined,
    registry: new Registry(),
    now: () => now,
  });
  t.assert.equal(mirror.isBlocked('192.0.2.1'), false);
  mirror.replace({
    blacklist: [
      { key: '192.0.2.1', reason: 'http.x', since: now, until: now + 60_000, manual: false },
      { key: '2001:db8::/64', reason: 'manual', since: now, until: undefined, manual: true },
    ],
    whitelist: [],
  });
  t.assert.equal(mirror.isBlocked('192.0.2.1'), true);
  t.assert.equal(mirror.isBlocked('2001:db8::42'), true, 'IPv6 by its /64');
  t.assert.equal(mirror.isBlocked('192.0.2.2'), false);
  now += 60_000;
  t.assert.equal(mirror.isBlocked('192.0.2.1'), false, 'expired');
  mirror.replace({ blacklist: [], whitelist: [] });
  t.assert.equal(mirror.isBlocked('2001:db8::42'), false, 'removed by the primary');
});

test('the worker never counts: every event goes to the primary, batched', async (t) => {
  const batches: (readonly (readonly [string, string])[])[] = [];
  const mirror = createFraudMirror(rules, {
    send: (events) => batches.push(events),
    registry: new Registry(),
  });
  for (let i = 0; i < 10; i++) mirror.suspicious('192.0.2.7', 'proxy.unknown-service');
  t.assert.equal(mirror.isBlocked('192.0.2.7'), false, 'the primary decides');
  t.assert.equal(batches.length, 0, 'not sent inline');
  await turn();
  t.assert.equal(batches.length, 1);
  t.assert.equal(batches[0]?.length, 10);
});

test('a flood beyond one batch per turn is counted as dropped', async (t) => {
  let sent = 0;
  const mirror = createFraudMirror(rules, {
    send: (events) => (sent += events.length),
    registry: new Registry(),
  });
  for (let i = 0; i < MAX_EVENTS_PER_BATCH + 7; i++) mirror.suspicious('192.0.2.8', 'x');
  await turn();
  t.assert.equal(sent, MAX_EVENTS_PER_BATCH);
  t.assert.equal(mirror.dropped, 7);
});
