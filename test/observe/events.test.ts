import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createSuspiciousEvents, MAX_EVENT_LINES_PER_SECOND } from '../../src/observe/events.ts';
import { createLogger } from '../../src/observe/log.ts';
import { createMetrics } from '../../src/observe/metrics.ts';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

test('every suspicious event is counted and passed on, but log lines are capped per second', async (t) => {
  const { lines, stream } = capture();
  const metrics = createMetrics({ defaultMetrics: false });
  let clock = 10_000;
  const passed: string[] = [];
  const suspicious = createSuspiciousEvents({
    log: createLogger({ level: 'info', destination: stream }),
    metrics,
    next: (ip) => passed.push(ip),
    now: () => clock,
  });
  for (let i = 0; i < 500; i++) suspicious('192.0.2.7', 'stun.not-stun');
  clock += 1000;
  suspicious('192.0.2.8', 'stun.bad-length');
  await new Promise((resolve) => setImmediate(resolve));
  const counted = (await metrics.suspiciousEvents.get()).values.reduce(
    (sum, v) => sum + v.value,
    0,
  );
  t.assert.equal(counted, 501);
  t.assert.equal(passed.length, 501);
  const eventLines = lines.filter((l) => l['msg'] === 'suspicious event');
  t.assert.equal(eventLines.length, MAX_EVENT_LINES_PER_SECOND + 1);
  t.assert.deepEqual(eventLines[0], {
    ...eventLines[0],
    remoteIp: '192.0.2.7',
    reason: 'stun.not-stun',
    part: 'events',
  });
  t.assert.equal(
    lines.find((l) => l['suppressed'] !== undefined)?.['suppressed'],
    500 - MAX_EVENT_LINES_PER_SECOND,
  );
});
