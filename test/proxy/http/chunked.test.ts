// The chunked framer (RFC 9112 §7.1): incremental framing, the body end, and strict refusals.

import { test } from 'node:test';
import fc from 'fast-check';
import { createChunkedFramer } from '../../../src/proxy/http/chunked.ts';
import { bytesOf } from './corpus.ts';

interface Body {
  readonly chunks: readonly { readonly size: number; readonly extension: string }[];
  readonly lastExtension: string;
  readonly trailers: readonly string[];
}

function encode(body: Body): Buffer {
  let text = '';
  for (const { size, extension } of body.chunks) {
    text += `${size.toString(16)}${extension}\r\n${'d'.repeat(size)}\r\n`;
  }
  text += `0${body.lastExtension}\r\n`;
  for (const trailer of body.trailers) text += `${trailer}\r\n`;
  return bytesOf(`${text}\r\n`);
}

const extensionArb = fc.constantFrom(
  '',
  ';a',
  ';a=b',
  ' ;a=b',
  ';a="x y"',
  ';a="q\\"q"',
  ';a = b ;c',
);
const bodyArb: fc.Arbitrary<Body> = fc.record({
  chunks: fc.array(fc.record({ size: fc.integer({ min: 1, max: 300 }), extension: extensionArb }), {
    maxLength: 6,
  }),
  lastExtension: extensionArb,
  trailers: fc.array(fc.constantFrom('X-Sum: 1', 'Expires:', 'A-B:  \tv '), { maxLength: 3 }),
});

test('a chunked body frames whole, with later bytes left over', (t) => {
  const body = bytesOf('5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n');
  const framer = createChunkedFramer();
  const used = framer.feed(body);
  t.assert.equal(used, body.indexOf('GET'));
  t.assert.equal(framer.isDone, true);
  t.assert.equal(framer.dataBytes, 11);
  t.assert.equal(framer.consumed, used);
  t.assert.equal(framer.feed(body, used), 0);
});

test('feed frames within [from, to) only', (t) => {
  const bytes = bytesOf('xx3\r\nabc\r\n0\r\n\r\nyy');
  const framer = createChunkedFramer();
  t.assert.equal(framer.feed(bytes, 2, 6), 4);
  t.assert.equal(framer.isDone, false);
  t.assert.equal(framer.feed(bytes, 6, bytes.length), bytes.length - 8);
  t.assert.equal(framer.isDone, true);
});

test('random valid bodies split at random points frame to the same length and end', () => {
  fc.assert(
    fc.property(bodyArb, fc.array(fc.nat(), { maxLength: 8 }), (body, cuts) => {
      const bytes = encode(body);
      const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
      const framer = createChunkedFramer();
      let total = 0;
      let from = 0;
      for (const to of [...points, bytes.length]) {
        if (framer.isDone) throw new Error('ended early');
        const used = framer.feed(bytes, from, to);
        if (used !== to - from) throw new Error(`framed ${used} of ${to - from}`);
        total += used;
        from = to;
      }
      const data = body.chunks.reduce((sum, chunk) => sum + chunk.size, 0);
      if (!framer.isDone || total !== bytes.length || framer.dataBytes !== data) {
        throw new Error(`done ${framer.isDone}, total ${total}/${bytes.length}`);
      }
    }),
  );
});

test('a body one byte short is never done', () => {
  fc.assert(
    fc.property(bodyArb, (body) => {
      const bytes = encode(body);
      const framer = createChunkedFramer();
      return framer.feed(bytes, 0, bytes.length - 1) === bytes.length - 1 && !framer.isDone;
    }),
  );
});

test('arbitrary bytes never make the framer throw, and a refusal is final', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (bytes, cut) => {
      const framer = createChunkedFramer({ maxExtensionBytes: 16, maxTrailerBytes: 32 });
      const split = Math.min(cut, bytes.length);
      const first = framer.feed(bytes, 0, split);
      const second = framer.feed(bytes, split);
      if (first < 0 && second !== -1) throw new Error('framed after a refusal');
      if (framer.problem !== undefined && (framer.problemOffset < 0 || framer.isDone)) {
        throw new Error('problem without an offset');
      }
    }),
  );
});

