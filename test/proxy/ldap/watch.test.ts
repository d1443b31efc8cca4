// The LDAP watcher: later binds held to the routed domain, BindResponse 49 counted by messageID,
// chunks split anywhere, large messages skipped by count, a server that stops speaking BER ignored.

import { test } from 'node:test';
import { createLdapProtocol } from '../../../src/proxy/ldap/protocol.ts';
import type { WatchVerdict, Watcher } from '../../../src/proxy/protocol.ts';
import {
  type FakeContext,
  START_TLS_OID,
  hex,
  int,
  message,
  readAnswer,
  response,
  simpleBind,
  tlv,
  tlv4,
  vectors,
  watchContext,
} from './support.ts';
import { splitAnswers } from '../support/answers.ts';

const ldap = createLdapProtocol();
const BIND_RESPONSE = 0x61;

function watch(service = 'example.com'): {
  watcher: Watcher;
  ctx: FakeContext;
  answer: () => Uint8Array | undefined;
} {
  const ctx = watchContext(service);
  return { ...splitAnswers(ldap.createWatcher(ctx)), ctx };
}

/** Feeds `bytes` in pieces of `size` octets, up to the first verdict that is not 'pass'. */
function feedClient(watcher: Watcher, bytes: Uint8Array, size = bytes.length): WatchVerdict {
  return feedClientChunks(watcher, bytes, size).verdict;
}

function feedClientChunks(
  watcher: Watcher,
  bytes: Uint8Array,
  size: number,
): { verdict: WatchVerdict; chunk: Uint8Array | undefined } {
  for (let at = 0; at < bytes.length; at += size) {
    const chunk = bytes.subarray(at, at + size);
    const verdict = watcher.fromClient(chunk);
    if (verdict !== 'pass') return { verdict, chunk };
  }
  return { verdict: 'pass', chunk: undefined };
}

function feedServer(watcher: Watcher, bytes: Uint8Array, size = bytes.length): void {
  for (let at = 0; at < bytes.length; at += size) watcher.fromServer(bytes.subarray(at, at + size));
}

test('the routed first bind passes; its BindResponse 49 is suspicious once', (t) => {
  const { watcher, ctx } = watch();
  t.assert.equal(watcher.fromClient(vectors.simpleBind), 'pass');
  watcher.fromServer(response(1, BIND_RESPONSE, 49, '80090308: LdapErr: DSID-0C09041C'));
  t.assert.deepEqual(ctx.events, ['ldap.invalid-credentials']);
  watcher.fromServer(response(1, BIND_RESPONSE, 49)); // answered already
  t.assert.deepEqual(ctx.events, ['ldap.invalid-credentials']);
});

test('success and saslBindInProgress are not suspicious; a 49 after a 14 is', (t) => {
  const { watcher, ctx } = watch();
  watcher.fromClient(simpleBind(1, 'cn=a,dc=example,dc=com', 'pw'));
  watcher.fromServer(response(1, BIND_RESPONSE, 0));
  watcher.fromClient(simpleBind(2, 'cn=a,dc=example,dc=com', 'pw'));
  watcher.fromServer(response(2, BIND_RESPONSE, 14));
  t.assert.deepEqual(ctx.events, []);
  watcher.fromServer(response(2, BIND_RESPONSE, 49));
  t.assert.deepEqual(ctx.events, ['ldap.invalid-credentials']);
});

test('a 49 is matched by messageID and op: not for an unknown bind, not in another response', (t) => {
  const { watcher, ctx } = watch();
  watcher.fromClient(simpleBind(5, 'cn=a,dc=example,dc=com', 'pw'));
  watcher.fromServer(response(6, BIND_RESPONSE, 49));
  watcher.fromServer(response(5, 0x65, 49));
  watcher.fromServer(response(0, 0x78, 49));
  t.assert.deepEqual(ctx.events, []);
});

test('responses split anywhere are read, one octet at a time too', (t) => {
  const server = Buffer.concat([
    message(1, tlv(0x64, tlv(0x04, 'cn=x'), tlv(0x30))),
    response(1, 0x65, 0),
    response(2, BIND_RESPONSE, 49),
    response(3, BIND_RESPONSE, 49),
  ]);
  for (const size of [1, 2, 3, 7, server.length]) {
    const { watcher, ctx } = watch();
    feedClient(
      watcher,
      Buffer.concat([simpleBind(2, 'a@example.com', 'x'), simpleBind(3, 'b@example.com', 'y')]),
      size,
    );
    feedServer(watcher, server, size);
    t.assert.deepEqual(
      ctx.events,
      ['ldap.invalid-credentials', 'ldap.invalid-credentials'],
      `size ${size}`,
    );
  }
});

test('a later bind to another domain is refused as forbidden and answered under its messageID', (t) => {
  const { watcher, answer: answered } = watch('Example.COM.');
  t.assert.equal(watcher.fromClient(vectors.simpleBind), 'pass');
  t.assert.equal(watcher.fromClient(simpleBind(2, 'CN=x,DC=Example,DC=Com', 'pw')), 'pass');
  const search = message(
    3,
    tlv(
      0x63,
      tlv(0x04, 'dc=example,dc=com'),
      hex('0a0102 0a0100 020100 020100 010100'),
      tlv(0x87, 'objectClass'),
      tlv(0x30),
    ),
  );
  // The refused bind follows the tail of a search in the same chunk.
  const chunk = Buffer.concat([search.subarray(10), simpleBind(4, 'other\\mallory', 'pw')]);
  t.assert.equal(watcher.fromClient(search.subarray(0, 10)), 'pass');
  t.assert.deepEqual(watcher.fromClient(chunk), {
    refuse: 'forbidden',
    reason: 'ldap.other-domain',
  });
  const answer = readAnswer(answered() ?? Buffer.alloc(0));
  t.assert.deepEqual(answer && [answer.messageId, answer.op, answer.resultCode], [
    4,
    BIND_RESPONSE,
    50,
  ]);
  // A refused client stays refused.
  t.assert.deepEqual(watcher.fromClient(vectors.unbind), {
    refuse: 'forbidden',
    reason: 'ldap.other-domain',
  });
});

