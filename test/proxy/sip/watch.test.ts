// The SIP watcher: later requests stay on the routed service, rejected REGISTERs are suspicious
// (403; 401/407 after credentials unless stale), challenges to requests without credentials are
// not, and both directions are framed across chunk boundaries.

import { test } from 'node:test';
import type { Watcher } from '../../../src/proxy/protocol.ts';
import { createSipProtocol } from '../../../src/proxy/sip/protocol.ts';
import { request, response, text } from './messages.ts';
import { splitAnswers } from '../support/answers.ts';

const sip = createSipProtocol({ newTag: () => 'gw1' });

function watch(service = 'example.com'): {
  watcher: Watcher;
  events: string[];
  answer: () => Uint8Array | undefined;
} {
  const events: string[] = [];
  const watcher = sip.createWatcher?.({
    service,
    remoteIp: '198.51.100.7',
    suspicious: (reason) => events.push(reason),
  });
  if (watcher === undefined) throw new Error('no watcher');
  return { ...splitAnswers(watcher), events };
}

const credentials = ['Authorization: Digest username="alice", realm="example.com", response="x"'];
const challenge = (stale: string): string[] => [
  `WWW-Authenticate: Digest realm="example.com", nonce="n1", algorithm=MD5${stale}`,
];

test('REGISTER without credentials, then 401: the normal challenge, not suspicious', (t) => {
  const { watcher, events } = watch();
  t.assert.equal(watcher.fromClient(request()), 'pass');
  watcher.fromServer(response({ status: 401, extra: challenge('') }));
  t.assert.deepEqual(events, []);
});

test('REGISTER with credentials, then 401: credentials rejected', (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request());
  watcher.fromServer(response({ status: 401, extra: challenge('') }));
  t.assert.equal(watcher.fromClient(request({ cseq: 2, extra: credentials })), 'pass');
  watcher.fromServer(response({ status: 401, cseq: 2, extra: challenge('') }));
  t.assert.deepEqual(events, ['sip.register-rejected']);
});

test('407 after Proxy-Authorization counts the same way', (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request({ extra: ['Proxy-Authorization: Digest username="alice"'] }));
  watcher.fromServer(
    response({ status: 407, extra: ['Proxy-Authenticate: Digest realm="x", nonce="y"'] }),
  );
  t.assert.deepEqual(events, ['sip.register-rejected']);
});

for (const stale of [', stale=true', ', stale=TRUE', ', STALE="true"', ',stale = True']) {
  test(`a challenge with "${stale.slice(1).trim()}" after credentials is not suspicious`, (t) => {
    const { watcher, events } = watch();
    watcher.fromClient(request({ extra: credentials }));
    watcher.fromServer(response({ status: 401, extra: challenge(stale) }));
    t.assert.deepEqual(events, []);
  });
}

test('stale=true inside a quoted realm does not make a challenge stale', (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request({ extra: credentials }));
  watcher.fromServer(
    response({
      status: 401,
      extra: ['WWW-Authenticate: Digest realm="a, stale=true", nonce="n", stale=false'],
    }),
  );
  t.assert.deepEqual(events, ['sip.register-rejected']);
});

test('one stale challenge among several is enough (RFC 8760 offers one per algorithm)', (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request({ extra: credentials }));
  watcher.fromServer(
    response({
      status: 401,
      extra: [
        'WWW-Authenticate: Digest realm="x", nonce="a", algorithm=SHA-256, stale=true',
        'WWW-Authenticate: Digest realm="x", nonce="b", algorithm=MD5, stale=true',
      ],
    }),
  );
  t.assert.deepEqual(events, []);
});

test('403 to a REGISTER is suspicious, with or without credentials', (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request());
  watcher.fromServer(response({ status: 403, reason: 'Wrong password' }));
  watcher.fromClient(request({ cseq: 2, extra: credentials }));
  watcher.fromServer(response({ status: 403, cseq: 2 }));
  t.assert.deepEqual(events, ['sip.register-forbidden', 'sip.register-forbidden']);
});

