// The LDAP sniffer (protocols.md §4.1–4.3): what each first message routes to, or why it cannot.

import { test } from 'node:test';
import { createLdapProtocol } from '../../../src/proxy/ldap/protocol.ts';
import { frameLdapMessage } from '../../../src/proxy/ldap/message.ts';
import type { SniffResult } from '../../../src/proxy/protocol.ts';
import {
  START_TLS_OID,
  hex,
  int,
  message,
  readAnswer,
  simpleBind,
  tlv,
  tlv4,
  vectors,
} from './support.ts';

const ldap = createLdapProtocol();

function route(domain: string, identity: string | undefined, size: number): SniffResult {
  return { kind: 'route', services: [domain], identity, size };
}

test('a simple bind with a DN routes to its DC parts', (t) => {
  t.assert.deepEqual(ldap.sniff(vectors.simpleBind), route('example.com', 'admin', 46));
});

test('a down-level bind name routes to its domain (protocols.md §8 vector)', (t) => {
  t.assert.deepEqual(ldap.sniff(vectors.innovaphoneBind), route('innovaphone', 'alice', 37));
});

test('a Windows bind with four-octet lengths routes', (t) => {
  t.assert.equal(
    vectors.windowsBind.subarray(0, 15).toString('hex'),
    '30840000004a020141608400000041',
  );
  t.assert.deepEqual(ldap.sniff(vectors.windowsBind), route('corp.example.com', 'admin', 80));
});

test('the first message ends where its BER length says; later bytes are not part of it', (t) => {
  const bytes = Buffer.concat([vectors.simpleBind, vectors.searchBeforeBind]);
  t.assert.deepEqual(ldap.sniff(bytes), route('example.com', 'admin', 46));
});

test('a bind with controls routes', (t) => {
  const control = tlv(0xa0, tlv(0x30, tlv(0x04, '1.2.840.113556.1.4.319')));
  const bind = message(7, tlv(0x60, int(3), tlv(0x04, 'x@example.org'), tlv(0x80, 'pw')), control);
  t.assert.deepEqual(ldap.sniff(bind), route('example.org', 'x', bind.length));
});

test('an LDAPv2 bind routes too', (t) => {
  t.assert.deepEqual(ldap.sniff(simpleBind(2, 'pbx\\alice', 'pw', 2)).kind, 'route');
});

test('StartTLS first is answered with success, its OID and the same messageID', (t) => {
  const result = ldap.sniff(vectors.startTls);
  t.assert.equal(result.kind, 'starttls');
  if (result.kind !== 'starttls') return;
  t.assert.equal(result.size, 31);
  t.assert.equal(
    Buffer.from(result.reply).toString('hex'),
    '3024020101781f0a0100040004008a16' + Buffer.from(START_TLS_OID).toString('hex'),
  );
  const other = ldap.sniff(message(0x1234, tlv(0x77, tlv(0x80, START_TLS_OID))));
  t.assert.equal(other.kind === 'starttls' && readAnswer(other.reply)?.messageId, 0x1234);
});

