// nginx direct vs pbxgate vs HAProxy (HTTP mode), HTTP/1.1 over loopback, measured with wrk: every
// server started fresh on free loopback ports for each measurement, the order alternating by run.
// npm run build && node --import tsx bench/http/run.ts   (knobs: see settings.ts or --help)

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineBusyMicros } from '../stun/proc-cpu.ts';
import { reapedChildrenCpuMicros } from './proc-tree.ts';
import { type Measurement, runTable, summaryReport } from './report.ts';
import {
  BENCH_PATH,
  SERVICE_HOST,
  type Started,
  pbxgateEntry,
  requireTool,
  startBackend,
  toolVersion,
} from './servers.ts';
import { type Certificate, checkProxy, makeCertificate, startTarget } from './targets.ts';
import {
  type BenchSettings,
  type Mode,
  type TargetName,
  isHttps,
  readSettings,
  settingsHelp,
  targetThreads,
} from './settings.ts';
import { runWrk } from './wrk.ts';

const EXIT_PBXGATE_FAILED = 1;
const EXIT_SETUP = 2;
const EXIT_INTERRUPTED = 130;

interface Tools {
  readonly wrk: string;
  readonly certificate: Certificate | undefined;
}

interface Sample {
  readonly at: number;
  readonly server: number;
  readonly serverSystem: number;
  readonly backend: number;
  readonly wrk: number;
  readonly machine: number;
}

function sample(server: Started, backend: Started): Sample {
  const s = server.cpuTimes();
  const b = server === backend ? 0 : sumCpu(backend);
  return {
    at: performance.now(),
    server: s.userMicros + s.systemMicros,
    serverSystem: s.systemMicros,
    backend: b,
    wrk: reapedChildrenCpuMicros(),
    machine: machineBusyMicros(),
  };
}

function sumCpu(process: Started): number {
  const t = process.cpuTimes();
  return t.userMicros + t.systemMicros;
}

async function measure(
  target: TargetName,
  mode: Mode,
  run: number,
  settings: BenchSettings,
  tools: Tools,
  dir: string,
  signal: AbortSignal,
): Promise<Measurement> {
  mkdirSync(dir, { recursive: true });
  const backend = await startBackend(dir, settings.bodyBytes);
  let under: Started | undefined;
  try {
    signal.throwIfAborted();
    if (target === 'nginx') {
      under = backend;
    } else {
      under = await startTarget(
        target,
        dir,
        backend.port,
        tools.certificate,
        settings.pbxgateEntry,
      );
      await checkProxy(under, settings.bodyBytes);
    }
    const scheme = under.https ? 'https' : 'http';
    const wrkThreads = settings.wrkThreads ?? targetThreads(target);
    const load = {
      wrk: tools.wrk,
      url: `${scheme}://127.0.0.1:${under.port}${BENCH_PATH}`,
      threads: wrkThreads,
      connections: settings.connections,
      close: mode === 'close',
      signal,
    };
    await runWrk({ ...load, durationMs: settings.warmupMs });
    const before = sample(under, backend);
    const wrk = await runWrk({ ...load, durationMs: settings.durationMs });
    const after = sample(under, backend);
    return {
      run,
      target,
      mode,
      wrkThreads,
      wrk,
      seconds: (after.at - before.at) / 1000,
      serverCpuMicros: after.server - before.server,
      serverSystemMicros: after.serverSystem - before.serverSystem,
      backendCpuMicros: after.backend - before.backend,
      wrkCpuMicros: after.wrk - before.wrk,
      machineBusyMicros: after.machine - before.machine,
    };
  } finally {
    if (under !== undefined && under !== backend) await under.stop();
    await backend.stop();
  }
}

/** Every missing prerequisite is named before anything starts. */
function checkPrerequisites(settings: BenchSettings): void {
  requireTool('wrk');
  requireTool('nginx');
  if (settings.servers.some((t) => t.startsWith('haproxy'))) requireTool('haproxy');
  if (settings.servers.some(isHttps)) requireTool('openssl');
  if (settings.servers.some((t) => t.startsWith('pbxgate')) && !existsSync(settings.pbxgateEntry)) {
    throw new Error(`${settings.pbxgateEntry} is missing: run npm run build`);
  }
}

