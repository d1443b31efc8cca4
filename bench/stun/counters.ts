// The load generator's counters: one Int32Array per worker on shared memory, read without messages.

/** Slots of the shared counter array; the latency histogram follows them. */
export const Counter = {
  sent: 0,
  answered: 1,
  timeouts: 2,
  /** An answer to a request that had already timed out (its slot moved on): not counted as bad. */
  late: 3,
  badDecode: 4,
  badType: 5,
  badTransaction: 6,
  badAddress: 7,
  badFingerprint: 8,
  socketErrors: 9,
} as const;
export type Counter = (typeof Counter)[keyof typeof Counter];

const COUNTERS = 10;
/** Four buckets per power of two of microseconds (19 % wide), up to 2^20 µs. */
const BUCKETS_PER_OCTAVE = 4;
const BUCKETS = 20 * BUCKETS_PER_OCTAVE + 1;

/** Slot of the first latency bucket. */
export const LATENCY_BASE = COUNTERS;
export const COUNTER_SLOTS = COUNTERS + BUCKETS;

export function latencyBucket(micros: number): number {
  if (micros < 1) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(micros) * BUCKETS_PER_OCTAVE) + 1);
}

/** The upper bound of a bucket in µs: percentiles are read as "at most this". */
function bucketCeiling(bucket: number): number {
  return bucket === 0 ? 1 : 2 ** (bucket / BUCKETS_PER_OCTAVE);
}

export interface LoadCounts {
  readonly sent: number;
  readonly answered: number;
  readonly timeouts: number;
  readonly late: number;
  readonly bad: number;
  readonly badByKind: Readonly<Record<string, number>>;
  readonly socketErrors: number;
  readonly latencyBuckets: readonly number[];
}

export function readCounts(arrays: readonly Int32Array[]): LoadCounts {
  const sum = (slot: number): number =>
    arrays.reduce((total, array) => total + Atomics.load(array, slot), 0);
  const badByKind = {
    decode: sum(Counter.badDecode),
    type: sum(Counter.badType),
    transaction: sum(Counter.badTransaction),
    address: sum(Counter.badAddress),
    fingerprint: sum(Counter.badFingerprint),
  };
  return {
    sent: sum(Counter.sent),
    answered: sum(Counter.answered),
    timeouts: sum(Counter.timeouts),
    late: sum(Counter.late),
    bad: Object.values(badByKind).reduce((a, b) => a + b, 0),
    badByKind,
    socketErrors: sum(Counter.socketErrors),
    latencyBuckets: Array.from({ length: BUCKETS }, (_, bucket) => sum(LATENCY_BASE + bucket)),
  };
}

/** What happened between two snapshots. */
export function diffCounts(after: LoadCounts, before: LoadCounts): LoadCounts {
  const badByKind: Record<string, number> = {};
  for (const [kind, value] of Object.entries(after.badByKind)) {
    badByKind[kind] = value - (before.badByKind[kind] ?? 0);
  }
  return {
    sent: after.sent - before.sent,
    answered: after.answered - before.answered,
    timeouts: after.timeouts - before.timeouts,
    late: after.late - before.late,
    bad: after.bad - before.bad,
    badByKind,
    socketErrors: after.socketErrors - before.socketErrors,
    latencyBuckets: after.latencyBuckets.map((n, i) => n - (before.latencyBuckets[i] ?? 0)),
  };
}

/** Latency percentile in µs (bucket ceiling), or NaN without answers. */
export function latencyPercentile(counts: LoadCounts, fraction: number): number {
  const total = counts.latencyBuckets.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  const rank = Math.ceil(total * fraction);
  let seen = 0;
  for (const [bucket, n] of counts.latencyBuckets.entries()) {
    seen += n;
    if (seen >= rank) return bucketCeiling(bucket);
  }
  return bucketCeiling(BUCKETS - 1);
}
