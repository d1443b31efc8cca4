// RFC 4475 torture messages that bear on routing, through the sniffer: the valid ones route by
// their From domain, the invalid ones are rejected with a reason (protocols.md §3).

import { test } from 'node:test';
import { createSipProtocol } from '../../../src/proxy/sip/protocol.ts';
import { readAddress } from '../../../src/proxy/sip/address.ts';
import { decodeSipHead, findHeadEnd, headerValues } from '../../../src/proxy/sip/head.ts';
import {
  badvers,
  esc01,
  lwsdisp,
  lwsstart,
  mcl01,
  multi01,
  ncl,
  semiuri,
  unksm2,
  wsinv,
} from './messages.ts';

const sip = createSipProtocol();

const routed: [string, Buffer, string, string | undefined][] = [
  ['wsinv (LWS before colons, folded From, mixed-case names)', wsinv, 'example.com', 'jdrosen'],
  ['esc01 (escapes in the From user part)', esc01, 'example.net', 'I have spaces'],
  ['lwsdisp (no LWS between display name and <)', lwsdisp, 'example.com', 'caller'],
  ['semiuri (";" in the Request-URI user part, bare From)', semiuri, 'example.org', 'caller'],
];

for (const [name, bytes, domain, identity] of routed) {
  test(`${name} routes by its From domain`, (t) => {
    t.assert.deepEqual(sip.sniff(bytes), {
      kind: 'route',
      services: [domain],
      identity,
      size: bytes.length,
    });
  });
}

const rejected: [string, Buffer, string][] = [
  ['multi01 (two From with different domains)', multi01, 'sip.multiple-from'],
  ['ncl (negative Content-Length)', ncl, 'sip.bad-content-length'],
  ['mcl01 (two Content-Length)', mcl01, 'sip.duplicate-content-length'],
  ['badvers (SIP/7.0)', badvers, 'sip.bad-version'],
  ['lwsstart (two SP in the Request-Line)', lwsstart, 'sip.bad-start-line'],
  ['unksm2 (an http: From URI)', unksm2, 'sip.unsupported-scheme'],
];

for (const [name, bytes, reason] of rejected) {
  test(`${name} is rejected as ${reason}`, (t) => {
    t.assert.deepEqual(sip.sniff(bytes), { kind: 'reject', reason });
  });
}

test('wsinv unfolds its headers: From keeps its escaped display name and tag', (t) => {
  const end = findHeadEnd(wsinv, 0, 16_384);
  const head = decodeSipHead(wsinv, 0, end);
  t.assert.equal(head.kind, 'ok');
  if (head.kind !== 'ok') return;
  const [from] = headerValues(head.value, 'from');
  t.assert.equal(
    from,
    String.raw`"J Rosenberg \\\""       <sip:jdrosen@example.com> ; tag = 98asjd8`,
  );
  t.assert.deepEqual(readAddress(from ?? ''), {
    displayName: String.raw`J Rosenberg \"`,
    uri: 'sip:jdrosen@example.com',
    tag: '98asjd8',
  });
  t.assert.deepEqual(headerValues(head.value, 'via'), [
    'SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw',
    'SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239',
  ]);
  t.assert.deepEqual(headerValues(head.value, 'cseq'), ['0009 INVITE']);
  t.assert.deepEqual(headerValues(head.value, 'subject'), ['']);
  t.assert.deepEqual(headerValues(head.value, 'newfangledheader'), [
    'newfangled value continued newfangled value',
  ]);
});

test('a multi01 whose head alone has arrived is rejected without waiting for the body', (t) => {
  const head = multi01.subarray(0, multi01.indexOf('\r\n\r\n') + 4);
  t.assert.deepEqual(sip.sniff(head), { kind: 'reject', reason: 'sip.multiple-from' });
});
