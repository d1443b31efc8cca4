// TURN long-term and REST credentials over real sockets (RFC 8656 §5, RFC 8489 §9.2): wrong
// passwords (and the blacklist they lead to), stale nonces, another user on an allocation.

import { test } from 'node:test';
import { Attr, StunMethod } from '../../src/stun/constants.ts';
import { checkIntegrity } from '../../src/stun/integrity.ts';
import { mintRestCredentials } from '../../src/turn/credentials.ts';
import { textOf, valueOf, xorAddressOf } from './support/replies.ts';
import { REALM, type Transport, requestedUdp, turnClient } from './support/turn-client.ts';
import {
  ALICE,
  BOB,
  SECRET,
  eventually,
  metricValue,
  startTurnGateway,
  udpPeer,
  within,
} from './support/turn-gateway.ts';

const WRONG = { username: ALICE.username, password: 'guess' };

for (const transport of ['udp', 'tcp'] as const satisfies readonly Transport[]) {
  test(`${transport}: a wrong password is a 401 with a new challenge, and suspicious`, async (t) => {
    const { port, metrics } = await startTurnGateway(t);
    const client = await turnClient(t, transport, port, WRONG);
    const reply = await client.allocate();
    t.assert.equal(reply.code, 401);
    t.assert.equal(textOf(reply.message, Attr.realm), REALM);
    t.assert.match(textOf(reply.message, Attr.nonce) ?? '', /^.{8,}$/);
    t.assert.equal(valueOf(reply.message, Attr.messageIntegrity), undefined);
    const unknownUser = await client.allocate([], { auth: { username: 'mallory', password: 'x' } });
    t.assert.equal(unknownUser.code, 401);
    t.assert.match(
      await metrics(),
      /pbxgate_suspicious_events_total\{reason="turn.auth-failed"\} 2/,
    );
    client.credentials = ALICE;
    t.assert.equal((await client.allocate()).code, 'ok', 'the right password still works');
  });
}

test('enough wrong passwords blacklist the IP: then the server answers nothing at all', async (t) => {
  const { port, metrics } = await startTurnGateway(t, {
    fraud: '{ suspiciousPerMinute: 3, blacklistMinutes: 5 }',
  });
  const client = await turnClient(t, 'udp', port, WRONG);
  for (let i = 0; i < 3; i++) t.assert.equal((await client.allocate()).code, 401);

  const refused = async (): Promise<number> =>
    metricValue(await metrics(), 'pbxgate_fraud_refused_total') ?? 0;
  t.assert.equal(await refused(), 0);
  const unanswered = client.build(StunMethod.allocate, [requestedUdp], { auth: false });
  await client.connection.send(unanswered);
  t.assert.equal(await eventually(async () => (await refused()) === 1), true, 'Allocate refused');
  // Binding, too: the gate stands before STUN and TURN alike.
  await client.connection.send(client.build(StunMethod.binding, [], { auth: false }));
  t.assert.equal(await eventually(async () => (await refused()) === 2), true, 'Binding refused');
  t.assert.deepEqual(client.connection.inbox.items, [], 'no answer to either');

  const stream = await turnClient(t, 'tcp', port, ALICE);
  await within(stream.connection.ended, 5000, 'close'); // closed at accept, before any byte
  t.assert.equal(await refused(), 3);
  t.assert.match(await metrics(), /pbxgate_fraud_blacklisted 1/);
});

test('a stale nonce gets 438 with a fresh NONCE, which then works', async (t) => {
  const { port } = await startTurnGateway(t, { turn: ['nonceLifetime: 2s'] });
  const client = await turnClient(t, 'udp', port, ALICE);
  // No allocation yet: a Refresh with a good nonce is 437, with a stale one 438.
  const first = await client.refresh();
  t.assert.equal(first.code, 437);
  const old = client.nonce;
  let stale = first;
  t.assert.equal(
    await eventually(async () => {
      stale = await client.request(client.build(StunMethod.refresh, []));
      return stale.code !== 437;
    }, 10_000),
    true,
    'the nonce went stale within its 2 s lifetime',
  );
  t.assert.equal(stale.code, 438);
  t.assert.equal(textOf(stale.message, Attr.realm), REALM);
  const fresh = textOf(stale.message, Attr.nonce);
  t.assert.notEqual(fresh, undefined);
  t.assert.notEqual(fresh, old);
  t.assert.equal(valueOf(stale.message, Attr.messageIntegrity), undefined);
  client.learn(stale);
  t.assert.equal((await client.allocate()).code, 'ok');
});

test('another valid user on the allocation gets 441; its own user goes on', async (t) => {
  const { port } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  t.assert.equal((await client.allocate()).code, 'ok');
  const peer = await udpPeer(t);
  const asBob = { auth: BOB } as const;
  t.assert.equal((await client.refresh(600, asBob)).code, 441);
  t.assert.equal((await client.createPermission([peer.address], asBob)).code, 441);
  t.assert.equal((await client.allocate([], asBob)).code, 441);
  const refresh = await client.refresh(600);
  t.assert.equal(refresh.code, 'ok');
  t.assert.equal(checkIntegrity(refresh.message, client.key()), 'valid');
  t.assert.equal((await client.createPermission([peer.address])).code, 'ok');
});

test('REST credentials: a minted username allocates, an expired one or another secret is 401', async (t) => {
  const { port } = await startTurnGateway(t);
  const minted = mintRestCredentials(SECRET, 'phone7', 3600, Date.now());
  const client = await turnClient(t, 'udp', port, minted);
  const reply = await client.allocate();
  t.assert.equal(reply.code, 'ok');
  t.assert.equal(checkIntegrity(reply.message, client.key()), 'valid');
  t.assert.equal(xorAddressOf(reply.message, Attr.xorRelayedAddress)?.address, '127.0.0.1');

  const expired = mintRestCredentials(SECRET, 'phone7', 60, Date.now() - 3_600_000);
  const late = await turnClient(t, 'udp', port, expired);
  t.assert.equal((await late.allocate()).code, 401);
  const forged = mintRestCredentials('not-the-secret', 'phone7', 3600, Date.now());
  t.assert.equal((await late.allocate([], { auth: forged })).code, 401);
});
