// A worker process of `pbxgate start --workers N`: the proxy listeners only, with the fraud gate
// enforced from the primary's lists and suspicious events sent to the primary. The primary drives
// its life: it stops on the primary's word (or when the primary is gone), not on signals.

import type { Config } from '../config/schema.ts';
import { PbxgateError } from '../errors.ts';
import { createGateway } from '../gateway.ts';
import type { Logger } from '../observe/log.ts';
import { createMetrics } from '../observe/metrics.ts';
import { createFraudMirror } from './fraud-mirror.ts';
import { type FromWorker, TICKET_KEYS_ENV, toWorker } from './messages.ts';

export interface WorkerOptions {
  readonly log: Logger;
  readonly baseDir: string;
}

function tell(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

function ignoreSignal(): void {
  // The primary decides when workers stop or reload (it got the signal too, or will tell us).
}

/** The session ticket keys the primary gave every worker (hex in the environment). */
function ticketKeysFromEnv(): Buffer | undefined {
  const hex = process.env[TICKET_KEYS_ENV];
  if (hex === undefined || !/^[0-9a-f]{96}$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

/** Runs until the primary says stop or disconnects; the exit code. */
export async function runWorker(config: Config, options: WorkerOptions): Promise<number> {
  const log = options.log.child({ worker: process.pid });
  const metrics = createMetrics();
  const mirror = config.fraud
    ? createFraudMirror(config.fraud, {
        send: (events) => {
          tell({ t: 'pbxgate:suspicious', events });
        },
        registry: metrics.registry,
      })
    : undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, ignoreSignal);
  let gateway;
  try {
    gateway = await createGateway(config, {
      log,
      metrics,
      baseDir: options.baseDir,
      role: 'worker',
      ticketKeys: ticketKeysFromEnv(),
      workerFraud: mirror,
    });
    await gateway.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    tell({ t: 'pbxgate:failed', message });
    if (!(err instanceof PbxgateError)) log.error({ err }, 'worker failed to start');
    log.flush();
    return 1;
  }
  const running = gateway;
  tell({ t: 'pbxgate:ready' });
  await new Promise<void>((resolve) => {
    const onMessage = (raw: unknown): void => {
      const message = toWorker(raw);
      if (message === undefined) return;
      switch (message.t) {
        case 'pbxgate:fraud-lists':
          mirror?.replace(message.lists);
          return;
        case 'pbxgate:reload-tls':
          running.reloadTls().then(
            () => {
              tell({ t: 'pbxgate:tls-reloaded', id: message.id });
            },
            (err: unknown) => {
              const error = err instanceof Error ? err.message : String(err);
              tell({ t: 'pbxgate:tls-reloaded', id: message.id, error });
            },
          );
          return;
        case 'pbxgate:metrics':
          running.metrics.registry.getMetricsAsJSON().then(
            (metrics) => {
              tell({ t: 'pbxgate:metrics', id: message.id, metrics });
            },
            (err: unknown) => {
              log.error({ err }, 'worker metrics failed');
              tell({ t: 'pbxgate:metrics', id: message.id, metrics: [] });
            },
          );
          return;
        case 'pbxgate:stop':
          process.off('message', onMessage);
          resolve();
          return;
      }
    };
    process.on('message', onMessage);
    process.once('disconnect', resolve);
  });
  await running.stop();
  log.flush();
  // The IPC channel would keep this process alive after its listeners closed.
  if (process.connected) process.disconnect();
  return 0;
}
