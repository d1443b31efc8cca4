// SIP refusals: a response built from the refused request with only its Vias (in order), From,
// To (tagged), Call-ID and CSeq; no answer where there is no request to answer.

import { test } from 'node:test';
import type { RefusalCause } from '../../../src/proxy/protocol.ts';
import { frameSipMessage } from '../../../src/proxy/sip/framing.ts';
import { headerValues } from '../../../src/proxy/sip/head.ts';
import { createSipProtocol } from '../../../src/proxy/sip/protocol.ts';
import { lwsstart, multi01, ncl, request, response, text, wire, wsinv } from './messages.ts';

const sip = createSipProtocol({ newTag: () => 'gw1' });

const invite = wire(
  [
    'INVITE sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/TCP proxy.example.net;branch=z9hG4bKa',
    'v: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKb;rport, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKc',
    'Max-Forwards: 70',
    'Route: <sip:secret.internal;lr>',
    'f: "Alice" <sip:alice@example.com>;tag=1928301774',
    'To: Bob <sip:bob@example.com>',
    'i: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@192.0.2.10>',
    'Authorization: Digest username="alice", response="deadbeef"',
    'Content-Type: application/sdp',
    'Content-Length: 4',
    '',
    'v=0\n',
  ].join('\n'),
);

const expectedHeaders = [
  'Via: SIP/2.0/TCP proxy.example.net;branch=z9hG4bKa',
  'Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKb;rport, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKc',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'To: Bob <sip:bob@example.com>;tag=gw1',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 314159 INVITE',
  'Server: pbxgate',
  'Content-Length: 0',
];

const statuses: [RefusalCause, string][] = [
  ['unknown-service', '404 Not Found'],
  ['forbidden', '403 Forbidden'],
  ['backend-unavailable', '503 Service Unavailable'],
  ['backend-timeout', '503 Service Unavailable'],
  ['malformed', '400 Bad Request'],
  ['too-large', '400 Bad Request'],
  ['first-message-timeout', '408 Request Timeout'],
];

for (const [cause, status] of statuses) {
  test(`${cause} is answered with ${status}, copying only what a response must carry`, (t) => {
    const answer = sip.refuse(invite, cause);
    t.assert.equal(
      answer && text(answer),
      [`SIP/2.0 ${status}`, ...expectedHeaders, '', ''].join('\r\n'),
    );
  });
}

test('the answer frames with our own framer and keeps the Via order', (t) => {
  const answer = sip.refuse(invite, 'forbidden');
  if (answer === undefined) throw new Error('no answer');
  const framed = frameSipMessage(answer);
  t.assert.equal(framed.kind === 'ok' && framed.size, answer.length);
  if (framed.kind !== 'ok') return;
  const { head } = framed.value;
  t.assert.deepEqual(head.startLine, { kind: 'response', status: 403, reason: 'Forbidden' });
  t.assert.equal(headerValues(head, 'via').length, 2);
  t.assert.equal(headerValues(head, 'route').length, 0);
  t.assert.equal(headerValues(head, 'authorization').length, 0);
  t.assert.equal(headerValues(head, 'contact').length, 0);
});

test('an existing To tag is kept and no second one is added', (t) => {
  const inDialog = request({ method: 'BYE', to: '<sip:bob@example.com>;tag=a6c85cf' });
  const answer = text(sip.refuse(inDialog, 'unknown-service') ?? new Uint8Array());
  t.assert.match(answer, /\r\nTo: <sip:bob@example\.com>;tag=a6c85cf\r\n/);
  t.assert.doesNotMatch(answer, /gw1/);
});

test('a random To tag is used when none is injected', (t) => {
  const answers = [1, 2].map((n) =>
    text(createSipProtocol().refuse(request({ cseq: n }), 'forbidden') ?? new Uint8Array()),
  );
  const tags = answers.map((answer) => /\r\nTo: [^\r]*;tag=([0-9a-f]{16})\r\n/.exec(answer)?.[1]);
  t.assert.equal(
    tags.every((tag) => tag !== undefined),
    true,
  );
  t.assert.notEqual(tags[0], tags[1]);
});

test('full header names are written for a request in compact form, folded values unfolded', (t) => {
  const answer = text(sip.refuse(wsinv, 'unknown-service') ?? new Uint8Array());
  t.assert.equal(
    answer,
    [
      'SIP/2.0 404 Not Found',
      'Via: SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw',
      'Via: SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239',
      String.raw`From: "J Rosenberg \\\""       <sip:jdrosen@example.com> ; tag = 98asjd8`,
      'To: sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
      'Call-ID: wsinv.ndaksdj@192.0.2.1',
      'CSeq: 0009 INVITE',
      'Server: pbxgate',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
});

test('leading keep-alives and trailing bytes do not stop an answer', (t) => {
  const bytes = Buffer.concat([Buffer.from('\r\n\r\n'), request(), Buffer.from('garbage')]);
  t.assert.equal(
    text(sip.refuse(bytes, 'forbidden') ?? new Uint8Array()).startsWith('SIP/2.0 403'),
    true,
  );
});

test('a request with a bad Content-Length is still answered 400 (RFC 4475 ncl)', (t) => {
  const answer = text(sip.refuse(ncl, 'malformed') ?? new Uint8Array());
  t.assert.equal(
    answer.startsWith('SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP 192.0.2.53;'),
    true,
  );
});

const unanswerable: [string, Uint8Array | undefined][] = [
  ['nothing', undefined],
  ['garbage', Buffer.from('\x16\x03\x01\x00\x05hello')],
  ['a response', response({ status: 200 })],
  ['an ACK', request({ method: 'ACK' })],
  ['an incomplete head', request().subarray(0, 60)],
  ['a request with two From (multi01)', multi01],
  ['a bad Request-Line (lwsstart)', lwsstart],
  [
    'a request without Via',
    wire(
      'OPTIONS sip:x SIP/2.0\nFrom: <sip:a@b.example>\nTo: <sip:a@b.example>\ni: 1\nCSeq: 1 OPTIONS\nl: 0\n\n',
    ),
  ],
  ['a request with a broken To', request({ to: '"open <sip:x@example.com>' })],
  [
    'a request with a bad CSeq',
    Buffer.from(request().toString('latin1').replace('CSeq: 1', 'CSeq: x'), 'latin1'),
  ],
];

for (const [name, bytes] of unanswerable) {
  test(`${name} gets no answer`, (t) => {
    t.assert.equal(sip.refuse(bytes, 'malformed'), undefined);
    t.assert.equal(sip.refuse(bytes, 'first-message-timeout'), undefined);
  });
}
