// The lazy deadline: fires once at the latest deadline set, re-arms only for an earlier one.
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LazyDeadline } from '../../src/net/lazy-deadline.ts';

test('fires once, at the deadline', async (t) => {
  let fired = 0;
  const deadline = new LazyDeadline(() => fired++);
  const startedAt = performance.now();
  let firedAt = 0;
  const done = new Promise<void>((resolve) => {
    const d = new LazyDeadline(() => {
      firedAt = performance.now();
      resolve();
    });
    d.set(50);
  });
  deadline.set(30);
  await done;
  t.assert.equal(firedAt - startedAt >= 49, true, `fired after ${firedAt - startedAt} ms`);
  t.assert.equal(fired, 1);
  await sleep(40);
  t.assert.equal(fired, 1, 'not again');
});

test('a later deadline moves it; an earlier one brings it forward', async (t) => {
  let fired = 0;
  const deadline = new LazyDeadline(() => fired++);
  deadline.set(30);
  await sleep(15);
  deadline.set(60); // now due 75 ms after the start
  await sleep(35); // 50 ms: the first timer woke and slept again
  t.assert.equal(fired, 0);
  await sleep(45); // 95 ms
  t.assert.equal(fired, 1);
  deadline.set(1000);
  deadline.set(10);
  await sleep(40);
  t.assert.equal(fired, 2);
  deadline.stop();
});

test('clear and stop cancel it', async (t) => {
  let fired = 0;
  const deadline = new LazyDeadline(() => fired++);
  deadline.set(20);
  deadline.clear();
  const other = new LazyDeadline(() => fired++);
  other.set(20);
  other.stop();
  await sleep(50);
  t.assert.equal(fired, 0);
});
