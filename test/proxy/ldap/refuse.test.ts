// LDAP refusals: the response type of the refused request, its messageID, a resultCode per cause
// (and per sniffer reason for 'malformed'), a Notice of Disconnection when no messageID is readable.

import { test } from 'node:test';
import { createLdapProtocol } from '../../../src/proxy/ldap/protocol.ts';
import type { RefusalCause } from '../../../src/proxy/protocol.ts';
import { hex, int, message, readAnswer, simpleBind, tlv, vectors } from './support.ts';

const ldap = createLdapProtocol();

interface Expected {
  readonly messageId: number;
  readonly op: number;
  readonly resultCode: number;
}

function answerTo(bytes: Uint8Array | undefined, cause: RefusalCause): Expected | undefined {
  const refusal = ldap.refuse(bytes, cause);
  if (refusal === undefined) return undefined;
  const answer = readAnswer(refusal);
  if (answer === undefined) return { messageId: -1, op: -1, resultCode: -1 };
  // Every refusal is one whole message with an empty matchedDN.
  if (answer.size !== refusal.length || answer.matchedDn !== '')
    return { messageId: -2, op: -2, resultCode: -2 };
  return { messageId: answer.messageId, op: answer.op, resultCode: answer.resultCode };
}

const bindAnswers: readonly [RefusalCause, number][] = [
  ['unknown-service', 53], // unwillingToPerform
  ['forbidden', 50], // insufficientAccessRights
  ['backend-unavailable', 52], // unavailable
  ['backend-timeout', 52],
  ['too-large', 11], // adminLimitExceeded
  ['first-message-timeout', 2], // protocolError
  ['malformed', 2],
];

for (const [cause, resultCode] of bindAnswers) {
  test(`a bind refused as ${cause} gets a BindResponse with resultCode ${resultCode}`, (t) => {
    t.assert.deepEqual(answerTo(vectors.simpleBind, cause), { messageId: 1, op: 0x61, resultCode });
    t.assert.deepEqual(answerTo(vectors.windowsBind, cause), {
      messageId: 0x41,
      op: 0x61,
      resultCode,
    });
  });
}

const rejectedAnswers: readonly [string, Buffer, Expected | undefined][] = [
  ['an anonymous bind', vectors.anonymousBind, { messageId: 1, op: 0x61, resultCode: 48 }],
  [
    'an unauthenticated bind',
    simpleBind(3, 'a@b.example', ''),
    { messageId: 3, op: 0x61, resultCode: 48 },
  ],
  ['a SASL bind', vectors.saslBind, { messageId: 1, op: 0x61, resultCode: 7 }],
  ['a Sicily bind', vectors.sicilyBind, { messageId: 1, op: 0x61, resultCode: 7 }],
  [
    'a bind without a domain',
    simpleBind(4, 'User1', 'pw'),
    { messageId: 4, op: 0x61, resultCode: 53 },
  ],
  [
    'a bind with an invalid DN',
    simpleBind(5, 'cn=a;dc=b', 'pw'),
    { messageId: 5, op: 0x61, resultCode: 34 },
  ],
  [
    'a bind of version 4',
    simpleBind(6, 'a@b.example', 'pw', 4),
    { messageId: 6, op: 0x61, resultCode: 2 },
  ],
  [
    'a bind name over the cap',
    simpleBind(7, `cn=${'a'.repeat(3000)},dc=x`, 'pw'),
    { messageId: 7, op: 0x61, resultCode: 11 },
  ],
  ['a search before a bind', vectors.searchBeforeBind, { messageId: 1, op: 0x65, resultCode: 1 }],
  [
    'a modify before a bind',
    message(8, tlv(0x66, tlv(0x04, 'cn=x'), tlv(0x30))),
    { messageId: 8, op: 0x67, resultCode: 1 },
  ],
  [
    'a delete before a bind',
    message(9, tlv(0x4a, 'cn=x')),
    { messageId: 9, op: 0x6b, resultCode: 1 },
  ],
  [
    'another extended operation',
    message(10, tlv(0x77, tlv(0x80, '1.3.6.1.4.1.4203.1.11.3'))),
    { messageId: 10, op: 0x78, resultCode: 1 },
  ],
  ['a StartTLS the pipeline refused', vectors.startTls, { messageId: 1, op: 0x78, resultCode: 52 }],
  ['an unbind', vectors.unbind, undefined],
  ['an abandon', message(4, tlv(0x50, Buffer.from([2]))), undefined],
  [
    'a message over the cap',
    hex('3084 00010001 020102 6084 0000fff8'),
    { messageId: 2, op: 0x61, resultCode: 11 },
  ],
  [
    'a bind with junk after it',
    hex('300e 020101 6007 020103 0400 8000 0400'),
    { messageId: 1, op: 0x61, resultCode: 2 },
  ],
  // No messageID to answer: the Notice of Disconnection (messageID 0, ExtendedResponse, protocolError).
  ['indefinite lengths', vectors.indefiniteBind, { messageId: 0, op: 0x78, resultCode: 2 }],
  [
    'a five-octet messageID',
    hex('300d 0205 0080000000 6004 020103 04'),
    { messageId: 0, op: 0x78, resultCode: 2 },
  ],
  [
    'a response from the client',
    message(1, tlv(0x61, int(0, 0x0a), tlv(0x04), tlv(0x04))),
    { messageId: 0, op: 0x78, resultCode: 2 },
  ],
  // Not LDAP at all: no LDAP answer.
  ['HTTP', Buffer.from('GET / HTTP/1.1\r\n\r\n'), undefined],
  ['a TLS ClientHello', hex('16030100a5010000a10303'), undefined],
];

