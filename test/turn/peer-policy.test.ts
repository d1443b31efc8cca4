// The TURN peer policy (turn-stun.md §5): built-in denial after canonicalising IPv4 inside IPv6, the
// CVE bypass forms, deniedPeers/allowedPeers, and properties against node:net.

import { BlockList, isIP } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalIp } from '../../src/net/listen-url.ts';
import {
  createPeerPolicy,
  embeddedIpv4,
  type PeerDenialReason,
  type PeerVerdict,
} from '../../src/turn/peer-policy.ts';
import { covers, parseCidr, parseIp } from '../../src/turn/special-ranges.ts';

const TIMEOUT = { timeout: 30_000 };
const builtIn = createPeerPolicy({ denied: [], allowed: [] });

/** The verdict without the address, to compare an embedding form with its plain IPv4. */
function outcome(verdict: PeerVerdict): string {
  return verdict.allowed ? 'allowed' : verdict.reason;
}

// Grouped by reason, space-separated. The first lines of each group are the CVE-2020-26262,
// CVE-2021-21382 and CVE-2026-73212 bypass forms.
const deniedByReason: Readonly<Record<Exclude<PeerDenialReason, 'turn.peer-denied'>, string>> = {
  'turn.peer-unspecified': '0.0.0.0 0.0.0.1 :: 0:0:0:0:0:0:0:0 ::ffff:0.0.0.0 ::2',
  'turn.peer-loopback': `::1 0000:0000:0000:0000:0000:0000:0000:0001 ::ffff:127.0.0.1
    ::FFFF:127.0.0.1 ::ffff:7f00:1 0:0:0:0:0:ffff:7f00:0001 ::127.0.0.1 ::7f00:1 2002:7f00:1::
    64:ff9b::7f00:1 64:ff9b::127.0.0.1 64:ff9b:1::7f00:1 127.0.0.1 127.255.255.254`,
  'turn.peer-link-local': '169.254.169.254 ::ffff:169.254.169.254 fe80::1 FE80::1 febf:ffff::1',
  'turn.peer-private': `64:ff9b::a00:1 10.1.2.3 172.16.0.1 172.31.255.255 192.168.1.1
    100.64.0.1 100.127.255.255 fd00::1 fc00::1 fec0::1`,
  'turn.peer-multicast': '224.0.0.1 239.255.255.250 ff02::1',
  'turn.peer-broadcast': '255.255.255.255 240.0.0.1',
  // 192.0.0.10 is TURN anycast; 2001::/32 is Teredo; ::ffff:0:808:808 (SIIT) is not judged as
  // 8.8.8.8; in 64:ff9b:1:1::/64 the IPv4's position is unknown.
  'turn.peer-special': `192.0.0.10 192.0.2.1 198.51.100.7 203.0.113.9 192.88.99.1 198.18.0.1
    198.19.255.255 2001::1 2001:0:4136:e378:8000:63bf:3fff:fdd2 2001:2::1 2001:db8::1 3fff::1
    100::1 ::ffff:0:808:808 64:ff9b:1:1::808:808 5f00::1 1:2:3:4:5:6:7::`,
  // Not an IP address: refused before any range is looked at.
  'turn.peer-invalid': `localhost 127.1 0x7f.0.0.1 2130706433 127.000.000.001 010.0.0.1 [::1]
    [::ffff:7f00:1] fe80::1%eth0 ::1%1 1.2.3.4:3478 ::ffff:1.2.3.4.5 1:2:3:4:5:6:7:8:9 1::2::3
    :::1 ::12345 ::1.2.3.4:1 1:2:3:4:5:6:7:8:: 1:2:3:4:5:6::1.2.3.4`,
};

const denied: readonly (readonly [string, PeerDenialReason])[] = [
  ...Object.entries(deniedByReason).flatMap(([reason, list]) =>
    list
      .split(/\s+/)
      .filter((address) => address !== '')
      .map((address) => [address, reason as PeerDenialReason] as const),
  ),
  ['', 'turn.peer-invalid'],
  [' 8.8.8.8', 'turn.peer-invalid'],
];

