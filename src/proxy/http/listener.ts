// The HTTP and HTTPS listeners (`proxy.listen.http` / `.https`): accept, the fraud gate, the per-IP
// pending limit and TLS termination as every proxy listener has them, then an HTTP session per
// connection (session.ts) that routes and checks every request on its own.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProxyConfig, ProxyListenAddress } from '../../config/schema-proxy.ts';
import { PbxgateError } from '../../errors.ts';
import type { TlsMaterial } from '../../net/tls.ts';
import { admit, reportConnection } from '../admission.ts';
import { type TlsTerminator, createTlsTerminator } from '../client-tls.ts';
import { type ListenerMetrics, listenerMetrics, proxyMetrics } from '../metrics.ts';
import { createPendingLimit } from '../pending-limit.ts';
import { type ProxyListener, createListenerShell } from '../listener-shell.ts';
import type { ProxyListenerDeps } from '../pipeline.ts';
import { blockListOf, createRouter, isAllowed } from '../router.ts';
import { type HeadLimits, defaultHeadLimits } from './problem.ts';
import { type SessionDeps, type SessionReport, runSession } from './session.ts';

export interface HttpListenerDeps extends Omit<ProxyListenerDeps, 'protocol'> {
  /** Limits on each head; maxHeadBytes defaults to `proxy.maxFirstMessageBytes`. */
  readonly limits?: HeadLimits | undefined;
  /** Idle wait for the next request on a keep-alive connection (default: 60 s, at most idleTimeout). */
  readonly keepAliveTimeoutMs?: number | undefined;
  /** How long a backend may take to start a response (default: `proxy.idleTimeout`). */
  readonly responseTimeoutMs?: number | undefined;
  /** Clients whose X-Forwarded-For and Forwarded are extended (default: `proxy.trustedProxies`). */
  readonly isTrustedProxy?: ((ip: string) => boolean) | undefined;
}

const KEEP_ALIVE_TIMEOUT_MS = 60_000;
/** RFC 7301: only HTTP/1.1 is spoken here, so a client must not pick h2. */
const ALPN = ['http/1.1'];

export function createHttpListener(
  type: 'http' | 'https',
  listen: ProxyListenAddress,
  deps: HttpListenerDeps,
): ProxyListener {
  const isTls = type === 'https';
  const { proxy } = deps;
  const log = deps.log.child({ part: 'proxy', type });
  const metrics = listenerMetrics(proxyMetrics(deps.metrics.registry), type);
  const internalErrors = deps.metrics.internalErrors.labels('proxy');
  const pending = createPendingLimit(proxy.maxPendingPerIp);
  const terminator = isTls ? createTerminator(deps, proxy.firstMessageTimeout) : undefined;
  const sessionDeps: SessionDeps = {
    router: createRouter(proxy.services, 'http'),
    limits: deps.limits ?? {
      maxHeadBytes: proxy.maxFirstMessageBytes,
      maxHeaders: defaultHeadLimits.maxHeaders,
    },
    connectTimeoutMs: proxy.connectTimeout,
    keepAliveTimeoutMs:
      deps.keepAliveTimeoutMs ?? Math.min(KEEP_ALIVE_TIMEOUT_MS, proxy.idleTimeout),
    responseTimeoutMs: deps.responseTimeoutMs ?? proxy.idleTimeout,
    idleTimeoutMs: proxy.idleTimeout,
    isTrustedProxy: deps.isTrustedProxy ?? trustedProxies(proxy.trustedProxies),
    suspicious: deps.suspicious,
    metrics,
    isBlocked: deps.fraud && ((ip: string): boolean => deps.fraud?.isBlocked(ip) === true),
  };
  const shell = createListenerShell(type, listen, log);
  const own = shell.own;

  const serve = async (
    raw: Socket,
    remoteIp: string,
    release: () => void,
  ): Promise<SessionReport> => {
    const acceptedAt = performance.now();
    let client = raw;
    if (terminator !== undefined) {
      const secured = await secure(
        terminator,
        raw,
        remoteIp,
        proxy.firstMessageTimeout,
        deps,
        metrics,
      );
      if ('outcome' in secured) return secured;
      client = secured;
      own(client);
    }
    const elapsed = performance.now() - acceptedAt;
    return runSession(
      {
        raw,
        client,
        remoteIp,
        isTls,
        firstHeadTimeoutMs: Math.max(1, proxy.firstMessageTimeout - elapsed),
        onRouted: () => {
          metrics.firstMessage.observe((performance.now() - acceptedAt) / 1000);
          release();
        },
        own,
      },
      sessionDeps,
    );
  };

  const accept = (socket: Socket): void => {
    const admitted = admit(socket, {
      fraud: deps.fraud,
      pending,
      suspicious: deps.suspicious,
      metrics,
    });
    if (!admitted) return;
    own(socket);
    reportConnection(serve(socket, admitted.remoteIp, admitted.release), {
      socket,
      admitted,
      metrics,
      internalErrors,
      log,
      destroy: () => socket.destroy(),
    });
  };

  shell.onConnection(accept);
  return shell.listener;
}

