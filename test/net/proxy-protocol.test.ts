import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeProxyHeader,
  encodeProxyHeaderV1,
  encodeProxyHeaderV2,
  type ProxyAddresses,
} from '../../src/net/proxy-protocol.ts';
import { ipToBytes } from '../../src/net/ip-bytes.ts';

// HAProxy proxy-protocol.txt §2.1, the example of a v1 header before an HTTP request.
const v1Example = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
const v1ExampleAddresses: ProxyAddresses = {
  source: { ip: '192.168.0.1', port: 56324 },
  destination: { ip: '192.168.0.11', port: 443 },
};

// §2.2, written by hand from the spec's layout: signature, ver_cmd, fam, len, addresses, ports.
const v2Tcp4 = [
  '0d0a0d0a000d0a515549540a', // the 12-byte signature "\r\n\r\n\0\r\nQUIT\n"
  '21', // version 2, command PROXY
  '11', // AF_INET, SOCK_STREAM
  '000c', // 12 bytes follow
  'c0a80001', // 192.168.0.1
  'c0a8000b', // 192.168.0.11
  'dc04', // 56324
  '01bb', // 443
].join('');

const v2Tcp6 = [
  '0d0a0d0a000d0a515549540a',
  '21',
  '21', // AF_INET6, SOCK_STREAM
  '0024', // 36 bytes follow
  '20010db8000000000000000000000001', // 2001:db8::1
  '20010db8000000000000000000000002', // 2001:db8::2
  '1f90', // 8080
  '13c4', // 5060
].join('');

const tcp6Addresses: ProxyAddresses = {
  source: { ip: '2001:db8::1', port: 8080 },
  destination: { ip: '2001:db8::2', port: 5060 },
};

test('v1 encodes the TCP4 example of the spec', (t) => {
  t.assert.equal(Buffer.from(encodeProxyHeaderV1(v1ExampleAddresses)).toString(), v1Example);
});

test('v1 writes TCP6 for IPv6 and UNKNOWN when the addresses are unknown', (t) => {
  t.assert.equal(
    Buffer.from(encodeProxyHeaderV1(tcp6Addresses)).toString(),
    'PROXY TCP6 2001:db8::1 2001:db8::2 8080 5060\r\n',
  );
  t.assert.equal(Buffer.from(encodeProxyHeaderV1(undefined)).toString(), 'PROXY UNKNOWN\r\n');
  const bad = { ...tcp6Addresses, source: { ip: 'not an ip', port: 1 } };
  t.assert.equal(Buffer.from(encodeProxyHeaderV1(bad)).toString(), 'PROXY UNKNOWN\r\n');
});

test('v2 encodes TCP4 and TCP6 byte for byte as the spec lays them out', (t) => {
  t.assert.equal(Buffer.from(encodeProxyHeaderV2(v1ExampleAddresses)).toString('hex'), v2Tcp4);
  t.assert.equal(Buffer.from(encodeProxyHeaderV2(tcp6Addresses)).toString('hex'), v2Tcp6);
});

test('IPv4-mapped sources (a dual-stack listener) are written as TCP4', (t) => {
  const mapped: ProxyAddresses = {
    source: { ip: '::ffff:192.168.0.1', port: 56324 },
    destination: { ip: '::FFFF:192.168.0.11', port: 443 },
  };
  t.assert.equal(Buffer.from(encodeProxyHeaderV2(mapped)).toString('hex'), v2Tcp4);
  t.assert.equal(Buffer.from(encodeProxyHeaderV1(mapped)).toString(), v1Example);
});

test('one IPv6 side makes both TCP6, the IPv4 one mapped', (t) => {
  const mixed: ProxyAddresses = {
    source: { ip: '192.0.2.1', port: 1 },
    destination: { ip: '2001:db8::2', port: 2 },
  };
  t.assert.equal(
    Buffer.from(encodeProxyHeaderV1(mixed)).toString(),
    'PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\n',
  );
  const v2 = Buffer.from(encodeProxyHeaderV2(mixed));
  t.assert.equal(v2.subarray(13, 16).toString('hex'), '210024');
  t.assert.equal(v2.subarray(16, 32).toString('hex'), '00000000000000000000ffffc0000201');
});

test('v2 without usable addresses is a LOCAL command with no address block', (t) => {
  t.assert.equal(
    Buffer.from(encodeProxyHeaderV2(undefined)).toString('hex'),
    '0d0a0d0a000d0a515549540a' + '20' + '00' + '0000',
  );
});

