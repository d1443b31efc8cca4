// Composition root: one frozen Config -> the parts that run; start in order, stop in reverse.

import { resolve } from 'node:path';
import type { Config } from './config/schema.ts';
import type { Suspicious } from './fraud/suspicious.ts';
import { createSuspiciousEvents } from './observe/events.ts';
import type { Logger } from './observe/log.ts';
import { type Metrics, createMetrics } from './observe/metrics.ts';
import { loadTlsContext } from './net/tls.ts';
import type { Part } from './part.ts';
import { createStunServer } from './stun/server.ts';

export interface Gateway {
  readonly metrics: Metrics;
  readonly suspicious: Suspicious;
  readonly parts: readonly Part[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  readonly log: Logger;
  /** Relative paths in the config (stateDir, certificates) are taken from here. */
  readonly baseDir: string;
  readonly metrics?: Metrics;
}

export async function createGateway(config: Config, options: GatewayOptions): Promise<Gateway> {
  const { log } = options;
  const metrics = options.metrics ?? createMetrics();
  const suspicious = createSuspiciousEvents({ log, metrics });
  const stateDir = resolve(options.baseDir, config.stateDir);
  const parts: Part[] = [];
  if (config.stun) {
    const needsTls = config.stun.listen.some((url) => url.transport === 'tls');
    const tls = needsTls
      ? (
          await loadTlsContext({
            certificates: (config.tls?.certificates ?? []).map((c) => ({
              cert: resolve(options.baseDir, c.cert),
              key: resolve(options.baseDir, c.key),
            })),
            trust: (config.tls?.trust ?? []).map((file) => resolve(options.baseDir, file)),
            stateDir,
            log: log.child({ part: 'tls' }),
          })
        ).secureContextOptions()
      : undefined;
    parts.push(createStunServer(config.stun, { log, metrics, suspicious, tls }));
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
  };
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