/** `proxy.trustedProxies` as a check; no entry = nobody is trusted. */
function trustedProxies(cidrs: readonly string[]): (ip: string) => boolean {
  if (cidrs.length === 0) return () => false;
  const list = blockListOf(cidrs);
  return (ip) => isAllowed(list, ip);
}

/** The configured ones of `proxy.listen.http` and `.https` (a type left out accepts nothing). */
export function createHttpListeners(
  config: ProxyConfig,
  deps: Omit<HttpListenerDeps, 'proxy'>,
): ProxyListener[] {
  const { listen, ...proxy } = config;
  const listeners: ProxyListener[] = [];
  for (const type of ['http', 'https'] as const) {
    const address = listen[type];
    if (address !== undefined)
      listeners.push(createHttpListener(type, address, { ...deps, proxy }));
  }
  return listeners;
}

function createTerminator(deps: HttpListenerDeps, handshakeTimeoutMs: number): TlsTerminator {
  const material = deps.tls;
  if (material === undefined) {
    throw new PbxgateError('PBX_ERR_TLS', 'proxy: the https listener needs TLS certificates');
  }
  return createTlsTerminator(
    { material: withAlpn(material), requestCert: false },
    handshakeTimeoutMs,
  );
}

/**
 * The material with ALPN `http/1.1` in its server options (the terminator spreads them into
 * tls.createServer). One wrapper per material, so the terminator still sees when it changes.
 */
function withAlpn(material: () => TlsMaterial): () => TlsMaterial {
  let source: TlsMaterial | undefined;
  let wrapped: TlsMaterial | undefined;
  return () => {
    const current = material();
    if (current !== source || wrapped === undefined) {
      source = current;
      const base = current;
      wrapped = {
        certificates: base.certificates,
        selectContext: (name) => base.selectContext(name),
        reload: () => base.reload(),
        secureContextOptions: () => {
          const options = { ...base.secureContextOptions(), ALPNProtocols: ALPN };
          return options;
        },
      };
    }
    return wrapped;
  };
}

async function secure(
  terminator: TlsTerminator,
  raw: Socket,
  remoteIp: string,
  timeoutMs: number,
  deps: HttpListenerDeps,
  metrics: ListenerMetrics,
): Promise<Socket | SessionReport> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const accepted = await terminator.accept(raw, deadline);
  switch (accepted.kind) {
    case 'secure':
      return accepted.socket;
    case 'closed':
      return { outcome: 'client-closed', requests: 0 };
    case 'timeout':
      deps.suspicious(remoteIp, 'proxy.first-message-timeout');
      metrics.refusal('first-message-timeout');
      return {
        outcome: 'refused-first-message-timeout',
        reason: 'proxy.first-message-timeout',
        requests: 0,
      };
    case 'failed':
      deps.suspicious(remoteIp, 'tls.handshake-failed');
      return { outcome: 'tls-failed', reason: 'tls.handshake-failed', requests: 0 };
  }
}
