// A proxy listener of one type (`proxy.listen`): accept, the fraud gate, the per-IP pending limit,
// then one connection through the pipeline (connection.ts); one log line per finished connection.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProxyConfig, ProxyListenAddress } from '../config/schema-proxy.ts';
import { PbxgateError } from '../errors.ts';
import type { FraudDetection } from '../fraud/fraud.ts';
import type { Suspicious } from '../fraud/suspicious.ts';
import { adoptAccepted } from '../net/pooled-reads.ts';
import type { TlsMaterial } from '../net/tls.ts';
import type { Logger } from '../observe/log.ts';
import type { Metrics } from '../observe/metrics.ts';
import { admit, reportConnection } from './admission.ts';
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
  const { kind, tls: terminatesTls, startTls } = listenerKinds[type];
  // A connection that stays plain TCP reads into pooled buffers for the relay (net/pooled-reads.ts).
  const pooledReads = !terminatesTls && !startTls;
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
    isBlocked: deps.fraud && ((ip: string): boolean => deps.fraud?.isBlocked(ip) === true),
  };

  const accept = (accepted: Socket): void => {
    const socket = pooledReads ? adoptAccepted(accepted) : accepted;
    const admitted = admit(socket, {
      fraud: deps.fraud,
      pending,
      suspicious: deps.suspicious,
      metrics,
    });
    if (!admitted) return;
    const mine: Socket[] = [];
    const ownMine = (owned: Socket): void => {
      own(owned);
      mine.push(owned);
    };
    ownMine(socket);
    const handled = handleConnection(socket, admitted.remoteIp, connectionDeps, {
      acceptedAt: performance.now(),
      onRouted: admitted.release,
      own: ownMine,
    });
    reportConnection(handled, {
      socket,
      admitted,
      metrics,
      internalErrors,
      log,
      destroy: () => {
        for (const owned of mine) owned.destroy();
      },
    });
  };

  shell.onConnection(accept);
  return shell.listener;
}