for (const [address, reason] of denied) {
  test(`peer ${JSON.stringify(address)} is denied as ${reason}`, (t) => {
    t.assert.deepEqual(builtIn.check(address), { allowed: false, reason });
  });
}

const allowed: readonly (readonly [string, string])[] = [
  ['8.8.8.8', '8.8.8.8'],
  ['1.1.1.1', '1.1.1.1'],
  ['100.63.255.255', '100.63.255.255'],
  ['100.128.0.0', '100.128.0.0'],
  ['172.32.0.1', '172.32.0.1'],
  ['192.31.196.1', '192.31.196.1'], // AS112: globally reachable
  ['223.255.255.255', '223.255.255.255'],
  ['::ffff:8.8.8.8', '8.8.8.8'], // relayed as the IPv4 address
  ['::FFFF:808:808', '8.8.8.8'],
  ['::8.8.8.8', '8.8.8.8'],
  ['2001:4860::8888', '2001:4860::8888'],
  ['2001:4860:0:0:0:0:0:8888', '2001:4860::8888'],
  ['2001:4860:4860:0000:0000:0000:0000:8888', '2001:4860:4860::8888'],
  ['2A00:1450:4001:0:0:0:0:200E', '2a00:1450:4001::200e'],
  ['2001:db9::1', '2001:db9::1'],
  ['2002:808:808::1', '2002:808:808::1'],
  ['64:ff9b::8.8.8.8', '64:ff9b::808:808'],
  ['64:ff9b:1::808:808', '64:ff9b:1::808:808'],
];

for (const [address, canonical] of allowed) {
  test(`peer ${address} is allowed as ${canonical}`, (t) => {
    t.assert.deepEqual(builtIn.check(address), { allowed: true, address: canonical });
  });
}

const embeddings: readonly (readonly [string, string | undefined])[] = [
  ['::ffff:127.0.0.1', '127.0.0.1'],
  ['::ffff:7f00:1', '127.0.0.1'],
  ['::127.0.0.1', '127.0.0.1'],
  ['2002:7f00:1::', '127.0.0.1'],
  ['2002:c000:204:1::5', '192.0.2.4'],
  ['64:ff9b::a00:1', '10.0.0.1'],
  ['64:ff9b:1::a00:1', '10.0.0.1'],
  ['::', undefined],
  ['::1', undefined],
  ['127.0.0.1', undefined],
  ['2001:4860::8888', undefined],
  ['64:ff9b:1:1::a00:1', undefined],
  ['::ffff:0:a00:1', undefined],
  ['not an address', undefined],
];

for (const [address, ipv4] of embeddings) {
  test(`embeddedIpv4(${JSON.stringify(address)}) is ${String(ipv4)}`, (t) => {
    t.assert.equal(embeddedIpv4(address), ipv4);
  });
}

test('allowedPeers 127.0.0.1/32 opens exactly 127.0.0.1 and its IPv4-in-IPv6 spellings', (t) => {
  const policy = createPeerPolicy({ denied: [], allowed: ['127.0.0.1/32'] });
  const opened = { allowed: true, address: '127.0.0.1' };
  t.assert.deepEqual(policy.check('127.0.0.1'), opened);
  t.assert.deepEqual(policy.check('::ffff:127.0.0.1'), opened);
  t.assert.deepEqual(policy.check('::ffff:7f00:1'), opened);
  t.assert.deepEqual(policy.check('::127.0.0.1'), opened);
  t.assert.deepEqual(policy.check('127.0.0.2'), { allowed: false, reason: 'turn.peer-loopback' });
  t.assert.deepEqual(policy.check('::1'), { allowed: false, reason: 'turn.peer-loopback' });
  // A translator's address is another address: opening it takes an IPv6 entry.
  for (const translated of ['2002:7f00:1::', '64:ff9b::7f00:1'])
    t.assert.deepEqual(policy.check(translated), { allowed: false, reason: 'turn.peer-loopback' });
});

