// What XOR-RELAYED-ADDRESS announces for each relay family (RFC 8656 §7.2, RFC 6156), and the
// families a relay configuration offers at all.

import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load.ts';
import { createMetrics } from '../../src/observe/metrics.ts';
import { createTurnPart } from '../../src/turn/create.ts';
import { type RelayConfig, announcedHost } from '../../src/turn/relay.ts';
import { quietLog } from '../support/stun-server.ts';

const ports = { min: 49_152, max: 65_535 };
const config = (address: string, external?: string): RelayConfig => ({
  address,
  external,
  ports,
});
const localOf =
  (v4: string | undefined, v6: string | undefined) =>
  (family: 4 | 6): string | undefined =>
    family === 4 ? v4 : v6;

const cases: readonly {
  readonly name: string;
  readonly config: RelayConfig;
  readonly local: [string | undefined, string | undefined];
  readonly announced: [string | undefined, string | undefined];
}[] = [
  {
    name: 'a specific IPv4 relay address: itself, and no IPv6 relays',
    config: config('192.0.2.10'),
    local: ['192.0.2.1', '2001:db8::1'],
    announced: ['192.0.2.10', undefined],
  },
  {
    name: 'an IPv4 wildcard: the gateway’s IPv4 address',
    config: config('0.0.0.0'),
    local: ['192.0.2.1', undefined],
    announced: ['192.0.2.1', undefined],
  },
  {
    name: ':: with only an IPv4 listen address: no IPv6 relays (never an IPv4 text for them)',
    config: config('::'),
    local: ['192.0.2.1', undefined],
    announced: ['192.0.2.1', undefined],
  },
  {
    name: ':: with addresses of both families: each its own',
    config: config('::'),
    local: ['192.0.2.1', '2001:db8::1'],
    announced: ['192.0.2.1', '2001:db8::1'],
  },
  {
    name: 'external wins for its family; the other family falls back to the listen address',
    config: config('::', '203.0.113.5'),
    local: [undefined, '2001:db8::1'],
    announced: ['203.0.113.5', '2001:db8::1'],
  },
  {
    name: 'an external IPv6 address does not open IPv6 relays on an IPv4 relay address',
    config: config('192.0.2.10', '2001:db8::99'),
    local: ['192.0.2.1', '2001:db8::1'],
    announced: ['192.0.2.10', undefined],
  },
];

for (const { name, config: relay, local, announced } of cases) {
  test(name, (t) => {
    const of = localOf(...local);
    t.assert.deepEqual([announcedHost(relay, 4, of), announcedHost(relay, 6, of)], announced);
  });
}

/** createTurnPart with `relay` and the UDP listen hosts given; the refusal's message, if any. */
function refusal(relay: string, stunHosts: readonly string[]): string | undefined {
  const config = parseConfigText(
    [
      'stun: { listen: [udp://127.0.0.1:3478] }',
      'turn:',
      '  realm: test.realm',
      '  accounts: [{ user: alice, password: alice-pass }]',
      `  relay: ${relay}`,
      '',
    ].join('\n'),
    'relay.yaml',
  );
  if (config.turn === undefined) throw new Error('no turn section');
  try {
    createTurnPart(config.turn, {
      log: quietLog,
      metrics: createMetrics({ defaultMetrics: false }),
      suspicious: () => undefined,
      stunHosts,
      software: undefined,
    });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

test('a relay configuration with nothing to announce in any family is refused at start', (t) => {
  t.assert.match(
    refusal('{ address: 0.0.0.0, ports: 20000-32000 }', ['::1']) ?? '',
    /no address to announce.*set turn\.relay\.external/,
  );
  t.assert.match(refusal("{ address: '::', ports: 20000-32000 }", ['0.0.0.0']) ?? '', /relay/);
  t.assert.equal(refusal("{ address: '::', ports: 20000-32000 }", ['::1']), undefined);
  t.assert.equal(
    refusal('{ address: 0.0.0.0, external: 203.0.113.5, ports: 20000-32000 }', ['0.0.0.0']),
    undefined,
  );
});
