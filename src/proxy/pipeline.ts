// A proxy listener of one type (`proxy.listen`): accept, the fraud gate, the per-IP pending limit,
// then one connection through the pipeline (connection.ts); one log line per finished connection.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProxyConfig, ProxyListenAddress } from '../config/schema-proxy.ts';
import { PbxgateError } from '../errors.ts';
import type { FraudDetection } from '../fraud/fraud.ts';
import type { Suspicious } from '../fraud/suspicious.ts';
import { unmapIpv4 } from '../net/ip-bytes.ts';
import type { TlsMaterial } from '../net/tls.ts';
import type { Logger } from '../observe/log.ts';
import type { Metrics } from '../observe/metrics.ts';
import { createTlsTerminator } from './client-tls.ts';
import { type ProxyListener, createListenerShell } from './listener-shell.ts';
import { type ConnectionDeps, handleConnection } from './connection.ts';
import { listenerMetrics, proxyMetrics } from './metrics.ts';
import { createPendingLimit } from './pending-limit.ts';
import { type ListenerType, type ProxyProtocol, listenerKinds } from './protocol.ts';
import { createRouter } from './router.ts';

export interface ProxyListenerDeps {
  readonly protocol: ProxyProtocol;
  /** The validated `proxy:` section: services, limits and timeouts (ms). */
  readonly proxy: Omit<ProxyConfig, 'listen'>;
  /** The current TLS material: required for TLS listener types, used by StartTLS on plain ones. */
  readonly tls?: (() => TlsMaterial) | undefined;
  /** The accept-time gate; absent (no `fraud:` section) blocks no one. */
  readonly fraud?: Pick<FraudDetection, 'isBlocked' | 'countRefused'> | undefined;
  readonly suspicious: Suspicious;
  readonly log: Logger;
  readonly metrics: Metrics;
}

export type { ProxyListener } from './listener-shell.ts';

// Only registrations are checked against certificates; asking a browser for one would prompt its user.
const CERTIFICATE_KINDS: ReadonlySet<string> = new Set(['sip', 'h323']);

export function createProxyListener(
  type: ListenerType,
  listen: ProxyListenAddress,
  deps: ProxyListenerDeps,
): ProxyListener {
  const { kind, tls: terminatesTls } = listenerKinds[type];
  if (deps.protocol.kind !== kind) {
    throw new Error(`proxy: a ${deps.protocol.kind} protocol cannot serve the ${type} listener`);
  }
  if (terminatesTls && deps.tls === undefined) {
    throw new PbxgateError('PBX_ERR_TLS', `proxy: the ${type} listener needs TLS certificates`);
  }
  const { proxy } = deps;
  const log = deps.log.child({ part: 'proxy', type });
  const metrics = listenerMetrics(proxyMetrics(deps.metrics.registry), type);
  const internalErrors = deps.metrics.internalErrors.labels('proxy');
  const pending = createPendingLimit(proxy.maxPendingPerIp);
  const shell = createListenerShell(type, listen, log);
  const own = shell.own;
  const requestCert = proxy.services.some(
    (service) => service.checkCertificate && service.ports[kind] !== undefined,
  );
  const connectionDeps: ConnectionDeps = {
    kind,
    protocol: deps.protocol,
    router: createRouter(proxy.services, kind),
    settings: proxy,
    terminatesTls,
    tls:
      deps.tls === undefined
        ? undefined
        : createTlsTerminator(
            { material: deps.tls, requestCert: requestCert && CERTIFICATE_KINDS.has(kind) },
            proxy.firstMessageTimeout,
          ),
    maxFirstMessageBytes: proxy.maxFirstMessageBytes,
    suspicious: deps.suspicious,
    metrics,
  };

  const accept = (socket: Socket): void => {
    socket.on('error', ignore);
    const remoteIp = unmapIpv4(socket.remoteAddress ?? '');
    // The gate: before TLS and before any byte is read (the listener pauses on connect).
    if (remoteIp === '') {
      socket.destroy(); // reset before accept completed: there is no client to judge
      metrics.outcome('client-closed');
      return;
    }
    if (deps.fraud?.isBlocked(remoteIp)) {
      socket.destroy();
      deps.fraud.countRefused?.();
      metrics.outcome('blocked');
      return;
    }
    if (!pending.acquire(remoteIp)) {
      socket.destroy();
      deps.suspicious(remoteIp, 'proxy.too-many-pending');
      metrics.outcome('too-many-pending');
      return;
    }
    const mine: Socket[] = [];
    const ownMine = (owned: Socket): void => {
      own(owned);
      mine.push(owned);
    };
    ownMine(socket);
    metrics.pending.inc();
    let isPending = true;
    const release = (): void => {
      if (!isPending) return;
      isPending = false;
      pending.release(remoteIp);
      metrics.pending.dec();
    };
    const acceptedAt = performance.now();
    const remotePort = socket.remotePort;
    handleConnection(socket, remoteIp, connectionDeps, {
      acceptedAt,
      onRouted: release,
      own: ownMine,
    })
      .then((report) => {
        metrics.outcome(report.outcome);
        const durationMs = Math.round(performance.now() - acceptedAt);
        log.info({ remoteIp, remotePort, ...report, durationMs }, 'proxy connection closed');
      })
      .catch((err: unknown) => {
        // A bug: this connection is lost, the listener keeps serving.
        for (const owned of mine) owned.destroy();
        internalErrors.inc();
        metrics.outcome('internal-error');
        log.error({ err, remoteIp }, 'proxy connection handler threw: connection dropped');
      })
      .finally(release);
  };

  shell.onConnection(accept);
  return shell.listener;
}

function ignore(): void {
  // Socket failures surface as 'close' where a stage waits for them; unhandled, 'error' would end the process.
}
