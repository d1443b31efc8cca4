// What every proxy listener does with an accepted connection before and after its protocol runs:
// the gate (fraud blacklist, per-IP pending limit) and the closing report (metric, one log line).

import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FraudDetection } from '../fraud/fraud.ts';
import type { Suspicious } from '../fraud/suspicious.ts';
import { unmapIpv4 } from '../net/ip-bytes.ts';
import type { Logger } from '../observe/log.ts';
import type { ConnectionOutcome, ListenerMetrics } from './metrics.ts';
import type { PendingLimit } from './pending-limit.ts';

export interface AdmissionDeps {
  readonly fraud: Pick<FraudDetection, 'isBlocked' | 'countRefused'> | undefined;
  readonly pending: PendingLimit;
  readonly suspicious: Suspicious;
  readonly metrics: ListenerMetrics;
}

export interface Admitted {
  readonly remoteIp: string;
  /** Ends the connection's "pending" state (at routing, or at the end); idempotent. */
  readonly release: () => void;
}

/** The gate, before TLS and before any byte is read (the listener pauses on connect). */
export function admit(socket: Socket, deps: AdmissionDeps): Admitted | undefined {
  socket.on('error', ignore);
  const { metrics } = deps;
  const remoteIp = unmapIpv4(socket.remoteAddress ?? '');
  if (remoteIp === '') {
    socket.destroy(); // reset before accept completed: there is no client to judge
    metrics.outcome('client-closed');
    return undefined;
  }
  if (deps.fraud?.isBlocked(remoteIp)) {
    socket.destroy();
    deps.fraud.countRefused?.();
    metrics.outcome('blocked');
    return undefined;
  }
  if (!deps.pending.acquire(remoteIp)) {
    socket.destroy();
    deps.suspicious(remoteIp, 'proxy.too-many-pending');
    metrics.outcome('too-many-pending');
    return undefined;
  }
  metrics.pending.inc();
  let isPending = true;
  const release = (): void => {
    if (!isPending) return;
    isPending = false;
    deps.pending.release(remoteIp);
    metrics.pending.dec();
  };
  return { remoteIp, release };
}

/** Counts and logs a connection's end; a handler that threw costs this connection only. */
export function reportConnection(
  handled: Promise<{ readonly outcome: ConnectionOutcome }>,
  context: {
    readonly socket: Socket;
    readonly admitted: Admitted;
    readonly metrics: ListenerMetrics;
    readonly internalErrors: { inc(): void };
    readonly log: Logger;
    /** Destroys what the connection owns, after a bug. */
    readonly destroy: () => void;
  },
): void {
  const { admitted, metrics, log } = context;
  const { remoteIp } = admitted;
  const remotePort = context.socket.remotePort;
  const startedAt = performance.now();
  handled
    .then((report) => {
      metrics.outcome(report.outcome);
      const durationMs = Math.round(performance.now() - startedAt);
      log.info({ remoteIp, remotePort, ...report, durationMs }, 'proxy connection closed');
    })
    .catch((err: unknown) => {
      context.destroy();
      context.internalErrors.inc();
      metrics.outcome('internal-error');
      log.error({ err, remoteIp }, 'proxy connection handler threw: connection dropped');
    })
    .finally(admitted.release);
}

function ignore(): void {
  // Socket failures surface as 'close' where a stage waits for them; unhandled, 'error' would end the process.
}
