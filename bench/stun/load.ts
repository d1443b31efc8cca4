// STUN Binding load generator: worker threads, each with UDP sockets keeping a window of requests
// in flight (closed loop); every answer is checked. Run alone: node --import tsx bench/stun/load.ts HOST:PORT [SECONDS]

import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import {
  COUNTER_SLOTS,
  type LoadCounts,
  diffCounts,
  latencyPercentile,
  readCounts,
} from './counters.ts';
import type { WorkerCommand, WorkerReport, WorkerSettings } from './load-worker.ts';

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  readonly sockets: number;
  readonly window: number;
  readonly timeoutMs: number;
}

export interface Load {
  /** Totals since the load started; subtract two snapshots for a window. */
  snapshot(): LoadCounts;
  stop(): Promise<void>;
}

/** The slot index travels in 2 bytes of the transaction id. */
const MAX_WINDOW = 0xffff;
const STOP_GRACE_MS = 2000;

/** Workers load TypeScript through tsx: a worker does not inherit the parent's --import hooks on Node 20. */
function spawnWorker(settings: WorkerSettings): Worker {
  const entry = new URL('./load-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
    workerData: settings,
  });
}

function nextReport(worker: Worker, expected: WorkerReport): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (report: WorkerReport): void => {
      if (report !== expected) return;
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`load worker exited (code ${code}) before '${expected}'`));
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  });
}

async function stopWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      resolve();
    }),
  );
  worker.postMessage('stop' satisfies WorkerCommand);
  const timer = sleep(STOP_GRACE_MS).then(() => 'late' as const);
  if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'late') {
    await worker.terminate();
  }
}

export async function startLoad(options: LoadOptions): Promise<Load> {
  if (options.window > MAX_WINDOW) throw new Error(`WINDOW must be at most ${MAX_WINDOW}`);
  const arrays: Int32Array[] = [];
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < options.workers; i++) {
      const counters = new SharedArrayBuffer(COUNTER_SLOTS * Int32Array.BYTES_PER_ELEMENT);
      arrays.push(new Int32Array(counters));
      const worker = spawnWorker({ ...options, counters });
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => nextReport(worker, 'ready')));
  } catch (err) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw err;
  }
  for (const worker of workers) worker.postMessage('go' satisfies WorkerCommand);
  let stopped: Promise<void> | undefined;
  return {
    snapshot: () => readCounts(arrays),
    stop: () => (stopped ??= Promise.all(workers.map(stopWorker)).then(() => undefined)),
  };
}

/** Standalone use, e.g. to load a server while profiling it: prints one line per second. */
async function cli(argv: readonly string[]): Promise<number> {
  const [target, seconds = '10'] = argv;
  const match = /^(.+):(\d+)$/.exec(target ?? '');
  if (!match?.[1] || !match[2]) {
    process.stderr.write('usage: load.ts HOST:PORT [SECONDS]  (env WORKERS, SOCKETS, WINDOW)\n');
    return 2;
  }
  const env = process.env;
  const load = await startLoad({
    host: match[1],
    port: Number(match[2]),
    workers: Number(env['WORKERS'] ?? 2),
    sockets: Number(env['SOCKETS'] ?? 4),
    window: Number(env['WINDOW'] ?? 16),
    timeoutMs: 500,
  });
  let previous = load.snapshot();
  try {
    for (let second = 1; second <= Number(seconds); second++) {
      await sleep(1000);
      const now = load.snapshot();
      const d = diffCounts(now, previous);
      previous = now;
      const p50 = latencyPercentile(d, 0.5).toFixed(0);
      const p99 = latencyPercentile(d, 0.99).toFixed(0);
      process.stdout.write(
        `${second}s answered/s ${d.answered} timeouts ${d.timeouts} bad ${d.bad} late ${d.late} p50<=${p50}µs p99<=${p99}µs\n`,
      );
    }
  } finally {
    await load.stop();
  }
  const total = load.snapshot();
  return total.timeouts + total.bad > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await cli(process.argv.slice(2));
}
