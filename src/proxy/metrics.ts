// The reverse proxy's metrics, registered once per registry on the gateway's shared one; labels
// come only from closed sets (listener type, outcome, direction, refusal cause).
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- metric definitions need prom-client's classes
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { flushTallies, tallyOf } from '../observe/tally.ts';
import type { ListenerType, RefusalCause } from './protocol.ts';

export type ConnectionOutcome =
  | 'routed'
  | 'blocked'
  | 'too-many-pending'
  | 'tls-failed'
  | 'client-closed'
  | 'internal-error'
  | `refused-${RefusalCause}`;

export type RelayDirection = 'client-to-backend' | 'backend-to-client';

export type ConnectionStage = 'pending' | 'relaying';

export interface ProxyMetrics {
  readonly connections: Counter<'type' | 'outcome'>;
  readonly relayedBytes: Counter<'type' | 'direction'>;
  readonly firstMessageSeconds: Histogram<'type'>;
  readonly refusals: Counter<'reason'>;
  readonly open: Gauge<'type' | 'stage'>;
}

// From a LAN round trip to the default 10 s deadline (and beyond, for a raised one).
const FIRST_MESSAGE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const byRegistry = new WeakMap<Registry, ProxyMetrics>();

/** Relayed bytes are added per chunk: a plain number, folded into the counter at scrape time. */
function byteTally(
  counter: Counter<'type' | 'direction'>,
  type: ListenerType,
  direction: RelayDirection,
): { inc(bytes: number): void } {
  const tally = tallyOf(counter, { type, direction });
  return {
    inc(bytes) {
      tally.add(bytes);
    },
  };
}

/** The proxy metrics on `registry`, created on first use: every listener of a gateway shares them. */
export function proxyMetrics(registry: Registry): ProxyMetrics {
  const known = byRegistry.get(registry);
  if (known !== undefined) return known;
  const registers = [registry];
  const metrics: ProxyMetrics = {
    connections: new Counter({
      name: 'pbxgate_proxy_connections_total',
      help: 'Finished client connections, by listener type and outcome (routed, blocked, refused-<cause>, …)',
      labelNames: ['type', 'outcome'],
      registers,
    }),
    relayedBytes: new Counter({
      name: 'pbxgate_proxy_relayed_bytes_total',
      help: 'Bytes relayed between clients and backends, by listener type and direction',
      labelNames: ['type', 'direction'],
      registers,
      collect: flushTallies,
    }),
    firstMessageSeconds: new Histogram({
      name: 'pbxgate_proxy_first_message_seconds',
      help: 'From accept to a routable first message (TLS handshake included), by listener type',
      labelNames: ['type'],
      buckets: FIRST_MESSAGE_BUCKETS,
      registers,
    }),
    refusals: new Counter({
      name: 'pbxgate_proxy_refusals_total',
      help: 'Connections and requests the proxy refused, by cause',
      labelNames: ['reason'],
      registers,
    }),
    open: new Gauge({
      name: 'pbxgate_proxy_open_connections',
      help: 'Client connections open now, by listener type and stage (pending = not yet routed)',
      labelNames: ['type', 'stage'],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}

/** Label children bound once per listener: the hot path never builds a label set. */
export interface ListenerMetrics {
  outcome(outcome: ConnectionOutcome): void;
  refusal(cause: RefusalCause): void;
  readonly clientToBackend: { inc(bytes: number): void };
  readonly backendToClient: { inc(bytes: number): void };
  readonly firstMessage: { observe(seconds: number): void };
  readonly pending: { inc(): void; dec(): void };
  readonly relaying: { inc(): void; dec(): void };
}

export function listenerMetrics(metrics: ProxyMetrics, type: ListenerType): ListenerMetrics {
  return {
    outcome: (outcome) => {
      metrics.connections.inc({ type, outcome });
    },
    refusal: (cause) => {
      metrics.refusals.inc({ reason: cause });
    },
    clientToBackend: byteTally(metrics.relayedBytes, type, 'client-to-backend'),
    backendToClient: byteTally(metrics.relayedBytes, type, 'backend-to-client'),
    firstMessage: metrics.firstMessageSeconds.labels(type),
    pending: metrics.open.labels(type, 'pending'),
    relaying: metrics.open.labels(type, 'relaying'),
  };
}
