// decodeResponseHead: status, RFC 9112 §6.3 framing and persistence of backend responses.

import { test } from 'node:test';
import fc from 'fast-check';
import { createChunkedFramer } from '../../../src/proxy/http/chunked.ts';
import { type ResponseHead, decodeResponseHead } from '../../../src/proxy/http/response-head.ts';
import { bytesOf, testLimits } from './corpus.ts';

// Responses of a Node 20.20 http.Server, captured over a raw socket (2025-11-25).
const nodeChunked =
  'HTTP/1.1 200 OK\r\nDate: Wed, 25 Nov 2026 20:51:36 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
const nodeLength =
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Wed, 25 Nov 2026 20:51:36 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 5\r\n\r\nhello';
const nodeNoContent =
  'HTTP/1.1 204 No Content\r\nDate: Wed, 25 Nov 2026 20:51:36 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n';

function decodeOk(raw: string, method = 'GET'): ResponseHead {
  const result = decodeResponseHead(bytesOf(raw), method, testLimits);
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.value;
}

function reasonOf(raw: string, method = 'GET'): string {
  const result = decodeResponseHead(bytesOf(raw), method, testLimits);
  return result.kind === 'malformed' ? result.reason : result.kind;
}

function framingOf(head: ResponseHead): string {
  return head.framing.kind === 'length' ? `length:${head.framing.length}` : head.framing.kind;
}

test('a Node chunked response frames as chunked and its body ends where the stream does', (t) => {
  const head = decodeOk(nodeChunked);
  t.assert.equal(head.status, 200);
  t.assert.equal(framingOf(head), 'chunked');
  t.assert.equal(head.isPersistent, true);
  const framer = createChunkedFramer();
  t.assert.equal(framer.feed(bytesOf(nodeChunked), head.size), nodeChunked.length - head.size);
  t.assert.equal(framer.isDone, true);
  t.assert.equal(framer.dataBytes, 11);
});

test('Node Content-Length and 204 responses frame by length and as empty', (t) => {
  t.assert.equal(framingOf(decodeOk(nodeLength)), 'length:5');
  const noContent = decodeOk(nodeNoContent);
  t.assert.equal(noContent.status, 204);
  t.assert.equal(framingOf(noContent), 'none');
});

test('RFC 9112 §6.3 framing, rule by rule', (t) => {
  const cases: [string, string, string][] = [
    ['HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', 'none'],
    ['GET', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n', 'none'],
    ['GET', 'HTTP/1.1 100 Continue\r\n\r\n', 'none'],
    ['GET', 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n', 'none'],
    ['GET', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'chunked'],
    ['GET', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', 'close'],
    ['GET', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'length:0'],
    ['GET', 'HTTP/1.1 200 OK\r\n\r\n', 'close'],
    ['GET', 'HTTP/1.0 200 OK\r\n\r\n', 'close'],
  ];
  for (const [method, raw, framing] of cases) {
    t.assert.equal(framingOf(decodeOk(raw, method)), framing, `${method} ${raw}`);
  }
});

test('interim and switching responses are told apart', (t) => {
  const cont = decodeOk('HTTP/1.1 100 Continue\r\n\r\n');
  t.assert.equal(cont.isInterim, true);
  const switching = decodeOk(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  );
  t.assert.equal(switching.isSwitchingProtocols, true);
  t.assert.equal(switching.isInterim, false);
  t.assert.equal(switching.isPersistent, false);
});

test('persistence: close, HTTP/1.0 keep-alive, and close-delimited bodies', (t) => {
  t.assert.equal(
    decodeOk('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').isPersistent,
    false,
  );
  t.assert.equal(decodeOk('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').isPersistent, false);
  t.assert.equal(
    decodeOk('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').isPersistent,
    true,
  );
  t.assert.equal(decodeOk('HTTP/1.1 200 OK\r\n\r\n').isPersistent, false);
});

test('the reason phrase may be empty or missing', (t) => {
  t.assert.equal(decodeOk('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n').status, 200);
  t.assert.equal(decodeOk('HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n').status, 404);
  t.assert.equal(decodeOk('HTTP/1.1 200 Ok\xe9\r\nContent-Length: 0\r\n\r\n').status, 200);
});

test('malformed responses are refused by name', (t) => {
  const cases: [string, string][] = [
    ['HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 'http.bare-lf'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n', 'http.bare-lf'],
    ['HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n', 'http.bare-cr'],
    ['HTTP/1.1 20 OK\r\n\r\n', 'http.bad-status-line'],
    ['HTTP/1.1 600 Odd\r\n\r\n', 'http.bad-status-line'],
    ['HTTP/1.1 099 Odd\r\n\r\n', 'http.bad-status-line'],
    ['HTTP/1.1 200OK\r\n\r\n', 'http.bad-status-line'],
    ['HTTP/2 200\r\n\r\n', 'http.bad-status-line'],
    ['HTTP/2.0 200 OK\r\n\r\n', 'http.unsupported-version'],
    ['http/1.1 200 OK\r\n\r\n', 'http.bad-status-line'],
    ['<html>', 'http.bad-status-line'],
    [
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
      'http.duplicate-content-length',
    ],
    ['HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'http.bad-content-length'],
    [
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
      'http.content-length-with-transfer-encoding',
    ],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'http.bad-transfer-encoding'],
    [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n',
      'http.bad-transfer-encoding',
    ],
    [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
      'http.bad-transfer-encoding',
    ],
    ['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'http.transfer-encoding-http10'],
    ['HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n', 'http.obs-fold'],
    ['HTTP/1.1 200 OK\r\nSet-Cookie : a=1\r\n\r\n', 'http.space-before-colon'],
  ];
  for (const [raw, reason] of cases) t.assert.equal(reasonOf(raw), reason, JSON.stringify(raw));
});

test('a response head over the limit is refused even before it ends', (t) => {
  const limits = { maxHeadBytes: 32, maxHeaders: 10 };
  const raw = bytesOf(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(40)}`);
  const result = decodeResponseHead(raw, 'GET', limits);
  t.assert.equal(result.kind === 'malformed' && result.reason, 'http.head-too-large');
});

test('every strict prefix of a valid response head is incomplete', (t) => {
  for (const raw of [nodeChunked, nodeLength, nodeNoContent, 'HTTP/1.1 200\r\n\r\n']) {
    const size = raw.indexOf('\r\n\r\n') + 4;
    for (let cut = 0; cut < size; cut++) {
      const result = decodeResponseHead(bytesOf(raw.slice(0, cut)), 'GET', testLimits);
      t.assert.equal(result.kind, 'incomplete', `${JSON.stringify(raw)} cut at ${cut}`);
    }
  }
});

test('arbitrary bytes never make decodeResponseHead throw', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom('GET', 'HEAD'),
      (bytes, method) => {
        decodeResponseHead(bytes, method, { maxHeadBytes: 200, maxHeaders: 8 });
      },
    ),
  );
});
