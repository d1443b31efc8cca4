// Micro-benchmark of the per-request HTTP codec work: decodeRequestHead + checkUrl +
// rewriteRequestHead on a typical ~300-byte browser request, and the chunked framer.
// Not part of the test suite: `node --import tsx bench/http/codec.ts` (ITERATIONS=... to change).

import { availableParallelism, loadavg } from 'node:os';
import { checkUrl } from '../../src/proxy/http/allow-url.ts';
import { createChunkedFramer } from '../../src/proxy/http/chunked.ts';
import { decodeRequestHead } from '../../src/proxy/http/request-head.ts';
import { decodeResponseHead } from '../../src/proxy/http/response-head.ts';
import { rewriteRequestHead } from '../../src/proxy/http/rewrite.ts';

const request = Buffer.from(
  'GET /PBX0/APPS/websocket/app.js?v=13r3 HTTP/1.1\r\n' +
    'Host: pbx.example.com\r\n' +
    'Connection: keep-alive\r\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n' +
    'Accept: */*\r\n' +
    'Referer: https://pbx.example.com/PBX0/APPS/\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\n' +
    'Accept-Language: en-US,en;q=0.9\r\n' +
    '\r\n',
  'latin1',
);
const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Tue, 25 Nov 2025 20:00:00 GMT\r\n' +
    'Content-Type: text/plain\r\nContent-Length: 128\r\nConnection: keep-alive\r\n\r\n',
  'latin1',
);
const chunkedBody = Buffer.from(
  '80\r\n' + 'x'.repeat(128) + '\r\n' + '10;ext=1\r\n' + 'y'.repeat(16) + '\r\n0\r\n\r\n',
  'latin1',
);
const limits = { maxHeadBytes: 16_384, maxHeaders: 100 };
const allowed = ['/PBX0/MY', '/PBX0/WEBSOCKET', '/PBX0/APPS/', '/CDR0/CALL-LIST'];
const context = { clientIp: '198.51.100.23', isTls: true, trustedProxy: false };
const iterations = Number(process.env['ITERATIONS'] ?? 200_000);
const rounds = Number(process.env['ROUNDS'] ?? 9);

/** Runs `run` in ROUNDS rounds of `iterations` after a warm-up; prints the best and median ns/op. */
function measure(name: string, run: () => number): void {
  let sink = 0;
  for (let i = 0; i < iterations / 5; i++) sink += run(); // warm up
  const perOp: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += run();
    perOp.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  perOp.sort((a, b) => a - b);
  const best = (perOp[0] ?? 0).toFixed(0).padStart(6);
  const median = (perOp[Math.floor(rounds / 2)] ?? 0).toFixed(0).padStart(6);
  console.log(`${name.padEnd(36)} ${best} ns/op best ${median} median   (${sink % 2})`);
}

function decode(): number {
  const head = decodeRequestHead(request, limits);
  return head.kind === 'ok' ? head.size : 0;
}

function decodeCheckRewrite(): number {
  const head = decodeRequestHead(request, limits);
  if (head.kind !== 'ok' || checkUrl(head.value.path, allowed) !== undefined) return 0;
  return rewriteRequestHead(head.value, context).length;
}

const decoded = decodeRequestHead(request, limits);
if (decoded.kind !== 'ok') throw new Error(`bench request does not decode: ${decoded.kind}`);
const head = decoded.value;
const framer = createChunkedFramer();

const load = loadavg()[0] ?? 0;
console.log(
  `request ${request.length} bytes, ${head.fields.length / 5} fields, node ${process.version}, ` +
    `load average ${load.toFixed(1)} on ${availableParallelism()} cores`,
);
measure('decodeRequestHead', decode);
measure('rewriteRequestHead', () => rewriteRequestHead(head, context).length);
measure('checkUrl', () => (checkUrl(head.path, allowed) === undefined ? 1 : 0));
measure('decode + checkUrl + rewrite', decodeCheckRewrite);
measure('decodeResponseHead', () => {
  const result = decodeResponseHead(response, 'GET', limits);
  return result.kind === 'ok' ? result.size : 0;
});
measure(`chunked framer (${chunkedBody.length}-byte body)`, () => {
  framer.reset();
  return framer.feed(chunkedBody);
});