test('the decoder reads the spec examples back, and what follows is not part of the header', (t) => {
  const cases: [string, Buffer, ProxyAddresses, 1 | 2, string][] = [
    [
      'v1',
      Buffer.from(v1Example + 'GET / HTTP/1.1\r\n'),
      v1ExampleAddresses,
      1,
      'GET / HTTP/1.1\r\n',
    ],
    ['v2 tcp4', Buffer.from(v2Tcp4 + '474554', 'hex'), v1ExampleAddresses, 2, 'GET'],
    ['v2 tcp6', Buffer.from(v2Tcp6 + '474554', 'hex'), tcp6Addresses, 2, 'GET'],
  ];
  for (const [name, bytes, addresses, version, rest] of cases) {
    const decoded = decodeProxyHeader(bytes);
    t.assert.deepEqual(
      decoded.kind === 'ok' && {
        value: decoded.value,
        rest: bytes.subarray(decoded.size).toString(),
      },
      { value: { version, addresses }, rest },
      name,
    );
  }
});

test('v2 TLVs after the addresses are skipped by the length', (t) => {
  const withTlv = Buffer.from(v2Tcp4, 'hex');
  withTlv.writeUInt16BE(12 + 4, 14);
  const bytes = Buffer.concat([withTlv, Buffer.from('04000100', 'hex')]); // NOOP TLV, 1 byte
  const decoded = decodeProxyHeader(bytes);
  t.assert.equal(decoded.kind === 'ok' && decoded.size, 32);
});

const badHeaders: [string, string, string][] = [
  ['a wrong v2 signature', '0d0a0d0a000d0a515549540b21110000', 'proxy.bad-signature'],
  ['version 1 in a v2 header', '0d0a0d0a000d0a515549540a11110000', 'proxy.bad-version'],
  ['an unknown command', '0d0a0d0a000d0a515549540a22110000', 'proxy.bad-command'],
  ['UDP over IPv4', '0d0a0d0a000d0a515549540a2112000c' + '00'.repeat(12), 'proxy.bad-family'],
  [
    'a TCP4 block too short',
    '0d0a0d0a000d0a515549540a21110004' + '00'.repeat(4),
    'proxy.bad-address',
  ],
  [
    'a v1 line that is not PROXY',
    Buffer.from('GET / HTTP/1.1\r\n').toString('hex'),
    'proxy.bad-signature',
  ],
  [
    'v1 UDP4',
    Buffer.from('PROXY UDP4 1.2.3.4 1.2.3.5 1 2\r\n').toString('hex'),
    'proxy.bad-family',
  ],
  [
    'v1 IPv6 in TCP4',
    Buffer.from('PROXY TCP4 ::1 ::1 1 2\r\n').toString('hex'),
    'proxy.bad-address',
  ],
  [
    'a v1 port of 65536',
    Buffer.from('PROXY TCP4 1.2.3.4 1.2.3.5 65536 2\r\n').toString('hex'),
    'proxy.bad-address',
  ],
  [
    'a v1 line of 108 bytes',
    Buffer.from(`PROXY TCP4 ${'1'.repeat(100)}`).toString('hex'),
    'proxy.line-too-long',
  ],
];

for (const [name, hex, reason] of badHeaders) {
  test(`the decoder rejects ${name}`, (t) => {
    const decoded = decodeProxyHeader(Buffer.from(hex, 'hex'));
    t.assert.equal(decoded.kind === 'malformed' && decoded.reason, reason);
  });
}

test('every strict prefix of a valid header is incomplete, never malformed', (t) => {
  for (const whole of [
    Buffer.from(v1Example),
    Buffer.from(v2Tcp4, 'hex'),
    Buffer.from(v2Tcp6, 'hex'),
  ]) {
    for (let length = 0; length < whole.length; length++) {
      t.assert.equal(decodeProxyHeader(whole.subarray(0, length)).kind, 'incomplete', `${length}`);
    }
  }
});

test('encode then decode gives the addresses back, and arbitrary bytes never throw', () => {
  const endpoint = fc.record({
    ip: fc.oneof(fc.ipV4(), fc.ipV6()),
    port: fc.integer({ min: 0, max: 65535 }),
  });
  fc.assert(
    fc.property(endpoint, endpoint, fc.boolean(), (source, destination, v2) => {
      const encoded = (v2 ? encodeProxyHeaderV2 : encodeProxyHeaderV1)({ source, destination });
      const decoded = decodeProxyHeader(encoded);
      if (decoded.kind !== 'ok' || decoded.value.addresses === undefined) throw new Error('not ok');
      const { addresses } = decoded.value;
      const same = (a: { ip: string; port: number }, b: { ip: string; port: number }): boolean =>
        as16(a.ip) === as16(b.ip) && a.port === b.port;
      if (!same(addresses.source, source) || !same(addresses.destination, destination)) {
        throw new Error(
          `${JSON.stringify(addresses)} is not ${JSON.stringify({ source, destination })}`,
        );
      }
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
      decodeProxyHeader(bytes);
    }),
  );
});

/** Any address as 16 bytes of hex, IPv4 as IPv4-mapped IPv6, to compare across families. */
function as16(ip: string): string {
  const bytes = Buffer.from(ipToBytes(ip) ?? []);
  return bytes.length === 4
    ? `00000000000000000000ffff${bytes.toString('hex')}`
    : bytes.toString('hex');
}