function prepareTools(settings: BenchSettings, workRoot: string): Tools {
  const certificate = settings.servers.some(isHttps) ? makeCertificate(workRoot) : undefined;
  return { wrk: requireTool('wrk'), certificate };
}

function describeMachine(settings: BenchSettings): string {
  const haproxy = settings.servers.some((t) => t.startsWith('haproxy'))
    ? toolVersion('haproxy', ['-v'])
    : '-';
  return [
    `machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), Linux ${release()}, load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
    `node ${process.version}; ${toolVersion('nginx', ['-v'])}; ${haproxy}; ${toolVersion('wrk', ['-v'])}`,
    `settings: RUNS=${settings.runs} WARMUP=${settings.warmupMs / 1000} DURATION=${settings.durationMs / 1000} CONNECTIONS=${settings.connections} WRK_THREADS=${settings.wrkThreads ?? 'auto (1 for 1t, 2 for 2t/2w)'} BODY_BYTES=${settings.bodyBytes}`,
    `SERVERS=${settings.servers.join(',')} MODES=${settings.modes.join(',')}`,
    `load: wrk -t<n> -c${settings.connections} -d<s> --latency -H 'Host: ${SERVICE_HOST}' [-H 'Connection: close'] <scheme>://127.0.0.1:<port>${BENCH_PATH}`,
    'backend: nginx, 1 worker, `return 200` of BODY_BYTES on every path (fresh per measurement)',
    'haproxy: mode http, Host ACL -> backend (else 421), path_beg /PBX0/ (else 403), option forwardfor; https = bind ssl (ECDSA P-256) alpn http/1.1',
    'pbxgate: one service (Host routing), urls [/PBX0/], http or https listener; the same certificate',
  ].join('\n');
}

async function bench(
  settings: BenchSettings,
  workRoot: string,
  signal: AbortSignal,
): Promise<number> {
  const tools = prepareTools(settings, workRoot);
  process.stdout.write(`${describeMachine(settings)}\n`);
  const all: Measurement[] = [];
  for (let run = 1; run <= settings.runs; run++) {
    // Alternate who goes first, so no server always runs on a warmer or quieter machine.
    const order = run % 2 === 1 ? settings.servers : [...settings.servers].reverse();
    const measured: Measurement[] = [];
    for (const mode of settings.modes) {
      for (const target of order) {
        const dir = join(workRoot, `${run}-${mode}-${target}`);
        const m = await measure(target, mode, run, settings, tools, dir, signal);
        measured.push(m);
      }
    }
    all.push(...measured);
    process.stdout.write(`\nrun ${run}/${settings.runs}\n${runTable(measured)}\n`);
  }
  const summary = summaryReport(all, settings.servers, settings.modes);
  process.stdout.write(`\nmedians over ${settings.runs} runs\n${summary.text}\n`);
  if (summary.pbxgateFailed) process.stdout.write('FAIL: pbxgate had socket errors or non-2xx\n');
  return summary.pbxgateFailed ? EXIT_PBXGATE_FAILED : 0;
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(
      `usage: [VAR=value ...] node --import tsx bench/http/run.ts\n${settingsHelp}\n`,
    );
    return 0;
  }
  let settings: BenchSettings;
  try {
    settings = readSettings(process.env, pbxgateEntry);
    checkPrerequisites(settings);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_SETUP;
  }
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort();
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  const workRoot = mkdtempSync(join(tmpdir(), 'pbxgate-bench-http-'));
  let keepWorkRoot = false;
  try {
    return await bench(settings, workRoot, controller.signal);
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write('interrupted: every started process was stopped\n');
      return EXIT_INTERRUPTED;
    }
    keepWorkRoot = true;
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.stderr.write(`server output kept in ${workRoot}\n`);
    return EXIT_SETUP;
  } finally {
    if (!keepWorkRoot) rmSync(workRoot, { recursive: true, force: true });
  }
}

process.exitCode = await main();
