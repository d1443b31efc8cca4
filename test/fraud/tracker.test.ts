import { test } from 'node:test';
import fc from 'fast-check';
import { createTracker, WINDOW_MS } from '../../src/fraud/tracker.ts';

test('the count reaches the threshold exactly at the Nth event within a minute', (t) => {
  const tracker = createTracker({ limit: 3 });
  t.assert.deepEqual(
    [0, 20_000, 59_999].map((at) => tracker.record('192.0.2.1', at)),
    [1, 2, 3],
  );
});

test('an event exactly one minute old has left the window', (t) => {
  const tracker = createTracker({ limit: 3 });
  tracker.record('k', 0);
  tracker.record('k', 30_000);
  t.assert.equal(tracker.record('k', WINDOW_MS), 2);
  t.assert.equal(tracker.record('k', WINDOW_MS + 30_000), 2);
});

test('N events spread over more than a minute never reach N', (t) => {
  const tracker = createTracker({ limit: 5 });
  const counts = [0, 15_000, 30_000, 45_000, 60_000, 75_000].map((at) => tracker.record('k', at));
  t.assert.equal(Math.max(...counts), 4);
});

test('keys are counted apart', (t) => {
  const tracker = createTracker({ limit: 10 });
  tracker.record('a', 0);
  tracker.record('a', 1);
  t.assert.equal(tracker.record('b', 2), 1);
  t.assert.equal(tracker.record('a', 3), 3);
});

test('forget starts a key from zero', (t) => {
  const tracker = createTracker({ limit: 10 });
  tracker.record('a', 0);
  tracker.forget('a');
  t.assert.equal(tracker.record('a', 1), 1);
});

test('a key holds at most limit events, so its memory is bounded', (t) => {
  const tracker = createTracker({ limit: 4 });
  let count = 0;
  for (let at = 0; at < 10_000; at++) count = tracker.record('flood', at);
  t.assert.equal(count, 4);
});

test('a flood of new keys evicts the keys idle the longest, never growing past maxKeys', (t) => {
  const tracker = createTracker({ limit: 3, maxKeys: 100 });
  tracker.record('attacker', 0);
  for (let i = 0; i < 10_000; i++) {
    tracker.record(`198.51.${i >> 8}.${i & 0xff}`, i);
    if (i % 50 === 0) tracker.record('attacker', i);
  }
  t.assert.equal(tracker.size, 100);
  t.assert.equal(tracker.evictions, 10_001 - 100);
  t.assert.equal(tracker.record('attacker', 10_000) > 1, true);
});

test('the sweep forgets keys whose last event left the window', (t) => {
  const tracker = createTracker({ limit: 3 });
  tracker.record('old', 0);
  tracker.record('recent', 50_000);
  tracker.sweep(WINDOW_MS + 1);
  t.assert.equal(tracker.size, 1);
  t.assert.equal(tracker.record('recent', WINDOW_MS + 2), 2);
});

test('the count equals a brute-force count over the last minute, capped at the limit', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 60 }),
      fc.integer({ min: 1, max: 12 }),
      (gaps, limit) => {
        const tracker = createTracker({ limit });
        const times: number[] = [];
        let now = 0;
        return gaps.every((gap) => {
          now += gap;
          times.push(now);
          const inWindow = times.filter((at) => at > now - WINDOW_MS).length;
          return tracker.record('k', now) === Math.min(limit, inWindow);
        });
      },
    ),
  );
});
