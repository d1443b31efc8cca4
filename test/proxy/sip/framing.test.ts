// Framing of SIP messages on a stream (RFC 3261 §18.3): keep-alives, splits at every offset,
// several messages per buffer, and every way Content-Length and the limits refuse a message.

import { test } from 'node:test';
import { frameSipHead, frameSipMessage } from '../../../src/proxy/sip/framing.ts';
import { defaultSipLimits } from '../../../src/proxy/sip/problem.ts';
import { createSipStreamReader } from '../../../src/proxy/sip/stream.ts';
import { request, response, wire, wsinv } from './messages.ts';

const body = 'v=0\no=- 1 1 IN IP4 192.0.2.10\ns=-\n';
const bodyLength = wire(body).length;
const invite = request({ method: 'INVITE', body });

/** The reason frameSipMessage gives, or its kind when it is not malformed. */
function outcome(bytes: Uint8Array): string {
  const result = frameSipMessage(bytes);
  return result.kind === 'malformed' ? result.reason : result.kind;
}

test('a whole message frames to its own size, body included', (t) => {
  const result = frameSipMessage(invite);
  t.assert.equal(result.kind, 'ok');
  if (result.kind !== 'ok') return;
  t.assert.equal(result.size, invite.length);
  t.assert.equal(result.value.contentLength, bodyLength);
  t.assert.equal(result.value.headEnd, invite.length - bodyLength);
});

test('every strict prefix of a message is incomplete, never malformed', (t) => {
  for (const message of [invite, wsinv, response({ status: 401 })]) {
    for (let cut = 0; cut < message.length; cut++) {
      t.assert.equal(frameSipMessage(message.subarray(0, cut)).kind, 'incomplete', `cut ${cut}`);
    }
  }
});

test('two messages in one buffer: the first frames, the rest starts the second', (t) => {
  const second = request({ cseq: 2 });
  const both = Buffer.concat([invite, second]);
  const first = frameSipMessage(both);
  t.assert.equal(first.kind === 'ok' && first.size, invite.length);
  const next = frameSipMessage(both.subarray(invite.length));
  t.assert.equal(next.kind === 'ok' && next.size, second.length);
});

test('leading CRLF keep-alives are skipped and counted in the size', (t) => {
  const bytes = Buffer.concat([Buffer.from('\r\n\r\n\r\n'), invite]);
  const result = frameSipMessage(bytes);
  t.assert.equal(result.kind, 'ok');
  if (result.kind !== 'ok') return;
  t.assert.equal(result.value.start, 6);
  t.assert.equal(result.size, bytes.length);
});

test('CRLFs alone wait for more, up to the keep-alive limit', (t) => {
  t.assert.equal(outcome(Buffer.from('\r\n')), 'incomplete');
  t.assert.equal(outcome(Buffer.from('\r\n\r')), 'incomplete');
  t.assert.equal(outcome(Buffer.from('\r\n'.repeat(32))), 'incomplete');
  t.assert.equal(outcome(Buffer.from('\r\n'.repeat(33))), 'sip.too-many-crlf');
});

test('a bare LF or CR before the start line is refused', (t) => {
  t.assert.equal(outcome(Buffer.from('\nREGISTER')), 'sip.bad-line-end');
  t.assert.equal(outcome(Buffer.from('\r\n\rX')), 'sip.bad-line-end');
});

const contentLengthCases: [string, string[], string][] = [
  ['missing', [], 'sip.missing-content-length'],
  ['duplicate', ['Content-Length: 0', 'Content-Length: 0'], 'sip.duplicate-content-length'],
  ['duplicate in compact form', ['Content-Length: 0', 'l: 0'], 'sip.duplicate-content-length'],
  ['negative', ['Content-Length: -1'], 'sip.bad-content-length'],
  ['non-numeric', ['Content-Length: ten'], 'sip.bad-content-length'],
  ['a list', ['Content-Length: 0, 0'], 'sip.bad-content-length'],
  ['hex', ['Content-Length: 0x10'], 'sip.bad-content-length'],
  ['empty', ['Content-Length:'], 'sip.bad-content-length'],
  ['over the body limit', ['Content-Length: 65537'], 'sip.body-too-large'],
  ['absurdly long', ['Content-Length: 99999999999999999999'], 'sip.bad-content-length'],
];

for (const [name, lines, reason] of contentLengthCases) {
  test(`Content-Length ${name} is refused (${reason})`, (t) => {
    const head = ['OPTIONS sip:example.com SIP/2.0', 'From: <sip:a@example.com>', ...lines, '', ''];
    t.assert.equal(outcome(wire(head.join('\n'))), reason);
  });
}

test('compact l:, LWS before the colon and leading zeros are a valid Content-Length', (t) => {
  const bytes = wire('OPTIONS sip:example.com SIP/2.0\nl  : 0003\n\nabc');
  const result = frameSipMessage(bytes);
  t.assert.equal(result.kind === 'ok' && result.value.contentLength, 3);
});

test('the body limit is exact: 65536 bytes frame, the head refuses nothing early', (t) => {
  const head = wire('OPTIONS sip:example.com SIP/2.0\nContent-Length: 65536\n\n');
  t.assert.equal(frameSipHead(head).kind, 'ok');
  const whole = Buffer.concat([head, Buffer.alloc(65_536, 0x61)]);
  t.assert.equal(frameSipMessage(whole).kind, 'ok');
});

