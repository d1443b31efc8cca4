// The SIP sniffer: From forms (compact, display names, quoted names with escapes, addr-spec with
// header parameters), URI forms (sips, IPv6, IPv4, case, trailing dot), identity, and the first
// messages that cannot be routed.

import { test } from 'node:test';
import { createSipProtocol } from '../../../src/proxy/sip/protocol.ts';
import { readUri, userIdentity } from '../../../src/proxy/sip/uri.ts';
import { readAddress } from '../../../src/proxy/sip/address.ts';
import { request, response, wire } from './messages.ts';

const sip = createSipProtocol();

function routeOf(from: string, extra: readonly string[] = []): unknown {
  const result = sip.sniff(request({ from, extra }));
  if (result.kind === 'route') return [result.services, result.identity];
  return result.kind === 'reject' ? result.reason : result.kind;
}

const froms: [string, string, string | undefined][] = [
  ['<sip:alice@example.com>;tag=1', 'example.com', 'alice'],
  ['"Alice Liddell" <sip:alice@example.com>;tag=1', 'example.com', 'alice'],
  [String.raw`"Al \"the\" Ice \\" <sip:alice@example.com>;tag=1`, 'example.com', 'alice'],
  ['Alice Liddell <sip:alice@example.com>;tag=1', 'example.com', 'alice'],
  ['alice<sip:alice@example.com>', 'example.com', 'alice'],
  ['sip:alice@example.com;tag=1;x-param', 'example.com', 'alice'],
  ['sip:alice@example.com ; tag = 1', 'example.com', 'alice'],
  ['<sips:alice@example.com>', 'example.com', 'alice'],
  ['<SIP:alice@Example.COM>', 'example.com', 'alice'],
  ['<sip:alice@pbx.example.com.>', 'pbx.example.com', 'alice'],
  ['<sip:alice@example.com:5061;transport=tls?subject=x>', 'example.com', 'alice'],
  ['<sip:alice:secret@example.com>', 'example.com', 'alice'],
  ['<sip:alice@[2001:DB8::1]:5060>', '2001:db8::1', 'alice'],
  ['<sip:alice@[2001:db8::1]>', '2001:db8::1', 'alice'],
  ['<sip:1001@192.0.2.7>', '192.0.2.7', '1001'],
  ['<sip:example.com>', 'example.com', undefined],
  [
    '<sip:+4930123;phone-context=example.com@example.com;user=phone>',
    'example.com',
    '+4930123;phone-context=example.com',
  ],
  ['<sip:j%C3%BCrgen@example.com>', 'example.com', 'jürgen'],
  ['<sip:null-%00-null@example.com>', 'example.com', undefined],
  ['<sip:bad-%FF@example.com>', 'example.com', undefined],
];

for (const [from, domain, identity] of froms) {
  test(`From: ${from} routes to ${domain} as ${String(identity)}`, (t) => {
    t.assert.deepEqual(routeOf(from), [[domain], identity]);
  });
}

test('the compact form f: routes like From', (t) => {
  const bytes = wire(
    [
      'INVITE sip:bob@example.com SIP/2.0',
      'v: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bK1',
      'f: <sip:alice@example.org>;tag=9',
      't: <sip:bob@example.com>',
      'i: c1@192.0.2.10',
      'CSeq: 1 INVITE',
      'l: 0',
      '',
      '',
    ].join('\n'),
  );
  t.assert.deepEqual(sip.sniff(bytes), {
    kind: 'route',
    services: ['example.org'],
    identity: 'alice',
    size: bytes.length,
  });
});

test('every method routes by the same From rule', (t) => {
  for (const method of ['REGISTER', 'INVITE', 'OPTIONS', 'SUBSCRIBE', 'MESSAGE', 'ACK', 'X-NEW']) {
    const result = sip.sniff(request({ method }));
    t.assert.equal(result.kind === 'route' && result.services[0], 'example.com', method);
  }
});

const unroutable: [string, string][] = [
  ['<tel:+4930123456>;tag=1', 'sip.tel-uri'],
  ['tel:+4930123456;tag=1', 'sip.tel-uri'],
  ['<http://www.example.com>', 'sip.unsupported-scheme'],
  ['<mailto:alice@example.com>', 'sip.unsupported-scheme'],
  ['<alice@example.com>', 'sip.bad-uri'],
  ['<sip:alice@exa mple.com>', 'sip.bad-uri'],
  ['<sip:alice@example..com>', 'sip.bad-uri'],
  ['<sip:alice@-example.com>', 'sip.bad-uri'],
  ['<sip:alice@1.2.3.999>', 'sip.bad-uri'],
  ['<sip:alice@[2001:db8::zz]>', 'sip.bad-uri'],
  ['<sip:alice@example.com:99999>', 'sip.bad-uri'],
  ['<sip:a@b@example.com>', 'sip.bad-uri'],
  ['<sip:@example.com>', 'sip.bad-uri'],
  ['<sip:al%zzice@example.com>', 'sip.bad-uri'],
  ['<sip:>', 'sip.bad-uri'],
  ['"unterminated <sip:alice@example.com>', 'sip.bad-from'],
  ['<sip:alice@example.com', 'sip.bad-from'],
  ['<sip:alice@example.com>;tag=1;tag=2', 'sip.bad-from'],
  ['<sip:alice@example.com>, <sip:eve@example.net>', 'sip.bad-from'],
  ['sip:alice@example.com?x=y', 'sip.bad-from'],
  ['Alice sip:alice@example.com', 'sip.bad-from'],
  ['', 'sip.bad-from'],
];

