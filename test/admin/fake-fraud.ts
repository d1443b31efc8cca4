// An in-memory FraudDetection for the admin tests: exact-string entries, calls recorded, clock injected.

import type {
  BlacklistEntry,
  FraudDetection,
  FraudSnapshot,
  WhitelistEntry,
} from '../../src/fraud/fraud.ts';

export interface FakeFraud extends FraudDetection {
  readonly calls: string[];
  readonly events: { ip: string; reason: string }[];
}

export function createFakeFraud(
  options: { whitelist?: readonly string[]; blacklistMinutes?: number; now?: () => number } = {},
): FakeFraud {
  const now = options.now ?? (() => 1_700_000_000_000);
  const blacklistMinutes = options.blacklistMinutes ?? 60;
  const blacklist = new Map<string, BlacklistEntry>();
  const whitelist = new Map<string, WhitelistEntry>(
    (options.whitelist ?? []).map((cidr) => [cidr, { cidr, source: 'config' }]),
  );
  const listeners: ((snapshot: FraudSnapshot) => void)[] = [];
  const calls: string[] = [];
  const events: { ip: string; reason: string }[] = [];
  const snapshot = (): FraudSnapshot => ({
    blacklist: [...blacklist.values()],
    whitelist: [...whitelist.values()],
  });
  const changed = (): void => {
    for (const listener of listeners) listener(snapshot());
  };
  return {
    name: 'fraud',
    calls,
    events,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    suspicious: (ip, reason) => {
      events.push({ ip, reason });
    },
    isBlocked: (ip) => blacklist.has(ip) && !whitelist.has(ip),
    snapshot,
    block(ip, blockOptions = {}) {
      calls.push(`block ${ip} ${String(blockOptions.minutes)}`);
      const minutes = blockOptions.minutes ?? blacklistMinutes;
      const since = now();
      const entry: BlacklistEntry = {
        key: ip,
        reason: blockOptions.reason ?? 'manual',
        since,
        until: minutes === 0 ? undefined : since + minutes * 60_000,
        manual: true,
      };
      blacklist.set(ip, entry);
      changed();
      return entry;
    },
    unblock(ip) {
      calls.push(`unblock ${ip}`);
      const had = blacklist.delete(ip);
      if (had) changed();
      return had;
    },
    promote(ip) {
      calls.push(`promote ${ip}`);
      blacklist.delete(ip);
      const entry: WhitelistEntry = { cidr: ip, source: 'manual' };
      whitelist.set(ip, entry);
      changed();
      return entry;
    },
    allow(cidr) {
      calls.push(`allow ${cidr}`);
      const entry = whitelist.get(cidr) ?? { cidr, source: 'manual' };
      whitelist.set(cidr, entry);
      changed();
      return entry;
    },
    disallow(cidr) {
      calls.push(`disallow ${cidr}`);
      if (whitelist.get(cidr)?.source !== 'manual') return false;
      whitelist.delete(cidr);
      changed();
      return true;
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
