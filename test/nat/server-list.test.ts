// nat.stunServers / --stun: one or two logical servers, each a name or a list of one or two IPs.

import { test } from 'node:test';
import fc from 'fast-check';
import {
  type LogicalStunServer,
  formatEndpoint,
  parseStunServerList,
} from '../../src/nat/server-list.ts';

const valid: readonly [string, readonly LogicalStunServer[]][] = [
  [
    'stun.example.net',
    [{ kind: 'name', text: 'stun.example.net', name: 'stun.example.net', port: 3478 }],
  ],
  [
    'stun.example.net:3479',
    [{ kind: 'name', text: 'stun.example.net:3479', name: 'stun.example.net', port: 3479 }],
  ],
  [
    '192.0.2.1',
    [{ kind: 'addresses', text: '192.0.2.1', addresses: [{ address: '192.0.2.1', port: 3478 }] }],
  ],
  [
    '192.0.2.1:3478,192.0.2.2',
    [
      {
        kind: 'addresses',
        text: '192.0.2.1:3478,192.0.2.2',
        addresses: [
          { address: '192.0.2.1', port: 3478 },
          { address: '192.0.2.2', port: 3478 },
        ],
      },
    ],
  ],
  [
    // The example of ARCHITECTURE.md, with spaces around the separators.
    ' stun.example.net:3478 ; 192.0.2.1:3478 , 192.0.2.2 ',
    [
      { kind: 'name', text: 'stun.example.net:3478', name: 'stun.example.net', port: 3478 },
      {
        kind: 'addresses',
        text: '192.0.2.1:3478 , 192.0.2.2',
        addresses: [
          { address: '192.0.2.1', port: 3478 },
          { address: '192.0.2.2', port: 3478 },
        ],
      },
    ],
  ],
  [
    '[2001:db8::1]:3479,[2001:db8::2]',
    [
      {
        kind: 'addresses',
        text: '[2001:db8::1]:3479,[2001:db8::2]',
        addresses: [
          { address: '2001:db8::1', port: 3479 },
          { address: '2001:db8::2', port: 3478 },
        ],
      },
    ],
  ],
  [
    '192.0.2.1:3478,[2001:db8::1]:3478',
    [
      {
        kind: 'addresses',
        text: '192.0.2.1:3478,[2001:db8::1]:3478',
        addresses: [
          { address: '192.0.2.1', port: 3478 },
          { address: '2001:db8::1', port: 3478 },
        ],
      },
    ],
  ],
];

for (const [text, servers] of valid) {
  test(`${JSON.stringify(text)} parses`, (t) => {
    t.assert.deepEqual(parseStunServerList(text), { ok: true, servers });
  });
}

const invalid: readonly [string, RegExp][] = [
  ['', /is empty/],
  ['   ', /is empty/],
  ['a;b;c', /at most 2 logical servers.*found 3/],
  ['stun.example.net;', /logical server 2.*is empty/],
  [';192.0.2.1', /logical server 1.*is empty/],
  ['192.0.2.1,192.0.2.2,192.0.2.3', /one or two IP\[:port\], found 3/],
  ['192.0.2.1,', /empty entry/],
  ['192.0.2.1,stun.example.net', /is a DNS name, and a ',' list holds IP addresses only/],
  ['2001:db8::1', /IPv6 addresses go in brackets: \[2001:db8::1\]/],
  ['[2001:db8::1', /expected an IPv6 address in brackets/],
  ['[192.0.2.1]:3478', /expected an IPv6 address in brackets/],
  ['[2001:db8::1]x', /expected ':port' after the '\]'/],
  ['192.0.2.1:0', /port must be a number from 1 to 65535/],
  ['192.0.2.1:65536', /port must be a number from 1 to 65535/],
  ['192.0.2.1:', /port must be a number/],
  ['192.0.2.1:34a', /port must be a number/],
  ['127.1', /neither an IP address .* nor a DNS name/],
  ['stun_server.example', /neither an IP address/],
  ['stun example.net', /neither an IP address/],
  ['192.0.2.1:3478,192.0.2.1', /lists 192\.0\.2\.1:3478 twice/],
  ['a:b:c', /is not IP\[:port\] or NAME\[:port\]/],
];

for (const [text, message] of invalid) {
  test(`${JSON.stringify(text)} is refused with a message that says why`, (t) => {
    const result = parseStunServerList(text);
    t.assert.equal(result.ok, false);
    if (result.ok) return;
    t.assert.match(result.problems.join('\n'), message);
  });
}

test('a problem in each of two logical servers is reported for both', (t) => {
  const result = parseStunServerList('192.0.2.1:0;2001:db8::1');
  t.assert.equal(result.ok, false);
  if (result.ok) return;
  t.assert.equal(result.problems.length, 2);
  t.assert.match(result.problems[0] ?? '', /^logical server 1/);
  t.assert.match(result.problems[1] ?? '', /^logical server 2/);
});

test('random text never throws, and every result is either servers or problems', () => {
  const alphabet = fc.constantFrom(...'0123456789abcdef:.,;[] -_xz'.split(''));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet })), (text) => {
      const result = parseStunServerList(text);
      if (result.ok) return result.servers.length >= 1 && result.servers.length <= 2;
      return result.problems.length >= 1;
    }),
  );
});

const endpointArb = fc.oneof(
  fc.ipV4().map((address) => ({ address, port: 3478 })),
  fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([address, port]) => ({
    address,
    port,
  })),
  fc.tuple(fc.ipV6(), fc.integer({ min: 1, max: 65535 })).map(([address, port]) => ({
    address,
    port,
  })),
);

test('formatted IP lists parse back to the same addresses', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.uniqueArray(endpointArb, { minLength: 1, maxLength: 2, selector: formatEndpoint }),
        {
          minLength: 1,
          maxLength: 2,
        },
      ),
      (lists) => {
        const text = lists.map((list) => list.map(formatEndpoint).join(',')).join(';');
        const result = parseStunServerList(text);
        if (!result.ok) throw new Error(`${text}: ${result.problems.join('; ')}`);
        const parsed = result.servers.map((server) =>
          server.kind === 'addresses' ? server.addresses.map(formatEndpoint) : [],
        );
        return JSON.stringify(parsed) === JSON.stringify(lists.map((l) => l.map(formatEndpoint)));
      },
    ),
  );
});