for (const [name, bytes, expected] of rejectedAnswers) {
  test(`${name} refused as malformed is answered ${expected === undefined ? 'with nothing' : `with op ${expected.op.toString(16)} and resultCode ${expected.resultCode}`}`, (t) => {
    t.assert.deepEqual(answerTo(bytes, 'malformed'), expected);
  });
}

test('the Notice of Disconnection carries its OID and unavailable for a backend cause', (t) => {
  const notice = ldap.refuse(vectors.indefiniteBind, 'malformed');
  t.assert.equal(
    notice !== undefined && readAnswer(notice)?.responseName,
    '1.3.6.1.4.1.1466.20036',
  );
  const backend = ldap.refuse(hex('3080 020101'), 'backend-unavailable');
  t.assert.equal(backend !== undefined && readAnswer(backend)?.resultCode, 52);
});

test('a silent client and a partial message without a messageID get no answer on timeout', (t) => {
  t.assert.equal(ldap.refuse(undefined, 'first-message-timeout'), undefined);
  t.assert.equal(ldap.refuse(hex('30 05 02'), 'first-message-timeout'), undefined);
  t.assert.equal(ldap.refuse(undefined, 'malformed'), undefined);
  t.assert.deepEqual(answerTo(vectors.simpleBind.subarray(0, 12), 'first-message-timeout'), {
    messageId: 1,
    op: 0x61,
    resultCode: 2,
  });
});

test('refusals never echo the request: fixed diagnostics, empty matchedDN', (t) => {
  const causes: RefusalCause[] = [
    'malformed',
    'unknown-service',
    'forbidden',
    'backend-unavailable',
  ];
  for (const cause of causes) {
    const refusal = ldap.refuse(vectors.simpleBind, cause);
    const text = Buffer.from(refusal ?? []).toString('latin1');
    t.assert.equal(text.includes('example'), false, cause);
    t.assert.equal(text.includes('secret'), false, cause);
    t.assert.equal(readAnswer(refusal ?? Buffer.alloc(0))?.diagnostic.length !== 0, true, cause);
  }
});

test('the largest messageID is answered as it came', (t) => {
  t.assert.deepEqual(answerTo(simpleBind(2147483647, 'a@b.example', 'pw'), 'forbidden'), {
    messageId: 2147483647,
    op: 0x61,
    resultCode: 50,
  });
});
