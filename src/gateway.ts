// Composition root: one frozen Config -> the parts that run; start in order, stop in reverse.

import { resolve } from 'node:path';
import type { Config } from './config/schema.ts';
import type { Suspicious } from './fraud/suspicious.ts';
import { createSuspiciousEvents } from './observe/events.ts';
import type { Logger } from './observe/log.ts';
import { type Metrics, createMetrics } from './observe/metrics.ts';
import { type TlsMaterial, loadTlsContext } from './net/tls.ts';
import { createHttpListeners } from './proxy/http/listener.ts';
import { TLS_LISTENER_TYPES, createStreamListeners } from './proxy/listeners.ts';
import { createNatPart } from './nat/part.ts';
import { type TlsHolder, createTlsHolder } from './net/tls-holder.ts';
import type { Part } from './part.ts';
import { createStunServer } from './stun/server.ts';
import { createTurnPart } from './turn/create.ts';
import { createAdminServer } from './admin/server.ts';
import { PbxgateError } from './errors.ts';
import { type FraudDetectionPart, createFraudDetection } from './fraud/detection.ts';
import type { FraudMirror } from './cluster/fraud-mirror.ts';
import { type WorkerPool, createWorkerPool } from './cluster/pool.ts';
import { clusterMetrics } from './cluster/metrics.ts';

export interface Gateway {
  readonly metrics: Metrics;
  readonly suspicious: Suspicious;
  readonly parts: readonly Part[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Re-reads the TLS certificates (SIGHUP); false when no listener uses TLS. Throws on a bad file. */
  reloadTls(): Promise<boolean>;
}

export interface GatewayOptions {
  readonly log: Logger;
  /** Relative paths in the config (stateDir, certificates) are taken from here. */
  readonly baseDir: string;
  readonly metrics?: Metrics;
  /**
   * single: every part in this process. primary (`start --workers N`, N > 1): fraud, STUN and admin
   * here, the proxy listeners in N worker processes. worker: the proxy listeners only.
   */
  readonly role?: 'single' | 'primary' | 'worker';
  /** primary: how many workers to fork. */
  readonly workers?: number;
  /** worker: the TLS session ticket keys every worker shares (see net/tls.ts). */
  readonly ticketKeys?: Buffer | undefined;
  /** worker: the local copy of the primary's fraud lists, and the way events reach the primary. */
  readonly workerFraud?: FraudMirror | undefined;
}

export async function createGateway(config: Config, options: GatewayOptions): Promise<Gateway> {
  const { log } = options;
  const role = options.role ?? 'single';
  const metrics = options.metrics ?? createMetrics();
  const stateDir = resolve(options.baseDir, config.stateDir);
  const parts: Part[] = [];
  const fraud =
    config.fraud && role !== 'worker'
      ? createFraud(config.fraud, options.baseDir, log, metrics)
      : undefined;
  if (fraud) parts.push(fraud);
  const gate = role === 'worker' ? options.workerFraud : fraud;
  const suspicious = createSuspiciousEvents({
    log,
    metrics,
    ...(gate ? { next: gate.suspicious } : {}),
  });
  // Loaded once, on first need, and shared by every TLS listener.
  let tlsHolder: TlsHolder | undefined;
  const tls = async (): Promise<TlsHolder> => {
    tlsHolder ??= createTlsHolder(
      await loadTlsContext({
        certificates: (config.tls?.certificates ?? []).map((c) => ({
          cert: resolve(options.baseDir, c.cert),
          key: resolve(options.baseDir, c.key),
        })),
        trust: (config.tls?.trust ?? []).map((file) => resolve(options.baseDir, file)),
        stateDir,
        log: log.child({ part: 'tls' }),
        ticketKeys: options.ticketKeys,
      }),
    );
    return tlsHolder;
  };
  if (config.stun && role !== 'worker') {
    const needsTls = config.stun.listen.some((url) => url.transport === 'tls');
    const stunTls = needsTls ? await tls() : undefined;
    const turn = config.turn
      ? createTurnPart(config.turn, {
          log,
          metrics,
          suspicious,
          stunHosts: config.stun.listen.filter((u) => u.transport === 'udp').map((u) => u.host),
          software: config.stun.software,
        })
      : undefined;
    // TURN first: the STUN listeners hand it traffic as soon as they run.
    if (turn) parts.push(turn);
    parts.push(
      createStunServer(config.stun, {
        log,
        metrics,
        suspicious,
        tls: stunTls,
        gate: fraud,
        turn: turn && { service: turn },
      }),
    );
  }
  let pool: WorkerPool | undefined;
  if (config.proxy && role === 'primary') {
    pool = createWorkerPool(options.workers ?? 2, { log, fraud });
    parts.push(pool);
  } else if (config.proxy) {
    const { listen } = config.proxy;
    const needsTls = [...TLS_LISTENER_TYPES].some((type) => listen[type] !== undefined);
    const holder = needsTls ? await tls() : undefined;
    const current = holder && ((): TlsMaterial => holder.current());
    const listenerDeps = { tls: current, fraud: gate, suspicious, log, metrics };
    parts.push(
      ...createHttpListeners(config.proxy, listenerDeps),
      ...createStreamListeners(config.proxy, listenerDeps),
    );
  }
  // NAT detection runs in the primary only: it is about this host, not about one worker.
  const nat =
    config.nat && role !== 'worker' ? createNatPart(config.nat, { log, metrics }) : undefined;
  if (nat) parts.push(nat);
  if (config.admin && role !== 'worker') {
    const workers = pool;
    // Last, so every other part is running before the admin API serves.
    parts.push(
      createAdminServer(config.admin, {
        log,
        metrics: {
          registry: workers ? clusterMetrics(metrics.registry, workers) : metrics.registry,
        },
        fraud,
        suspicious,
        status: () => ({
          pid: process.pid,
          node: process.version,
          uptimeSeconds: Math.round(process.uptime()),
          parts: parts.map((part) => part.name),
          ...(workers ? { workers: workers.pids() } : {}),
          ...(nat ? { nat: nat.status() } : {}),
        }),
      }),
    );
  }
  const started: Part[] = [];
  return {
    metrics,
    suspicious,
    parts,
    async start() {
      for (const part of parts) {
        try {
          await part.start();
        } catch (err) {
          await stopAll(started.splice(0).reverse());
          throw err;
        }
        started.push(part);
      }
    },
    async stop() {
      await stopAll(started.splice(0).reverse());
    },
    async reloadTls() {
      const reloadWorkers = pool?.reloadTls();
      if (tlsHolder) await tlsHolder.reload();
      if (reloadWorkers) await reloadWorkers;
      return tlsHolder !== undefined || pool !== undefined;
    },
  };
}

function createFraud(
  config: NonNullable<Config['fraud']>,
  baseDir: string,
  log: Logger,
  metrics: Metrics,
): FraudDetectionPart {
  if (config.store.kind !== 'file') {
    throw new PbxgateError(
      'PBX_ERR_CONFIG',
      'fraud.store: redis:// is not supported yet; use file:PATH',
    );
  }
  const store = { kind: 'file' as const, path: resolve(baseDir, config.store.path) };
  return createFraudDetection({ ...config, store }, { log, metrics });
}

async function stopAll(parts: readonly Part[]): Promise<void> {
  const failures: unknown[] = [];
  for (const part of parts) {
    try {
      await part.stop();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'some parts failed to stop');
}
