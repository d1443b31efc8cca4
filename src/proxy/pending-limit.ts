// Per client IP, how many connections are accepted but not yet routed: a slowloris from one address
// cannot hold more than `max` of them, whatever the others do.

export interface PendingLimit {
  /** False when `ip` already has `max` pending connections. */
  acquire(ip: string): boolean;
  release(ip: string): void;
  /** Distinct IPs with a pending connection now. */
  readonly size: number;
}

export function createPendingLimit(max: number): PendingLimit {
  const counts = new Map<string, number>();
  return {
    acquire(ip) {
      const count = counts.get(ip) ?? 0;
      if (count >= max) return false;
      counts.set(ip, count + 1);
      return true;
    },
    release(ip) {
      const count = counts.get(ip) ?? 0;
      if (count <= 1) counts.delete(ip);
      else counts.set(ip, count - 1);
    },
    get size() {
      return counts.size;
    },
  };
}
