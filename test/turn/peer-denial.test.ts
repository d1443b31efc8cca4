// Issue 4, must-show 4: every denied-peer form is refused with 403 on CreatePermission, ChannelBind
// and (RFC 6062) Connect, a Send indication to it is dropped, and no packet or connection reaches a
// loopback listener that `turn.allowedPeers` does not name (only 127.0.0.1/32 is allowed here; the
// listeners are on 127.0.0.2).
import { test } from 'node:test';
import type { TransportAddress } from '../../src/stun/attributes/address.ts';
import { Attr } from '../../src/stun/constants.ts';
import { xorAddressOf } from './support/replies.ts';
import { tcpPeer } from './support/tcp-peers.ts';
import { turnClient } from './support/turn-client.ts';
import { ALICE, metricValue, startTurnGateway, udpPeer } from './support/turn-gateway.ts';

/** Each spelling of a denied peer; `P` is replaced by the 127.0.0.2 listener's port. */
const DENIED: readonly string[] = [
  '127.0.0.2',
  '0.0.0.0',
  '0.1.2.3',
  '::ffff:127.0.0.2',
  '::ffff:7f00:2',
  '::127.0.0.2',
  '2002:7f00:2::',
  '64:ff9b::7f00:2',
  '::1',
  '::',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.1.1',
  '100.64.0.1',
  '169.254.169.254',
  'fe80::1',
  'fd00::1',
  'fec0::1',
  '224.0.0.1',
  '255.255.255.255',
  'ff02::1',
];

function peerOf(address: string, port: number): TransportAddress {
  return { family: address.includes(':') ? 6 : 4, address, port };
}

test('every denied form: 403 on CreatePermission and ChannelBind, Send dropped, nothing delivered', async (t) => {
  const { port, metrics } = await startTurnGateway(t);
  const client = await turnClient(t, 'udp', port, ALICE);
  const reply = await client.allocate();
  const relayed = xorAddressOf(reply.message, Attr.xorRelayedAddress);
  t.assert.equal(reply.code, 'ok');
  const hidden = await udpPeer(t, '127.0.0.2');
  const open = await udpPeer(t, '127.0.0.1');
  let channel = 0x4000;
  for (const text of DENIED) {
    const peer = peerOf(text, hidden.address.port);
    t.assert.equal((await client.createPermission([peer])).code, 403, `CreatePermission ${text}`);
    t.assert.equal((await client.channelBind(channel++, peer)).code, 403, `ChannelBind ${text}`);
    await client.sendIndication(peer, Buffer.from(`to ${text}`));
  }
  // The allowed listener gets its datagram: the Sends above were processed, and dropped.
  t.assert.equal((await client.createPermission([open.address])).code, 'ok');
  await client.sendIndication(open.address, Buffer.from('sentinel'));
  const arrived = await open.inbox.next();
  t.assert.equal(arrived.data.toString(), 'sentinel');
  t.assert.equal(arrived.from.port, relayed?.port);
  t.assert.equal(hidden.inbox.items.length, 0, 'nothing reached 127.0.0.2');
  const text = await metrics();
  t.assert.equal(
    metricValue(text, 'pbxgate_turn_dropped_total{reason="peer-denied"}'),
    DENIED.length,
  );
  t.assert.equal(
    metricValue(text, 'pbxgate_suspicious_events_total{reason="turn.peer-denied"}'),
    DENIED.length * 3,
  );
});

test('every denied form: 403 on Connect of a TCP allocation, and no connection reaches 127.0.0.2', async (t) => {
  const { port, metrics } = await startTurnGateway(t);
  const client = await turnClient(t, 'tcp', port, ALICE);
  t.assert.equal((await client.allocateTcp()).code, 'ok');
  const hidden = await tcpPeer(t, '127.0.0.2');
  const open = await tcpPeer(t, '127.0.0.1');
  for (const text of DENIED) {
    const reply = await client.connectPeer(peerOf(text, hidden.address.port));
    t.assert.equal(reply.code, 403, `Connect ${text}`);
  }
  // The allowed listener is reached: the Connects above were processed, and refused.
  t.assert.equal((await client.connectPeer(open.address)).code, 'ok');
  await open.accepted.next();
  t.assert.equal(hidden.accepted.items.length, 0, 'no connection reached 127.0.0.2');
  t.assert.equal(
    metricValue(await metrics(), 'pbxgate_turn_requests_total{method="connect",code="403"}'),
    DENIED.length,
  );
});