test('later binds are held to the first message rules', (t) => {
  const cases: readonly [Buffer, string, number][] = [
    [vectors.anonymousBind, 'ldap.anonymous-bind', 48],
    [vectors.saslBind, 'ldap.sasl-bind', 7],
    [vectors.sicilyBind, 'ldap.sicily-bind', 7],
    [simpleBind(1, 'User1', 'pw'), 'ldap.no-domain', 53],
    [
      simpleBind(1, `cn=${'a'.repeat(5000)},dc=example,dc=com`, 'pw'),
      'ldap.bind-name-too-long',
      11,
    ],
  ];
  for (const [bind, reason, resultCode] of cases) {
    const { watcher, answer: answered } = watch();
    watcher.fromClient(vectors.simpleBind);
    const { verdict } = feedClientChunks(watcher, bind, 100);
    t.assert.deepEqual(verdict, { refuse: 'malformed', reason }, reason);
    // The refused chunk need not hold the bind's start: the watcher knows which bind it was.
    const refusal = answered();
    t.assert.equal(
      refusal === undefined ? undefined : readAnswer(refusal)?.resultCode,
      resultCode,
      reason,
    );
  }
});

test('StartTLS through the relay is refused: TLS end to end would hide later binds', (t) => {
  const { watcher, answer: answered } = watch();
  watcher.fromClient(vectors.simpleBind);
  const startTls = message(2, tlv(0x77, tlv(0x80, START_TLS_OID)));
  t.assert.deepEqual(watcher.fromClient(startTls), {
    refuse: 'forbidden',
    reason: 'ldap.late-starttls',
  });
  const answer = readAnswer(answered() ?? Buffer.alloc(0));
  t.assert.deepEqual(answer && [answer.messageId, answer.op, answer.resultCode], [2, 0x78, 50]);
});

test('bytes from the client that are not LDAP are refused, and answered with the notice', (t) => {
  const { watcher, answer: answered } = watch();
  watcher.fromClient(vectors.simpleBind);
  const tls = hex('16030100a5010000a10303');
  t.assert.deepEqual(watcher.fromClient(tls), { refuse: 'malformed', reason: 'ldap.malformed' });
  // The client spoke LDAP before: it gets the Notice of Disconnection.
  const notice = readAnswer(answered() ?? Buffer.alloc(0));
  t.assert.deepEqual(notice && [notice.messageId, notice.op, notice.resultCode], [0, 0x78, 2]);
  const second = watch();
  const broken = hex('3005 0a0101 4200');
  t.assert.deepEqual(second.watcher.fromClient(broken), {
    refuse: 'malformed',
    reason: 'ldap.malformed',
  });
  t.assert.deepEqual(readAnswer(second.answer() ?? Buffer.alloc(0))?.messageId, 0);
});

test('other operations, large ones included, pass and are skipped by count', (t) => {
  const { watcher } = watch();
  const big = tlv4(
    0x30,
    int(2),
    tlv4(0x68, tlv(0x04, 'cn=x,dc=example,dc=com'), tlv4(0x30, tlv(0x04, 'x'.repeat(200_000)))),
  );
  t.assert.equal(
    feedClient(watcher, Buffer.concat([vectors.simpleBind, big, vectors.unbind]), 1400),
    'pass',
  );
  // The splitter is still in step after it: the next bind is read.
  t.assert.deepEqual(watcher.fromClient(simpleBind(9, 'x@other.org', 'pw')), {
    refuse: 'forbidden',
    reason: 'ldap.other-domain',
  });
});

test('a server that stops speaking BER is no longer watched', (t) => {
  const { watcher, ctx } = watch();
  watcher.fromClient(vectors.simpleBind);
  watcher.fromServer(hex('16030300510200004d0303'));
  watcher.fromServer(response(1, BIND_RESPONSE, 49));
  t.assert.deepEqual(ctx.events, []);
});

test('the table of outstanding binds is bounded, oldest first out', (t) => {
  const { watcher, ctx } = watch();
  for (let id = 1; id <= 20; id++) watcher.fromClient(simpleBind(id, 'a@example.com', 'pw'));
  for (let id = 1; id <= 20; id++) watcher.fromServer(response(id, BIND_RESPONSE, 49));
  t.assert.equal(ctx.events.length, 8);
});

test('every split of a conversation gives the same verdicts', (t) => {
  const client = Buffer.concat([
    vectors.windowsBind,
    vectors.searchBeforeBind,
    simpleBind(7, 'CORP\\bob', 'pw'),
  ]);
  for (let cut = 0; cut <= client.length; cut++) {
    const { watcher } = watch('corp.example.com');
    const first = watcher.fromClient(client.subarray(0, cut));
    const verdict = first === 'pass' ? watcher.fromClient(client.subarray(cut)) : first;
    t.assert.deepEqual(verdict, { refuse: 'forbidden', reason: 'ldap.other-domain' }, `cut ${cut}`);
  }
});
