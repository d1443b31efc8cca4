// What the STUN sockets report: metrics with pre-bound label children, suspicious events, bugs.

import type { Suspicious } from '../fraud/suspicious.ts';
import type { Logger } from '../observe/log.ts';
import type { Metrics } from '../observe/metrics.ts';
import { type Tally, tallyOf } from '../observe/tally.ts';
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
  const bindingRequests = tallyOf(metrics.stunRequests, { transport, method: 'binding' });
  const otherRequests = tallyOf(metrics.stunRequests, { transport, method: 'other' });
  const outcomes = {
    success: tallyOf(metrics.stunResponses, { transport, outcome: 'success' }),
    'unknown-attribute': tallyOf(metrics.stunResponses, {
      transport,
      outcome: 'unknown-attribute',
    }),
    'bad-request': tallyOf(metrics.stunResponses, { transport, outcome: 'bad-request' }),
  } as const;
  const dropped = new Map<StunDropReason, Tally>();
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
      let tally = dropped.get(reason);
      if (!tally) {
        tally = tallyOf(metrics.stunDropped, { transport, reason });
        dropped.set(reason, tally);
      }
      tally.inc();
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
