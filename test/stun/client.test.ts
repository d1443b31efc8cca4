// STUN clients over real sockets on 127.0.0.1: UDP retransmission schedule, abort, close, TCP framing.

import { once } from 'node:events';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PbxgateError } from '../../src/errors.ts';
import { type RetransmitOptions, buildBindingRequest } from '../../src/stun/client.ts';
import { firstAnswer, transactStream } from '../../src/stun/client-stream.ts';
import { type TransportAddress, transportAddressOf } from '../../src/stun/attributes/address.ts';
import {
  bindingSuccess,
  mappedOf,
  onRequest,
  portOf,
  tcpServer,
  udpClient,
  udpServer,
  writeByteByByte,
} from '../support/stun-peers.ts';

const TIMEOUT = { timeout: 10_000 };
const FAST: RetransmitOptions = { rtoMs: 20, maxSends: 7, finalWaitFactor: 16 };
/** RFC 8489 §6.2.1: sends at 0, RTO, 3 RTO, ... then a final wait of Rm x RTO after the last one. */
const scheduleMs = (o: RetransmitOptions): number =>
  o.rtoMs * (2 ** (o.maxSends - 1) - 1) + o.rtoMs * o.finalWaitFactor;
/** setTimeout may fire up to a millisecond early per timer. */
const EARLY_SLACK_MS = 15;

function isStunTimeout(err: unknown): boolean {
  return err instanceof PbxgateError && err.code === 'PBX_ERR_STUN_TIMEOUT';
}

test('a UDP Binding transaction resolves with the mapped address', TIMEOUT, async (t) => {
  const server = await udpServer(t, () => true);
  const { client, local } = await udpClient(t);
  const request = buildBindingRequest();
  const response = await client.transact(request, server.target, FAST);
  t.assert.deepEqual(mappedOf(response), local);
  t.assert.deepEqual(response.from, { family: 4, ...server.target });
  t.assert.deepEqual(Buffer.from(response.message.transactionId), request.transactionId);
  t.assert.equal(response.rttMs >= 0, true);
  // A cold first round trip may outlast a 20 ms RTO, so only the first copy is certain.
  t.assert.deepEqual(server.copies[0], request.bytes);
});

test(
  'a UDP request is retransmitted until the server answers the third copy',
  TIMEOUT,
  async (t) => {
    const server = await udpServer(t, (copy) => copy === 3);
    const { client, local } = await udpClient(t);
    const request = buildBindingRequest();
    const response = await client.transact(request, server.target, FAST);
    t.assert.deepEqual(mappedOf(response), local);
    t.assert.equal(server.copies.length, 3);
    for (const copy of server.copies) t.assert.deepEqual(copy, request.bytes);
    // The answer stops the schedule: no fourth copy after the next RTO would have passed.
    await sleep(FAST.rtoMs * 8);
    t.assert.equal(server.copies.length, 3);
  },
);

test(
  'an unanswered UDP request fails after exactly maxSends sends and the RFC schedule',
  TIMEOUT,
  async (t) => {
    const server = await udpServer(t, () => false);
    const { client } = await udpClient(t);
    const started = performance.now();
    await t.assert.rejects(client.transact(buildBindingRequest(), server.target, FAST), (err) => {
      t.assert.equal(isStunTimeout(err), true);
      return true;
    });
    const elapsed = performance.now() - started;
    t.assert.equal(server.copies.length, FAST.maxSends);
    t.assert.equal(elapsed >= scheduleMs(FAST) - EARLY_SLACK_MS, true, `took ${elapsed} ms`);
    t.assert.equal(elapsed < scheduleMs(FAST) + 1000, true, `took ${elapsed} ms`);
  },
);

test('aborting a UDP transaction rejects promptly and stops retransmitting', TIMEOUT, async (t) => {
  const server = await udpServer(t, () => false);
  const { client } = await udpClient(t);
  const controller = new AbortController();
  const pending = client.transact(buildBindingRequest(), server.target, FAST, controller.signal);
  await sleep(30);
  const abortedAt = performance.now();
  controller.abort();
  await t.assert.rejects(pending, isStunTimeout);
  t.assert.equal(performance.now() - abortedAt < 50, true);
  await sleep(5); // let a copy sent just before the abort reach the server's 'message' event
  const sends = server.copies.length;
  await sleep(FAST.rtoMs * 6);
  t.assert.equal(server.copies.length, sends);
});

test(
  'a UDP transaction with an already aborted signal rejects without sending',
  TIMEOUT,
  async (t) => {
    const server = await udpServer(t, () => true);
    const { client } = await udpClient(t);
    const request = buildBindingRequest();
    await t.assert.rejects(
      client.transact(request, server.target, FAST, AbortSignal.abort()),
      isStunTimeout,
    );
    await sleep(50);
    t.assert.equal(server.copies.length, 0);
  },
);

