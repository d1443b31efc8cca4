import { test } from 'node:test';
import fc from 'fast-check';
import { durationSchema, parseDuration } from '../../src/config/duration.ts';

const valid: readonly (readonly [string, number])[] = [
  ['250ms', 250],
  ['10s', 10_000],
  ['5m', 300_000],
  ['1h', 3_600_000],
  ['1d', 86_400_000],
  ['0s', 0],
];

for (const [text, ms] of valid) {
  test(`${text} is ${ms} milliseconds`, (t) => {
    t.assert.equal(parseDuration(text), ms);
  });
}

const invalid: readonly (readonly [string, string])[] = [
  ['a bare number', '10'],
  ['an empty text', ''],
  ['a unit without a number', 's'],
  ['a fraction', '1.5s'],
  ['a negative number', '-1s'],
  ['a space before the unit', '10 s'],
  ['an upper-case unit', '10S'],
  ['an unknown unit', '2w'],
  ['two units', '1h30m'],
  ['an exponent', '1e3s'],
  ['surrounding spaces', ' 10s '],
  ['more milliseconds than a safe integer', '999999999999999d'],
];

for (const [name, text] of invalid) {
  test(`refuses ${name}`, (t) => {
    t.assert.equal(parseDuration(text), undefined);
  });
}

test('every whole number with a unit parses to that many units in milliseconds', (t) => {
  const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  fc.assert(
    fc.property(
      fc.nat({ max: 1_000_000 }),
      fc.constantFrom(...Object.entries(units)),
      (n, [unit, msPerUnit]) => {
        t.assert.equal(parseDuration(`${n}${unit}`), n * msPerUnit);
      },
    ),
  );
});

test('arbitrary text either parses to a safe integer or is refused, never throws', (t) => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      const ms = parseDuration(text);
      t.assert.equal(ms === undefined || Number.isSafeInteger(ms), true);
    }),
  );
});

test('the schema turns a duration into milliseconds', (t) => {
  t.assert.equal(durationSchema.parse('5m'), 300_000);
});

test('the schema refuses a bare number with a message naming the accepted forms', (t) => {
  for (const input of [10, '10']) {
    const result = durationSchema.safeParse(input);
    t.assert.equal(result.success, false);
    t.assert.match(result.error?.issues[0]?.message ?? '', /expected a duration like 10s, 5m, 1h/);
  }
});
