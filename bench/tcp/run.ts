// Bulk throughput of an established relay: one SIP-over-TCP connection (STREAMS for several) carrying
// BYTES of valid SIP (a REGISTER, then MESSAGE requests with BODY_BYTES bodies) from a source process
// to a sink process that discards it, through pbxgate's sip-tcp listener, through HAProxy mode tcp
// (one thread, to compare with one Node process; haproxy-splice adds option splice-auto), and
// direct (no relay) as the ceiling, and optionally node-pipe (a bare Node pipe() relay: what Node
// itself costs); the same load generator in the same run, order alternating.
// MiB/s is end to end: the sink answers the REGISTER with a 200 OK once BYTES arrived, back through
// the relay. Relay CPU = utime + stime of its process over the transfer, per GiB moved.
// Goal (the issue): pbxgate's throughput at least 0.9x HAProxy's.
// npm run bench:tcp   (knobs: see settings.ts or --help; recipe: shared/reference/peer-bench/tcp-bulk.sh)

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort, requireTool, toolVersion } from '../http/servers.ts';
import { reapedChildrenCpuMicros } from '../http/proc-tree.ts';
import { machineBusyMicros } from '../stun/proc-cpu.ts';
import { pbxgateEntry, projectRoot } from '../stun/servers.ts';
import {
  type Started,
  commandLine,
  runBenchMain,
  launchServer,
  loadAverage,
  machineLine,
  runLogged,
} from '../sip/harness.ts';
import { startHaproxy, startPbxgate } from '../sip/servers.ts';
import { type Transfer, runTable, summaryTable, transferLine } from './report.ts';
import {
  type BulkSettings,
  type TargetName,
  knobs,
  readSettings,
  settingsHelp,
} from './settings.ts';

const BULK_ENDS = fileURLToPath(new URL('./bulk-ends.ts', import.meta.url));
/** Node with tsx, run from the project root (where tsx is installed). */
const TSX = ['--import', 'tsx', BULK_ENDS];

interface SourceResult {
  readonly bytes: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
  readonly wallSeconds: number;
}

async function startSink(dir: string, signal: AbortSignal): Promise<Started> {
  const port = await freeLoopbackPort();
  const logFile = join(dir, 'sink.out');
  const args = [...TSX, 'sink', String(port)];
  return launchServer('sink', process.execPath, args, { cwd: projectRoot, logFile, port }, signal);
}

async function startRelay(
  target: TargetName,
  dir: string,
  sinkPort: number,
  settings: BulkSettings,
  signal: AbortSignal,
): Promise<Started | undefined> {
  switch (target) {
    case 'direct':
      return undefined;
    case 'pbxgate':
      return startPbxgate(dir, settings.pbxgateEntry, sinkPort, signal, settings.cpuProfDir);
    case 'haproxy':
      return startHaproxy(dir, sinkPort, false, signal);
    case 'haproxy-splice':
      return startHaproxy(dir, sinkPort, true, signal);
    case 'node-pipe': {
      const port = await freeLoopbackPort();
      const args = [...TSX, 'relay', String(port), String(sinkPort)];
      const logFile = join(dir, 'node-pipe.out');
      return launchServer(
        'node-pipe',
        process.execPath,
        args,
        { cwd: projectRoot, logFile, port },
        signal,
      );
    }
  }
}

async function runSource(
  port: number,
  bytes: number,
  streams: number,
  settings: BulkSettings,
  logFile: string,
  signal: AbortSignal,
): Promise<SourceResult> {
  const args = [...TSX, 'source', String(port), String(bytes), String(streams)];
  const timeoutMs = 60_000 + (bytes / (20 * 1024 ** 2)) * 1000; // slower than 20 MiB/s: broken
  const run = await runLogged(
    process.execPath,
    [...args, String(settings.bodyBytes)],
    { cwd: projectRoot, logFile, timeoutMs },
    signal,
  );
  const output = readFileSync(logFile, 'utf8');
  const json = output.split('\n').findLast((line) => line.startsWith('{'));
  if (run.code !== 0 || json === undefined) {
    throw new Error(
      `source failed (exit ${run.code ?? run.signal}${run.timedOut ? ', timed out' : ''}):\n${output.slice(-2000)}`,
    );
  }
  const parsed = JSON.parse(json) as { bytes: number; seconds: number; mibPerSecond: number };
  return { ...parsed, wallSeconds: run.wallMs / 1000 };
}