test('closing the UDP client rejects its pending transactions', TIMEOUT, async (t) => {
  const server = await udpServer(t, () => false);
  const { client } = await udpClient(t);
  const pending = [
    client.transact(buildBindingRequest(), server.target, FAST),
    client.transact(buildBindingRequest(), server.target, FAST),
  ];
  await sleep(10);
  const closedAt = performance.now();
  client.close();
  for (const transaction of pending) await t.assert.rejects(transaction, isStunTimeout);
  t.assert.equal(performance.now() - closedAt < 50, true);
});

test(
  'a TCP Binding transaction reassembles an answer sent one byte at a time',
  TIMEOUT,
  async (t) => {
    let clientAddress: TransportAddress | undefined;
    const server = await tcpServer(t, (socket) => {
      clientAddress = transportAddressOf(socket.remoteAddress ?? '', socket.remotePort ?? 0);
      onRequest(socket, (request) => {
        const answer = bindingSuccess(
          request,
          clientAddress ?? { family: 4, address: '0.0.0.0', port: 0 },
        );
        if (answer) void writeByteByByte(socket, answer);
      });
    });
    const request = buildBindingRequest();
    const response = await transactStream(
      request,
      { address: '127.0.0.1', port: portOf(server) },
      5000,
    );
    t.assert.notEqual(clientAddress, undefined);
    t.assert.deepEqual(mappedOf(response), clientAddress);
    t.assert.deepEqual(Buffer.from(response.message.transactionId), request.transactionId);
    t.assert.deepEqual(response.from, { family: 4, address: '127.0.0.1', port: portOf(server) });
  },
);

test(
  'a TCP Binding transaction with no answer times out and closes the connection',
  TIMEOUT,
  async (t) => {
    const closed: Promise<unknown>[] = [];
    const server = await tcpServer(t, (socket) => {
      closed.push(once(socket, 'close'));
    });
    const started = performance.now();
    await t.assert.rejects(
      transactStream(buildBindingRequest(), { address: '127.0.0.1', port: portOf(server) }, 150),
      isStunTimeout,
    );
    t.assert.equal(performance.now() - started >= 150 - EARLY_SLACK_MS, true);
    t.assert.equal(closed.length, 1);
    await Promise.all(closed);
  },
);

const badStreamAnswers = [
  ['closes without answering', (socket: Socket) => socket.end()],
  [
    'answers with another transaction id',
    (socket: Socket) => {
      onRequest(socket, () => {
        const other = buildBindingRequest();
        const answer = bindingSuccess(other.bytes, { family: 4, address: '127.0.0.1', port: 1 });
        if (answer) socket.write(answer);
      });
    },
  ],
  [
    'answers with bytes that are not STUN',
    (socket: Socket) => {
      onRequest(socket, () => socket.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    },
  ],
] as const;

for (const [label, behave] of badStreamAnswers) {
  test(`a TCP Binding transaction rejects when the server ${label}`, TIMEOUT, async (t) => {
    const server = await tcpServer(t, behave);
    const started = performance.now();
    await t.assert.rejects(
      transactStream(buildBindingRequest(), { address: '127.0.0.1', port: portOf(server) }, 5000),
      isStunTimeout,
    );
    t.assert.equal(performance.now() - started < 1000, true);
  });
}

test(
  'firstAnswer returns the live server quickly when the other never answers',
  TIMEOUT,
  async (t) => {
    const dead = await udpServer(t, () => false);
    const live = await udpServer(t, () => true);
    const { client, local } = await udpClient(t);
    const slow: RetransmitOptions = { rtoMs: 200, maxSends: 7, finalWaitFactor: 16 };
    const started = performance.now();
    const { target, result } = await firstAnswer([dead.target, live.target], (to, signal) =>
      client.transact(buildBindingRequest(), to, slow, signal),
    );
    const elapsed = performance.now() - started;
    t.assert.deepEqual(target, live.target);
    t.assert.deepEqual(mappedOf(result), local);
    // Waiting for the dead one would take its whole schedule (15.8 s here).
    t.assert.equal(elapsed < 1000, true, `took ${elapsed} ms of ${scheduleMs(slow)} ms`);
    // The losing transaction was aborted: the dead server sees no retransmission after two RTOs.
    await sleep(5); // the dead server's first copy may still be waiting for its 'message' event
    const deadCopies = dead.copies.length;
    await sleep(slow.rtoMs * 2);
    t.assert.equal(dead.copies.length, deadCopies);
  },
);

test('firstAnswer rejects with every failure when no target answers', TIMEOUT, async (t) => {
  const dead = await udpServer(t, () => false);
  const { client } = await udpClient(t);
  const short: RetransmitOptions = { rtoMs: 10, maxSends: 2, finalWaitFactor: 2 };
  await t.assert.rejects(
    firstAnswer([dead.target, dead.target], (to, signal) =>
      client.transact(buildBindingRequest(), to, short, signal),
    ),
    (err) => {
      t.assert.equal(err instanceof AggregateError && err.errors.every(isStunTimeout), true);
      return true;
    },
  );
});
