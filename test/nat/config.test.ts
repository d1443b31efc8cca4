// The `nat:` section: stunServers parsed in full at load time, interval as a duration.

import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseConfigText } from '../../src/config/load.ts';

function problemsOf(
  text: string,
): { line: number; column: number; key: string; message: string }[] {
  try {
    parseConfigText(text, 'nat.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

test('nat.stunServers loads as logical servers, the interval defaults to 10 minutes', (t) => {
  const config = parseConfigText(
    'nat: { stunServers: "stun.example.net:3478;192.0.2.1:3478,[2001:db8::2]" }\n',
    'nat.yaml',
  );
  t.assert.deepEqual(config.nat, {
    stunServers: [
      { kind: 'name', text: 'stun.example.net:3478', name: 'stun.example.net', port: 3478 },
      {
        kind: 'addresses',
        text: '192.0.2.1:3478,[2001:db8::2]',
        addresses: [
          { address: '192.0.2.1', port: 3478 },
          { address: '2001:db8::2', port: 3478 },
        ],
      },
    ],
    interval: 600_000,
  });
});

test('nat.interval takes a duration of at least 10 s', (t) => {
  const config = parseConfigText('nat: { stunServers: "192.0.2.1", interval: 1h }\n', 'nat.yaml');
  t.assert.equal(config.nat?.interval, 3_600_000);
  const [problem] = problemsOf('nat: { stunServers: "192.0.2.1", interval: 5s }\n');
  t.assert.equal(problem?.key, 'nat.interval');
  t.assert.match(problem?.message ?? '', /at least 10s/);
});

test('every problem of a server list is reported at the key, with its position', (t) => {
  const problems = problemsOf('nat:\n  stunServers: "192.0.2.1:0;2001:db8::1"\n');
  t.assert.deepEqual(
    problems.map((p) => [p.line, p.column, p.key]),
    [
      [2, 16, 'nat.stunServers'],
      [2, 16, 'nat.stunServers'],
    ],
  );
  t.assert.match(problems[0]?.message ?? '', /logical server 1 .*port must be a number/);
  t.assert.match(problems[1]?.message ?? '', /logical server 2 .*IPv6 addresses go in brackets/);
});

test('stunServers is required and must be text', (t) => {
  t.assert.match(problemsOf('nat: {}\n')[0]?.message ?? '', /expected servers like/);
  t.assert.match(
    problemsOf('nat: { stunServers: 3478 }\n')[0]?.message ?? '',
    /expected servers like/,
  );
});
