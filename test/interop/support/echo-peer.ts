// The far side of a TURN relay for interop tests: a plain node:dgram echo peer on 127.0.0.1,
// numbered payloads, and event-driven waits (an inbox with a count to reach, a deadline).

import { randomBytes } from 'node:crypto';
import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import type { TestContext } from 'node:test';

export type Address = readonly [host: string, port: number];

export interface Datagram {
  readonly from: Address;
  readonly data: Buffer;
}

export interface EchoPeer {
  readonly address: Address;
  /** Every datagram received so far (each was sent straight back to its source). */
  readonly received: readonly Datagram[];
}

/** A node:dgram socket on 127.0.0.1 (kernel-chosen port) echoing every datagram. Closed in t.after. */
export async function startEchoPeer(t: TestContext): Promise<EchoPeer> {
  const socket: UdpSocket = createSocket('udp4');
  const received: Datagram[] = [];
  socket.on('message', (data, rinfo) => {
    received.push({ from: [rinfo.address, rinfo.port], data });
    socket.send(data, rinfo.port, rinfo.address);
  });
  t.after(
    () =>
      new Promise<void>((resolve) => {
        socket.close(() => {
          resolve();
        });
      }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port: 0 }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return { address: ['127.0.0.1', socket.address().port], received };
}

export interface Inbox<T> {
  readonly items: readonly T[];
  push(item: T): void;
  /** Resolves once `count` items are in; rejects after `timeoutMs` with `what` and the count. */
  waitFor(count: number, timeoutMs: number, what: string): Promise<void>;
}

export function createInbox<T>(): Inbox<T> {
  const items: T[] = [];
  const waiters = new Set<() => void>();
  return {
    items,
    push(item) {
      items.push(item);
      for (const waiter of [...waiters]) waiter();
    },
    waitFor(count, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (items.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${what}: ${items.length} of ${count} after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** The promise, or a rejection naming `what` after `ms` (the timer does not outlive the answer). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: no answer after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Messages in flight before waiting for their replies. */
const WINDOW = 10;
const REPLY_TIMEOUT_MS = 5_000;

/** 8-byte header (tag, index) then random bytes; lengths 8..1207, most not a multiple of 4. */
export function payloads(tag: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, index) => {
    const data = randomBytes(8 + ((index * 97) % 1200));
    data.writeUInt32BE(tag, 0);
    data.writeUInt32BE(index, 4);
    return data;
  });
}

/** Payloads back in index order (datagrams may be reordered). */
export function byIndex(data: readonly Buffer[]): Buffer[] {
  return [...data].sort((x, y) => x.readUInt32BE(4) - y.readUInt32BE(4));
}

/**
 * Sends every payload, WINDOW at a time, each window waiting (5 s at most) until `inbox` holds a
 * reply for every payload sent so far.
 */
export async function windowed<T>(
  send: (data: Buffer) => Promise<void>,
  inbox: Inbox<T>,
  data: readonly Buffer[],
  what: string,
): Promise<void> {
  for (let start = 0; start < data.length; start += WINDOW) {
    const chunk = data.slice(start, start + WINDOW);
    for (const payload of chunk) await send(payload);
    await inbox.waitFor(start + chunk.length, REPLY_TIMEOUT_MS, what);
  }
}
