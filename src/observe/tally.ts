// Hot-path counting: a plain number per label set, folded into its prom-client counter at scrape time.
// A bound prom-client child still hashes its labels and allocates on every inc(); at tens of thousands
// of STUN answers per second that showed in the profile (bench/stun).

import type { Counter } from 'prom-client';

export interface Tally {
  inc(): void;
  add(n: number): void;
}

interface Entry {
  readonly labels: Record<string, string>;
  count: number;
  reported: number;
}

const entries = new WeakMap<object, Entry[]>();

/** A tally for one label set of `counter`; the counter must be created with `collect: flushTallies`. */
export function tallyOf<L extends string>(counter: Counter<L>, labels: Record<L, string>): Tally {
  const list = entries.get(counter) ?? [];
  entries.set(counter, list);
  const entry: Entry = { labels, count: 0, reported: 0 };
  list.push(entry);
  return {
    inc() {
      entry.count++;
    },
    add(n) {
      entry.count += n;
    },
  };
}

/** prom-client calls this (as `collect`, with the counter as `this`) before each scrape. */
export function flushTallies(this: Counter): void {
  for (const entry of entries.get(this) ?? []) {
    const delta = entry.count - entry.reported;
    if (delta > 0) this.inc(entry.labels, delta);
    entry.reported = entry.count;
  }
}
