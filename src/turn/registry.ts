// The allocations of the server by 5-tuple, and the counts the quotas need (RFC 8656 §7.2: 486).

import type { Metrics } from '../observe/metrics.ts';
import { type Allocation, tupleKey } from './allocation.ts';
import type { TurnLink } from './types.ts';

export interface Entry {
  readonly allocation: Allocation;
  readonly link: TurnLink;
  /** Bytes relayed in the current second (for maxBytesPerSecond). */
  windowStart: number;
  windowBytes: number;
}

/** Links live as long as their client's socket or cache entry: their keys are made once. */
const linkKeys = new WeakMap<TurnLink, string>();

export function linkKey(link: TurnLink): string {
  let key = linkKeys.get(link);
  if (key === undefined) {
    key = tupleKey(link.transport, link.client, link.server);
    linkKeys.set(link, key);
  }
  return key;
}

/** What a nonce is bound to: the client's transport address. */
export function clientKey(link: TurnLink): string {
  return `${link.transport}|${link.client.address}|${link.client.port}`;
}

export class AllocationRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly perUser = new Map<string, number>();
  private readonly metrics: Metrics;

  constructor(metrics: Metrics) {
    this.metrics = metrics;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** The entry, unless its allocation has expired (then it ends now, before the sweep would). */
  live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || !entry.allocation.isExpired(now)) return entry;
    this.remove(key);
    return undefined;
  }

  countFor(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  add(allocation: Allocation, link: TurnLink): void {
    this.entries.set(allocation.key, { allocation, link, windowStart: 0, windowBytes: 0 });
    this.perUser.set(allocation.user, this.countFor(allocation.user) + 1);
    this.metrics.turnAllocations.inc({ transport: allocation.tuple.transport });
  }

  /** Ends the allocation (its relay sockets close); false when there was none. */
  remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    const { allocation } = entry;
    allocation.close();
    const left = this.countFor(allocation.user) - 1;
    if (left <= 0) this.perUser.delete(allocation.user);
    else this.perUser.set(allocation.user, left);
    this.metrics.turnAllocations.dec({ transport: allocation.tuple.transport });
    return true;
  }

  all(): IterableIterator<Entry> {
    return this.entries.values();
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.remove(key);
  }
}
