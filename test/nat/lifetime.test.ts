// RFC 5780 §4.6 binding lifetime: the waits tried, and what their results say.

import { test } from 'node:test';
import { type LifetimeProbe, lifetimeWaits, summarizeLifetime } from '../../src/nat/lifetime.ts';

test('waits double from 1 s and end at the maximum asked for', (t) => {
  t.assert.deepEqual(lifetimeWaits(4000), [1000, 2000, 4000]);
  t.assert.deepEqual(
    lifetimeWaits(120_000),
    [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000],
  );
  t.assert.deepEqual(lifetimeWaits(1000), [1000]);
  t.assert.deepEqual(lifetimeWaits(1500), [1000, 1500]);
});

const probes = (...alive: (boolean | undefined)[]): LifetimeProbe[] =>
  alive.map((a, i) => ({ waitMs: 1000 * 2 ** i, alive: a }));

const table: readonly [string, LifetimeProbe[], ReturnType<typeof summarizeLifetime>][] = [
  [
    'alive after 2 s, gone after 4 s',
    probes(true, true, false),
    { kind: 'known', value: { aliveAfterMs: 2000, expiredAfterMs: 4000 } },
  ],
  [
    'alive at every wait: at least the maximum',
    probes(true, true, true),
    { kind: 'known', value: { aliveAfterMs: 4000, expiredAfterMs: undefined } },
  ],
  [
    'gone at every wait: less than the shortest',
    probes(false, false),
    { kind: 'known', value: { aliveAfterMs: undefined, expiredAfterMs: 1000 } },
  ],
  [
    'a lost probe in between is left out',
    probes(true, undefined, false),
    { kind: 'known', value: { aliveAfterMs: 1000, expiredAfterMs: 4000 } },
  ],
  [
    'a dead probe shorter than a live one (a lost answer) does not bound it',
    probes(false, true, false),
    { kind: 'known', value: { aliveAfterMs: 2000, expiredAfterMs: 4000 } },
  ],
  ['nothing measured', probes(undefined, undefined), { kind: 'unknown', reason: 'lost' }],
];

for (const [name, input, expected] of table) {
  test(`lifetime: ${name}`, (t) => {
    t.assert.deepEqual(summarizeLifetime(input), expected);
  });
}
