// Every metric of pbxgate, defined in one place: pbxgate_<part>_<what>_<unit>, labels from closed sets only.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { flushTallies } from './tally.ts';

export interface Metrics {
  readonly registry: Registry;
  readonly suspiciousEvents: Counter<'reason'>;
  readonly internalErrors: Counter<'part'>;
  readonly stunRequests: Counter<'transport' | 'method'>;
  readonly stunResponses: Counter<'transport' | 'outcome'>;
  readonly stunDropped: Counter<'transport' | 'reason'>;
  readonly stunConnections: Gauge<'transport'>;
  readonly turnAllocations: Gauge<'transport'>;
  readonly turnPermissions: Gauge;
  readonly turnChannels: Gauge;
  readonly turnRequests: Counter<'method' | 'code'>;
  readonly turnRelayedBytes: Counter<'transport' | 'direction'>;
  readonly turnRelayedPackets: Counter<'transport' | 'direction'>;
  readonly turnDropped: Counter<'reason'>;
  readonly turnTcpConnections: Gauge;
}

/** How often the event-loop delay is sampled (pbxgate_nodejs_eventloop_lag_*). */
const EVENT_LOOP_SAMPLE_MS = 100;

/** A fresh registry per gateway (tests run several in one process). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    // The event-loop delay histogram samples on a timer: every 10 ms by default, which woke an idle
    // gateway 100 times a second (0.8 % of a core here) and each relay loop as often.
    collectDefaultMetrics({
      register: registry,
      prefix: 'pbxgate_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
  }
  const registers = [registry];
  return {
    registry,
    suspiciousEvents: new Counter({
      name: 'pbxgate_suspicious_events_total',
      help: 'Suspicious events reported to fraud detection, by reason',
      labelNames: ['reason'],
      registers,
    }),
    internalErrors: new Counter({
      name: 'pbxgate_internal_errors_total',
      help: 'Bugs caught at an adapter boundary (one packet or session lost), by part',
      labelNames: ['part'],
      registers,
    }),
    stunRequests: new Counter({
      name: 'pbxgate_stun_requests_total',
      help: 'Well-formed STUN requests received, by transport and method',
      labelNames: ['transport', 'method'],
      registers,
      collect: flushTallies,
    }),
    stunResponses: new Counter({
      name: 'pbxgate_stun_responses_total',
      help: 'STUN responses sent, by transport and outcome (success, unknown-attribute, bad-request)',
      labelNames: ['transport', 'outcome'],
      registers,
      collect: flushTallies,
    }),
    stunDropped: new Counter({
      name: 'pbxgate_stun_dropped_total',
      help: 'STUN input dropped without an answer, by transport and reason',
      labelNames: ['transport', 'reason'],
      registers,
      collect: flushTallies,
    }),
    stunConnections: new Gauge({
      name: 'pbxgate_stun_connections',
      help: 'Open STUN TCP/TLS connections',
      labelNames: ['transport'],
      registers,
    }),
    // TURN: never labelled by username (REST usernames are new every time: unbounded series).
    turnAllocations: new Gauge({
      name: 'pbxgate_turn_allocations',
      help: 'TURN allocations now, by the client transport',
      labelNames: ['transport'],
      registers,
    }),
    turnPermissions: new Gauge({
      name: 'pbxgate_turn_permissions',
      help: 'TURN permissions now (peer IPs across all allocations)',
      registers,
    }),
    turnChannels: new Gauge({
      name: 'pbxgate_turn_channels',
      help: 'TURN channel bindings now',
      registers,
    }),
    turnRequests: new Counter({
      name: 'pbxgate_turn_requests_total',
      help: 'TURN requests answered, by method and response code (ok for a success)',
      labelNames: ['method', 'code'],
      registers,
    }),
    turnRelayedBytes: new Counter({
      name: 'pbxgate_turn_relayed_bytes_total',
      help: 'Application bytes relayed, by client transport and direction (to-peer, to-client)',
      labelNames: ['transport', 'direction'],
      registers,
      collect: flushTallies,
    }),
    turnRelayedPackets: new Counter({
      name: 'pbxgate_turn_relayed_packets_total',
      help: 'Packets relayed, by client transport and direction (to-peer, to-client)',
      labelNames: ['transport', 'direction'],
      registers,
      collect: flushTallies,
    }),
    turnDropped: new Counter({
      name: 'pbxgate_turn_dropped_total',
      help: 'Relay data dropped, by reason (no-permission, peer-denied, rate-limit, no-allocation, no-channel, family, tcp-allocation, malformed)',
      labelNames: ['reason'],
      registers,
      collect: flushTallies,
    }),
    turnTcpConnections: new Gauge({
      name: 'pbxgate_turn_tcp_connections',
      help: 'RFC 6062 peer connections of TCP allocations now, waiting for their ConnectionBind or relaying',
      registers,
    }),
  };
}