test('a head over the limit is refused once the limit is reached', (t) => {
  const limits = { ...defaultSipLimits, maxHeadBytes: 200 };
  const long = wire(`OPTIONS sip:example.com SIP/2.0\nX: ${'a'.repeat(300)}\nl: 0\n\n`);
  const early = frameSipHead(long.subarray(0, 199), limits);
  t.assert.equal(early.kind, 'incomplete');
  const result = frameSipHead(long, limits);
  t.assert.equal(result.kind === 'malformed' && result.reason, 'sip.head-too-large');
  t.assert.equal(frameSipHead(long).kind, 'ok'); // 16 KiB by default
});

test('a head that ends exactly at the limit frames', (t) => {
  const bytes = wire('OPTIONS sip:example.com SIP/2.0\nl: 0\n\n');
  t.assert.equal(
    frameSipHead(bytes, { ...defaultSipLimits, maxHeadBytes: bytes.length }).kind,
    'ok',
  );
  const short = { ...defaultSipLimits, maxHeadBytes: bytes.length - 1 };
  const result = frameSipHead(bytes, short);
  t.assert.equal(result.kind === 'malformed' && result.reason, 'sip.head-too-large');
});

test('control bytes and bare line ends are refused before the head is complete', (t) => {
  const tls = Buffer.from('160301020001000200', 'hex');
  t.assert.equal(outcome(tls), 'sip.control-char');
  t.assert.equal(outcome(Buffer.from('REGISTER sip:x SIP/2.0\nFrom')), 'sip.bad-line-end');
  t.assert.equal(outcome(Buffer.from('REGISTER sip:x SIP/2.0\rFrom')), 'sip.bad-line-end');
  t.assert.equal(outcome(Buffer.from('REGISTER sip:x\0')), 'sip.control-char');
});

test('a folded line before any header and a line without a colon are refused', (t) => {
  t.assert.equal(outcome(wire('OPTIONS sip:x SIP/2.0\n folded\nl: 0\n\n')), 'sip.bad-fold');
  t.assert.equal(outcome(wire('OPTIONS sip:x SIP/2.0\nno colon here\nl: 0\n\n')), 'sip.bad-header');
  t.assert.equal(outcome(wire('OPTIONS sip:x SIP/2.0\n: empty name\nl: 0\n\n')), 'sip.bad-header');
});

test('the stream reader frames a message split at every offset into the same heads', (t) => {
  const stream = Buffer.concat([
    Buffer.from('\r\n\r\n'),
    invite,
    Buffer.from('\r\n'),
    response({ status: 200, body: 'hello' }),
    wsinv,
  ]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = createSipStreamReader(defaultSipLimits);
    const first = reader.read(stream.subarray(0, cut));
    const second = reader.read(stream.subarray(cut));
    t.assert.equal(first.problem ?? second.problem, undefined);
    const heads = [...first.heads, ...second.heads];
    t.assert.deepEqual(
      heads.map((head) => head.startLine.kind),
      ['request', 'response', 'request'],
      `cut ${cut}`,
    );
  }
});

test('the stream reader frames one byte at a time', (t) => {
  const reader = createSipStreamReader(defaultSipLimits);
  const stream = Buffer.concat([invite, wsinv, Buffer.from('\r\n\r\n'), invite]);
  let count = 0;
  for (let i = 0; i < stream.length; i++) {
    const read = reader.read(stream.subarray(i, i + 1));
    t.assert.equal(read.problem, undefined);
    count += read.heads.length;
  }
  t.assert.equal(count, 3);
});

test('the stream reader skips a large body by count and stays failed after a problem', (t) => {
  const reader = createSipStreamReader(defaultSipLimits);
  const head = wire('MESSAGE sip:x SIP/2.0\nContent-Length: 60000\n\n');
  t.assert.equal(reader.read(head).heads.length, 1);
  for (let i = 0; i < 60; i++)
    t.assert.equal(reader.read(Buffer.alloc(1000, 0)).problem, undefined);
  t.assert.equal(reader.read(Buffer.from('\n')).problem, 'sip.bad-line-end');
  t.assert.equal(reader.read(invite).problem, 'sip.bad-line-end');
  t.assert.equal(reader.read(invite).heads.length, 0);
});

test('the stream reader refuses a head that never ends within the limit', (t) => {
  const limits = { ...defaultSipLimits, maxHeadBytes: 100 };
  const reader = createSipStreamReader(limits);
  t.assert.equal(reader.read(Buffer.from('OPTIONS sip:x SIP/2.0\r\n')).problem, undefined);
  t.assert.equal(reader.read(Buffer.alloc(60, 0x61)).problem, undefined);
  t.assert.equal(reader.read(Buffer.alloc(60, 0x61)).problem, 'sip.head-too-large');
});

test('a complete start line that is no SIP start line is refused before the head ends', (t) => {
  t.assert.equal(outcome(Buffer.from('GET / HTTP/1.1\r\nHost: x')), 'sip.bad-start-line');
  t.assert.equal(outcome(Buffer.from('OPTIONS sip:x SIP/3.0\r\n')), 'sip.bad-version');
  t.assert.equal(outcome(Buffer.from('OPTIONS sip:x SIP/2.0\r\n')), 'incomplete');
  t.assert.equal(outcome(Buffer.from('SIP/2.0 200 OK\r\n')), 'incomplete');
});