test('allowedPeers in IPv4-mapped or IPv6 form opens what it spells', (t) => {
  const policy = createPeerPolicy({
    denied: [],
    allowed: ['::ffff:10.0.0.0/120', '::1', 'fd00::/64'],
  });
  t.assert.deepEqual(policy.check('10.0.0.200'), { allowed: true, address: '10.0.0.200' });
  t.assert.deepEqual(policy.check('10.0.1.1'), { allowed: false, reason: 'turn.peer-private' });
  t.assert.deepEqual(policy.check('0::1'), { allowed: true, address: '::1' });
  t.assert.deepEqual(policy.check('fd00::5'), { allowed: true, address: 'fd00::5' });
  t.assert.deepEqual(policy.check('fd00:0:0:1::5'), {
    allowed: false,
    reason: 'turn.peer-private',
  });
});

test('deniedPeers adds to the built-in list, also through every IPv4-in-IPv6 form', (t) => {
  const policy = createPeerPolicy({ denied: ['8.8.4.0/24', '2001:4860::/32'], allowed: [] });
  const forms = ['8.8.4.4', '::ffff:8.8.4.4', '::808:404', '2002:808:404::1', '64:ff9b::808:404'];
  for (const form of forms)
    t.assert.deepEqual(policy.check(form), { allowed: false, reason: 'turn.peer-denied' });
  t.assert.deepEqual(policy.check('2001:4860::8888'), {
    allowed: false,
    reason: 'turn.peer-denied',
  });
  t.assert.deepEqual(policy.check('8.8.8.8'), { allowed: true, address: '8.8.8.8' });
  t.assert.deepEqual(policy.check('2001:4861::1'), { allowed: true, address: '2001:4861::1' });
  // A built-in reason is more telling than "denied" when both apply.
  t.assert.deepEqual(policy.check('127.0.0.1'), { allowed: false, reason: 'turn.peer-loopback' });
});

test('allowedPeers wins over deniedPeers and over the built-in list', (t) => {
  const policy = createPeerPolicy({
    denied: ['8.8.8.0/24', '10.0.0.0/8'],
    allowed: ['8.8.8.8', '10.1.0.0/16', '2002:7f00:1::/48'],
  });
  t.assert.deepEqual(policy.check('8.8.8.8'), { allowed: true, address: '8.8.8.8' });
  t.assert.deepEqual(policy.check('8.8.8.9'), { allowed: false, reason: 'turn.peer-denied' });
  t.assert.deepEqual(policy.check('10.1.2.3'), { allowed: true, address: '10.1.2.3' });
  t.assert.deepEqual(policy.check('10.2.0.1'), { allowed: false, reason: 'turn.peer-private' });
  t.assert.deepEqual(policy.check('2002:7f00:1::9'), { allowed: true, address: '2002:7f00:1::9' });
});

test('bad config entries are skipped and host bits are ignored', (t) => {
  const policy = createPeerPolicy({
    denied: ['nonsense', '8.8.8.0/33', '::/129', '8.8.8.8/-1', '8.8.8.8/08'],
    allowed: ['10.9.9.9/8', 'fe80::1%eth0'],
  });
  t.assert.deepEqual(policy.check('8.8.8.8'), { allowed: true, address: '8.8.8.8' });
  t.assert.deepEqual(policy.check('10.0.0.1'), { allowed: true, address: '10.0.0.1' });
  t.assert.deepEqual(policy.check('fe80::1'), { allowed: false, reason: 'turn.peer-link-local' });
});

test('a repeated check returns the same frozen verdict', (t) => {
  const policy = createPeerPolicy({ denied: [], allowed: [] });
  const first = policy.check('8.8.8.8');
  t.assert.equal(policy.check('8.8.8.8'), first);
  t.assert.equal(Object.isFrozen(first), true);
  for (let i = 0; i < 2000; i++) policy.check(`8.8.${i >> 8}.${i & 0xff}`); // overflows the cache
  t.assert.deepEqual(policy.check('8.8.8.8'), first);
});