const rejects: readonly [string, Buffer, string][] = [
  ['an anonymous bind', vectors.anonymousBind, 'ldap.anonymous-bind'],
  ['an anonymous bind with a password', simpleBind(1, '', 'x'), 'ldap.anonymous-bind'],
  [
    'an unauthenticated bind',
    simpleBind(1, 'cn=a,dc=example,dc=com', ''),
    'ldap.unauthenticated-bind',
  ],
  ['a SASL bind', vectors.saslBind, 'ldap.sasl-bind'],
  ['a Sicily bind', vectors.sicilyBind, 'ldap.sicily-bind'],
  [
    'a Sicily NTLM negotiate',
    message(1, tlv(0x60, int(3), tlv(0x04, 'User1'), tlv(0x8a, 'NTLMSSP\0'))),
    'ldap.sicily-bind',
  ],
  [
    'an unknown authentication choice',
    message(1, tlv(0x60, int(3), tlv(0x04, 'a@b.c'), tlv(0x81, 'x'))),
    'ldap.unknown-authentication',
  ],
  ['a bind of version 4', simpleBind(1, 'a@example.com', 'pw', 4), 'ldap.unsupported-version'],
  ['a bind name without a domain', simpleBind(1, 'User1', 'pw'), 'ldap.no-domain'],
  ['a DN without DC parts', simpleBind(1, 'cn=admin,o=acme', 'pw'), 'ldap.no-domain'],
  ['a bind name that is no DN', simpleBind(1, 'cn=a;dc=b', 'pw'), 'ldap.invalid-dn'],
  [
    'a bind name that is not UTF-8',
    message(1, tlv(0x60, int(3), tlv(0x04, hex('636e3dff2c64633d78')), tlv(0x80, 'pw'))),
    'ldap.invalid-dn',
  ],
  [
    'a bind name over the cap',
    simpleBind(1, `cn=${'a'.repeat(3000)},dc=x`, 'pw'),
    'ldap.bind-name-too-long',
  ],
  ['a search before a bind', vectors.searchBeforeBind, 'ldap.no-bind-first'],
  ['an unbind first', vectors.unbind, 'ldap.no-bind-first'],
  [
    'another extended operation',
    message(1, tlv(0x77, tlv(0x80, '1.3.6.1.4.1.4203.1.11.3'))),
    'ldap.no-bind-first',
  ],
  [
    'a response from the client',
    message(1, tlv(0x61, int(0, 0x0a), tlv(0x04), tlv(0x04))),
    'ldap.no-bind-first',
  ],
  ['indefinite lengths', vectors.indefiniteBind, 'ldap.indefinite-length'],
  [
    'an indefinite length inside',
    hex('300c 020101 6080 020103 0400 8000 0000'),
    'ldap.indefinite-length',
  ],
  ['HTTP', Buffer.from('GET / HTTP/1.1\r\n\r\n'), 'ldap.not-a-message'],
  ['a TLS ClientHello', hex('16030100a5010000a10303'), 'ldap.not-a-message'],
  ['a negative messageID', simpleBind(-1, 'a@example.com', 'pw'), 'ldap.malformed'],
  ['a five-octet messageID', hex('300d 0205 0080000000 6004 020103 04'), 'ldap.malformed'],
  ['a messageID of another type', hex('300c 0a0101 6007 020103 0400 8000'), 'ldap.malformed'],
  ['junk after the operation', hex('300e 020101 6007 020103 0400 8000 0400'), 'ldap.malformed'],
  [
    'a bind with a field after the password',
    hex('300e 020101 6009 020103 0400 8000 0400'),
    'ldap.malformed',
  ],
  ['a bind whose name overruns it', hex('300c 020101 6007 020103 0405 8000'), 'ldap.malformed'],
  ['a StartTLS with a broken name', hex('3007 020101 7702 8005'), 'ldap.malformed'],
  ['a message over 64 KiB', hex('3084 00010001 020101'), 'ldap.too-large'],
  ['a length of five octets', hex('3085 0000000005'), 'ldap.malformed'],
];

for (const [name, bytes, reason] of rejects) {
  test(`rejects ${name} as ${reason}`, (t) => {
    t.assert.deepEqual(ldap.sniff(bytes), { kind: 'reject', reason });
  });
}

test('waits for the rest of a bind or StartTLS, at every cut', (t) => {
  for (const bytes of [vectors.simpleBind, vectors.windowsBind, vectors.startTls]) {
    for (let cut = 0; cut < bytes.length; cut++) {
      t.assert.deepEqual(ldap.sniff(bytes.subarray(0, cut)), { kind: 'need-more' }, `cut ${cut}`);
    }
  }
});

test('rejects an operation that must not come first before it is whole', (t) => {
  const bigSearch = tlv4(0x30, int(9), tlv4(0x63, tlv(0x04, 'x'.repeat(5000))));
  t.assert.deepEqual(ldap.sniff(bigSearch.subarray(0, 20)), {
    kind: 'reject',
    reason: 'ldap.no-bind-first',
  });
});

test('the message cap is a parameter', (t) => {
  const small = createLdapProtocol({ maxMessageBytes: 40, maxBindNameBytes: 10 });
  t.assert.deepEqual(small.sniff(vectors.simpleBind), { kind: 'reject', reason: 'ldap.too-large' });
  t.assert.deepEqual(small.sniff(vectors.innovaphoneBind), {
    kind: 'reject',
    reason: 'ldap.bind-name-too-long',
  });
  const odd = createLdapProtocol({ maxMessageBytes: -1, maxBindNameBytes: Number.NaN });
  t.assert.equal(odd.sniff(vectors.simpleBind).kind, 'route');
});

test('frames a message whole and only whole', (t) => {
  const framed = frameLdapMessage(vectors.windowsBind, 1000);
  t.assert.deepEqual(framed, {
    kind: 'ok',
    value: { messageId: 0x41, op: 0x60, opStart: 15, opEnd: 80, size: 80 },
    size: 80,
  });
  t.assert.deepEqual(frameLdapMessage(vectors.windowsBind.subarray(0, 79), 1000), {
    kind: 'incomplete',
    needed: 1,
  });
});
