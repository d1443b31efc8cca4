// The NAT part of `pbxgate start`: detection at start and on an interval, the metric, the status,
// a log line when a verdict changes, and a stop that ends a detection in flight.

import { test } from 'node:test';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatClassification } from '../../src/nat/classify.ts';
import type { ServerDetection } from '../../src/nat/detect.ts';
import { type NatDetector, createNatPart } from '../../src/nat/part.ts';
import type { LogicalStunServer } from '../../src/nat/server-list.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { createLogger } from '../../src/observe/log.ts';
import { createMetrics } from '../../src/observe/metrics.ts';
import { pbxgateStun } from './peers.ts';

const SERVERS: readonly LogicalStunServer[] = [
  { kind: 'addresses', text: '192.0.2.1', addresses: [{ address: '192.0.2.1', port: 3478 }] },
];

function classification(
  classic: 'full-cone' | 'symmetric',
  externalIp: string,
  port: number,
): NatClassification {
  const mapping = classic === 'symmetric' ? 'address-and-port-dependent' : 'endpoint-independent';
  return {
    mapped: { family: 4, address: externalIp, port },
    natPresent: { kind: 'known', value: true },
    classic: { kind: 'known', value: classic },
    mapping: { kind: 'known', value: mapping },
    filtering: { kind: 'known', value: 'endpoint-independent' },
    hairpinning: { kind: 'known', value: false },
  };
}

function detection(c: NatClassification): ServerDetection {
  return {
    server: '192.0.2.1',
    queried: [{ address: '192.0.2.1', port: 3478 }],
    answeredBy: { address: '192.0.2.1', port: 3478 },
    rttMs: 12,
    classification: c,
    lifetime: undefined,
    problem: undefined,
    durationMs: 40,
  };
}

function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

/** A detector that answers from a script, one entry per call (the last one repeats). */
function scripted(...script: NatClassification[]): { detect: NatDetector; calls: () => number } {
  let calls = 0;
  return {
    detect: () => {
      const c = script[Math.min(calls, script.length - 1)];
      calls++;
      if (c === undefined) throw new Error('empty script');
      return Promise.resolve([detection(c)]);
    },
    calls: () => calls,
  };
}

test('the first detection runs at start, in the background, and fills status and metric', async (t) => {
  const { log, lines } = capturingLog();
  const metrics = createMetrics({ defaultMetrics: false });
  const { detect, calls } = scripted(classification('full-cone', '203.0.113.5', 40000));
  const part = createNatPart(
    { stunServers: SERVERS, interval: 60_000 },
    { log, metrics, detect, now: () => Date.UTC(2026, 10, 26, 12, 0, 0) },
  );
  t.after(() => part.stop());
  t.assert.deepEqual(part.status().servers, []);
  await part.start();
  while (calls() === 0 || part.status().checking) await sleep(5);
  const status = part.status();
  t.assert.equal(status.checkedAt, '2026-11-26T12:00:00.000Z');
  t.assert.equal(status.intervalSeconds, 60);
  t.assert.equal(status.servers[0]?.classic, 'full-cone');
  t.assert.equal(status.servers[0]?.externalAddress, '203.0.113.5:40000');
  const text = await metrics.registry.metrics();
  t.assert.match(
    text,
    /pbxgate_nat_type\{server="1",classic="full-cone",mapping="endpoint-independent",filtering="endpoint-independent"\} 1/,
  );
  t.assert.match(text, /pbxgate_nat_checks_total\{server="1",outcome="answered"\} 1/);
  const detected = lines.filter((line) => line['msg'] === 'nat type detected');
  t.assert.equal(detected.length, 1);
  t.assert.equal(detected[0]?.['part'], 'nat');
  t.assert.equal(detected[0]?.['classic'], 'full-cone');
});