for (const [from, reason] of unroutable) {
  test(`From: ${from} is rejected as ${reason}`, (t) => {
    t.assert.equal(routeOf(from), reason);
  });
}

test('a request without From is rejected, with two From as ambiguous', (t) => {
  const none = wire('OPTIONS sip:x@example.com SIP/2.0\nTo: <sip:x@example.com>\nl: 0\n\n');
  t.assert.deepEqual(sip.sniff(none), { kind: 'reject', reason: 'sip.no-from' });
  const two = request({ extra: ['f: <sip:eve@example.net>;tag=2'] });
  t.assert.deepEqual(sip.sniff(two), { kind: 'reject', reason: 'sip.multiple-from' });
});

test('a request missing To, Call-ID, CSeq or Via, or with them twice, is rejected', (t) => {
  const base = request().toString('latin1');
  const without = (name: string): Buffer =>
    Buffer.from(base.replace(new RegExp(`^${name}:.*\\r\\n`, 'm'), ''), 'latin1');
  for (const name of ['To', 'Call-ID', 'CSeq', 'Via']) {
    t.assert.deepEqual(sip.sniff(without(name)), { kind: 'reject', reason: 'sip.missing-header' });
  }
  const twice = request({ extra: ['i: other@example.com'] });
  t.assert.deepEqual(sip.sniff(twice), { kind: 'reject', reason: 'sip.duplicate-header' });
});

test('a CSeq that is not a number and a method, or names another method, is rejected', (t) => {
  const mismatch = Buffer.from(
    request().toString('latin1').replace('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'),
    'latin1',
  );
  t.assert.deepEqual(sip.sniff(mismatch), { kind: 'reject', reason: 'sip.cseq-mismatch' });
  const huge = Buffer.from(
    request().toString('latin1').replace('CSeq: 1 ', 'CSeq: 2147483648 '),
    'latin1',
  );
  t.assert.deepEqual(sip.sniff(huge), { kind: 'reject', reason: 'sip.bad-cseq' });
});

test('a response as the first message is rejected', (t) => {
  t.assert.deepEqual(sip.sniff(response({ status: 200 })), {
    kind: 'reject',
    reason: 'sip.response-first',
  });
});

test('garbage, HTTP and TLS are rejected at once; CRLFs alone need more', (t) => {
  t.assert.equal(sip.sniff(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).kind, 'reject');
  t.assert.equal(sip.sniff(Buffer.from('\x16\x03\x01\x02\x00\x01')).kind, 'reject');
  t.assert.deepEqual(sip.sniff(Buffer.from('\r\n\r\n')), { kind: 'need-more' });
  t.assert.deepEqual(sip.sniff(Buffer.from('')), { kind: 'need-more' });
  t.assert.deepEqual(sip.sniff(Buffer.from('\r\n'.repeat(40))), {
    kind: 'reject',
    reason: 'sip.too-many-crlf',
  });
});

test('the sniffer waits for the body and reports the size of the first message only', (t) => {
  const message = request({ method: 'MESSAGE', body: 'Hello, Bob!' });
  t.assert.deepEqual(sip.sniff(message.subarray(0, message.length - 1)), { kind: 'need-more' });
  const withMore = Buffer.concat([Buffer.from('\r\n'), message, request({ cseq: 2 })]);
  const result = sip.sniff(withMore);
  t.assert.equal(result.kind === 'route' && result.size, message.length + 2);
});

test('the limits are options: a smaller head limit rejects a head the default accepts', (t) => {
  const small = createSipProtocol({ limits: { maxHeadBytes: 100 } });
  t.assert.equal(sip.sniff(request()).kind, 'route');
  t.assert.deepEqual(small.sniff(request()), { kind: 'reject', reason: 'sip.head-too-large' });
});

test('readUri tells sip, sips, tel and other schemes apart', (t) => {
  t.assert.deepEqual(readUri('sips:bob@Biloxi.example.com'), {
    scheme: 'sips',
    user: 'bob',
    domain: 'biloxi.example.com',
  });
  t.assert.deepEqual(readUri('tel:+1-201-555-0123'), { scheme: 'tel' });
  t.assert.deepEqual(readUri('urn:service:sos'), { scheme: 'other', name: 'urn' });
  t.assert.equal(readUri('no scheme'), undefined);
});

test('userIdentity decodes escapes as UTF-8 and refuses control characters', (t) => {
  t.assert.equal(userIdentity('I%20have%20spaces'), 'I have spaces');
  t.assert.equal(userIdentity('%75se%72'), 'user');
  t.assert.equal(userIdentity('caf%C3%A9'), 'café');
  t.assert.equal(userIdentity('a%0Db'), undefined);
  t.assert.equal(userIdentity('%C3'), undefined);
});

test('readAddress keeps header parameters off the URI of an addr-spec', (t) => {
  t.assert.deepEqual(readAddress('sip:alice@example.com;tag=abc;transport=tcp'), {
    displayName: undefined,
    uri: 'sip:alice@example.com',
    tag: 'abc',
  });
  t.assert.deepEqual(readAddress('<sip:alice@example.com;transport=tcp>;tag=abc'), {
    displayName: undefined,
    uri: 'sip:alice@example.com;transport=tcp',
    tag: 'abc',
  });
  t.assert.deepEqual(readAddress('"a \\"b\\" c" <sip:x@y.example>;tag="q"'), {
    displayName: 'a "b" c',
    uri: 'sip:x@y.example',
    tag: '"q"',
  });
});
