// A worker's side of fraud detection: the accept-time gate checks a local copy of the lists (no IPC
// on the hot path), and suspicious events go to the primary, which counts and decides. The copy is
// replaced whenever the primary pushes a change; its entries expire on their own meanwhile.

import { type FraudCore, type FraudRules, createFraudCore } from '../fraud/core.ts';
import type { Registry } from 'prom-client';
import { registerFraudMetrics } from '../fraud/metrics.ts';
import type { Suspicious } from '../fraud/suspicious.ts';
import type { FraudLists } from './messages.ts';

/** Events sent per batch at most; a flood beyond it within one loop turn is counted, not sent. */
export const MAX_EVENTS_PER_BATCH = 5000;

export interface FraudMirror {
  readonly suspicious: Suspicious;
  isBlocked(ip: string): boolean;
  /** A connection refused because isBlocked said so (summed with the primary's at /metrics). */
  countRefused(): void;
  /** The primary's lists replace the local copy. */
  replace(lists: FraudLists): void;
  /** Events not sent because a batch was full. */
  readonly dropped: number;
}

export function createFraudMirror(
  rules: FraudRules,
  deps: {
    readonly send: (events: readonly (readonly [string, string])[]) => void;
    readonly registry: Registry;
    readonly now?: () => number;
  },
): FraudMirror {
  const { send } = deps;
  const now = deps.now ?? Date.now;
  const refused = registerFraudMetrics(deps.registry).refused;
  let core: FraudCore = createFraudCore(rules, now);
  let batch: [string, string][] = [];
  let dropped = 0;
  let isScheduled = false;
  const flush = (): void => {
    isScheduled = false;
    const events = batch;
    batch = [];
    if (events.length > 0) send(events);
  };
  return {
    suspicious(ip, reason) {
      if (batch.length >= MAX_EVENTS_PER_BATCH) {
        dropped++;
        return;
      }
      batch.push([ip, reason]);
      if (!isScheduled) {
        isScheduled = true;
        setImmediate(flush);
      }
    },
    isBlocked(ip) {
      return core.isBlocked(ip);
    },
    countRefused() {
      refused.inc();
    },
    replace(lists) {
      const next = createFraudCore(rules, now);
      next.restore(lists);
      core = next;
    },
    get dropped() {
      return dropped;
    },
  };
}