test('it runs again on the interval, and logs only when the verdict changes', async (t) => {
  const { log, lines } = capturingLog();
  const metrics = createMetrics({ defaultMetrics: false });
  const { detect, calls } = scripted(
    classification('full-cone', '203.0.113.5', 40000),
    // Same verdict, another port: not a change.
    classification('full-cone', '203.0.113.5', 40100),
    classification('symmetric', '203.0.113.9', 50000),
  );
  const part = createNatPart({ stunServers: SERVERS, interval: 20 }, { log, metrics, detect });
  t.after(() => part.stop());
  await part.start();
  while (calls() < 4) await sleep(5);
  await part.stop();
  const changed = lines.filter((line) => line['msg'] === 'nat type changed');
  t.assert.equal(changed.length, 1);
  t.assert.equal(changed[0]?.['classic'], 'symmetric');
  t.assert.equal((changed[0]?.['previous'] as Record<string, unknown>)['classic'], 'full-cone');
  const text = await metrics.registry.metrics();
  // The old verdict's series is gone: one series per server.
  t.assert.doesNotMatch(text, /pbxgate_nat_type\{[^}]*classic="full-cone"/);
  t.assert.match(text, /pbxgate_nat_type\{server="1",classic="symmetric"/);
});

test('check() runs a detection now and joins one already running', async (t) => {
  const { log } = capturingLog();
  const { detect, calls } = scripted(classification('full-cone', '203.0.113.5', 40000));
  const part = createNatPart(
    { stunServers: SERVERS, interval: 60_000 },
    { log, metrics: createMetrics({ defaultMetrics: false }), detect },
  );
  t.after(() => part.stop());
  const [a, b] = await Promise.all([part.check(), part.check()]);
  t.assert.equal(calls(), 1);
  t.assert.deepEqual(a, b);
  t.assert.equal(a.servers[0]?.classic, 'full-cone');
});

test('stop aborts a detection in flight and nothing runs after it', async (t) => {
  const { log, lines } = capturingLog();
  let calls = 0;
  let sawAbort = false;
  const detect: NatDetector = (_servers, options) => {
    calls++;
    return new Promise((_resolve, reject) => {
      options.signal?.addEventListener('abort', () => {
        sawAbort = true;
        reject(new Error('aborted'));
      });
    });
  };
  const part = createNatPart(
    { stunServers: SERVERS, interval: 10 },
    { log, metrics: createMetrics({ defaultMetrics: false }), detect },
  );
  await part.start();
  while (calls === 0) await sleep(5);
  const stopped = performance.now();
  await part.stop();
  t.assert.equal(performance.now() - stopped < 100, true);
  t.assert.equal(sawAbort, true);
  await sleep(50);
  t.assert.equal(calls, 1);
  // An aborted detection is not an error.
  t.assert.equal(lines.filter((line) => line['msg'] === 'nat detection failed').length, 0);
});

test('the part takes the nat section of a loaded config as it is', async (t) => {
  const config = parseConfigText(
    'nat: { stunServers: "192.0.2.1;stun.example.net" }\n',
    'nat.yaml',
  );
  if (config.nat === undefined) throw new Error('no nat section');
  const seen: (readonly LogicalStunServer[])[] = [];
  const part = createNatPart(config.nat, {
    log: capturingLog().log,
    metrics: createMetrics({ defaultMetrics: false }),
    detect: (servers) => {
      seen.push(servers);
      return Promise.resolve(
        servers.map(() => detection(classification('full-cone', '203.0.113.5', 1))),
      );
    },
  });
  t.after(() => part.stop());
  const status = await part.check();
  t.assert.equal(status.intervalSeconds, 600);
  t.assert.deepEqual(
    seen[0]?.map((server) => server.text),
    ['192.0.2.1', 'stun.example.net'],
  );
  t.assert.equal(status.servers.length, 2);
});

test('started for real, it detects against a live server and logs the verdict', async (t) => {
  const server = await pbxgateStun(t);
  const { log, lines } = capturingLog();
  const part = createNatPart(
    {
      stunServers: [
        {
          kind: 'addresses',
          text: `127.0.0.1:${server.port}`,
          addresses: [server],
        },
      ],
      interval: 600_000,
    },
    { log, metrics: createMetrics({ defaultMetrics: false }) },
  );
  t.after(() => part.stop());
  await part.start();
  const deadline = performance.now() + 5000;
  while (part.status().checkedAt === null && performance.now() < deadline) await sleep(10);
  t.assert.equal(part.status().servers[0]?.classic, 'open-internet');
  const detected = lines.find((line) => line['msg'] === 'nat type detected');
  t.assert.equal(detected?.['answeredBy'], `127.0.0.1:${server.port}`);
});
