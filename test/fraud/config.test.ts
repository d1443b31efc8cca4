import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseConfigText } from '../../src/config/load.ts';

test('fraud.ipv6Prefix defaults to 64 and takes 32 to 128', (t) => {
  t.assert.equal(parseConfigText('fraud: {}', 'test.yaml').fraud?.ipv6Prefix, 64);
  t.assert.equal(parseConfigText('fraud: { ipv6Prefix: 48 }', 'test.yaml').fraud?.ipv6Prefix, 48);
  t.assert.equal(parseConfigText('fraud: { ipv6Prefix: 128 }', 'test.yaml').fraud?.ipv6Prefix, 128);
  for (const bad of ['31', '129', '56.5', 'wide']) {
    t.assert.throws(
      () => parseConfigText(`fraud:\n  ipv6Prefix: ${bad}\n`, 'test.yaml'),
      (err) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.key === 'fraud.ipv6Prefix' && p.line === 2),
      bad,
    );
  }
});
