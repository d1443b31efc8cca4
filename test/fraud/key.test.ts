import { BlockList } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { createKeyer, keyOf, trackingKey } from '../../src/fraud/key.ts';
import { createGroups, formatIpv6, parseIpv6 } from '../../src/fraud/ipv6.ts';
import { canonicalIp } from '../../src/net/listen-url.ts';

const group = fc.integer({ min: 0, max: 0xffff });
const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n });
const full = (g: readonly number[]) => g.map((x) => x.toString(16)).join(':');

test('an IPv4 address is its own key, unchanged', (t) => {
  t.assert.equal(trackingKey('192.0.2.1', 64), '192.0.2.1');
  t.assert.equal(trackingKey('203.0.113.250', 48), '203.0.113.250');
});

test('an IPv4-mapped IPv6 address is keyed as its IPv4 address, in any spelling', (t) => {
  for (const ip of [
    '::ffff:192.0.2.1',
    '::FFFF:192.0.2.1',
    '::ffff:c000:201',
    '0:0:0:0:0:ffff:c000:0201',
  ])
    t.assert.equal(trackingKey(ip, 64), '192.0.2.1', ip);
});

test('an IPv6 address is keyed by its /64, written in RFC 5952 form', (t) => {
  t.assert.equal(trackingKey('2001:db8:1:2:a:b:c:d', 64), '2001:db8:1:2::/64');
  t.assert.equal(trackingKey('2001:DB8:0:0:0:0:0:1', 64), '2001:db8::/64');
  t.assert.equal(trackingKey('fe80::1%eth0', 64), 'fe80::/64');
  t.assert.equal(trackingKey('2001:db8::192.0.2.1', 64), '2001:db8::/64');
});

test('other prefix lengths mask at any bit', (t) => {
  const ip = '2001:db8:abcd:ef12:3456:789a:bcde:f012';
  t.assert.equal(trackingKey(ip, 32), '2001:db8::/32');
  t.assert.equal(trackingKey(ip, 48), '2001:db8:abcd::/48');
  t.assert.equal(trackingKey(ip, 56), '2001:db8:abcd:ef00::/56');
  t.assert.equal(trackingKey(ip, 60), '2001:db8:abcd:ef10::/60');
  t.assert.equal(trackingKey(ip, 128), `${ip}/128`);
});

test('text that is not an address is its own key', (t) => {
  for (const text of ['', 'bad', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::'])
    t.assert.equal(trackingKey(text, 64), text);
});

test('keyOf accepts an address or a key as listed, and nothing else', (t) => {
  t.assert.equal(keyOf('2001:db8:1:2::99', 64), '2001:db8:1:2::/64');
  t.assert.equal(keyOf('2001:db8:1:2::/64', 64), '2001:db8:1:2::/64');
  t.assert.equal(keyOf('192.0.2.1/32', 64), '192.0.2.1');
  t.assert.equal(keyOf('::ffff:192.0.2.1', 64), '192.0.2.1');
  for (const text of ['2001:db8::/48', '192.0.2.0/24', '127.1', 'host.example', '192.0.2.1/'])
    t.assert.equal(keyOf(text, 64), undefined, text);
});

test('every address of one /64 maps to one key, and that key covers it', () => {
  fc.assert(
    fc.property(groups(4), groups(4), groups(4), (net, a, b) => {
      const key = trackingKey(full([...net, ...a]), 64);
      if (trackingKey(full([...net, ...b]), 64) !== key) return false;
      const [network = '', length] = key.split('/');
      const list = new BlockList();
      list.addSubnet(network, Number(length), 'ipv6');
      return length === '64' && list.check(full([...net, ...a]), 'ipv6');
    }),
  );
});

test('addresses in different prefixes get different keys', () => {
  fc.assert(
    fc.property(groups(8), groups(8), fc.integer({ min: 32, max: 128 }), (a, b, prefix) => {
      const sameKey = trackingKey(full(a), prefix) === trackingKey(full(b), prefix);
      const list = new BlockList();
      list.addSubnet(full(a), prefix, 'ipv6');
      const isMapped = (g: number[]) => g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
      return isMapped(a) || isMapped(b) || sameKey === list.check(full(b), 'ipv6');
    }),
  );
});

test('the IPv6 parser and printer agree with the WHATWG URL parser', () => {
  const out = createGroups();
  fc.assert(
    fc.property(groups(8), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (g, zero) => {
      const value = g.map((x, i) => (zero[i] === true ? 0 : x));
      const canonical = canonicalIp(full(value));
      return (
        parseIpv6(canonical, out) &&
        formatIpv6(out) === canonical &&
        parseIpv6(full(value), out) &&
        [...out].every((x, i) => x === value[i])
      );
    }),
  );
});

test('a caching keyer answers as trackingKey does, however its small cache churns', () => {
  const address = fc.oneof(
    groups(8).map(full),
    fc.tuple(fc.nat(255), fc.nat(3)).map(([a, b]) => `::ffff:192.0.${b}.${a}`),
    fc.nat(3).map((a) => `2001:db8::${a}`),
    fc.constant('198.51.100.1'),
  );
  fc.assert(
    fc.property(
      fc.array(address, { maxLength: 40 }),
      fc.integer({ min: 32, max: 128 }),
      (ips, prefix) => {
        const keyer = createKeyer(prefix, 4);
        return ips.every((ip) => keyer(ip) === trackingKey(ip, prefix));
      },
    ),
  );
});
