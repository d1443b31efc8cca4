// `pbxgate start [--config FILE]`: run the gateway until SIGINT/SIGTERM.

import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { runWorker } from '../cluster/worker.ts';
import { ConfigError } from '../config/config-error.ts';
import { embeddedConfigPath, loadConfigFile } from '../config/load.ts';
import { PbxgateError } from '../errors.ts';
import { createGateway } from '../gateway.ts';
import { createLogger } from '../observe/log.ts';
import { type CommandIo, type ExitCode, parseCommandArgs } from './args.ts';

export const startUsage =
  'pbxgate start [--config FILE] [--workers N|auto]   run the gateway (default: the embedded loopback config, one process)';

/** More would only add context switches on the machines this runs on. */
const MAX_WORKERS = 64;

/** `--workers`: a count, or `auto` (one per CPU); 1 = everything in one process. */
export function parseWorkers(text: string | undefined): number {
  if (text === undefined) return 1;
  if (text === 'auto') return Math.max(1, availableParallelism());
  const count = Number(text);
  if (!/^[0-9]+$/.test(text) || count < 1 || count > MAX_WORKERS) {
    throw new PbxgateError(
      'PBX_ERR_USAGE',
      `pbxgate start: --workers ${text}: expected a number from 1 to ${MAX_WORKERS}, or auto`,
    );
  }
  return count;
}

export async function runStart(argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values } = parseCommandArgs(
    argv,
    { config: { type: 'string', short: 'c' }, workers: { type: 'string', short: 'w' } },
    'start',
  );
  const workers = parseWorkers(values.workers);
  const file = values.config ?? embeddedConfigPath;
  let config;
  try {
    config = await loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.message.split('\n')) io.err(line);
    return 2;
  }
  const log = createLogger({ level: config.log.level });
  // The embedded config keeps its state under the working directory; a file's, beside the file.
  const baseDir = values.config === undefined ? process.cwd() : dirname(file);
  if (cluster.isWorker) return runWorker(config, { log, baseDir });
  const role = workers > 1 && config.proxy ? 'primary' : 'single';
  if (workers > 1 && role === 'single') {
    // Workers run the reverse proxy only; STUN, TURN, fraud and admin stay in one process.
    log.warn({ workers }, '--workers ignored: the config has no proxy section');
  }
  let gateway;
  try {
    gateway = await createGateway(config, { log, baseDir, role, workers });
    await gateway.start();
  } catch (err) {
    if (!(err instanceof PbxgateError)) throw err;
    io.err(`pbxgate: ${err.message}`);
    log.flush();
    return 1;
  }
  log.info(
    {
      config: file,
      pid: process.pid,
      node: process.version,
      workers: role === 'primary' ? workers : 0,
    },
    'pbxgate started',
  );
  const running = gateway;
  // SIGHUP re-reads the TLS certificates without a restart; a bad file keeps the old ones.
  const onHangup = (): void => {
    running.reloadTls().then(
      (reloaded) => {
        log.info(
          { reloaded },
          reloaded ? 'tls certificates reloaded' : 'no tls listener to reload',
        );
      },
      (err: unknown) => {
        log.error({ err }, 'tls reload failed: keeping the previous certificates');
      },
    );
  };
  process.on('SIGHUP', onHangup);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.off('SIGHUP', onHangup);
  log.info({ signal }, 'stopping');
  await running.stop();
  log.info('stopped');
  log.flush();
  return 0;
}
