// What fraud detection offers the rest of the gateway: the event sink, the accept-time gate, and the
// entries the admin API and CLI manage. `createFraudDetection` (detection.ts) implements it.

import type { Part } from '../part.ts';
import type { Suspicious } from './suspicious.ts';

export interface BlacklistEntry {
  /** The blocked key: an IPv4 address, or an IPv6 /64 (or the configured prefix) as `2001:db8::/64`. */
  readonly key: string;
  /** Why: the reason of the event that crossed the threshold, or `manual`. */
  readonly reason: string;
  readonly since: number;
  /** Epoch ms when the entry expires by itself; undefined = until removed by hand. */
  readonly until: number | undefined;
  readonly manual: boolean;
}

export interface WhitelistEntry {
  /** An address or a CIDR. */
  readonly cidr: string;
  /** From the config file (cannot be removed through the API) or added by hand. */
  readonly source: 'config' | 'manual';
}

export interface FraudSnapshot {
  readonly blacklist: readonly BlacklistEntry[];
  readonly whitelist: readonly WhitelistEntry[];
}

export interface FraudDetection extends Part {
  /** Report one suspicious event; counts it in the sliding minute and blacklists at the threshold. */
  readonly suspicious: Suspicious;
  /** The accept-time check, on every connection and datagram: O(1), no allocation for IPv4. */
  isBlocked(ip: string): boolean;
  snapshot(): FraudSnapshot;
  /** Manual blacklist entry; minutes undefined = the configured blacklistMinutes, 0 = no expiry. */
  block(ip: string, options?: { minutes?: number; reason?: string }): BlacklistEntry;
  /** Removes a blacklist entry; false when there was none. */
  unblock(ip: string): boolean;
  /** Turns a blacklist entry (or any address) into a manual whitelist entry. */
  promote(ip: string): WhitelistEntry;
  allow(cidr: string): WhitelistEntry;
  /** Removes a manual whitelist entry; false when there was none (config entries stay). */
  disallow(cidr: string): boolean;
  /** Called after every change of the lists (to push them to workers or other instances). */
  onChange(listener: (snapshot: FraudSnapshot) => void): void;
  /**
   * Counts one connection or datagram refused because isBlocked said so (isBlocked itself stays a
   * pure check). Optional: a worker's local copy may count elsewhere or not at all.
   */
  countRefused?(): void;
}
