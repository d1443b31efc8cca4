// The metrics of NAT detection, registered once per registry on the gateway's shared one. Labels
// come only from closed sets: the server's position in nat.stunServers and the verdict names.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- metric definitions need prom-client's classes
import { Counter, Gauge, type Registry } from 'prom-client';
import { reuse } from '../observe/reuse-metric.ts';
import type { NatServerReport } from './report.ts';

export type NatCheckOutcome = 'answered' | 'no-answer' | 'unresolved';

export interface NatMetrics {
  readonly type: Gauge<'server' | 'classic' | 'mapping' | 'filtering'>;
  readonly checks: Counter<'server' | 'outcome'>;
}

export function registerNatMetrics(registry: Registry): NatMetrics {
  const registers = [registry];
  return {
    type: reuse(registry, Gauge<'server' | 'classic' | 'mapping' | 'filtering'>, {
      name: 'pbxgate_nat_type',
      help: 'The NAT type last detected per logical STUN server (1 or 2, as in nat.stunServers): 1 on the current verdicts',
      labelNames: ['server', 'classic', 'mapping', 'filtering'],
      registers,
    }),
    checks: reuse(registry, Counter<'server' | 'outcome'>, {
      name: 'pbxgate_nat_checks_total',
      help: 'NAT detections run, by logical server and outcome (answered, no-answer, unresolved)',
      labelNames: ['server', 'outcome'],
      registers,
    }),
  };
}

type TypeLabels = Record<'server' | 'classic' | 'mapping' | 'filtering', string>;

/**
 * Records each detection: one pbxgate_nat_type series per server, so the old verdict's series goes
 * when the verdict changes.
 */
export function createNatRecorder(
  metrics: NatMetrics,
): (server: string, report: NatServerReport) => void {
  const current = new Map<string, TypeLabels>();
  return (server, report) => {
    const previous = current.get(server);
    if (previous) metrics.type.remove(previous);
    const labels: TypeLabels = {
      server,
      classic: report.classic,
      mapping: report.mapping,
      filtering: report.filtering,
    };
    metrics.type.set(labels, 1);
    current.set(server, labels);
    const outcome: NatCheckOutcome =
      report.problem !== null
        ? 'unresolved'
        : report.answeredBy === null
          ? 'no-answer'
          : 'answered';
    metrics.checks.inc({ server, outcome });
  };
}
