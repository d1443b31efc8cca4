// decodeRequestHead on real client requests and on the decisions documented in request-head.ts.

import { test } from 'node:test';
import { Field } from '../../../src/proxy/http/field-names.ts';
import { ConnectionOption } from '../../../src/proxy/http/lists.ts';
import {
  FIELD_STRIDE,
  type RequestHead,
  decodeRequestHead,
} from '../../../src/proxy/http/request-head.ts';
import { bytesOf, clientRequests, testLimits } from './corpus.ts';

function decodeOk(raw: string): RequestHead {
  const result = decodeRequestHead(bytesOf(raw), testLimits);
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.value;
}

function reasonOf(raw: string): string {
  const result = decodeRequestHead(bytesOf(raw), testLimits);
  return result.kind === 'malformed' ? result.reason : result.kind;
}

function framingOf(head: RequestHead): string {
  return head.framing.kind === 'length' ? `length:${head.framing.length}` : head.framing.kind;
}

for (const request of clientRequests) {
  test(`a ${request.client} request decodes`, (t) => {
    const head = decodeOk(request.raw);
    t.assert.equal(head.method, request.method);
    t.assert.equal(head.target, request.target);
    t.assert.equal(head.host, request.host);
    t.assert.equal(framingOf(head), request.framing);
    const bodyStart = request.raw.indexOf('\r\n\r\n') + 4;
    t.assert.equal(head.size, bodyStart);
  });
}

test('field offsets name each field line of a curl request', (t) => {
  const raw = clientRequests[0]?.raw ?? '';
  const head = decodeOk(raw);
  const fields: string[] = [];
  for (let at = 0; at < head.fields.length; at += FIELD_STRIDE) {
    const [nameStart, nameEnd, valueStart, valueEnd] = head.fields.slice(at, at + 4);
    fields.push(`${raw.slice(nameStart, nameEnd)}=${raw.slice(valueStart, valueEnd)}`);
  }
  t.assert.deepEqual(fields, ['Host=127.0.0.1:15999', 'User-Agent=curl/7.88.1', 'Accept=*/*']);
  t.assert.equal(head.fields[4], Field.host);
});

test('OWS around a value is outside the value offsets', (t) => {
  const raw = 'GET / HTTP/1.1\r\nHost: a\r\nX-A: \t spaced out \t\r\n\r\n';
  const head = decodeOk(raw);
  t.assert.equal(raw.slice(head.fields[7], head.fields[8]), 'spaced out');
});

test('path is the target without its query', (t) => {
  const head = decodeOk('GET /PBX0/MY/x?y=/z&q=1 HTTP/1.1\r\nHost: a\r\n\r\n');
  t.assert.equal(head.target, '/PBX0/MY/x?y=/z&q=1');
  t.assert.equal(head.path, '/PBX0/MY/x');
});

test('absolute-form takes its host from the URI and sends origin-form on', (t) => {
  const head = decodeOk(
    'GET HTTP://PBX.Example.com:8080?a=1 HTTP/1.1\r\nHost: pbx.example.com\r\n\r\n',
  );
  t.assert.equal(head.form, 'absolute');
  t.assert.equal(head.target, '/?a=1');
  t.assert.equal(head.path, '/');
  t.assert.equal(head.host, 'pbx.example.com');
});

test('HTTP/1.0 may come without Host: no routing key unless absolute-form names one', (t) => {
  t.assert.equal(decodeOk('GET / HTTP/1.0\r\n\r\n').host, undefined);
  const absolute = decodeOk('GET http://pbx.example.com/x HTTP/1.0\r\n\r\n');
  t.assert.equal(absolute.host, 'pbx.example.com');
  t.assert.equal(absolute.hasHostField, false);
});

test('the routing host is lower-cased without port or trailing dot', (t) => {
  t.assert.equal(
    decodeOk('GET / HTTP/1.1\r\nHost: PBX.Example.COM.:443\r\n\r\n').host,
    'pbx.example.com',
  );
  t.assert.equal(
    decodeOk('GET / HTTP/1.1\r\nHost: [2001:DB8::1]:8443\r\n\r\n').host,
    '2001:db8::1',
  );
});

