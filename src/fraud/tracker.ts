// The sliding minute: suspicious events per tracking key, exact to the millisecond, bounded in memory.

/** The window the threshold counts in (ARCHITECTURE.md "Fraud detection": per minute, sliding). */
export const WINDOW_MS = 60_000;

/** Default bound on tracked keys: about 100 000 × (threshold × 8 bytes + ~150 bytes overhead). */
export const DEFAULT_MAX_KEYS = 100_000;

export interface TrackerOptions {
  /** Timestamps kept per key: the threshold. More are never needed to decide, so none are kept. */
  readonly limit: number;
  /** Keys tracked at once; a new key beyond it evicts the key idle the longest. */
  readonly maxKeys?: number;
  readonly windowMs?: number;
}

export interface Tracker {
  /** Counts one event at `now`; returns the events in (now - window, now], at most `limit`. */
  record(key: string, now: number): number;
  /** Drops the key's events (after it was blacklisted, or whitelisted). */
  forget(key: string): void;
  /** Drops keys whose newest event left the window. */
  sweep(now: number): void;
  /** Keys tracked now. */
  readonly size: number;
  /** Keys evicted to stay within maxKeys, since creation. */
  readonly evictions: number;
}

export function createTracker(options: TrackerOptions): Tracker {
  const limit = Math.max(1, options.limit);
  const maxKeys = Math.max(1, options.maxKeys ?? DEFAULT_MAX_KEYS);
  const windowMs = options.windowMs ?? WINDOW_MS;
  // Map order = order of the latest event: the first key is the one idle the longest, which keeps
  // eviction and the sweep O(1) per key removed. Each value holds ascending timestamps.
  const keys = new Map<string, number[]>();
  let evictions = 0;

  return {
    record(key, now) {
      let times = keys.get(key);
      if (times === undefined) {
        if (keys.size >= maxKeys) evictIdlest();
        times = [];
      } else {
        keys.delete(key);
      }
      keys.set(key, times);
      const from = now - windowMs;
      let stale = 0;
      while (stale < times.length && (times[stale] ?? from) <= from) stale++;
      times.push(now);
      const excess = Math.max(stale, times.length - limit);
      if (excess > 0) times.splice(0, excess);
      return times.length;
    },
    forget(key) {
      keys.delete(key);
    },
    sweep(now) {
      const from = now - windowMs;
      for (const [key, times] of keys) {
        const newest = times[times.length - 1] ?? from;
        // Later keys had an event after this one; a clock set back can only delay their turn.
        if (newest > from) break;
        keys.delete(key);
      }
    },
    get size() {
      return keys.size;
    },
    get evictions() {
      return evictions;
    },
  };

  function evictIdlest(): void {
    for (const key of keys.keys()) {
      keys.delete(key);
      evictions++;
      return;
    }
  }
}
