// NAT detection over the configured logical servers: each resolved, probed and classified, in parallel.

import { type NatClassification, type Verdict, classifyNat, nothingKnown } from './classify.ts';
import { type BindingLifetime, probeBindingLifetime, summarizeLifetime } from './lifetime.ts';
import { type ProbeOptions, probeNat } from './probe.ts';
import { type LookupAll, candidatesOf } from './resolve.ts';
import type { LogicalStunServer, StunEndpoint } from './server-list.ts';

export interface DetectOptions extends ProbeOptions {
  /** Resolves a server name to all its addresses; default: the system resolver. */
  readonly lookup?: LookupAll;
  /** Runs the RFC 5780 §4.6 binding lifetime test up to this long (it takes that long). */
  readonly lifetimeMaxMs?: number;
}

export interface ServerDetection {
  /** The logical server as configured. */
  readonly server: string;
  /** Every address test I was sent to. */
  readonly queried: readonly StunEndpoint[];
  /** The address whose answer won (the one the other tests then used). */
  readonly answeredBy: StunEndpoint | undefined;
  readonly rttMs: number | undefined;
  readonly classification: NatClassification;
  /** Only when asked for (lifetimeMaxMs). */
  readonly lifetime: Verdict<BindingLifetime> | undefined;
  /** Why nothing was sent (a name that did not resolve). */
  readonly problem: string | undefined;
  readonly durationMs: number;
}

export function detectNat(
  servers: readonly LogicalStunServer[],
  options: DetectOptions = {},
): Promise<ServerDetection[]> {
  return Promise.all(servers.map((server) => detectOne(server, options)));
}

async function detectOne(
  server: LogicalStunServer,
  options: DetectOptions,
): Promise<ServerDetection> {
  const started = performance.now();
  const resolved = await candidatesOf(server, options.lookup);
  if (!resolved.ok) {
    return {
      server: server.text,
      queried: [],
      answeredBy: undefined,
      rttMs: undefined,
      classification: nothingKnown('unresolved'),
      lifetime: undefined,
      problem: resolved.problem,
      durationMs: performance.now() - started,
    };
  }
  const probe = await probeNat(resolved.candidates, options);
  const classification = classifyNat(probe.results);
  let lifetime: Verdict<BindingLifetime> | undefined;
  if (options.lifetimeMaxMs !== undefined) {
    lifetime =
      probe.answeredBy === undefined || probe.results.otherAddress === undefined
        ? {
            kind: 'unknown',
            reason: probe.answeredBy === undefined ? 'no-answer' : 'no-second-address',
          }
        : summarizeLifetime(
            await probeBindingLifetime(probe.answeredBy, options.lifetimeMaxMs, options),
          );
  }
  return {
    server: server.text,
    queried: resolved.candidates,
    answeredBy: probe.answeredBy,
    rttMs: probe.rttMs,
    classification,
    lifetime,
    problem: undefined,
    durationMs: performance.now() - started,
  };
}
