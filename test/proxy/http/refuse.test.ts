// The gateway's own refusals (refuse.ts) parse as complete HTTP responses that close the connection.

import { test } from 'node:test';
import { decodeResponseHead } from '../../../src/proxy/http/response-head.ts';
import {
  type RefusalStatus,
  refusal,
  statusForCause,
  statusForProblem,
} from '../../../src/proxy/http/refuse.ts';
import { createHttpProtocol, sniffHttpRequest } from '../../../src/proxy/http/sniff.ts';
import { testLimits } from './corpus.ts';

const statuses: RefusalStatus[] = [400, 403, 404, 421, 431, 502, 504];

for (const status of statuses) {
  test(`the ${status} page is a complete text/plain response that closes`, (t) => {
    const bytes = Buffer.from(refusal(status));
    const head = decodeResponseHead(bytes, 'GET', testLimits);
    if (head.kind !== 'ok') throw new Error(`does not parse: ${JSON.stringify(head)}`);
    t.assert.equal(head.value.status, status);
    t.assert.equal(head.value.isPersistent, false);
    const framing = head.value.framing;
    t.assert.equal(framing.kind === 'length' && head.size + framing.length, bytes.length);
    const text = bytes.toString('latin1');
    t.assert.equal(text.includes('\r\nContent-Type: text/plain; charset=utf-8\r\n'), true);
    t.assert.equal(text.includes('\r\nConnection: close\r\n'), true);
  });
}

test('problems map to 431 for size, 403 for the allow-list, else 400', (t) => {
  t.assert.equal(statusForProblem('http.head-too-large'), 431);
  t.assert.equal(statusForProblem('http.too-many-headers'), 431);
  t.assert.equal(statusForProblem('http.url-not-allowed'), 403);
  t.assert.equal(statusForProblem('http.bad-chunk-size'), 400);
  t.assert.equal(statusForProblem('http.missing-host'), 400);
});

test('pipeline causes map to pages, and a silent client gets none', (t) => {
  t.assert.equal(statusForCause('unknown-service'), 404);
  t.assert.equal(statusForCause('backend-unavailable'), 502);
  t.assert.equal(statusForCause('backend-timeout'), 504);
  t.assert.equal(statusForCause('first-message-timeout'), undefined);
  const protocol = createHttpProtocol(testLimits);
  t.assert.equal(protocol.refuse(undefined, 'first-message-timeout'), undefined);
  t.assert.equal(protocol.refuse(Buffer.from('GET /<script>'), 'forbidden'), refusal(403));
});

test('the sniffer routes by Host and refuses what decodeRequestHead refuses', (t) => {
  const raw = Buffer.from('GET /PBX0/MY HTTP/1.1\r\nHost: PBX.example.com:443\r\n\r\nrest');
  t.assert.deepEqual(sniffHttpRequest(raw, testLimits), {
    kind: 'route',
    services: ['pbx.example.com'],
    identity: undefined,
    size: raw.length - 4,
  });
  t.assert.deepEqual(sniffHttpRequest(raw.subarray(0, 10), testLimits), { kind: 'need-more' });
  t.assert.deepEqual(sniffHttpRequest(Buffer.from('GET / HTTP/1.0\r\n\r\n'), testLimits), {
    kind: 'reject',
    reason: 'http.missing-host',
  });
  t.assert.deepEqual(sniffHttpRequest(Buffer.from('\x16\x03\x01'), testLimits), {
    kind: 'reject',
    reason: 'http.bad-method',
  });
});
