// One client connection through the pipeline after accept: intake (TLS, first message), router,
// target, upstream, relay. Nothing is sent to a backend before the route and access are decided.
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { ProxyConfig } from '../config/schema-proxy.ts';
import { encodeProxyHeaderV1, encodeProxyHeaderV2 } from '../net/proxy-protocol.ts';
import { type IntakeDeps, intake } from './intake.ts';
import type { ConnectionOutcome } from './metrics.ts';
import type { RequestKind } from './protocol.ts';
import { refuse } from './refusal.ts';
import { relay } from './relay.ts';
import type { Router } from './router.ts';
import { type Target, chooseTarget } from './target.ts';
import { connectUpstream } from './upstream.ts';

export type ConnectionSettings = Pick<
  ProxyConfig,
  'firstMessageTimeout' | 'maxFirstMessageBytes' | 'connectTimeout' | 'idleTimeout'
>;

export interface ConnectionDeps extends IntakeDeps {
  readonly kind: RequestKind;
  readonly router: Router;
  readonly settings: ConnectionSettings;
  /** Blacklisted now? Asked per client chunk while relaying: a brute force on one connection ends. */
  readonly isBlocked?: ((ip: string) => boolean) | undefined;
}

export interface ConnectionReport {
  readonly outcome: ConnectionOutcome;
  readonly reason?: string | undefined;
  readonly service?: string;
  /** `host:port` plus `/tls` for a TLS backend. */
  readonly target?: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface ConnectionHooks {
  readonly acceptedAt: number;
  /** The route and access are decided: the connection no longer counts as pending. */
  readonly onRouted: () => void;
  /** Registers a socket of this connection: destroyed on stop, or when the handler throws. */
  readonly own: (socket: Socket) => void;
}

export async function handleConnection(
  raw: Socket,
  remoteIp: string,
  deps: ConnectionDeps,
  hooks: ConnectionHooks,
): Promise<ConnectionReport> {
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort();
  }, deps.settings.firstMessageTimeout);
  let taken;
  try {
    taken = await intake(raw, { remoteIp, deadline: deadline.signal, own: hooks.own }, deps);
  } finally {
    clearTimeout(timer);
  }
  if (taken.kind === 'done')
    return { outcome: taken.outcome, reason: taken.reason, bytesIn: 0, bytesOut: 0 };
  deps.metrics.firstMessage.observe((performance.now() - hooks.acceptedAt) / 1000);
  const { client, result, bytes } = taken;
  const refuseWith = (
    cause: 'unknown-service' | 'forbidden',
    service?: string,
  ): ConnectionReport => ({
    ...refuse(client, remoteIp, deps, {
      cause,
      reason: `proxy.${cause}`,
      message: bytes.subarray(0, result.size),
    }),
    ...(service === undefined ? {} : { service }),
    bytesIn: 0,
    bytesOut: 0,
  });
  const decision = deps.router.route(result.services, remoteIp);
  if (decision.kind === 'unknown-service') return refuseWith('unknown-service');
  if (decision.kind === 'forbidden') return refuseWith('forbidden', decision.service.name);
  hooks.onRouted();
  const { service } = decision;
  const target = chooseTarget({
    service,
    kind: deps.kind,
    clientTls: taken.clientTls,
    identity: result.identity,
    certificate: taken.certificate,
  });
  if (target === undefined) return refuseWith('unknown-service', service.name);
  const base = { service: service.name, target: describeTarget(target) };

  const upstream = await connectUpstream(target, {
    header: proxyHeader(target, raw, remoteIp),
    timeoutMs: deps.settings.connectTimeout,
    own: hooks.own,
    pooledReads: true,
  });
  if (upstream.kind === 'failed') {
    const { cause } = upstream;
    const message = bytes.subarray(0, result.size);
    return {
      ...base,
      ...refuse(client, remoteIp, deps, { cause, reason: `proxy.${cause}`, message }),
      bytesIn: 0,
      bytesOut: 0,
    };
  }
  const watcher = deps.protocol.createWatcher?.({
    service: service.name,
    remoteIp,
    suspicious: (reason) => {
      deps.suspicious(remoteIp, reason);
    },
  });
  deps.metrics.relaying.inc();
  const relayed = await relay(client, upstream.socket, {
    initial: bytes,
    clientEnded: taken.ended,
    idleTimeoutMs: deps.settings.idleTimeout,
    watcher,
    isBlocked: deps.isBlocked && ((): boolean => deps.isBlocked?.(remoteIp) === true),
    countClientBytes: (n) => {
      deps.metrics.clientToBackend.inc(n);
    },
    countBackendBytes: (n) => {
      deps.metrics.backendToClient.inc(n);
    },
  }).finally(() => {
    deps.metrics.relaying.dec();
  });
  const counted = { bytesIn: relayed.bytesIn, bytesOut: relayed.bytesOut };
  const { end } = relayed;
  if (end.kind === 'failed') throw end.error;
  if (end.kind === 'blocked') {
    return { ...base, outcome: 'blocked', reason: 'fraud.blacklisted', ...counted };
  }
  if (end.kind === 'refused') {
    const refusal = refuse(client, remoteIp, deps, {
      cause: end.cause,
      reason: end.reason,
      answer: end.answer,
    });
    return { ...base, ...refusal, ...counted };
  }
  return {
    ...base,
    outcome: 'routed',
    reason: end.kind === 'idle-timeout' ? 'proxy.idle-timeout' : undefined,
    ...counted,
  };
}

export function describeTarget(target: Target): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}${target.tls ? '/tls' : ''}`;
}

/** The client as seen on the raw TCP connection, and the gateway address it connected to. */
export function proxyHeader(target: Target, raw: Socket, remoteIp: string): Uint8Array | undefined {
  if (target.proxyProtocol === 'off') return undefined;
  const addresses =
    raw.remotePort === undefined || raw.localAddress === undefined || raw.localPort === undefined
      ? undefined
      : {
          source: { ip: remoteIp, port: raw.remotePort },
          destination: { ip: raw.localAddress, port: raw.localPort },
        };
  return target.proxyProtocol === 'v1'
    ? encodeProxyHeaderV1(addresses)
    : encodeProxyHeaderV2(addresses);
}