test('401 to an INVITE, 403 to an OPTIONS and 200 to a REGISTER are not counted', (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request({ method: 'INVITE', extra: credentials }));
  watcher.fromServer(response({ status: 401, method: 'INVITE', extra: challenge('') }));
  watcher.fromClient(request({ method: 'OPTIONS', cseq: 2 }));
  watcher.fromServer(response({ status: 403, method: 'OPTIONS', cseq: 2 }));
  watcher.fromClient(request({ cseq: 3, extra: credentials }));
  watcher.fromServer(response({ status: 100, cseq: 3 }));
  watcher.fromServer(response({ status: 200, cseq: 3 }));
  t.assert.deepEqual(events, []);
});

test("a 401 is matched by Call-ID and CSeq: another call's credentials do not count", (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request({ callId: 'with-creds', extra: credentials }));
  watcher.fromClient(request({ callId: 'without' }));
  watcher.fromServer(response({ status: 401, callId: 'without', extra: challenge('') }));
  t.assert.deepEqual(events, []);
  watcher.fromServer(response({ status: 401, callId: 'with-creds', extra: challenge('') }));
  t.assert.deepEqual(events, ['sip.register-rejected']);
  // A final response ends the transaction: a repeat of it is not counted again.
  watcher.fromServer(response({ status: 401, callId: 'with-creds', extra: challenge('') }));
  t.assert.deepEqual(events, ['sip.register-rejected']);
});

test('interleaved requests and responses split at every byte are matched', (t) => {
  const client = Buffer.concat([
    request({ callId: 'a', extra: credentials }),
    request({ method: 'SUBSCRIBE', callId: 'b', extra: credentials }),
    request({ callId: 'c' }),
  ]);
  const server = Buffer.concat([
    Buffer.from('\r\n'),
    response({ status: 401, callId: 'c', extra: challenge('') }),
    response({ status: 401, method: 'SUBSCRIBE', callId: 'b', extra: challenge('') }),
    response({ status: 401, callId: 'a', extra: challenge(''), body: 'x' }),
  ]);
  for (let cut = 0; cut <= server.length; cut += 7) {
    const { watcher, events } = watch();
    const at = cut % client.length;
    t.assert.equal(watcher.fromClient(client.subarray(0, at)), 'pass');
    t.assert.equal(watcher.fromClient(client.subarray(at)), 'pass');
    watcher.fromServer(server.subarray(0, cut));
    watcher.fromServer(server.subarray(cut));
    t.assert.deepEqual(events, ['sip.register-rejected'], `cut ${cut}`);
  }
});

test('a later request from another domain is refused, the first one is the routed one', (t) => {
  const { watcher } = watch('Example.COM.');
  t.assert.equal(watcher.fromClient(request()), 'pass');
  t.assert.equal(
    watcher.fromClient(request({ cseq: 2, from: '<sip:alice@EXAMPLE.com.>;tag=2' })),
    'pass',
  );
  t.assert.deepEqual(
    watcher.fromClient(request({ cseq: 3, from: '<sip:eve@example.net>;tag=3' })),
    {
      refuse: 'forbidden',
      reason: 'sip.other-domain',
    },
  );
});

test('a later request with a tel: From is refused as forbidden', (t) => {
  const { watcher } = watch();
  watcher.fromClient(request());
  t.assert.deepEqual(watcher.fromClient(request({ cseq: 2, from: '<tel:+4930123>;tag=1' })), {
    refuse: 'forbidden',
    reason: 'sip.tel-uri',
  });
});

test('the refusal answers the refused request, not the one before it in the chunk', (t) => {
  const { watcher, answer: answered } = watch();
  const other = request({ cseq: 7, callId: 'evil', from: '<sip:eve@example.net>;tag=3' });
  const chunk = Buffer.concat([request(), other]);
  const verdict = watcher.fromClient(chunk);
  t.assert.deepEqual(verdict, { refuse: 'forbidden', reason: 'sip.other-domain' });
  const answer = text(answered() ?? new Uint8Array());
  t.assert.match(answer, /^SIP\/2\.0 403 Forbidden\r\n/);
  t.assert.match(answer, /\r\nCall-ID: evil\r\nCSeq: 7 REGISTER\r\n/);
});

