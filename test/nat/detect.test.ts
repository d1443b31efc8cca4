// NAT detection over real loopback sockets: redundant servers, names with several addresses,
// servers that cannot (or only pretend to) change address, and nothing answering at all.

import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectNat, type ServerDetection } from '../../src/nat/detect.ts';
import { reportDetection } from '../../src/nat/report.ts';
import type { LogicalStunServer, StunEndpoint } from '../../src/nat/server-list.ts';
import type { RetransmitOptions } from '../../src/stun/client.ts';
import { pbxgateStun, scriptedServer, silentServer } from './peers.ts';
import { portOf, startStunServer } from '../support/stun-server.ts';

const TIMEOUT = { timeout: 20_000 };
const FAST: RetransmitOptions = { rtoMs: 20, maxSends: 7, finalWaitFactor: 16 };
/** RFC 8489 §6.2.1: sends at 0, 1, 3, 7, 15, 31, 63 RTO, then 16 RTO more: 79 RTO in all. */
const SCHEDULE_MS = 79 * FAST.rtoMs;
/** setTimeout may fire a little early per timer; a busy machine fires late. */
const EARLY_MS = 10;
const LATE_MS = 600;

const list = (...addresses: StunEndpoint[]): LogicalStunServer => ({
  kind: 'addresses',
  text: addresses.map((a) => `${a.address}:${a.port}`).join(','),
  addresses,
});

function only(detections: readonly ServerDetection[]): ServerDetection {
  const [first] = detections;
  if (first === undefined || detections.length !== 1) throw new Error('expected one detection');
  return first;
}

test(
  'with no NAT in the way, pbxgate’s RFC 5780 server gives open internet',
  TIMEOUT,
  async (t) => {
    const server = await pbxgateStun(t);
    const report = reportDetection(only(await detectNat([list(server)])));
    t.assert.deepEqual(
      [report.natPresent, report.classic, report.mapping, report.filtering, report.hairpinning],
      [false, 'open-internet', 'endpoint-independent', 'endpoint-independent', true],
    );
    t.assert.equal(report.answeredBy, `127.0.0.1:${server.port}`);
    t.assert.match(report.externalAddress ?? '', /^127\.0\.0\.1:\d+$/);
    t.assert.deepEqual(report.unknown, {});
  },
);

test('an IPv6 server is asked over udp6', TIMEOUT, async (t) => {
  const { server } = await startStunServer(t, {
    listen: [{ transport: 'udp', host: '::1', port: 0 }],
  });
  const port = portOf(server, 'udp://');
  const report = reportDetection(only(await detectNat([list({ address: '::1', port })])));
  t.assert.equal(report.answeredBy, `[::1]:${port}`);
  t.assert.match(report.externalAddress ?? '', /^\[::1\]:\d+$/);
  t.assert.equal(report.natPresent, false);
  t.assert.equal(report.unknown.classic, 'no-second-address');
});

test('one dead and one alive address answer at the speed of the alive one', TIMEOUT, async (t) => {
  const dead = await silentServer(t);
  const alive = await pbxgateStun(t);
  const started = performance.now();
  // The default RTO (500 ms): the dead address alone would take 39.5 s.
  const detection = only(await detectNat([list(dead.endpoint, alive)]));
  const elapsed = performance.now() - started;
  t.assert.deepEqual(detection.answeredBy, alive);
  t.assert.equal(reportDetection(detection).classic, 'open-internet');
  t.assert.equal(elapsed < 1000, true, `took ${elapsed} ms`);
  // Both were asked at once, and the dead one's transaction ended with the answer: no resend.
  t.assert.equal(dead.arrivals.length, 1);
  t.assert.equal((dead.arrivals[0] ?? Infinity) - started < 200, true);
  await sleep(700);
  t.assert.equal(dead.arrivals.length, 1);
});

test(
  'every address of a name is queried in parallel, the first answer wins',
  TIMEOUT,
  async (t) => {
    const alive = await pbxgateStun(t);
    const dead = await silentServer(t, '127.0.0.3', alive.port);
    const asked: string[] = [];
    const started = performance.now();
    const detection = only(
      await detectNat([{ kind: 'name', text: 'stun.test', name: 'stun.test', port: alive.port }], {
        lookup: (name) => {
          asked.push(name);
          // The dead address first: a sequential client would wait out its whole schedule.
          return Promise.resolve([{ address: '127.0.0.3' }, { address: '127.0.0.1' }]);
        },
      }),
    );
    t.assert.deepEqual(asked, ['stun.test']);
    t.assert.deepEqual(detection.queried, [dead.endpoint, alive]);
    t.assert.deepEqual(detection.answeredBy, alive);
    t.assert.equal(performance.now() - started < 1000, true);
    t.assert.equal(dead.arrivals.length, 1);
  },
);

test('a name that does not resolve is reported, not guessed', TIMEOUT, async (t) => {
  const detection = only(
    await detectNat([{ kind: 'name', text: 'nowhere.test', name: 'nowhere.test', port: 3478 }], {
      lookup: () => Promise.reject(new Error('getaddrinfo ENOTFOUND nowhere.test')),
    }),
  );
  const report = reportDetection(detection);
  t.assert.match(report.problem ?? '', /nowhere\.test did not resolve: getaddrinfo ENOTFOUND/);
  t.assert.equal(report.classic, 'unknown');
  t.assert.equal(report.unknown.classic, 'unresolved');
});