async function measure(
  target: TargetName,
  streams: number,
  run: number,
  settings: BulkSettings,
  dir: string,
  signal: AbortSignal,
): Promise<Transfer> {
  mkdirSync(dir, { recursive: true });
  const sink = await startSink(dir, signal);
  let relay: Started | undefined;
  try {
    relay = await startRelay(target, dir, sink.port, settings, signal);
    const port = relay?.port ?? sink.port;
    const source = (bytes: number, name: string): Promise<SourceResult> =>
      runSource(port, bytes, streams, settings, join(dir, name), signal);
    if (settings.warmupBytes > 0) await source(settings.warmupBytes, 'warmup.out');
    const relay0 = relay?.cpuMicros() ?? NaN;
    const sink0 = sink.cpuMicros();
    const reaped0 = reapedChildrenCpuMicros();
    const busy0 = machineBusyMicros();
    const result = await source(settings.bytes, 'source.out');
    const relayMicros = (relay?.cpuMicros() ?? NaN) - relay0;
    return {
      run,
      target,
      streams,
      bytes: result.bytes,
      seconds: result.seconds,
      mibPerSecond: result.mibPerSecond,
      relayCpuMicros: relayMicros,
      sinkCpuMicros: sink.cpuMicros() - sink0,
      sourceCpuMicros: reapedChildrenCpuMicros() - reaped0,
      machineBusyMicros: machineBusyMicros() - busy0,
      wallSeconds: result.wallSeconds,
    };
  } catch (err) {
    const log = relay === undefined ? '' : ` (relay log: ${relay.logFile})`;
    throw new Error(`${target}: ${err instanceof Error ? err.message : String(err)}${log}`, {
      cause: err,
    });
  } finally {
    await relay?.stop();
    await sink.stop();
  }
}

function header(settings: BulkSettings): string {
  const haproxy = settings.targets.some((t) => t.startsWith('haproxy'))
    ? toolVersion('haproxy', ['-v'])
    : 'haproxy: not measured';
  return [
    `command: ${commandLine(knobs(settings))}`,
    machineLine(),
    `load average at start: ${loadAverage()}`,
    haproxy,
    `load: node --import tsx bench/tcp/bulk-ends.ts source <port> ${settings.bytes} <streams> ${settings.bodyBytes}` +
      ` -> [relay] -> node --import tsx bench/tcp/bulk-ends.ts sink <port> (fresh sink and relay per transfer)`,
    'pbxgate: proxy.listen sip-tcp, one service example.com -> the sink; haproxy: nbthread 1, mode tcp, first SIP head routed by From domain',
    'haproxy-splice: the same + option splice-auto; node-pipe (reference, not a peer): net.Server + socket.pipe() in one Node process',
  ].join('\n');
}

async function bench(settings: BulkSettings, root: string, signal: AbortSignal): Promise<void> {
  process.stdout.write(`${header(settings)}\n`);
  const all: Transfer[] = [];
  for (let run = 1; run <= settings.runs; run++) {
    const order = run % 2 === 1 ? settings.targets : [...settings.targets].reverse();
    const transfers: Transfer[] = [];
    for (const streams of settings.streams) {
      for (const target of order) {
        const dir = join(root, `${run}-${streams}-${target}`);
        const t = await measure(target, streams, run, settings, dir, signal);
        process.stdout.write(`${transferLine(t)}\n`);
        transfers.push(t);
      }
    }
    all.push(...transfers);
    process.stdout.write(`\nrun ${run}/${settings.runs}\n${runTable(transfers)}\n\n`);
  }
  process.stdout.write(
    `medians over ${settings.runs} run(s) (goal: pbxgate / haproxy >= 0.9)\n${summaryTable(all, settings.targets, settings.streams)}\n`,
  );
}

process.exitCode = await runBenchMain<BulkSettings>(
  'tcp',
  `usage: [VAR=value ...] node --import tsx bench/tcp/run.ts\n${settingsHelp}`,
  () => {
    const settings = readSettings(process.env, pbxgateEntry);
    if (settings.targets.some((t) => t.startsWith('haproxy'))) requireTool('haproxy');
    return settings;
  },
  bench,
);