test('persistence follows RFC 9112 §9.3', (t) => {
  const cases: [string, string, boolean][] = [
    ['1.1', '', true],
    ['1.1', 'Connection: close\r\n', false],
    ['1.1', 'Connection: keep-alive, Close\r\n', false],
    ['1.0', '', false],
    ['1.0', 'Connection: Keep-Alive\r\n', true],
  ];
  for (const [version, field, persistent] of cases) {
    const head = decodeOk(`GET / HTTP/${version}\r\nHost: a\r\n${field}\r\n`);
    t.assert.equal(head.isPersistent, persistent, `${version} ${field}`);
  }
});

test('a WebSocket upgrade needs GET, HTTP/1.1, Connection: upgrade and Upgrade: websocket', (t) => {
  const base =
    'HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n\r\n';
  const head = decodeOk(`GET /ws ${base}`);
  t.assert.equal(head.isWebSocketUpgrade, true);
  t.assert.equal((head.connection & ConnectionOption.upgrade) !== 0, true);
  t.assert.equal(decodeOk(`POST /ws ${base}`).isWebSocketUpgrade, false);
  t.assert.equal(
    decodeOk('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n').isWebSocketUpgrade,
    false,
  );
  t.assert.equal(
    decodeOk('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n')
      .isWebSocketUpgrade,
    false,
  );
  t.assert.equal(
    decodeOk(`GET /ws ${base.replace('\r\n\r\n', '\r\nContent-Length: 0\r\n\r\n')}`)
      .isWebSocketUpgrade,
    true,
  );
});

test('credentials mean Authorization, not Cookie', (t) => {
  t.assert.equal(
    decodeOk('GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eDp5\r\n\r\n').hasCredentials,
    true,
  );
  t.assert.equal(
    decodeOk('GET / HTTP/1.1\r\nHost: a\r\nCookie: s=1\r\n\r\n').hasCredentials,
    false,
  );
});

test('Expect: 100-continue is noted', (t) => {
  const head = decodeOk(
    'PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n',
  );
  t.assert.equal(head.expectsContinue, true);
  t.assert.equal(decodeOk('PUT / HTTP/1.1\r\nHost: a\r\n\r\n').expectsContinue, false);
});

test('OPTIONS * is the only asterisk-form', (t) => {
  t.assert.equal(decodeOk('OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n').form, 'asterisk');
  t.assert.equal(reasonOf('OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n'), 'http.bad-target');
});

test('an unknown method is a token, kept as sent', (t) => {
  t.assert.equal(decodeOk('PROPFIND /dav HTTP/1.1\r\nHost: a\r\n\r\n').method, 'PROPFIND');
  t.assert.equal(reasonOf('GE[T / HTTP/1.1\r\nHost: a\r\n\r\n'), 'http.bad-method');
});

test('the head size counts leading empty lines and stops before a pipelined request', (t) => {
  const raw = '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\n';
  const result = decodeRequestHead(bytesOf(raw), testLimits);
  t.assert.equal(result.kind === 'ok' && result.size, raw.indexOf('GET /next'));
  t.assert.equal(result.kind === 'ok' && result.value.start, 2);
});

test('a head of exactly maxHeadBytes is accepted, one byte more is not', (t) => {
  const raw = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
  const exact = { maxHeadBytes: raw.length, maxHeaders: 10 };
  t.assert.equal(decodeRequestHead(bytesOf(raw), exact).kind, 'ok');
  const smaller = { maxHeadBytes: raw.length - 1, maxHeaders: 10 };
  const refused = decodeRequestHead(bytesOf(raw), smaller);
  t.assert.equal(refused.kind === 'malformed' && refused.reason, 'http.head-too-large');
  t.assert.equal(decodeRequestHead(bytesOf(raw.slice(0, -1)), exact).kind, 'incomplete');
});

test('non-HTTP bytes are refused from the first byte', (t) => {
  t.assert.equal(reasonOf('\x16'), 'http.bad-method');
  t.assert.equal(reasonOf('SSH-2.0-OpenSSH_9.2\r\n'), 'http.bad-request-line');
  t.assert.equal(reasonOf(' GET'), 'http.bad-method');
  t.assert.equal(reasonOf('GET / HTTP/1.1\n'), 'http.bare-lf');
});

test('the input may be a plain Uint8Array at an offset', (t) => {
  const raw = bytesOf('xxGET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const view = new Uint8Array(raw.buffer, raw.byteOffset + 2, raw.length - 2);
  const result = decodeRequestHead(view, testLimits);
  t.assert.equal(result.kind === 'ok' && result.value.host, 'a');
});