test('two logical servers are both queried and reported in order', TIMEOUT, async (t) => {
  const first = await pbxgateStun(t);
  const second = await pbxgateStun(t, false);
  const reports = (await detectNat([list(first), list(second)])).map(reportDetection);
  t.assert.deepEqual(
    reports.map((r) => r.answeredBy),
    [`127.0.0.1:${first.port}`, `127.0.0.1:${second.port}`],
  );
  // Two sockets, two mappings: the ports differ even without a NAT.
  t.assert.notEqual(reports[0]?.externalAddress, reports[1]?.externalAddress);
});

test('a server without a second address says what cannot be known', TIMEOUT, async (t) => {
  const server = await pbxgateStun(t, false);
  const report = reportDetection(only(await detectNat([list(server)], { retransmit: FAST })));
  t.assert.equal(report.natPresent, false);
  t.assert.deepEqual(
    [report.classic, report.mapping, report.filtering],
    ['unknown', 'unknown', 'unknown'],
  );
  t.assert.deepEqual(report.unknown, {
    classic: 'no-second-address',
    mapping: 'no-second-address',
    filtering: 'no-second-address',
  });
  t.assert.equal(report.hairpinning, true);
});

test(
  'a server that answers CHANGE-REQUEST from its own address passes no test',
  TIMEOUT,
  async (t) => {
    const server = await scriptedServer(t, { address: '127.0.0.2', port: 9 }, 'success');
    const report = reportDetection(only(await detectNat([list(server)], { retransmit: FAST })));
    t.assert.equal(report.answeredBy, `127.0.0.1:${server.port}`);
    t.assert.equal(report.classic, 'unknown');
    t.assert.equal(report.filtering, 'unknown');
    t.assert.equal(report.unknown.classic, 'wrong-origin');
    t.assert.equal(report.unknown.filtering, 'wrong-origin');
    // Nothing listens on the claimed other address: the mapping tests there get no answer.
    t.assert.equal(report.unknown.mapping, 'lost');
  },
);

test('a server that refuses CHANGE-REQUEST with 420 has no second address', TIMEOUT, async (t) => {
  const server = await scriptedServer(t, { address: '127.0.0.2', port: 9 }, 'error-420');
  const report = reportDetection(only(await detectNat([list(server)], { retransmit: FAST })));
  t.assert.equal(report.unknown.classic, 'no-second-address');
  t.assert.equal(report.unknown.filtering, 'no-second-address');
});

test(
  'when nothing answers, detection ends as UDP blocked after exactly the retransmission schedule',
  TIMEOUT,
  async (t) => {
    const a = await silentServer(t);
    const b = await silentServer(t);
    const started = performance.now();
    const detection = only(await detectNat([list(a.endpoint, b.endpoint)], { retransmit: FAST }));
    const elapsed = performance.now() - started;
    t.assert.equal(reportDetection(detection).classic, 'udp-blocked');
    t.assert.equal(detection.answeredBy, undefined);
    t.assert.equal(elapsed >= SCHEDULE_MS - EARLY_MS, true, `took ${elapsed} ms`);
    t.assert.equal(elapsed < SCHEDULE_MS + LATE_MS, true, `took ${elapsed} ms`);
    for (const server of [a, b]) {
      // Rc = 7 copies at 0, 1, 3, 7, 15, 31, 63 RTO.
      t.assert.equal(server.arrivals.length, 7);
      const offsets = server.arrivals.map((at) => at - (server.arrivals[0] ?? 0));
      [0, 1, 3, 7, 15, 31, 63].forEach((rtos, i) => {
        const offset = offsets[i] ?? -1;
        t.assert.equal(
          offset >= rtos * FAST.rtoMs - EARLY_MS,
          true,
          `copy ${i + 1} at ${offset} ms`,
        );
      });
    }
    // Nothing is left running: no late copy after the end.
    await sleep(100);
    t.assert.equal(a.arrivals.length + b.arrivals.length, 14);
  },
);

test('a timeout caps every transaction below the schedule', TIMEOUT, async (t) => {
  const dead = await silentServer(t);
  const started = performance.now();
  const detection = only(await detectNat([list(dead.endpoint)], { timeoutMs: 300 }));
  const elapsed = performance.now() - started;
  t.assert.equal(reportDetection(detection).classic, 'udp-blocked');
  t.assert.equal(elapsed >= 300 - EARLY_MS && elapsed < 300 + LATE_MS, true, `took ${elapsed} ms`);
});

test('an abort ends a detection at once, with no report', TIMEOUT, async (t) => {
  const dead = await silentServer(t);
  const controller = new AbortController();
  const started = performance.now();
  const detecting = detectNat([list(dead.endpoint)], { signal: controller.signal });
  setTimeout(() => {
    controller.abort();
  }, 50);
  await t.assert.rejects(detecting);
  t.assert.equal(performance.now() - started < 500, true);
});

test(
  'the binding lifetime test, on request, finds a mapping that does not expire',
  TIMEOUT,
  async (t) => {
    const server = await pbxgateStun(t);
    const detection = only(
      await detectNat([list(server)], { retransmit: FAST, lifetimeMaxMs: 1000 }),
    );
    t.assert.deepEqual(reportDetection(detection).bindingLifetime, {
      aliveAfterSeconds: 1,
      expiredAfterSeconds: null,
    });
  },
);
