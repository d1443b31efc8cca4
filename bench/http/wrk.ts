// Running wrk and reading its text report (wrk 4.1 with --latency).

import { spawn } from 'node:child_process';
import { SERVICE_HOST } from './servers.ts';

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** connect + read + write + timeout from "Socket errors:". */
  readonly socketErrors: number;
  readonly socketErrorDetail: string;
  /** wrk's "Non-2xx or 3xx responses" (status >= 400). */
  readonly non2xx: number;
  readonly raw: string;
}

export interface WrkOptions {
  readonly wrk: string;
  readonly url: string;
  readonly threads: number;
  readonly connections: number;
  readonly durationMs: number;
  readonly close: boolean;
  readonly signal: AbortSignal;
}

export function wrkArgs(options: Omit<WrkOptions, 'wrk' | 'signal'>): string[] {
  const close = options.close ? ['-H', 'Connection: close'] : [];
  return [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${Math.max(1, Math.round(options.durationMs / 1000))}s`,
    '--latency',
    '-H',
    `Host: ${SERVICE_HOST}`,
    ...close,
    options.url,
  ];
}

/** "850.00us", "1.23ms", "2.00s", "1.00m" -> milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) return NaN;
  const value = Number(match[1]);
  const unit = match[2];
  if (unit === 'us') return value / 1000;
  if (unit === 'ms') return value;
  if (unit === 's') return value * 1000;
  return value * 60_000;
}

export function parseWrk(raw: string): WrkResult {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(raw);
  if (!done) throw new Error(`cannot read wrk's report:\n${raw}`);
  const requests = Number(done[1]);
  const seconds = parseDurationMs(`${done[2]}${done[3]}`) / 1000;
  const percentile = (p: string): number => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(raw);
    return m ? parseDurationMs(m[1] ?? '') : NaN;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const [connect, read, write, timeout] = errors ? errors.slice(1).map(Number) : [0, 0, 0, 0];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(raw);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(raw);
  return {
    requests,
    seconds,
    requestsPerSecond: rps ? Number(rps[1]) : requests / seconds,
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    socketErrors: (connect ?? 0) + (read ?? 0) + (write ?? 0) + (timeout ?? 0),
    socketErrorDetail: errors
      ? `connect ${connect}, read ${read}, write ${write}, timeout ${timeout}`
      : '',
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    raw,
  };
}

/** Runs wrk to the end; rejects when it fails or the signal aborts (wrk is killed then). */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const child = spawn(options.wrk, wrkArgs(options), {
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (out += text));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => {
      resolve(status);
    });
  });
  if (code !== 0) throw new Error(`wrk ${wrkArgs(options).join(' ')} exited ${code}:\n${out}`);
  return parseWrk(out);
}
