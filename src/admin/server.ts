// The admin part: a fastify server on admin.listen with the JSON API and /metrics, login required.

import { fastify, LogController } from 'fastify';
import type { Config } from '../config/schema.ts';
import type { FraudDetection } from '../fraud/fraud.ts';
import type { Suspicious } from '../fraud/suspicious.ts';
import { closeServer, listenTcp } from '../net/listen.ts';
import { type HostPort, canonicalIp, formatHostPort } from '../net/listen-url.ts';
import type { Logger } from '../observe/log.ts';
import type { Part } from '../part.ts';
import { createAuthHook } from './auth.ts';
import { createCredentialCheck } from './credentials.ts';
import { clientIp, createLoginBackoff } from './login-backoff.ts';
import { createErrorHandler, replyError, replyNotFound } from './reply.ts';
import { blacklistRoutes } from './routes/blacklist.ts';
import { fraudNotConfiguredRoutes, fraudRoutes } from './routes/fraud.ts';
import { type MetricsSource, metricsRoutes } from './routes/metrics.ts';
import { statusRoutes } from './routes/status.ts';
import { whitelistRoutes } from './routes/whitelist.ts';
import { refuseCrossSite, setSecurityHeaders } from './security.ts';

export type AdminConfig = NonNullable<Config['admin']>;

export interface AdminServerDeps {
  readonly log: Logger;
  /** What /metrics serves: the gateway's registry, or (with --workers) every process's. */
  readonly metrics: { readonly registry: MetricsSource };
  /** Undefined when the config has no fraud section: the /api/fraud routes then answer 404. */
  readonly fraud: FraudDetection | undefined;
  /** Where failed logins go (the suspicious-event log, then fraud detection). */
  readonly suspicious: Suspicious;
  /** The body of GET /api/status. */
  readonly status: () => object;
  readonly now?: () => number;
}

export interface AdminServer extends Part {
  /** The address actually bound (port 0 resolved). */
  address(): HostPort;
}

/** Every admin request body is a small JSON object. */
export const ADMIN_BODY_LIMIT_BYTES = 16 * 1024;
const MAX_CONNECTIONS = 64;
const REQUEST_TIMEOUT_MS = 15_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** On stop, requests still running after this are cut off. */
const STOP_GRACE_MS = 1_000;

/** Throws PBX_ERR_CONFIG when admin.users is empty or holds a hash it cannot check. */
export function createAdminServer(config: AdminConfig, deps: AdminServerDeps): AdminServer {
  const log = deps.log.child({ part: 'admin' });
  const now = deps.now ?? Date.now;
  const credentials = createCredentialCheck(config.users, { now });
  const app = fastify({
    loggerInstance: log,
    // Per-request lines are written below, at debug level.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ADMIN_BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    frameworkErrors: (err, _request, reply) => {
      replyError(reply, 400, 'bad-request', err.message);
    },
  });
  app.server.maxConnections = MAX_CONNECTIONS;
  app.removeContentTypeParser('text/plain'); // bodies are JSON; no other type reaches a handler
  app.setErrorHandler(createErrorHandler(log));
  app.setNotFoundHandler(replyNotFound);
  app.addHook('onRequest', setSecurityHeaders);
  app.addHook('onRequest', refuseCrossSite);
  app.addHook(
    'onRequest',
    createAuthHook({
      credentials,
      backoff: createLoginBackoff({ now }),
      suspicious: deps.suspicious,
      log,
    }),
  );
  app.addHook('onResponse', (request, reply, done) => {
    const remoteIp = clientIp(request.ip);
    const { method, url } = request;
    const durationMs = Math.round(reply.elapsedTime);
    log.debug({ remoteIp, method, url, status: reply.statusCode, durationMs }, 'admin request');
    done();
  });

  void app.register(metricsRoutes, { registry: deps.metrics.registry });
  void app.register(statusRoutes, { status: deps.status });
  if (deps.fraud) {
    void app.register(fraudRoutes, { fraud: deps.fraud });
    void app.register(blacklistRoutes, { fraud: deps.fraud, log });
    void app.register(whitelistRoutes, { fraud: deps.fraud, log });
  } else {
    void app.register(fraudNotConfiguredRoutes);
  }

  const url = `http://${formatHostPort(config.listen)}`;
  const address = (): HostPort => {
    const bound = app.server.address();
    return bound !== null && typeof bound === 'object'
      ? { host: bound.address, port: bound.port }
      : config.listen;
  };
  return {
    name: 'admin',
    async start() {
      await app.ready();
      try {
        await listenTcp(app.server, config.listen.host, config.listen.port, `${url} (admin)`);
      } catch (err) {
        await app.close();
        throw err;
      }
      const listen = `http://${formatHostPort(address())}`;
      log.info({ listen }, 'admin listening');
      if (!isLoopback(config.listen.host))
        log.warn(
          { listen },
          'the admin API listens beyond this host over plain HTTP: passwords cross the network readably',
        );
    },
    async stop() {
      const cutOff = setTimeout(() => {
        app.server.closeAllConnections();
      }, STOP_GRACE_MS);
      try {
        await Promise.all([app.close(), closeServer(app.server)]);
      } finally {
        clearTimeout(cutOff);
      }
    },
    address,
  };
}

function isLoopback(host: string): boolean {
  const ip = canonicalIp(host);
  return ip === '::1' || ip.startsWith('127.');
}
