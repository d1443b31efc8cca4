// The decisions of fraud detection without I/O: count, blacklist at the threshold, manual entries, expiry.

import { PbxgateError } from '../errors.ts';
import { parseCidr, type Cidr } from './cidr.ts';
import type { BlacklistEntry, FraudSnapshot, WhitelistEntry } from './fraud.ts';
import { createKeyer, keyOf } from './key.ts';
import { createBlacklist, createWhitelist, isExpired } from './lists.ts';
import type { StoredLists } from './store-file.ts';
import { createTracker } from './tracker.ts';

export interface FraudRules {
  readonly suspiciousPerMinute: number;
  readonly blacklistMinutes: number;
  readonly ipv6Prefix: number;
  readonly whitelist: readonly string[];
  readonly maxTrackedKeys?: number;
}

export interface FraudCore {
  /** Counts one event; returns the new entry when it crossed the threshold. */
  report(ip: string, reason: string): BlacklistEntry | undefined;
  isBlocked(ip: string): boolean;
  block(text: string, options?: { minutes?: number; reason?: string }): BlacklistEntry;
  unblock(text: string): boolean;
  promote(text: string): WhitelistEntry;
  allow(text: string): WhitelistEntry;
  disallow(text: string): boolean;
  /** Forgets idle counters and removes expired entries (returned). */
  sweep(): BlacklistEntry[];
  /** Adds stored entries (expired, unreadable or whitelisted ones left out, counted in the result). */
  restore(lists: StoredLists): { readonly dropped: number };
  snapshot(): FraudSnapshot;
  stored(): StoredLists;
  /** Grows with every change of the lists: compare it to know whether a call changed anything. */
  readonly version: number;
  readonly trackedKeys: number;
  readonly trackerEvictions: number;
}

const MINUTE_MS = 60_000;

export function createFraudCore(rules: FraudRules, now: () => number): FraudCore {
  const prefix = rules.ipv6Prefix;
  const trackingKey = createKeyer(prefix);
  const whitelist = createWhitelist(rules.whitelist);
  const blacklist = createBlacklist();
  const tracker = createTracker({
    limit: rules.suspiciousPerMinute,
    ...(rules.maxTrackedKeys !== undefined && { maxKeys: rules.maxTrackedKeys }),
  });
  let version = 0;
  // Cached: isBlocked runs per connection and datagram, the whitelist changes rarely.
  let hasWhitelistInsideKeys = whitelist.longestIpv6Prefix > prefix;

  const keyFor = (text: string): string =>
    keyOf(text, prefix) ?? usage(`${JSON.stringify(text)} is not an IP address or a blacklist key`);
  const cidrOf = (text: string): Cidr =>
    parseCidr(text) ?? usage(`${JSON.stringify(text)} is not an IP address or a CIDR`);

  /** Whitelists the range and removes the blacklist entries it covers entirely. */
  function allow(range: Cidr): WhitelistEntry {
    const before = whitelist.entries().length;
    const entry = whitelist.add(range);
    if (whitelist.entries().length !== before) version++;
    hasWhitelistInsideKeys = whitelist.longestIpv6Prefix > prefix;
    for (const listed of blacklist.entries()) {
      const listedRange = parseCidr(listed.key);
      if (listedRange === undefined || !whitelist.covers(listedRange)) continue;
      blacklist.delete(listed.key);
      version++;
    }
    return entry;
  }

  return {
    report(ip, reason) {
      const key = trackingKey(ip);
      const listed = blacklist.get(key);
      if (listed !== undefined && !isExpired(listed, now())) return undefined;
      if (whitelist.has(ip)) return undefined;
      const t = now();
      if (tracker.record(key, t) < rules.suspiciousPerMinute) return undefined;
      tracker.forget(key);
      const until = t + rules.blacklistMinutes * MINUTE_MS;
      const entry: BlacklistEntry = { key, reason, since: t, until, manual: false };
      blacklist.set(entry);
      version++;
      return entry;
    },
    isBlocked(ip) {
      const entry = blacklist.get(trackingKey(ip));
      if (entry === undefined || isExpired(entry, now())) return false;
      // No entry exists for a key the whitelist covers (report, block, allow and restore see to it),
      // and ranges nest or are disjoint: only an entry longer than the key can lie inside it.
      return !(hasWhitelistInsideKeys && whitelist.has(ip));
    },
    block(text, options = {}) {
      const key = keyFor(text);
      const range = cidrOf(key);
      if (whitelist.covers(range))
        usage(`${key} is whitelisted: remove it from the whitelist first`);
      const minutes = options.minutes ?? rules.blacklistMinutes;
      if (!Number.isFinite(minutes) || minutes < 0) usage('minutes must be a number ≥ 0');
      const since = now();
      const until = minutes === 0 ? undefined : since + minutes * MINUTE_MS;
      const entry = { key, reason: options.reason ?? 'manual', since, until, manual: true };
      blacklist.set(entry);
      tracker.forget(key);
      version++;
      return entry;
    },
    unblock(text) {
      const key = keyOf(text, prefix);
      if (key === undefined || !blacklist.delete(key)) return false;
      version++;
      return true;
    },
    promote(text) {
      const key = keyFor(text);
      tracker.forget(key);
      return allow(cidrOf(key));
    },
    allow(text) {
      return allow(cidrOf(text));
    },
    disallow(text) {
      const range = parseCidr(text);
      if (range === undefined || !whitelist.remove(range)) return false;
      hasWhitelistInsideKeys = whitelist.longestIpv6Prefix > prefix;
      version++;
      return true;
    },
    sweep() {
      const t = now();
      tracker.sweep(t);
      const expired = blacklist.sweep(t);
      if (expired.length > 0) version++;
      return expired;
    },
    restore(lists) {
      let dropped = 0;
      for (const text of lists.whitelist) {
        const range = parseCidr(text);
        if (range === undefined) dropped++;
        else allow(range);
      }
      const t = now();
      for (const entry of lists.blacklist) {
        // Re-keyed from its address, so a changed ipv6Prefix applies to old entries too.
        const key = keyOf(entry.key.split('/')[0] ?? '', prefix);
        const range = key === undefined ? undefined : parseCidr(key);
        const isUsable = key !== undefined && range !== undefined && !isExpired(entry, t);
        if (!isUsable || whitelist.covers(range)) dropped++;
        else if (blacklist.get(key) === undefined) {
          blacklist.set({ ...entry, key });
          version++;
        }
      }
      return { dropped };
    },
    snapshot() {
      const t = now();
      const active = blacklist.entries().filter((entry) => !isExpired(entry, t));
      return { blacklist: active, whitelist: whitelist.entries() };
    },
    stored() {
      return { blacklist: blacklist.entries(), whitelist: whitelist.manual() };
    },
    get version() {
      return version;
    },
    get trackedKeys() {
      return tracker.size;
    },
    get trackerEvictions() {
      return tracker.evictions;
    },
  };
}

function usage(message: string): never {
  throw new PbxgateError('PBX_ERR_USAGE', message);
}
