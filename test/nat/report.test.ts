// What the operator reads: unknown verdicts say why, in text and in JSON.

import { test } from 'node:test';
import { nothingKnown } from '../../src/nat/classify.ts';
import type { ServerDetection } from '../../src/nat/detect.ts';
import { formatReportText, reportDetection } from '../../src/nat/report.ts';

const base: ServerDetection = {
  server: 'stun.example.net',
  queried: [
    { address: '192.0.2.1', port: 3478 },
    { address: '2001:db8::1', port: 3478 },
  ],
  answeredBy: undefined,
  rttMs: undefined,
  classification: nothingKnown('no-answer'),
  lifetime: undefined,
  problem: undefined,
  durationMs: 39_512.4,
};

test('nothing answering: udp blocked, every other verdict unknown with its reason', (t) => {
  const report = reportDetection(base);
  t.assert.deepEqual(report.queried, ['192.0.2.1:3478', '[2001:db8::1]:3478']);
  t.assert.equal(report.classic, 'udp-blocked');
  t.assert.equal(report.durationMs, 39_512);
  t.assert.deepEqual(report.unknown, {
    natPresent: 'no-answer',
    mapping: 'no-answer',
    filtering: 'no-answer',
    hairpinning: 'no-answer',
  });
  t.assert.equal('bindingLifetime' in report, false);
  t.assert.deepEqual(formatReportText(report, 2), [
    'server 2: stun.example.net',
    '  answered by:      none of 192.0.2.1:3478, [2001:db8::1]:3478',
    '  external address: unknown',
    '  behind a NAT:     unknown: no answer from any address of the server',
    '  classic type:     udp blocked  (RFC 3489)',
    '  mapping:          unknown: no answer from any address of the server  (RFC 5780)',
    '  filtering:        unknown: no answer from any address of the server  (RFC 5780)',
    '  hairpinning:      unknown: no answer from any address of the server',
  ]);
});

test('a name that did not resolve prints the resolver problem alone', (t) => {
  const report = reportDetection({
    ...base,
    queried: [],
    classification: nothingKnown('unresolved'),
    problem: 'stun.example.net did not resolve: getaddrinfo ENOTFOUND stun.example.net',
  });
  t.assert.deepEqual(formatReportText(report, 1), [
    'server 1: stun.example.net',
    '  stun.example.net did not resolve: getaddrinfo ENOTFOUND stun.example.net',
  ]);
});

test('the binding lifetime reads as a range, or as a lower bound', (t) => {
  const between = reportDetection({
    ...base,
    lifetime: { kind: 'known', value: { aliveAfterMs: 2000, expiredAfterMs: 4000 } },
  });
  t.assert.deepEqual(between.bindingLifetime, { aliveAfterSeconds: 2, expiredAfterSeconds: 4 });
  t.assert.match(
    formatReportText(between, 1).at(-1) ?? '',
    /binding lifetime: more than 2 s, less than 4 s$/,
  );
  const atLeast = reportDetection({
    ...base,
    lifetime: { kind: 'known', value: { aliveAfterMs: 120_000, expiredAfterMs: undefined } },
  });
  t.assert.match(formatReportText(atLeast, 1).at(-1) ?? '', /at least 120 s/);
  const unknown = reportDetection({
    ...base,
    lifetime: { kind: 'unknown', reason: 'no-second-address' },
  });
  t.assert.equal(unknown.bindingLifetime, null);
  t.assert.match(
    formatReportText(unknown, 1).at(-1) ?? '',
    /binding lifetime: unknown: the server has no second address/,
  );
});
