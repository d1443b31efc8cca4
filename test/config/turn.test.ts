import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ConfigError, type ConfigProblem } from '../../src/config/config-error.ts';
import { loadConfigFile, parseConfigText } from '../../src/config/load.ts';

const examplePath = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'config',
  'example.yaml',
);

/** A config with a stun section and a turn section holding `lines` (indented here). */
function turnYaml(...lines: string[]): string {
  return ['stun:', 'turn:', '  realm: example.com', ...lines.map((line) => `  ${line}`)].join('\n');
}

function turnOf(...lines: string[]) {
  const turn = parseConfigText(turnYaml(...lines), 'test.yaml').turn;
  if (turn === undefined) throw new Error('no turn section');
  return turn;
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

test('a turn section with only a realm and a secret gets every default', (t) => {
  const turn = turnOf('sharedSecret: s');
  t.assert.deepEqual(turn.sharedSecret, ['s']);
  t.assert.deepEqual(turn.accounts, []);
  t.assert.equal(turn.allocationLifetime, 600_000);
  t.assert.equal(turn.maxAllocationLifetime, 3_600_000);
  t.assert.equal(turn.nonceLifetime, 600_000);
  t.assert.equal(turn.maxAllocationsPerUser, 10);
  t.assert.equal(turn.maxAllocations, 1000);
  t.assert.equal(turn.maxBytesPerSecond, 0);
});

test('without a shared secret the parsed list is empty', (t) => {
  t.assert.deepEqual(turnOf('accounts: [{ user: u, password: p }]').sharedSecret, []);
});

test('a list of shared secrets is kept in order, frozen', (t) => {
  const turn = turnOf('sharedSecret: [new, old, older]');
  t.assert.deepEqual(turn.sharedSecret, ['new', 'old', 'older']);
  t.assert.equal(Object.isFrozen(turn.sharedSecret), true);
});

test('lifetimes, quotas and the byte rate are read as written', (t) => {
  const turn = turnOf(
    'sharedSecret: s',
    'allocationLifetime: 20m',
    'maxAllocationLifetime: 2h',
    'nonceLifetime: 90s',
    'maxAllocationsPerUser: 3',
    'maxAllocations: 50',
    'maxBytesPerSecond: 125000',
  );
  t.assert.deepEqual(
    [
      turn.allocationLifetime,
      turn.maxAllocationLifetime,
      turn.nonceLifetime,
      turn.maxAllocationsPerUser,
      turn.maxAllocations,
      turn.maxBytesPerSecond,
    ],
    [1_200_000, 7_200_000, 90_000, 3, 50, 125_000],
  );
});

test('the lifetime may equal its cap', (t) => {
  const turn = turnOf('sharedSecret: s', 'allocationLifetime: 1h');
  t.assert.equal(turn.allocationLifetime, turn.maxAllocationLifetime);
});

// [name, lines of the turn section after realm, [line, column, key], message]
const refused: readonly (readonly [string, string[], [number, number, string], RegExp])[] = [
  ['an empty list of secrets', ['sharedSecret: []'], [4, 3, 'turn.sharedSecret'], /at least one/],
  ['an empty secret', ['sharedSecret: ""'], [4, 17, 'turn.sharedSecret'], /must not be empty/],
  [
    'an empty secret in the list',
    ['sharedSecret: [a, ""]'],
    [4, 21, 'turn.sharedSecret.1'],
    /must not be empty/,
  ],
  ['a number as secret', ['sharedSecret: 42'], [4, 17, 'turn.sharedSecret'], /list of secrets/],
  [
    'a lifetime above the default cap',
    ['sharedSecret: s', 'allocationLifetime: 2h'],
    [5, 23, 'turn.allocationLifetime'],
    /at most maxAllocationLifetime \(3600s/,
  ],
  [
    'a cap below the default lifetime',
    ['sharedSecret: s', 'maxAllocationLifetime: 5m'],
    [5, 26, 'turn.maxAllocationLifetime'],
    /at least allocationLifetime \(600s\)/,
  ],
  [
    'a cap below the written lifetime',
    ['sharedSecret: s', 'allocationLifetime: 5m', 'maxAllocationLifetime: 4m'],
    [6, 26, 'turn.maxAllocationLifetime'],
    /at least allocationLifetime \(300s\)/,
  ],
  [
    'a lifetime in milliseconds',
    ['sharedSecret: s', 'allocationLifetime: 1500ms'],
    [5, 23, 'turn.allocationLifetime'],
    /whole number of seconds/,
  ],
  [
    'a lifetime without a unit',
    ['sharedSecret: s', 'allocationLifetime: 600'],
    [5, 23, 'turn.allocationLifetime'],
    /expected a duration/,
  ],
  [
    'a zero nonce lifetime',
    ['sharedSecret: s', 'nonceLifetime: 0s'],
    [5, 18, 'turn.nonceLifetime'],
    /at least 1s/,
  ],
  [
    'no allocation per user',
    ['sharedSecret: s', 'maxAllocationsPerUser: 0'],
    [5, 26, 'turn.maxAllocationsPerUser'],
    /at least 1/,
  ],
  [
    'a fractional quota',
    ['sharedSecret: s', 'maxAllocations: 2.5'],
    [5, 19, 'turn.maxAllocations'],
    /whole number/,
  ],
  [
    'a negative byte rate',
    ['sharedSecret: s', 'maxBytesPerSecond: -1'],
    [5, 22, 'turn.maxBytesPerSecond'],
    /at least 0/,
  ],
  [
    'a misspelt key',
    ['sharedSecret: s', 'nonceLifetme: 5m'],
    [5, 3, 'turn.nonceLifetme'],
    /did you mean nonceLifetime/,
  ],
];

for (const [name, lines, where, message] of refused) {
  test(`turn refuses ${name}, pointing at it`, (t) => {
    const problems = problemsOf(turnYaml(...lines));
    t.assert.deepEqual(
      problems.map((problem) => [problem.line, problem.column, problem.key]),
      [where],
    );
    t.assert.match(problems[0]?.message ?? '', message);
  });
}

test('a lifetime is accepted exactly when its cap is not below it', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 86_400 }),
      fc.integer({ min: 1, max: 86_400 }),
      (a, b) => {
        const text = turnYaml(
          'sharedSecret: s',
          `allocationLifetime: ${a}s`,
          `maxAllocationLifetime: ${b}s`,
        );
        const problems = b >= a ? [] : problemsOf(text);
        if (b >= a) parseConfigText(text, 'test.yaml');
        else if (problems[0]?.key !== 'turn.maxAllocationLifetime')
          throw new Error(`${a}s > ${b}s`);
      },
    ),
  );
});

test('the example config shows every turn key with its default', async (t) => {
  const turn = (await loadConfigFile(examplePath)).turn;
  t.assert.deepEqual(turn?.sharedSecret, ['change-me-too']);
  t.assert.deepEqual(
    [turn?.allocationLifetime, turn?.maxAllocationLifetime, turn?.nonceLifetime],
    [600_000, 3_600_000, 600_000],
  );
  t.assert.deepEqual(
    [turn?.maxAllocationsPerUser, turn?.maxAllocations, turn?.maxBytesPerSecond],
    [10, 1000, 0],
  );
});
