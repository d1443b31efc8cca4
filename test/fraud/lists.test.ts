import { BlockList } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { cidrCovers, parseCidr, type Cidr } from '../../src/fraud/cidr.ts';
import type { BlacklistEntry } from '../../src/fraud/fraud.ts';
import { createBlacklist, createWhitelist, isExpired } from '../../src/fraud/lists.ts';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (parsed === undefined) throw new Error(`bad CIDR in test: ${text}`);
  return parsed;
}

const config = ['192.0.2.0/24', '2001:db8::/32', '::ffff:198.51.100.7', '203.0.113.9'];

test('the whitelist matches IPv4 and IPv6 CIDRs and single addresses', (t) => {
  const whitelist = createWhitelist(config);
  for (const ip of ['192.0.2.1', '192.0.2.255', '2001:db8:ffff::1', '198.51.100.7', '203.0.113.9'])
    t.assert.equal(whitelist.has(ip), true, ip);
  for (const ip of ['192.0.3.1', '2001:db9::1', '198.51.100.8', '203.0.113.10', 'not-an-ip'])
    t.assert.equal(whitelist.has(ip), false, ip);
});

test('IPv4-mapped clients match IPv4 entries, and mapped entries match IPv4 clients', (t) => {
  const whitelist = createWhitelist(config);
  t.assert.equal(whitelist.has('::ffff:192.0.2.77'), true);
  t.assert.equal(whitelist.has('::ffff:203.0.113.9'), true);
  t.assert.equal(whitelist.has('::ffff:192.0.3.1'), false);
  t.assert.equal(whitelist.has('198.51.100.7'), true);
});

test('manual entries are normalized, added once, removed; config entries stay', (t) => {
  const whitelist = createWhitelist(config);
  t.assert.deepEqual(whitelist.add(cidr('10.1.2.3/8')), { cidr: '10.0.0.0/8', source: 'manual' });
  t.assert.deepEqual(whitelist.add(cidr('10.0.0.0/8')), { cidr: '10.0.0.0/8', source: 'manual' });
  t.assert.deepEqual(whitelist.add(cidr('192.0.2.0/24')), {
    cidr: '192.0.2.0/24',
    source: 'config',
  });
  t.assert.deepEqual(whitelist.add(cidr('2001:DB8:1::0:5')), {
    cidr: '2001:db8:1::5',
    source: 'manual',
  });
  t.assert.equal(whitelist.has('10.200.0.1'), true);
  t.assert.deepEqual(whitelist.manual(), ['10.0.0.0/8', '2001:db8:1::5']);
  t.assert.equal(whitelist.remove(cidr('10.0.0.0/8')), true);
  t.assert.equal(whitelist.remove(cidr('10.0.0.0/8')), false);
  t.assert.equal(whitelist.remove(cidr('192.0.2.0/24')), false);
  t.assert.equal(whitelist.has('10.200.0.1'), false);
  t.assert.equal(whitelist.has('192.0.2.1'), true);
  t.assert.deepEqual(
    whitelist.entries().map((e) => `${e.source} ${e.cidr}`),
    [...config.map((c) => `config ${c}`), 'manual 2001:db8:1::5'],
  );
});

test('covers is true only for ranges entirely inside one entry', (t) => {
  const whitelist = createWhitelist(config);
  t.assert.equal(whitelist.covers(cidr('192.0.2.5')), true);
  t.assert.equal(whitelist.covers(cidr('2001:db8:1:2::/64')), true);
  t.assert.equal(whitelist.covers(cidr('192.0.0.0/16')), false);
  t.assert.equal(whitelist.covers(cidr('2001:db9::/64')), false);
});

test('CIDR coverage agrees with node:net BlockList for IPv4 addresses', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
  fc.assert(
    fc.property(v4, fc.integer({ min: 0, max: 32 }), v4, (network, prefix, address) => {
      const list = new BlockList();
      list.addSubnet(network, prefix, 'ipv4');
      return (
        cidrCovers(cidr(`${network}/${prefix}`), cidr(address)) === list.check(address, 'ipv4')
      );
    }),
  );
});

const entry = (key: string, until: number | undefined): BlacklistEntry => ({
  key,
  reason: 'http.backend-401',
  since: 0,
  until,
  manual: false,
});

test('a blacklist entry is expired from its until on, and the sweep removes only those', (t) => {
  const blacklist = createBlacklist();
  blacklist.set(entry('192.0.2.1', 1000));
  blacklist.set(entry('192.0.2.2', 2000));
  blacklist.set(entry('2001:db8::/64', undefined));
  t.assert.equal(isExpired(entry('x', 1000), 999), false);
  t.assert.equal(isExpired(entry('x', 1000), 1000), true);
  t.assert.equal(isExpired(entry('x', undefined), Number.MAX_SAFE_INTEGER), false);
  t.assert.deepEqual(
    blacklist.sweep(1500).map((e) => e.key),
    ['192.0.2.1'],
  );
  t.assert.equal(blacklist.get('192.0.2.1'), undefined);
  t.assert.deepEqual(
    blacklist.entries().map((e) => e.key),
    ['192.0.2.2', '2001:db8::/64'],
  );
  t.assert.equal(blacklist.delete('192.0.2.2'), true);
  t.assert.equal(blacklist.delete('192.0.2.2'), false);
  t.assert.equal(blacklist.size, 1);
});
