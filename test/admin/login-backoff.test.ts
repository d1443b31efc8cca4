import { test } from 'node:test';
import {
  MAX_FAILED_LOGINS_PER_MINUTE,
  backoffKey,
  clientIp,
  createLoginBackoff,
} from '../../src/admin/login-backoff.ts';

test('a client may fail a few times; at the limit it waits until the first failure is a minute old', (t) => {
  let clock = 1_000_000;
  const backoff = createLoginBackoff({ now: () => clock });
  for (let i = 0; i < MAX_FAILED_LOGINS_PER_MINUTE; i++) {
    t.assert.equal(backoff.retryAfterMs('192.0.2.1'), 0);
    backoff.failed('192.0.2.1');
    clock += 1000;
  }
  t.assert.equal(backoff.retryAfterMs('192.0.2.1'), 60_000 - MAX_FAILED_LOGINS_PER_MINUTE * 1000);
  t.assert.equal(backoff.retryAfterMs('192.0.2.2'), 0, 'other clients are not affected');
  clock = 1_000_000 + 60_000;
  t.assert.equal(backoff.retryAfterMs('192.0.2.1'), 0);
});

test('a successful login clears the failures of its client', (t) => {
  const backoff = createLoginBackoff({ now: () => 5, maxFailures: 2 });
  backoff.failed('192.0.2.1');
  backoff.succeeded('192.0.2.1');
  backoff.failed('192.0.2.1');
  t.assert.equal(backoff.retryAfterMs('192.0.2.1'), 0);
  backoff.failed('192.0.2.1');
  t.assert.equal(backoff.retryAfterMs('192.0.2.1') > 0, true);
});

test('IPv6 clients share a backoff per /64; IPv4-mapped addresses count as IPv4', (t) => {
  t.assert.equal(backoffKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.assert.equal(backoffKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.assert.equal(backoffKey('::1'), '0:0:0:0::/64');
  t.assert.equal(backoffKey('::ffff:192.0.2.1'), '192.0.2.1');
  t.assert.equal(clientIp('::FFFF:192.0.2.1'), '192.0.2.1');
  const backoff = createLoginBackoff({ now: () => 5, maxFailures: 2 });
  backoff.failed('2001:db8:1:2::1');
  backoff.failed('2001:db8:1:2::2');
  t.assert.equal(backoff.retryAfterMs('2001:db8:1:2:ffff::9') > 0, true);
  t.assert.equal(backoff.retryAfterMs('2001:db8:1:3::1'), 0);
});
