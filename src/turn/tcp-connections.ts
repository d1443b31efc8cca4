// RFC 6062 §5.2-§5.5: the peer connections of TCP allocations, by CONNECTION-ID. A connection
// waits, paused (the kernel buffers what the peer sends, and its window closes), for the client's
// ConnectionBind on a new data connection, at most 30 s; then the two are spliced and bytes flow
// raw both ways until either side closes or the allocation ends.

import { randomInt } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { TransportAddress } from '../stun/attributes/address.ts';
import { peerKey } from './allocation.ts';

/** RFC 6062 §5.2/§5.3: a connection not bound within 30 s is closed. */
export const CONNECTION_BIND_TIMEOUT_MS = 30_000;
/** After one side of a spliced pair closed, the other gets this long to flush what it holds. */
const FLUSH_MS = 5000;
/** Peer connections per allocation, pending and bound: beyond it, 508 (Connect) or refused (inbound). */
export const MAX_CONNECTIONS_PER_ALLOCATION = 64;

export type Direction = 'to-peer' | 'to-client';

/**
 * Counts `bytes` relayed for the allocation `key`; returns how long to pause the sending side
 * (ms) when the allocation is over its byte rate, 0 to go on.
 */
export type StreamMeter = (key: string, direction: Direction, bytes: number) => number;

export interface PeerConnection {
  readonly id: number;
  /** The allocation (its 5-tuple key). */
  readonly key: string;
  readonly peer: TransportAddress;
  readonly socket: Socket;
}

interface Held extends PeerConnection {
  timer: NodeJS.Timeout | undefined;
  client: Duplex | undefined;
}

/** Pauses a stream for several reasons at once (backpressure, byte rate); resumes when none is left. */
class Gate {
  private readonly stream: Duplex;
  private readonly reasons = new Set<string>();

  constructor(stream: Duplex) {
    this.stream = stream;
  }

  close(reason: string): void {
    this.reasons.add(reason);
    this.stream.pause();
  }

  open(reason: string): void {
    if (this.reasons.delete(reason) && this.reasons.size === 0 && !this.stream.destroyed) {
      this.stream.resume();
    }
  }
}

export class TcpConnections {
  private readonly byId = new Map<number, Held>();
  private readonly byAllocation = new Map<string, Map<string, Held>>();
  private readonly meter: StreamMeter;
  private readonly onCount: (count: number) => void;
  private readonly bindTimeoutMs: number;

  constructor(
    meter: StreamMeter,
    options: {
      /** Told the number of connections whenever it changes (a gauge). */
      readonly onCount?: (count: number) => void;
      readonly bindTimeoutMs?: number;
    } = {},
  ) {
    this.meter = meter;
    this.onCount = options.onCount ?? (() => undefined);
    this.bindTimeoutMs = options.bindTimeoutMs ?? CONNECTION_BIND_TIMEOUT_MS;
  }

  get size(): number {
    return this.byId.size;
  }

  /** RFC 6062 §5.2: a connection to this peer exists already (446). */
  has(key: string, peer: TransportAddress): boolean {
    return this.byAllocation.get(key)?.has(peerKey(peer)) === true;
  }

  countFor(key: string): number {
    return this.byAllocation.get(key)?.size ?? 0;
  }

  /** Holds a new peer connection for the allocation `key` until it is bound; its CONNECTION-ID. */
  add(key: string, peer: TransportAddress, socket: Socket): number {
    let id = randomInt(1, 0xffffffff);
    while (this.byId.has(id)) id = randomInt(1, 0xffffffff);
    const held: Held = { id, key, peer, socket, timer: undefined, client: undefined };
    held.timer = setTimeout(() => {
      this.end(held, 'now');
    }, this.bindTimeoutMs);
    held.timer.unref();
    this.byId.set(id, held);
    let ofAllocation = this.byAllocation.get(key);
    if (ofAllocation === undefined) {
      ofAllocation = new Map();
      this.byAllocation.set(key, ofAllocation);
    }
    ofAllocation.set(peerKey(peer), held);
    socket.once('close', () => {
      this.end(held, 'flush');
    });
    this.onCount(this.byId.size);
    return id;
  }

  /** The connection `id` while it waits for its ConnectionBind (undefined once bound or gone). */
  pending(id: number): PeerConnection | undefined {
    const held = this.byId.get(id);
    return held === undefined || held.client !== undefined ? undefined : held;
  }

  /**
   * Splices the pending connection `id` with the client's data connection: `rest` (what the client
   * sent after its ConnectionBind) goes to the peer first. False when `id` is not pending.
   */
  bind(id: number, client: Duplex, rest: Uint8Array): boolean {
    const held = this.byId.get(id);
    if (held === undefined || held.client !== undefined) return false;
    clearTimeout(held.timer);
    held.timer = undefined;
    held.client = client;
    client.on('error', () => client.destroy());
    client.once('close', () => {
      this.end(held, 'flush');
    });
    this.splice(held, client, held.socket, 'to-peer');
    this.splice(held, held.socket, client, 'to-client');
    if (rest.length > 0) client.unshift(Buffer.from(rest));
    client.resume();
    held.socket.resume();
    return true;
  }

  /** Closes every connection of the allocation `key` (it ended). */
  closeAllocation(key: string): void {
    const ofAllocation = this.byAllocation.get(key);
    if (ofAllocation === undefined) return;
    for (const held of [...ofAllocation.values()]) this.end(held, 'now');
  }

  clear(): void {
    for (const held of [...this.byId.values()]) this.end(held, 'now');
  }

  /**
   * `from`'s bytes to `to`, paused while `to` is full or the allocation is over its byte rate; its
   * end (FIN) is passed on once `to` has written everything before it.
   */
  private splice(held: Held, from: Duplex, to: Duplex, direction: Direction): void {
    const gate = new Gate(from);
    from.once('end', () => to.end());
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        gate.close('drain');
        to.once('drain', () => {
          gate.open('drain');
        });
      }
      const wait = this.meter(held.key, direction, chunk.length);
      if (wait > 0) {
        gate.close('rate');
        setTimeout(() => {
          gate.open('rate');
        }, wait).unref();
      }
    });
  }

  /**
   * Forgets the connection and closes both sides: 'now' (timeout, allocation gone), or 'flush' (one
   * side closed: the other still writes what it holds, for at most FLUSH_MS).
   */
  private end(held: Held, how: 'now' | 'flush'): void {
    if (this.byId.get(held.id) !== held) return;
    clearTimeout(held.timer);
    this.byId.delete(held.id);
    const ofAllocation = this.byAllocation.get(held.key);
    ofAllocation?.delete(peerKey(held.peer));
    if (ofAllocation?.size === 0) this.byAllocation.delete(held.key);
    for (const side of [held.socket, held.client]) {
      if (side === undefined || side.destroyed) continue;
      if (how === 'now') {
        side.destroy();
        continue;
      }
      side.end();
      setTimeout(() => side.destroy(), FLUSH_MS).unref();
    }
    this.onCount(this.byId.size);
  }
}
