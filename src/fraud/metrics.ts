// The metrics of fraud detection, registered on the gateway's registry (observe/metrics.ts owns the rest).

import { reuse } from '../observe/reuse-metric.ts';
import { Counter, Gauge, type Registry } from 'prom-client';

export interface FraudMetrics {
  readonly blacklisted: Gauge;
  readonly blacklistings: Counter<'kind'>;
  readonly refused: Counter;
  readonly trackedKeys: Gauge;
  readonly trackerEvictions: Counter;
}

/** Registers once per registry: a second fraud detection on the same registry (reload) reuses them. */
export function registerFraudMetrics(registry: Registry): FraudMetrics {
  const registers = [registry];
  return {
    blacklisted: reuse(registry, Gauge, {
      name: 'pbxgate_fraud_blacklisted',
      help: 'Blacklist entries in force (IPv4 addresses and IPv6 prefixes)',
      registers,
    }),
    blacklistings: reuse(registry, Counter<'kind'>, {
      name: 'pbxgate_fraud_blacklistings_total',
      help: 'Entries added to the blacklist, by kind (auto = threshold reached, manual = by hand)',
      labelNames: ['kind'],
      registers,
    }),
    refused: reuse(registry, Counter, {
      name: 'pbxgate_fraud_refused_total',
      help: 'Connections and datagrams refused at accept time because the client is blacklisted',
      registers,
    }),
    trackedKeys: reuse(registry, Gauge, {
      name: 'pbxgate_fraud_tracked_keys',
      help: 'Client keys with suspicious events in the current sliding minute',
      registers,
    }),
    trackerEvictions: reuse(registry, Counter, {
      name: 'pbxgate_fraud_tracker_evictions_total',
      help: 'Client keys forgotten early because too many were tracked at once (a flood)',
      registers,
    }),
  };
}
