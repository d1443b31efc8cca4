// Shared by the fraud tests: a readable logger, a temp dir, a fake clock, a config, a started detection.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { createFraudDetection, type FraudOptions } from '../../src/fraud/detection.ts';
import { createLogger, type Logger } from '../../src/observe/log.ts';
import { createMetrics, type Metrics } from '../../src/observe/metrics.ts';

export type LogLine = Record<string, unknown>;

export function captureLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { log: createLogger({ level: 'debug', destination: stream }), lines };
}

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxgate-fraud-'));
  // node:test runs after hooks in the order they were added, so a part stopped by a later hook may
  // still be writing here: retry on ENOTEMPTY.
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
  return dir;
}

/** A clock the test moves by hand. */
export interface Clock {
  (): number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.UTC(2025, 0, 1)): Clock {
  let time = start;
  const clock = () => time;
  clock.advance = (ms: number) => {
    time += ms;
  };
  return clock;
}

export function fraudOptions(path: string, overrides: Partial<FraudOptions> = {}): FraudOptions {
  return {
    suspiciousPerMinute: 3,
    blacklistMinutes: 60,
    whitelist: [],
    ipv6Prefix: 64,
    store: { kind: 'file', path },
    ...overrides,
  };
}

/** Resolves when `check` holds, polling; rejects after the timeout. */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const MINUTE = 60_000;

/** A started fraud detection on a temp (or given) dir and a fake clock; stopped after the test. */
export async function setupFraud(
  t: TestContext,
  overrides: Partial<FraudOptions> = {},
  shared: { dir?: string; clock?: Clock; sweepEveryMs?: number } = {},
) {
  const dir = shared.dir ?? (await tempDir(t));
  const clock = shared.clock ?? fakeClock();
  const metrics = createMetrics({ defaultMetrics: false });
  const { log, lines } = captureLog();
  const fraud = createFraudDetection(fraudOptions(join(dir, 'fraud.json'), overrides), {
    log,
    metrics,
    now: clock,
    ...(shared.sweepEveryMs !== undefined && { sweepEveryMs: shared.sweepEveryMs }),
  });
  await fraud.start();
  t.after(() => fraud.stop());
  return { fraud, clock, metrics, lines, dir };
}

/** The value of one metric (with these labels) in the registry. */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
) {
  const metric = metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value;
}
