// The primary's side of `pbxgate start --workers N`: forks the workers (each runs the proxy
// listeners; they share the listening sockets and the kernel spreads the connections), feeds
// their suspicious events to fraud detection, pushes every change of the lists to all of them,
// restarts a worker that dies, and gathers their metrics for /metrics.

import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { PbxgateError } from '../errors.ts';
import type { FraudDetection, FraudSnapshot } from '../fraud/fraud.ts';
import type { Logger } from '../observe/log.ts';
import type { Part } from '../part.ts';
import { type FraudLists, TICKET_KEYS_ENV, type ToWorker, fromWorker } from './messages.ts';

/** A worker that does not say ready (or failed) within this is a failed start. */
const READY_TIMEOUT_MS = 30_000;
/** How long workers get to close their connections on stop before they are killed. */
const STOP_TIMEOUT_MS = 10_000;
/** A worker that dies is restarted after this (doubling while it keeps dying, up to the max). */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
const METRICS_TIMEOUT_MS = 5000;

export interface WorkerPool extends Part {
  readonly size: number;
  /** The workers that are up and serving. */
  pids(): number[];
  /** Every worker's metrics (prom-client JSON), for aggregation; a worker that does not answer is left out. */
  metrics(): Promise<unknown[]>;
  /** Asks every worker to reload its TLS certificates; rejects with the first worker's error. */
  reloadTls(): Promise<void>;
}

export interface WorkerPoolDeps {
  readonly log: Logger;
  readonly fraud: FraudDetection | undefined;
}

function listsOf(snapshot: FraudSnapshot): FraudLists {
  return {
    blacklist: snapshot.blacklist,
    whitelist: snapshot.whitelist.filter((e) => e.source === 'manual').map((e) => e.cidr),
  };
}

interface Pending<T> {
  readonly answers: T[];
  waiting: number;
  readonly done: (answers: T[]) => void;
}