const refusals: [string, string][] = [
  ['-1\r\n', 'http.bad-chunk-size'],
  ['0x10\r\n', 'http.bad-chunk-size'],
  ['x\r\n', 'http.bad-chunk-size'],
  ['\r\n', 'http.bad-chunk-size'],
  ['00000000000000001\r\n', 'http.bad-chunk-size'],
  ['20000000000000\r\n', 'http.chunk-size-overflow'],
  ['5 \r\nhello\r\n', 'http.bad-chunk-size'],
  ['5\t\r\nhello\r\n', 'http.bad-chunk-size'],
  ['5\nhello', 'http.bare-lf'],
  ['5\rhello', 'http.bare-cr'],
  ['5\r\nhelloo\r\n', 'http.bad-chunk-end'],
  ['5\r\nhello\n', 'http.bare-lf'],
  ['5\r\nhello\r0', 'http.bare-cr'],
  ['5;\r\nhello', 'http.bad-chunk-ext'],
  ['5;a=\r\nhello', 'http.bad-chunk-ext'],
  ['5;a="b\r\nhello', 'http.bad-chunk-ext'],
  ['5;a=b c\r\n', 'http.bad-chunk-ext'],
  ['5;a\x00\r\n', 'http.bad-chunk-ext'],
  ['5;a="\\\x01"\r\n', 'http.bad-chunk-ext'],
  ['0\r\nX : 1\r\n\r\n', 'http.bad-trailer'],
  ['0\r\nX-A\r\n\r\n', 'http.bad-trailer'],
  ['0\r\nX: a\x00\r\n\r\n', 'http.bad-trailer'],
  ['0\r\n X: 1\r\n\r\n', 'http.obs-fold'],
  ['0\r\nX: 1\n\r\n', 'http.bare-lf'],
  ['0\r\n\r\r', 'http.bare-cr'],
];

for (const [body, reason] of refusals) {
  test(`refuses ${JSON.stringify(body)} as ${reason}`, (t) => {
    const framer = createChunkedFramer();
    t.assert.equal(framer.feed(bytesOf(body)), -1);
    t.assert.equal(framer.problem, reason);
    t.assert.equal(framer.feed(bytesOf('0\r\n\r\n')), -1);
  });
}

test('extension and trailer bytes are bounded over the whole body', (t) => {
  const limits = { maxExtensionBytes: 10, maxTrailerBytes: 12 };
  const ext = createChunkedFramer(limits);
  t.assert.equal(ext.feed(bytesOf('1;abcdef\r\na\r\n1;ghijkl\r\na\r\n')), -1);
  t.assert.equal(ext.problem, 'http.chunk-ext-too-large');
  const trailer = createChunkedFramer(limits);
  t.assert.equal(trailer.feed(bytesOf('0\r\nX-Long: 12345\r\n\r\n')), -1);
  t.assert.equal(trailer.problem, 'http.trailer-too-large');
  const fits = createChunkedFramer(limits);
  t.assert.equal(fits.feed(bytesOf('1;abcd\r\na\r\n0\r\nX: 1\r\n\r\n')), 22);
  t.assert.equal(fits.isDone, true);
});

test('the largest exact chunk size is accepted as a size', (t) => {
  const framer = createChunkedFramer();
  t.assert.equal(framer.feed(bytesOf('1fffffffffffff\r\nabc')), 19);
  t.assert.equal(framer.isDone, false);
});

test('reset starts a new body', (t) => {
  const framer = createChunkedFramer();
  framer.feed(bytesOf('zz'));
  t.assert.equal(framer.problem, 'http.bad-chunk-size');
  framer.reset();
  t.assert.equal(framer.feed(bytesOf('0\r\n\r\n')), 5);
  t.assert.equal(framer.isDone, true);
  t.assert.equal(framer.problem, undefined);
});
