// rewriteRequestHead: hop-by-hop and forwarding fields, and a head the backend parses as we did.

import { test } from 'node:test';
import {
  FIELD_STRIDE,
  type RequestHead,
  decodeRequestHead,
} from '../../../src/proxy/http/request-head.ts';
import { type ForwardingContext, rewriteRequestHead } from '../../../src/proxy/http/rewrite.ts';
import { bytesOf, clientRequests, testLimits } from './corpus.ts';

const client: ForwardingContext = { clientIp: '192.0.2.7', isTls: false, trustedProxy: false };

function decodeOk(bytes: Uint8Array): RequestHead {
  const result = decodeRequestHead(bytes, testLimits);
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.value;
}

/** The rewritten head as "Name: value" lines, re-parsed by decodeRequestHead. */
function rewrite(
  raw: string,
  context: ForwardingContext = client,
): { head: RequestHead; lines: string[] } {
  const out = rewriteRequestHead(decodeOk(bytesOf(raw)), context);
  const head = decodeOk(out);
  if (head.size !== out.length) throw new Error('rewrite left bytes after the head');
  const text = out.toString('latin1');
  const lines: string[] = [];
  for (let at = 0; at < head.fields.length; at += FIELD_STRIDE) {
    const [nameStart, nameEnd, valueStart, valueEnd] = head.fields.slice(at, at + 4);
    lines.push(`${text.slice(nameStart, nameEnd)}: ${text.slice(valueStart, valueEnd)}`);
  }
  return { head, lines };
}

test('a curl request gains exactly our forwarding fields and Connection', (t) => {
  const { head, lines } = rewrite(clientRequests[0]?.raw ?? '');
  t.assert.deepEqual(lines, [
    'Host: 127.0.0.1:15999',
    'User-Agent: curl/7.88.1',
    'Accept: */*',
    'X-Forwarded-For: 192.0.2.7',
    'Forwarded: for=192.0.2.7;proto=http;host="127.0.0.1:15999"',
    'X-Forwarded-Proto: http',
    'Connection: keep-alive',
  ]);
  t.assert.equal(head.target, '/PBX0/hello.txt');
});

test('a client that is not a trusted proxy loses its own forwarding fields', (t) => {
  const raw =
    'GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1\r\nHost: pbx.example.com\r\nForwarded: for=10.0.0.1\r\n' +
    'X-Forwarded-Proto: https\r\nX-Real-IP: 10.0.0.1\r\nX-Forwarded-Host: admin.internal\r\nx-forwarded-for: 10.0.0.2\r\n\r\n';
  const { lines } = rewrite(raw, { ...client, isTls: true });
  t.assert.deepEqual(lines, [
    'Host: pbx.example.com',
    'X-Forwarded-For: 192.0.2.7',
    'Forwarded: for=192.0.2.7;proto=https;host=pbx.example.com',
    'X-Forwarded-Proto: https',
    'Connection: keep-alive',
  ]);
});

test('a trusted proxy has our hop appended to its lists and keeps its proto', (t) => {
  const raw =
    'GET / HTTP/1.1\r\nHost: pbx.example.com\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.1\r\n' +
    'Forwarded: for=203.0.113.9\r\nX-Forwarded-For: 10.0.0.2\r\nX-Forwarded-Proto: https\r\nX-Real-IP: 203.0.113.9\r\n\r\n';
  const { lines } = rewrite(raw, { ...client, trustedProxy: true });
  t.assert.deepEqual(lines, [
    'Host: pbx.example.com',
    'X-Forwarded-Proto: https',
    'X-Real-IP: 203.0.113.9',
    'X-Forwarded-For: 203.0.113.9, 10.0.0.1, 10.0.0.2, 192.0.2.7',
    'Forwarded: for=203.0.113.9, for=192.0.2.7;proto=http;host=pbx.example.com',
    'Connection: keep-alive',
  ]);
});