test('a refused request split over chunks is still answered', (t) => {
  const { watcher, answer } = watch();
  watcher.fromClient(request());
  const other = request({ cseq: 9, from: '<sip:eve@example.net>;tag=3' });
  t.assert.equal(watcher.fromClient(other.subarray(0, 40)), 'pass');
  const rest = other.subarray(40);
  t.assert.deepEqual(watcher.fromClient(rest), { refuse: 'forbidden', reason: 'sip.other-domain' });
  t.assert.match(text(answer() ?? new Uint8Array()), /\r\nCSeq: 9 REGISTER\r\n/);
});

test("the client's responses to the PBX pass whatever their From says", (t) => {
  const { watcher } = watch();
  watcher.fromClient(request());
  const answer = response({ status: 200, method: 'INVITE' }).toString('latin1');
  const fromElsewhere = answer.replace('sip:alice@example.com>', 'sip:carol@example.org>');
  t.assert.equal(watcher.fromClient(Buffer.from(fromElsewhere, 'latin1')), 'pass');
});

test('unframeable bytes from the client are refused as malformed', (t) => {
  const { watcher } = watch();
  watcher.fromClient(request());
  t.assert.deepEqual(watcher.fromClient(Buffer.from('\n\n\x00garbage')), {
    refuse: 'malformed',
    reason: 'sip.malformed',
  });
  t.assert.equal(sip.refuse(Buffer.from('\n\n\x00garbage'), 'malformed'), undefined);
});

test('a later request missing its Call-ID is refused as malformed with its reason', (t) => {
  const { watcher } = watch();
  watcher.fromClient(request());
  const broken = Buffer.from(
    request({ cseq: 2 })
      .toString('latin1')
      .replace(/Call-ID:.*\r\n/, ''),
    'latin1',
  );
  t.assert.deepEqual(watcher.fromClient(broken), {
    refuse: 'malformed',
    reason: 'sip.missing-header',
  });
});

test('keep-alives pass in both directions, and a large body is skipped', (t) => {
  const { watcher, events } = watch();
  t.assert.equal(watcher.fromClient(Buffer.from('\r\n\r\n')), 'pass');
  t.assert.equal(watcher.fromClient(request({ extra: credentials })), 'pass');
  watcher.fromServer(Buffer.from('\r\n'));
  watcher.fromServer(
    Buffer.from(
      'SIP/2.0 100 Trying\r\nCall-ID: x\r\nCSeq: 5 MESSAGE\r\nContent-Length: 60000\r\n\r\n',
    ),
  );
  for (let i = 0; i < 60; i++) watcher.fromServer(Buffer.alloc(1000, 0x0a));
  watcher.fromServer(response({ status: 401, extra: challenge('') }));
  t.assert.deepEqual(events, ['sip.register-rejected']);
});

test('a backend that sends garbage is no longer watched, and nothing throws', (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request({ extra: credentials }));
  watcher.fromServer(Buffer.from('\x00\x01garbage\n'));
  watcher.fromServer(response({ status: 403 }));
  t.assert.deepEqual(events, []);
  t.assert.equal(watcher.fromClient(request({ cseq: 2 })), 'pass');
});

test('the table of outstanding requests is bounded: the oldest are forgotten', (t) => {
  const { watcher, events } = watch();
  watcher.fromClient(request({ callId: 'oldest', extra: credentials }));
  for (let i = 0; i < 64; i++) watcher.fromClient(request({ callId: `n${i}` }));
  watcher.fromServer(response({ status: 401, callId: 'oldest', extra: challenge('') }));
  t.assert.deepEqual(events, []);
});
