import { test } from 'node:test';
import type { TransportAddress } from '../../src/stun/attributes/address.ts';
import { createLocalRelays } from '../../src/turn/local-relays.ts';

const at = (port: number): TransportAddress => ({ family: 4, address: '192.0.2.7', port });

/** A relay's deliveries: the text and the sender's port of each. */
function collector(): {
  got: string[];
  deliver: (data: Uint8Array, from: TransportAddress) => void;
} {
  const got: string[] = [];
  return { got, deliver: (data, from) => got.push(`${Buffer.from(data).toString()}@${from.port}`) };
}

test('data for a registered relay is handed to it, from the sender; other peers are not ours', (t) => {
  const relays = createLocalRelays();
  const b = collector();
  relays.add(at(40_002), b.deliver);
  const fromA = relays.senderFrom(at(40_000));
  t.assert.equal(fromA(Buffer.from('x'), at(40_002)), true);
  t.assert.equal(fromA(Buffer.from('y'), at(40_004)), false);
  t.assert.equal(fromA(Buffer.from('z'), { family: 4, address: '192.0.2.8', port: 40_002 }), false);
  t.assert.equal(fromA(Buffer.from('w'), { ...at(40_002), family: 6 }), false);
  t.assert.deepEqual(b.got, ['x@40000']);
});

test('a relay that closed gets nothing, and a new one on its address does (the cached lookup is renewed)', (t) => {
  const relays = createLocalRelays();
  const old = collector();
  const remove = relays.add(at(40_002), old.deliver);
  const send = relays.senderFrom(at(40_000));
  const peer = at(40_002); // the same object every time, as a channel's peer is
  t.assert.equal(send(Buffer.from('1'), peer), true);
  remove();
  t.assert.equal(send(Buffer.from('2'), peer), false);
  const next = collector();
  relays.add(at(40_002), next.deliver);
  t.assert.equal(send(Buffer.from('3'), peer), true);
  remove(); // the old relay's late close must not remove the new one
  t.assert.equal(send(Buffer.from('4'), peer), true);
  t.assert.deepEqual([old.got, next.got], [['1@40000'], ['3@40000', '4@40000']]);
});
