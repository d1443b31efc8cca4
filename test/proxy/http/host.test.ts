// Host normalisation (host.ts): the routing key of ARCHITECTURE.md "Routing keys".

import { test } from 'node:test';
import fc from 'fast-check';
import { normaliseHost, readHost } from '../../../src/proxy/http/host.ts';

const table: [string, string | undefined][] = [
  ['pbx.example.com', 'pbx.example.com'],
  ['PBX.Example.COM', 'pbx.example.com'],
  ['pbx.example.com:443', 'pbx.example.com'],
  ['pbx.example.com.', 'pbx.example.com'],
  ['pbx.example.com.:8080', 'pbx.example.com'],
  ['pbx.example.com:', 'pbx.example.com'],
  ['192.0.2.10:80', '192.0.2.10'],
  ['[2001:DB8::1]', '2001:db8::1'],
  ['[2001:db8::1]:8443', '2001:db8::1'],
  ['[::ffff:192.0.2.1]', '::ffff:192.0.2.1'],
  ['localhost', 'localhost'],
  ['under_score~tilde', 'under_score~tilde'],
  ['', undefined],
  ['.', undefined],
  ['pbx.example.com..', undefined],
  ['.pbx.example.com', undefined],
  ['pbx..example.com', undefined],
  [':80', undefined],
  ['pbx.example.com:65536', undefined],
  ['pbx.example.com:123456', undefined],
  ['pbx.example.com:-1', undefined],
  ['pbx.example.com:80:80', undefined],
  ['user@pbx.example.com', undefined],
  ['pbx%2eexample.com', undefined],
  ['pbx.example.com/x', undefined],
  ['pbx example.com', undefined],
  ['pbx.ex\xe4mple.com', undefined],
  ['[2001:db8::1', undefined],
  ['[2001:db8::g]', undefined],
  ['[fe80::1%25eth0]', undefined],
  ['[v1.fe80::a]', undefined],
  ['[]', undefined],
  ['[2001:db8::1]x', undefined],
  ['2001:db8::1', undefined],
];

for (const [value, key] of table) {
  test(`Host ${JSON.stringify(value)} routes as ${String(key)}`, (t) => {
    t.assert.equal(normaliseHost(value), key);
  });
}

test('a repeated Host gives the same key from the cache, and an invalid one is never cached', (t) => {
  const bytes = Buffer.from('xPBX.example.com:80 pbx.example.com:80 PBX.example.com:8x', 'latin1');
  t.assert.equal(readHost(bytes, 1, 19), 'pbx.example.com');
  t.assert.equal(readHost(bytes, 1, 19), 'pbx.example.com');
  t.assert.equal(readHost(bytes, 20, 38), 'pbx.example.com');
  t.assert.equal(readHost(bytes, 39, 57), undefined);
  t.assert.equal(readHost(bytes, 39, 57), undefined);
});

test('normaliseHost refuses text beyond ASCII', (t) => {
  t.assert.equal(normaliseHost('p\u0170x.example.com'), undefined);
});

test('a key is a fixed point: normalising it again gives itself', () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.constantFrom('a', 'Z', '9', '.', '-', '_', '~', ':', '[', ']'),
        maxLength: 20,
      }),
      (text) => {
        const key = normaliseHost(text);
        if (key === undefined || key.includes(':')) return true;
        return normaliseHost(key) === key;
      },
    ),
  );
});
