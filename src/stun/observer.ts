// What the STUN sockets report: metrics with pre-bound label children, suspicious events, bugs.

import type { Suspicious } from '../fraud/suspicious.ts';
import type { Logger } from '../observe/log.ts';
import type { Metrics } from '../observe/metrics.ts';
import { type StunAnswer, type StunDropReason, isBenignDrop } from './answer.ts';
import type { StunTransport } from './binding.ts';

/** The accept-time check of fraud detection: a blacklisted IP gets no answer at all. */
export interface Gate {
  isBlocked(ip: string): boolean;
  countRefused(): void;
}

export interface StunServerDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly suspicious: Suspicious;
  readonly gate?: Gate | undefined;
}

export interface StunObserver {
  /** True (and counted) when fraud detection blacklisted this IP: it gets no answer at all. */
  blocked(remoteIp: string): boolean;
  answered(answer: StunAnswer & { kind: 'send' }): void;
  dropped(reason: StunDropReason, remoteIp: string, plausible: boolean): void;
  threw(err: unknown, remoteIp: string): void;
}

export function createStunObserver(transport: StunTransport, deps: StunServerDeps): StunObserver {
  const { metrics, suspicious } = deps;
  const log = deps.log.child({ part: 'stun', transport });
  const bindingRequests = metrics.stunRequests.labels(transport, 'binding');
  const otherRequests = metrics.stunRequests.labels(transport, 'other');
  const outcomes = {
    success: metrics.stunResponses.labels(transport, 'success'),
    'unknown-attribute': metrics.stunResponses.labels(transport, 'unknown-attribute'),
    'bad-request': metrics.stunResponses.labels(transport, 'bad-request'),
  } as const;
  const internalErrors = metrics.internalErrors.labels('stun');
  const gate = deps.gate;
  return {
    blocked(remoteIp) {
      if (!gate?.isBlocked(remoteIp)) return false;
      gate.countRefused();
      return true;
    },
    answered(answer) {
      (answer.method === 1 ? bindingRequests : otherRequests).inc();
      outcomes[answer.outcome].inc();
    },
    dropped(reason, remoteIp, plausible) {
      metrics.stunDropped.inc({ transport, reason });
      // A spoofable UDP source is only reported when the datagram at least claimed to be STUN, so
      // random noise cannot blacklist an innocent address.
      if (plausible && !isBenignDrop(reason)) suspicious(remoteIp, reason);
    },
    threw(err, remoteIp) {
      internalErrors.inc();
      log.error({ err, remoteIp }, 'stun handler threw: message dropped');
    },
  };
}
