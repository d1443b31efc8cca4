// What the SIP and TCP benchmarks share: processes that run to their end (sipp, the bulk source),
// servers started and awaited by reading the kernel's socket table (`ss -ltn`, never a probe
// connection: a gateway with fraud detection may rightly count an empty connection as suspicious),
// knobs from environment variables, and the header every run prints first.

import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { availableParallelism, cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isRunning, spawnLogged, stopChild } from '../support/children.ts';
import { treeCpuTimes } from '../http/proc-tree.ts';

const execFileAsync = promisify(execFile);

const READY_TIMEOUT_MS = 10_000;

/** A server the benchmark started: its process (tree) CPU so far, in µs, and how to stop it. */
export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly logFile: string;
  cpuMicros(): number;
  stop(): Promise<void>;
}

export function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** user + system time of a process and its descendants (Kamailio's children, HAProxy's threads). */
export function treeCpuMicros(pid: number): number {
  const t = treeCpuTimes(pid);
  return t.userMicros + t.systemMicros;
}

/** Local addresses of listening TCP sockets, as `ss` prints them (127.0.0.1:5060). */
async function listeningTcp(): Promise<Set<string>> {
  const { stdout } = await execFileAsync('ss', ['-H', '-n', '-l', '-t']);
  const found = new Set<string>();
  for (const line of stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    if (local !== undefined) found.add(local);
  }
  return found;
}

/** Waits until 127.0.0.1:port is in `ss -ltn`, or the child exits, or time runs out. */
export async function waitListening(
  name: string,
  child: ChildProcess,
  port: number,
  logFile: string,
  signal: AbortSignal,
): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    signal.throwIfAborted();
    if (!isRunning(child)) {
      throw new Error(
        `${name} exited during start-up (status ${child.exitCode ?? child.signalCode}); its output:\n${tail(logFile)}`,
      );
    }
    if ((await listeningTcp()).has(`127.0.0.1:${port}`)) return;
    if (performance.now() > deadline) {
      throw new Error(
        `${name}: nothing listens on 127.0.0.1:${port} after ${READY_TIMEOUT_MS} ms; output:\n${tail(logFile)}`,
      );
    }
    await sleep(25);
  }
}

/** Spawns a server with its output in logFile and waits for its TCP listener on 127.0.0.1:port. */
export async function launchServer(
  name: string,
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly logFile: string; readonly port: number },
  signal: AbortSignal,
): Promise<Started> {
  const { child, pid } = await spawnLogged(command, args, {
    cwd: options.cwd,
    logFile: options.logFile,
  });
  const stop = (): Promise<void> => stopChild(child);
  try {
    await waitListening(name, child, options.port, options.logFile, signal);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name,
    pid,
    port: options.port,
    logFile: options.logFile,
    cpuMicros: () => treeCpuMicros(pid),
    stop,
  };
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** From just before the spawn to the exit. */
  readonly wallMs: number;
}

/** Runs a tool to its end (output to logFile); killed after timeoutMs or when `signal` aborts. */
export async function runLogged(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly logFile: string; readonly timeoutMs: number },
  signal: AbortSignal,
): Promise<Finished> {
  signal.throwIfAborted();
  const started = performance.now();
  const { child } = await spawnLogged(command, args, options);
  const exited = new Promise<void>((resolve) => {
    if (!isRunning(child)) resolve();
    else
      child.once('exit', () => {
        resolve();
      });
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopChild(child);
  }, options.timeoutMs);
  const onAbort = (): void => {
    void stopChild(child);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await exited;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
  const wallMs = performance.now() - started;
  await stopChild(child); // already exited: only forgets it
  signal.throwIfAborted();
  return { code: child.exitCode, signal: child.signalCode, timedOut, wallMs };
}

/** A UDP port free on every address (sipp binds its control socket on 0.0.0.0). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind({ address: '0.0.0.0', port: 0 }, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

export function machineLine(): string {
  return `machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), Linux ${release()}, node ${process.version}`;
}

/** The command as it was given, with the knobs (set or defaulted) in front. */
export function commandLine(knobs: Readonly<Record<string, string>>): string {
  const env = Object.entries(knobs)
    .map(([k, v]) => `${k}=${/[\s,]/.test(v) ? `'${v}'` : v}`)
    .join(' ');
  const script = process.argv.slice(1).map((a) => a.replace(`${process.cwd()}/`, ''));
  return `${env} ${[process.argv0, ...process.execArgv, ...script].join(' ')}`;
}

export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function table(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

const EXIT_SETUP = 2;
const EXIT_INTERRUPTED = 130;

/** An AbortSignal for SIGINT/SIGTERM: the benchmark stops what it started and exits 130. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort();
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return controller.signal;
}

/**
 * A benchmark's main: `--help` prints `usage`; `setup` reads the knobs and checks the tools (a
 * throw is exit 2); `bench` runs in a temporary directory, removed unless the run failed (its logs
 * are kept then). Exit 0, 2 on a failure, 130 when interrupted.
 */
export async function runBenchMain<S>(
  name: string,
  usage: string,
  setup: () => S,
  bench: (settings: S, root: string, signal: AbortSignal) => Promise<void>,
): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  let settings: S;
  try {
    settings = setup();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_SETUP;
  }
  const signal = interruptSignal();
  const root = mkdtempSync(join(tmpdir(), `pbxgate-bench-${name}-`));
  let keep = false;
  try {
    await bench(settings, root, signal);
    return 0;
  } catch (err) {
    if (signal.aborted) {
      process.stderr.write('interrupted: every started process was stopped\n');
      return EXIT_INTERRUPTED;
    }
    keep = true;
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.stderr.write(`logs kept in ${root}\n`);
    return EXIT_SETUP;
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
    process.stdout.write(`load average at end: ${loadAverage()}\n`);
  }
}