test('IPv6 clients are quoted in Forwarded, and IPv4-mapped ones unmapped', (t) => {
  const raw = 'GET / HTTP/1.1\r\nHost: [2001:db8::5]:8443\r\n\r\n';
  const v6 = rewrite(raw, { ...client, clientIp: '2001:db8::1' }).lines;
  t.assert.equal(v6.includes('X-Forwarded-For: 2001:db8::1'), true);
  t.assert.equal(
    v6.includes('Forwarded: for="[2001:db8::1]";proto=http;host="[2001:db8::5]:8443"'),
    true,
  );
  const mapped = rewrite(raw, { ...client, clientIp: '::ffff:198.51.100.4' }).lines;
  t.assert.equal(mapped.includes('X-Forwarded-For: 198.51.100.4'), true);
});

test('hop-by-hop fields and the fields Connection names are dropped', (t) => {
  const raw =
    'GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop, content-length, Host\r\nKeep-Alive: timeout=5\r\n' +
    'Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eDp5\r\nUpgrade: h2c\r\nTE: gzip\r\n' +
    'X-Hop: 1\r\nx-hop: 2\r\nX-End: 1\r\nContent-Length: 0\r\nAuthorization: Basic eDp5\r\n\r\n';
  const { lines } = rewrite(raw);
  t.assert.deepEqual(lines, [
    'Host: a',
    'X-End: 1',
    'Content-Length: 0',
    'Authorization: Basic eDp5',
    'X-Forwarded-For: 192.0.2.7',
    'Forwarded: for=192.0.2.7;proto=http;host=a',
    'X-Forwarded-Proto: http',
    'Connection: keep-alive',
  ]);
});

test('TE: trailers is kept and listed in Connection', (t) => {
  const { lines } = rewrite('GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n');
  t.assert.equal(lines.includes('TE: trailers'), true);
  t.assert.equal(lines.at(-1), 'Connection: keep-alive, TE');
});

test('a WebSocket upgrade keeps Connection: Upgrade and Upgrade: websocket', (t) => {
  const { head, lines } = rewrite(
    'GET /PBX0/WEBSOCKET HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\nSec-WebSocket-Key: k\r\n\r\n',
  );
  t.assert.deepEqual(lines.slice(-2), ['Connection: Upgrade', 'Upgrade: websocket']);
  t.assert.equal(head.isWebSocketUpgrade, true);
});

test('absolute-form goes to the backend as origin-form', (t) => {
  const raw = 'GET http://pbx.example.com/PBX0/x?y=1 HTTP/1.1\r\nHost: pbx.example.com\r\n\r\n';
  const out = rewriteRequestHead(decodeOk(bytesOf(raw)), client).toString('latin1');
  t.assert.equal(out.startsWith('GET /PBX0/x?y=1 HTTP/1.1\r\nHost: pbx.example.com\r\n'), true);
  const noHost = rewrite('GET http://pbx.example.com HTTP/1.0\r\n\r\n');
  t.assert.equal(noHost.lines[0], 'Host: pbx.example.com');
  t.assert.equal(noHost.head.target, '/');
});

test('leading empty lines and a pipelined next request are not copied', (t) => {
  const raw = '\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n';
  const out = rewriteRequestHead(decodeOk(bytesOf(raw)), client).toString('latin1');
  t.assert.equal(out.startsWith('POST /x HTTP/1.1\r\n'), true);
  t.assert.equal(out.endsWith('Connection: keep-alive\r\n\r\n'), true);
});

for (const request of clientRequests) {
  test(`the rewritten ${request.client} request keeps its meaning`, (t) => {
    const original = decodeOk(bytesOf(request.raw));
    const { head, lines } = rewrite(request.raw, { ...client, clientIp: '198.51.100.23' });
    t.assert.equal(head.method, original.method);
    t.assert.equal(head.target, original.target);
    t.assert.equal(head.host, original.host);
    t.assert.deepEqual(head.framing, original.framing);
    t.assert.equal(head.isWebSocketUpgrade, original.isWebSocketUpgrade);
    t.assert.equal(head.hasCredentials, original.hasCredentials);
    const xff = lines.filter((line) => line.toLowerCase().startsWith('x-forwarded-for:'));
    t.assert.deepEqual(xff, ['X-Forwarded-For: 198.51.100.23']);
  });
}
