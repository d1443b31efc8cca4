// Per-client login backoff: after too many failed logins in a sliding minute, refuse logins for a while.

import { isIP } from 'node:net';

export const MAX_FAILED_LOGINS_PER_MINUTE = 5;
const WINDOW_MS = 60_000;
/** Bounds memory under a flood from many addresses; the oldest tracked client is forgotten first. */
const MAX_TRACKED_CLIENTS = 10_000;

export interface LoginBackoff {
  /** Milliseconds until this client may try again; 0 = it may try now. */
  retryAfterMs(ip: string): number;
  failed(ip: string): void;
  succeeded(ip: string): void;
}

export function createLoginBackoff(
  options: { now?: () => number; maxFailures?: number } = {},
): LoginBackoff {
  const now = options.now ?? Date.now;
  const maxFailures = options.maxFailures ?? MAX_FAILED_LOGINS_PER_MINUTE;
  const failures = new Map<string, number[]>();

  const recent = (key: string, t: number): number[] => {
    const times = (failures.get(key) ?? []).filter((at) => t - at < WINDOW_MS);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  };

  return {
    retryAfterMs(ip) {
      const t = now();
      const times = recent(backoffKey(ip), t);
      if (times.length < maxFailures) return 0;
      // Free again when the failure that put it over the limit leaves the window.
      const oldestCounted = times[times.length - maxFailures] ?? t;
      return Math.max(1, oldestCounted + WINDOW_MS - t);
    },
    failed(ip) {
      const key = backoffKey(ip);
      const t = now();
      const times = recent(key, t);
      times.push(t);
      failures.delete(key); // re-insert: Map order is then the order of the latest failure
      failures.set(key, times.slice(-maxFailures));
      if (failures.size > MAX_TRACKED_CLIENTS) {
        const oldest = failures.keys().next().value;
        if (oldest !== undefined) failures.delete(oldest);
      }
    },
    succeeded(ip) {
      failures.delete(backoffKey(ip));
    },
  };
}

/** IPv4 as is (also when IPv4-mapped); IPv6 by its /64, since one host usually owns the whole /64. */
export function backoffKey(ip: string): string {
  const address = clientIp(ip);
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => '0');
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** The client address as the rest of pbxgate writes it: `::ffff:192.0.2.1` becomes `192.0.2.1`. */
export function clientIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip;
}
