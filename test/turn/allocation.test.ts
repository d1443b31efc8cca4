// One allocation's permissions and channel bindings: lifetimes, the one-to-one channel rule and
// the 5-minute quarantine of an expired binding (RFC 8656 §9, §12).
import { test } from 'node:test';
import {
  Allocation,
  CHANNEL_LIFETIME_MS,
  CHANNEL_QUARANTINE_MS,
  PERMISSION_LIFETIME_MS,
} from '../../src/turn/allocation.ts';

const peerA = { family: 4 as const, address: '192.0.2.10', port: 5000 };
const peerB = { family: 4 as const, address: '192.0.2.11', port: 5000 };

function allocation(): Allocation {
  const server = { family: 4 as const, address: '127.0.0.1', port: 3478 };
  const client = { family: 4 as const, address: '127.0.0.1', port: 40000 };
  return new Allocation({
    key: 'k',
    tuple: { transport: 'udp', client, server },
    username: 'u',
    user: 'u',
    hmacKey: Buffer.alloc(16),
    relays: [],
    expiresAt: 600_000,
  });
}

test('a permission is per peer IP and lasts 300 s from its last refresh', (t) => {
  const a = allocation();
  a.permit('192.0.2.10', 0);
  t.assert.equal(a.isPermitted('192.0.2.10', PERMISSION_LIFETIME_MS - 1), true);
  t.assert.equal(a.isPermitted('192.0.2.10', PERMISSION_LIFETIME_MS), false);
  t.assert.equal(a.isPermitted('192.0.2.11', 0), false);
  a.permit('192.0.2.10', 200_000);
  t.assert.equal(a.isPermitted('192.0.2.10', 200_000 + PERMISSION_LIFETIME_MS - 1), true);
});

test('a channel binds one peer, a peer one channel; rebinding the pair refreshes it', (t) => {
  const a = allocation();
  t.assert.equal(a.bind(0x4000, peerA, 0), 'ok');
  t.assert.equal(a.isPermitted(peerA.address, 1), true, 'a binding installs the permission');
  t.assert.equal(a.bind(0x4000, peerB, 1), 'channel-taken');
  t.assert.equal(a.bind(0x4001, peerA, 1), 'peer-taken');
  t.assert.equal(a.bind(0x4000, peerA, 100_000), 'ok');
  t.assert.equal(a.channel(0x4000, 100_000 + CHANNEL_LIFETIME_MS - 1)?.peer.address, peerA.address);
  t.assert.equal(a.channelFor(peerA, 1)?.channel, 0x4000);
  t.assert.equal(a.channel(0x4000, 100_000 + CHANNEL_LIFETIME_MS), undefined, 'expired');
});

test('an expired binding is held 5 minutes: the same pair may come back, others may not', (t) => {
  const a = allocation();
  a.bind(0x4000, peerA, 0);
  const expired = CHANNEL_LIFETIME_MS;
  a.sweep(expired);
  t.assert.equal(a.channelCount, 0);
  t.assert.equal(a.bind(0x4000, peerB, expired + 1), 'channel-taken');
  t.assert.equal(a.bind(0x4001, peerA, expired + 1), 'peer-taken');
  t.assert.equal(a.bind(0x4000, peerA, expired + 1), 'ok');
  const b = allocation();
  b.bind(0x4000, peerA, 0);
  b.sweep(expired);
  b.sweep(expired + CHANNEL_QUARANTINE_MS);
  t.assert.equal(b.bind(0x4000, peerB, expired + CHANNEL_QUARANTINE_MS), 'ok', 'free again');
});

test('the last responses are kept by transaction id for retransmissions', (t) => {
  const a = allocation();
  const ids = Array.from({ length: 10 }, (_, i) => new Uint8Array(12).fill(i));
  ids.forEach((id, i) => {
    a.remember(id, new Uint8Array([i]));
  });
  t.assert.equal(a.answeredBefore(ids[0] ?? new Uint8Array(12)), undefined, 'the oldest forgotten');
  t.assert.deepEqual(a.answeredBefore(ids[9] ?? new Uint8Array(12)), new Uint8Array([9]));
});