/** The embedding forms of a dotted IPv4 address, in the spellings clients send. */
function embeddingForms(ipv4: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = ipv4.split('.').map(Number);
  const high = ((a << 8) | b).toString(16);
  const low = ((c << 8) | d).toString(16);
  const forms = [
    `::ffff:${ipv4}`,
    `::ffff:${high}:${low}`,
    `0:0:0:0:0:FFFF:${high.toUpperCase()}:${low}`,
    `2002:${high}:${low}::`,
    `2002:${high}:${low}:1:2:3:4:5`,
    `64:ff9b::${ipv4}`,
    `64:ff9b::${high}:${low}`,
    `64:ff9b:1::${high}:${low}`,
  ];
  // ::0.0.0.0 and ::0.0.0.1 are IPv6's own :: and ::1.
  if (a !== 0 || b !== 0 || c !== 0 || d > 1) forms.push(`::${ipv4}`, `::${high}:${low}`);
  return forms;
}

const policies = [
  builtIn,
  createPeerPolicy({ denied: ['8.0.0.0/7', '1.2.3.4', '::ffff:9.9.0.0/112'], allowed: [] }),
];

test('every IPv4-in-IPv6 form gets the verdict of its plain IPv4 address', TIMEOUT, () => {
  const ipv4Arb = fc.oneof(
    fc.ipV4(),
    fc.constantFrom('0.0.0.0', '0.0.0.1', '127.0.0.1', '10.0.0.1', '8.8.8.8', '9.9.1.2', '1.2.3.4'),
  );
  fc.assert(
    fc.property(ipv4Arb, fc.nat(policies.length - 1), (ipv4, which) => {
      const policy = policies[which] ?? builtIn;
      const expected = outcome(policy.check(ipv4));
      for (const form of embeddingForms(ipv4)) {
        if (outcome(policy.check(form)) !== expected) throw new Error(`${form} differs`);
        if (embeddedIpv4(form) !== ipv4) throw new Error(`embeddedIpv4(${form})`);
      }
    }),
  );
});

test(
  'random and mutated strings never throw and are invalid exactly when node:net says so',
  TIMEOUT,
  () => {
    const pieces = fc.constantFrom(
      ':',
      '::',
      '.',
      '0',
      '1',
      '7f',
      'ffff',
      'FFFF',
      '255',
      '%',
      '/',
      '[',
    );
    const addressLike = fc.array(pieces, { maxLength: 20 }).map((parts) => parts.join(''));
    const mutated = fc
      .tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat(), fc.string({ maxLength: 2 }))
      .map(
        ([text, at, insert]) =>
          text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1)),
      );
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), addressLike, mutated, fc.ipV6()),
        (text) => {
          const verdict = builtIn.check(text);
          const invalid = !verdict.allowed && verdict.reason === 'turn.peer-invalid';
          embeddedIpv4(text);
          // node:net accepts zone ids; we refuse them.
          const nodeValid = isIP(text) !== 0 && !text.includes('%');
          if (invalid === nodeValid) throw new Error(`${JSON.stringify(text)}: invalid=${invalid}`);
        },
      ),
    );
  },
);

test(
  'parsed IPv6 bytes and allowed canonical text agree with the WHATWG URL parser',
  TIMEOUT,
  () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const canonical = canonicalIp(text);
        const bytes = parseIp(text);
        if (bytes === undefined || parseIp(canonical)?.join() !== bytes.join())
          throw new Error(text);
        const verdict = builtIn.check(text);
        if (verdict.allowed && verdict.address.includes(':') && verdict.address !== canonical)
          throw new Error(`${text} -> ${verdict.address}, expected ${canonical}`);
      }),
    );
  },
);

test('our CIDR matching agrees with node:net BlockList within a family', TIMEOUT, () => {
  const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4());
  const v6 = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6());
  fc.assert(
    fc.property(fc.oneof(v4, v6), ([network, bits, address]) => {
      const family = network.includes(':') ? 'ipv6' : 'ipv4';
      const list = new BlockList();
      list.addSubnet(network, bits, family);
      const prefix = parseCidr(`${network}/${bits}`);
      const bytes = parseIp(address);
      if (prefix === undefined || bytes === undefined) throw new Error('unparsed');
      const near = parseIp(network) ?? bytes; // also probe an address inside the subnet
      const nearText = family === 'ipv6' ? canonicalIp(network) : network;
      if (covers(prefix, bytes) !== list.check(address, family)) throw new Error(address);
      if (covers(prefix, near) !== list.check(nearText, family)) throw new Error(network);
    }),
  );
});
