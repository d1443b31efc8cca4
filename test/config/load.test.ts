import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, type ConfigProblem } from '../../src/config/config-error.ts';
import { embeddedConfigPath, loadConfigFile, parseConfigText } from '../../src/config/load.ts';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const examplePath = join(packageRoot, 'config', 'example.yaml');

function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

function problemsOf(text: string): readonly ConfigProblem[] {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** [line, column, key] of each problem, the part every location test checks. */
function where(problems: readonly ConfigProblem[]): [number, number, string][] {
  return problems.map((problem) => [problem.line, problem.column, problem.key]);
}

test('the embedded default path is config/default.yaml in the package root', (t) => {
  t.assert.equal(embeddedConfigPath, join(packageRoot, 'config', 'default.yaml'));
});

test('the embedded default runs only a STUN server on loopback addresses', async (t) => {
  const config = await loadConfigFile(embeddedConfigPath);
  t.assert.deepEqual(Object.keys(config).sort(), ['log', 'stateDir', 'stun']);
  t.assert.equal(config.stateDir, 'state');
  t.assert.deepEqual(config.stun?.listen, [
    { transport: 'udp', host: '127.0.0.1', port: 3478 },
    { transport: 'tcp', host: '127.0.0.1', port: 3478 },
    { transport: 'tls', host: '127.0.0.1', port: 5349 },
    { transport: 'udp', host: '::1', port: 3478 },
  ]);
});

test('the example config loads with every section', async (t) => {
  const config = await loadConfigFile(examplePath);
  for (const part of ['admin', 'tls', 'proxy', 'fraud', 'stun', 'turn', 'nat'] as const) {
    t.assert.notEqual(config[part], undefined, part);
  }
  t.assert.equal(config.proxy?.firstMessageTimeout, 10_000);
  t.assert.deepEqual(config.turn?.relay.ports, { min: 49152, max: 65535 });
  t.assert.deepEqual(config.stun?.alternate, { address: '198.51.100.2', port: 3479 });
});

test('an empty file is a valid config in which no part runs', (t) => {
  t.assert.deepEqual(parseConfigText('', 'empty.yaml'), {
    stateDir: 'state',
    log: { level: 'info' },
  });
});

test('a section with nothing under it runs with all its defaults', (t) => {
  const config = parseConfigText(yaml('stun:', 'fraud:'), 'test.yaml');
  t.assert.deepEqual(
    config.stun?.listen.map((url) => `${url.transport} ${url.host}:${url.port}`),
    ['udp 0.0.0.0:3478', 'tcp 0.0.0.0:3478', 'tls 0.0.0.0:5349'],
  );
  t.assert.deepEqual(config.fraud?.store, { kind: 'file', path: join('state', 'fraud.json') });
});

test('the fraud store defaults to a file in stateDir and accepts a redis URL', (t) => {
  const fromStateDir = parseConfigText(yaml('stateDir: /var/lib/x', 'fraud: {}'), 'test.yaml');
  t.assert.deepEqual(fromStateDir.fraud?.store, { kind: 'file', path: '/var/lib/x/fraud.json' });
  const redis = parseConfigText(yaml('fraud: { store: "redis://cache:6379" }'), 'test.yaml');
  t.assert.deepEqual(redis.fraud?.store, { kind: 'redis', url: 'redis://cache:6379' });
});

test('a proxy without listen runs every listener type on its standard port', (t) => {
  const config = parseConfigText(yaml('proxy: {}'), 'test.yaml');
  t.assert.equal(config.proxy?.listen.ldaps, 636);
  t.assert.equal(Object.keys(config.proxy?.listen ?? {}).length, 8);
});

test('an unknown key is reported at the key itself, with the near miss', (t) => {
  const problems = problemsOf(yaml('fraud:', '  suspiciousPerMinute: 5', '  blacklistMinutez: 30'));
  t.assert.deepEqual(where(problems), [[3, 3, 'fraud.blacklistMinutez']]);
  t.assert.match(problems[0]?.message ?? '', /did you mean blacklistMinutes\?/);
});

test('several unknown keys in one mapping are each reported at their own line', (t) => {
  const problems = problemsOf(yaml('stun: {}', 'bogus: 1', 'alsoBogus: 2'));
  t.assert.deepEqual(where(problems), [
    [2, 1, 'bogus'],
    [3, 1, 'alsoBogus'],
  ]);
  t.assert.match(problems[0]?.message ?? '', /expected one of: stateDir, log, admin/);
});

test('a bad duration is reported at the value', (t) => {
  const problems = problemsOf(yaml('proxy:', '  firstMessageTimeout: 10'));
  t.assert.deepEqual(where(problems), [[2, 24, 'proxy.firstMessageTimeout']]);
  t.assert.match(problems[0]?.message ?? '', /expected a duration like 10s, 5m, 1h/);
});

test('bad IP addresses are reported at each value', (t) => {
  const problems = problemsOf(
    yaml(
      'fraud:',
      '  whitelist: [192.0.2.1, 127.1, "::1/129"]',
      'stun:',
      '  listen:',
      '    - udp://192.0.2.1:3478',
      '    - udp://stun.example.com:3478',
    ),
  );
  t.assert.deepEqual(where(problems), [
    [2, 26, 'fraud.whitelist.1'],
    [2, 33, 'fraud.whitelist.2'],
    [6, 7, 'stun.listen.1'],
  ]);
  t.assert.match(problems[2]?.message ?? '', /host names are not allowed/);
});

test('a missing required key is reported at its section', (t) => {
  const problems = problemsOf(yaml('stun:', 'turn:', '  sharedSecret: s'));
  t.assert.deepEqual(where(problems), [[2, 1, 'turn.realm']]);
  t.assert.match(problems[0]?.message ?? '', /missing required key/);
});

const alternateCases: readonly (readonly [string, string[], [number, number, string], RegExp])[] = [
  [
    'a wildcard udp listener',
    ['udp://0.0.0.0:3478'],
    [3, 7, 'stun.listen.0'],
    /every udp listener needs a specific address/,
  ],
  [
    'no udp listener of its family',
    ['udp://[2001:db8::1]:3478'],
    [4, 25, 'stun.alternate.address'],
    /same family as a udp listener/,
  ],
  [
    'the address of the udp listener',
    ['udp://192.0.2.2:3478'],
    [4, 25, 'stun.alternate.address'],
    /must differ from the address of the udp listener udp:\/\/192.0.2.2:3478/,
  ],
  [
    'the port of the udp listener',
    ['udp://192.0.2.1:3479'],
    [4, 42, 'stun.alternate.port'],
    /must differ from the port/,
  ],
  [
    'no udp listener at all',
    ['tcp://192.0.2.1:3478'],
    [4, 3, 'stun.alternate'],
    /needs a udp listener/,
  ],
];

for (const [name, listen, expected, message] of alternateCases) {
  test(`an alternate address is refused with ${name}`, (t) => {
    const text = yaml(
      'stun:',
      '  listen:',
      ...listen.map((url) => `    - ${url}`),
      '  alternate: { address: 192.0.2.2, port: 3479 }',
    );
    const problems = problemsOf(text);
    t.assert.deepEqual(where(problems), [expected]);
    t.assert.match(problems[0]?.message ?? '', message);
  });
}

test('an alternate address is accepted beside a specific udp listener of its family', (t) => {
  const config = parseConfigText(
    yaml(
      'stun:',
      '  listen: [udp://192.0.2.1:3478, "udp://[::1]:3478", tcp://0.0.0.0:3478]',
      '  alternate: { address: 192.0.2.2, port: 3479 }',
    ),
    'test.yaml',
  );
  t.assert.deepEqual(config.stun?.alternate, { address: '192.0.2.2', port: 3479 });
});

test('two listeners on the same socket are refused', (t) => {
  const problems = problemsOf(yaml('stun:', '  listen: [tcp://0.0.0.0:3478, tls://0.0.0.0:3478]'));
  t.assert.deepEqual(where(problems), [[2, 32, 'stun.listen.1']]);
});

test('turn without a stun section or without credentials is refused', (t) => {
  t.assert.deepEqual(where(problemsOf(yaml('turn:', '  realm: r', '  sharedSecret: s'))), [
    [1, 1, 'turn'],
  ]);
  t.assert.deepEqual(where(problemsOf(yaml('stun:', 'turn:', '  realm: r'))), [
    [2, 1, 'turn.accounts'],
  ]);
});

test('two services with the same name are refused', (t) => {
  const problems = problemsOf(
    yaml(
      'proxy:',
      '  services:',
      '    - { name: example.com, host: 10.0.0.5, ports: { sip: { tcp: 5060 } } }',
      '    - { name: Example.com, host: 10.0.0.6, ports: { sip: { tcp: 5060 } } }',
    ),
  );
  t.assert.deepEqual(where(problems), [[4, 15, 'proxy.services.1.name']]);
});

test('a YAML syntax error is reported with its line and column', (t) => {
  const problems = problemsOf(yaml('stun:', '  listen: [udp://127.0.0.1:3478', 'fraud: {}'));
  t.assert.equal(problems.length > 0, true);
  t.assert.deepEqual(
    problems.map((problem) => [problem.file, problem.line > 1, problem.key]),
    problems.map(() => ['test.yaml', true, '']),
  );
});

test('a duplicated key is a YAML error at the second occurrence', (t) => {
  const problems = problemsOf(yaml('stun: {}', 'stateDir: a', 'stateDir: b'));
  t.assert.deepEqual(where(problems), [[3, 1, '']]);
  t.assert.match(problems[0]?.message ?? '', /unique/);
});

test('every problem is reported, in file order, one per message line', (t) => {
  const text = yaml(
    'stateDir: ""',
    'log: { level: loud }',
    'stun:',
    '  listen: [udp://127.0.0.1:0]',
    '  software: ""',
    'nat: { stunServers: "a;b;c" }',
  );
  let error: unknown;
  try {
    parseConfigText(text, 'many.yaml');
  } catch (err) {
    error = err;
  }
  t.assert.equal(error instanceof ConfigError, true);
  if (!(error instanceof ConfigError)) return;
  t.assert.equal(error.code, 'PBX_ERR_CONFIG');
  t.assert.deepEqual(where(error.problems), [
    [1, 11, 'stateDir'],
    [2, 15, 'log.level'],
    [4, 12, 'stun.listen.0'],
    [5, 13, 'stun.software'],
    [6, 21, 'nat.stunServers'],
  ]);
  const lines = error.message.split('\n');
  t.assert.equal(lines.length, 5);
  t.assert.match(lines[1] ?? '', /^many\.yaml:2:15: log\.level: expected one of fatal, error/);
});

test('YAML 1.1 tags are reported instead of turning into buffers or sets', (t) => {
  const problems = problemsOf(yaml('stun: !!binary aGVsbG8=', 'nat: !!set { a }'));
  t.assert.deepEqual(where(problems), [
    [1, 7, ''],
    [2, 6, ''],
  ]);
  t.assert.match(problems[0]?.message ?? '', /Unresolved tag/);
});

test('a file that cannot be read is a ConfigError naming the file', async (t) => {
  const missing = join(packageRoot, 'config', 'no-such-file.yaml');
  await t.assert.rejects(loadConfigFile(missing), (err: unknown) => {
    t.assert.equal(err instanceof ConfigError, true);
    t.assert.match(err instanceof Error ? err.message : '', /no-such-file\.yaml: cannot read/);
    return true;
  });
});

test('the loaded config is frozen all the way down', async (t) => {
  const config = await loadConfigFile(examplePath);
  t.assert.equal(Object.isFrozen(config), true);
  t.assert.equal(Object.isFrozen(config.stun?.listen), true);
  t.assert.equal(Object.isFrozen(config.stun?.listen[0]), true);
  t.assert.equal(Object.isFrozen(config.proxy?.services[0]?.ports.h323), true);
});

function throwsOnlyConfigError(text: string): void {
  try {
    parseConfigText(text, 'fuzz.yaml');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
  }
}

test('arbitrary text never throws anything but a ConfigError', () => {
  const yamlCharacters = fc.constantFrom(...': -[]{},#&*!|>\'"%@`\n\t ?a1.s/'.split(''));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: yamlCharacters })), throwsOnlyConfigError),
  );
});

test('arbitrary values under the known keys never throw anything but a ConfigError', () => {
  const keys = ['stateDir', 'log', 'admin', 'tls', 'proxy', 'fraud', 'stun', 'turn', 'nat', 'x'];
  const inner = ['listen', 'alternate', 'services', 'relay', 'store', 'level', 'realm', 'ports'];
  const value = fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom(...inner), fc.jsonValue()));
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...keys), value), (config) => {
      throwsOnlyConfigError(stringify(config));
    }),
  );
});

test('the example with one character changed never throws anything but a ConfigError', async () => {
  const example = await readFile(examplePath, 'utf8');
  fc.assert(
    fc.property(fc.nat(example.length - 1), fc.string({ maxLength: 2 }), (at, replacement) => {
      throwsOnlyConfigError(example.slice(0, at) + replacement + example.slice(at + 1));
    }),
  );
});