export function createWorkerPool(size: number, deps: WorkerPoolDeps): WorkerPool {
  const log = deps.log.child({ part: 'workers' });
  const { fraud } = deps;
  const workers = new Set<Worker>();
  /** Those that said ready: what the status API lists. */
  const ready = new Set<Worker>();
  let isStopping = false;
  let restartDelay = RESTART_MIN_MS;
  let nextId = 1;
  const metricRequests = new Map<number, Pending<unknown>>();
  // One set for every worker (and every restart), so TLS sessions resume across workers.
  const ticketKeys = randomBytes(48).toString('hex');
  const reloadRequests = new Map<number, Pending<string | undefined>>();

  const send = (worker: Worker, message: ToWorker): void => {
    if (worker.isConnected()) worker.send(message);
  };
  const broadcast = (message: ToWorker): void => {
    for (const worker of workers) send(worker, message);
  };
  fraud?.onChange((snapshot) => {
    broadcast({ t: 'pbxgate:fraud-lists', lists: listsOf(snapshot) });
  });

  const answer = <T>(requests: Map<number, Pending<T>>, id: number, value: T): void => {
    const pending = requests.get(id);
    if (pending === undefined) return;
    pending.answers.push(value);
    pending.waiting--;
    if (pending.waiting <= 0) {
      requests.delete(id);
      pending.done(pending.answers);
    }
  };

  const ask = <T>(
    requests: Map<number, Pending<T>>,
    message: (id: number) => ToWorker,
  ): Promise<T[]> => {
    const id = nextId++;
    const targets = [...workers].filter((w) => w.isConnected());
    return new Promise((resolve) => {
      if (targets.length === 0) {
        resolve([]);
        return;
      }
      const timer = setTimeout(() => {
        const pending = requests.get(id);
        requests.delete(id);
        resolve(pending?.answers ?? []);
      }, METRICS_TIMEOUT_MS);
      requests.set(id, {
        answers: [],
        waiting: targets.length,
        done: (answers) => {
          clearTimeout(timer);
          resolve(answers);
        },
      });
      for (const worker of targets) send(worker, message(id));
    });
  };

  /** Forks one worker; resolves once it listens, rejects when it cannot start. */
  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ [TICKET_KEYS_ENV]: ticketKeys });
      workers.add(worker);
      let isReady = false;
      const timer = setTimeout(() => {
        reject(new PbxgateError('PBX_ERR_LISTEN', 'a worker did not start in time'));
        worker.kill();
      }, READY_TIMEOUT_MS);
      worker.on('message', (raw: unknown) => {
        const message = fromWorker(raw);
        if (message === undefined) return;
        switch (message.t) {
          case 'pbxgate:ready':
            isReady = true;
            ready.add(worker);
            clearTimeout(timer);
            if (fraud) send(worker, { t: 'pbxgate:fraud-lists', lists: listsOf(fraud.snapshot()) });
            resolve();
            return;
          case 'pbxgate:failed':
            clearTimeout(timer);
            reject(new PbxgateError('PBX_ERR_LISTEN', message.message));
            return;
          case 'pbxgate:suspicious':
            for (const [ip, reason] of message.events) fraud?.suspicious(ip, reason);
            return;
          case 'pbxgate:metrics':
            answer(metricRequests, message.id, message.metrics);
            return;
          case 'pbxgate:tls-reloaded':
            answer(reloadRequests, message.id, message.error);
            return;
        }
      });
      worker.on('error', (err) => {
        log.warn({ err, pid: worker.process.pid }, 'worker IPC error');
      });
      worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        workers.delete(worker);
        ready.delete(worker);
        clearTimeout(timer);
        if (!isReady) {
          reject(
            new PbxgateError(
              'PBX_ERR_LISTEN',
              `a worker exited while starting (${signal ?? code})`,
            ),
          );
          return;
        }
        if (isStopping) return;
        log.error(
          { pid: worker.process.pid, code, signal, restartInMs: restartDelay },
          'worker died',
        );
        const delay = restartDelay;
        restartDelay = Math.min(restartDelay * 2, RESTART_MAX_MS);
        setTimeout(() => {
          if (isStopping) return;
          fork().then(
            () => {
              restartDelay = RESTART_MIN_MS;
              log.info('worker restarted');
            },
            (err: unknown) => {
              log.error({ err }, 'worker restart failed');
            },
          );
        }, delay).unref();
      });
    });

  const stopWorkers = async (): Promise<void> => {
    const exits = [...workers].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) {
            resolve();
            return;
          }
          const timer = setTimeout(() => {
            log.warn({ pid: worker.process.pid }, 'worker did not stop in time: killed');
            worker.process.kill('SIGKILL');
          }, STOP_TIMEOUT_MS);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          send(worker, { t: 'pbxgate:stop' });
        }),
    );
    await Promise.all(exits);
  };

  return {
    name: 'workers',
    size,
    async start() {
      isStopping = false;
      // The kernel spreads connections over the workers' shared sockets: no hop through the primary.
      cluster.schedulingPolicy = cluster.SCHED_NONE;
      try {
        await Promise.all(Array.from({ length: size }, () => fork()));
      } catch (err) {
        isStopping = true;
        await stopWorkers();
        throw err;
      }
      log.info({ workers: size, pids: [...workers].map((w) => w.process.pid) }, 'workers started');
    },
    async stop() {
      isStopping = true;
      await stopWorkers();
    },
    pids() {
      return [...ready].flatMap((w) => (w.process.pid === undefined ? [] : [w.process.pid]));
    },
    metrics() {
      return ask(metricRequests, (id) => ({ t: 'pbxgate:metrics', id }));
    },
    async reloadTls() {
      const errors = await ask(reloadRequests, (id) => ({ t: 'pbxgate:reload-tls', id }));
      const error = errors.find((e) => e !== undefined);
      if (error !== undefined) throw new PbxgateError('PBX_ERR_TLS', error);
    },
  };
}
