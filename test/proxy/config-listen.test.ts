import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { proxyListenHostPort } from '../../src/config/schema-proxy.ts';

function problemsOf(text: string): [number, number, string, string][] {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError)
      return err.problems.map((p) => [p.line, p.column, p.key, p.message]);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('proxy.listen takes a port (every address) or an IP:port', (t) => {
  const config = parseConfigText(
    [
      'proxy:',
      '  listen:',
      '    sip-tcp: 5060',
      '    sip-tls: "127.0.0.1:5061"',
      '    ldap: "[::1]:389"',
    ].join('\n'),
    'test.yaml',
  );
  const listen = config.proxy?.listen;
  t.assert.deepEqual(listen, {
    'sip-tcp': 5060,
    'sip-tls': { host: '127.0.0.1', port: 5061 },
    ldap: { host: '::1', port: 389 },
  });
  t.assert.deepEqual(proxyListenHostPort(5060), { host: '::', port: 5060 });
  t.assert.deepEqual(proxyListenHostPort({ host: '127.0.0.1', port: 5061 }), {
    host: '127.0.0.1',
    port: 5061,
  });
});

test('the proxy timeouts and the pending limit have defaults and accept durations', (t) => {
  const defaults = parseConfigText('proxy: {}', 'test.yaml').proxy;
  t.assert.deepEqual(
    [defaults?.connectTimeout, defaults?.idleTimeout, defaults?.maxPendingPerIp],
    [5000, 3_600_000, 16],
  );
  const set = parseConfigText(
    'proxy: { connectTimeout: 2s, idleTimeout: 10m, maxPendingPerIp: 4 }',
    'test.yaml',
  ).proxy;
  t.assert.deepEqual(
    [set?.connectTimeout, set?.idleTimeout, set?.maxPendingPerIp],
    [2000, 600_000, 4],
  );
});

// [case, value, message, column reported: the value's, or the key's for a collection]
const bad: [string, string, RegExp, number][] = [
  ['a port out of range', '70000', /port number from 1 to 65535/, 14],
  ['a host name', '"pbx.example.com:5060"', /not an IP address/, 14],
  ['an address without a port', '"127.0.0.1"', /missing ":port"/, 14],
  ['IPv6 without brackets', '"::1:5060"', /in brackets/, 14],
  ['a list', '[5060]', /expected a port number/, 5],
];

for (const [name, value, message, column] of bad) {
  test(`proxy.listen refuses ${name}`, (t) => {
    const problems = problemsOf(['proxy:', '  listen:', `    sip-tcp: ${value}`].join('\n'));
    t.assert.deepEqual(
      problems.map(([line, column, key]) => [line, column, key]),
      [[3, column, 'proxy.listen.sip-tcp']],
    );
    t.assert.match(problems[0]?.[3] ?? '', message);
  });
}

test('two listeners on one port collide when either takes every address', (t) => {
  const collide = (a: string, b: string): string[] => {
    try {
      parseConfigText(
        ['proxy:', '  listen:', `    sip-tcp: ${a}`, `    sip-tls: ${b}`].join('\n'),
        'test.yaml',
      );
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems.map((p) => `${p.key}: ${p.message}`);
      throw err;
    }
  };
  t.assert.deepEqual(collide('5060', '"127.0.0.1:5060"'), [
    'proxy.listen.sip-tls: port 5060 is also sip-tcp',
  ]);
  t.assert.deepEqual(collide('"0.0.0.0:5060"', '"127.0.0.1:5060"'), [
    'proxy.listen.sip-tls: port 5060 is also sip-tcp',
  ]);
  t.assert.deepEqual(collide('"127.0.0.1:5060"', '"127.0.0.2:5060"'), []);
  t.assert.deepEqual(collide('"[::1]:5060"', '"[0:0:0:0:0:0:0:1]:5060"'), [
    'proxy.listen.sip-tls: port 5060 is also sip-tcp',
  ]);
});
