import { test } from 'node:test';
import fc from 'fast-check';
import {
  canonicalIp,
  formatHostPort,
  formatListenUrl,
  ipLiteralFamily,
  isWildcardAddress,
  parseHostPort,
  parseListenUrl,
  type ListenUrl,
} from '../../src/net/listen-url.ts';

const valid: readonly (readonly [string, ListenUrl])[] = [
  ['udp://0.0.0.0:3478', { transport: 'udp', host: '0.0.0.0', port: 3478 }],
  ['tcp://[::]:3478', { transport: 'tcp', host: '::', port: 3478 }],
  ['tls://127.0.0.1:5349', { transport: 'tls', host: '127.0.0.1', port: 5349 }],
  ['udp://[2001:db8::1]:1', { transport: 'udp', host: '2001:db8::1', port: 1 }],
  ['udp://[::ffff:192.0.2.1]:65535', { transport: 'udp', host: '::ffff:192.0.2.1', port: 65535 }],
];

for (const [text, expected] of valid) {
  test(`${text} parses and formats back to the same text`, (t) => {
    const parsed = parseListenUrl(text);
    t.assert.deepEqual(parsed, expected);
    if ('error' in parsed) return;
    t.assert.equal(formatListenUrl(parsed), text);
  });
}

const invalid: readonly (readonly [string, string, RegExp])[] = [
  ['a host name', 'udp://localhost:3478', /not an IP address/],
  ['a short IPv4 form', 'udp://127.1:3478', /not an IP address/],
  ['a zero-padded IPv4 address', 'udp://127.0.0.01:3478', /not an IP address/],
  ['an IPv6 address without brackets', 'udp://::1:3478', /brackets/],
  ['an IPv4 address in brackets', 'udp://[127.0.0.1]:3478', /must be an IPv6 address/],
  ['an IPv6 zone ID', 'udp://[fe80::1%eth0]:3478', /must be an IPv6 address/],
  ['an unclosed bracket', 'udp://[::1:3478', /missing "\]"/],
  ['port 0', 'udp://0.0.0.0:0', /from 1 to 65535/],
  ['port 65536', 'udp://0.0.0.0:65536', /from 1 to 65535/],
  ['a zero-padded port', 'udp://0.0.0.0:03478', /from 1 to 65535/],
  ['a missing port', 'udp://0.0.0.0', /missing ":port"/],
  ['a missing port after an IPv6 address', 'udp://[::1]', /missing ":port"/],
  ['a path after the port', 'tcp://0.0.0.0:3478/', /from 1 to 65535/],
  ['an unknown transport', 'sctp://0.0.0.0:3478', /unknown transport "sctp"/],
  ['an upper-case transport', 'UDP://0.0.0.0:3478', /unknown transport/],
  ['no transport', '0.0.0.0:3478', /expected a listen URL/],
];

for (const [name, text, message] of invalid) {
  test(`refuses ${name}`, (t) => {
    const parsed = parseListenUrl(text);
    t.assert.equal('error' in parsed, true);
    if ('error' in parsed) t.assert.match(parsed.error, message);
  });
}

test('an admin address parses without a transport', (t) => {
  t.assert.deepEqual(parseHostPort('[::1]:8090'), { host: '::1', port: 8090 });
  t.assert.equal(formatHostPort({ host: '::1', port: 8090 }), '[::1]:8090');
});

test('every generated listen URL survives a format and parse round trip', (t) => {
  const listenUrl = fc.record({
    transport: fc.constantFrom('udp' as const, 'tcp' as const, 'tls' as const),
    host: fc.oneof(fc.ipV4(), fc.ipV6()),
    port: fc.integer({ min: 1, max: 65535 }),
  });
  fc.assert(
    fc.property(listenUrl, (url) => {
      t.assert.deepEqual(parseListenUrl(formatListenUrl(url)), url);
    }),
  );
});

test('an IPv4 literal is accepted only in its canonical dotted form', (t) => {
  fc.assert(
    fc.property(fc.ipV4Extended(), (text) => {
      const isCanonical =
        text.split('.').length === 4 && text.split('.').map(Number).join('.') === text;
      t.assert.equal(ipLiteralFamily(text) === 4, isCanonical);
    }),
  );
});

test('arbitrary text never makes the parser throw', () => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      parseListenUrl(text);
      parseListenUrl(`udp://${text}`);
      parseListenUrl(`udp://[${text}]:1`);
    }),
  );
});

test('the wildcard addresses are recognised in any spelling', (t) => {
  t.assert.deepEqual(
    ['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '::0', '127.0.0.1', '::1'].map(isWildcardAddress),
    [true, true, true, true, false, false],
  );
});

test('IPv6 literals compare in their RFC 5952 form', (t) => {
  t.assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  t.assert.equal(canonicalIp('192.0.2.1'), '192.0.2.1');
});
