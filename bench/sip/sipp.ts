// One sipp run (Debian's sip-tester 3.6.1): REGISTERs over one TCP connection (-t t1) at a rate for
// a number of calls, counted from sipp's statistics CSV; wall time and sipp's own CPU seen from here.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort as freePortPair } from '../stun/servers.ts';
import { reapedChildrenCpuMicros } from '../http/proc-tree.ts';
import { freeUdpPort, runLogged } from './harness.ts';
import type { KamailioMode } from './servers.ts';

export interface SippRun {
  readonly ok: number;
  readonly failed: number;
  readonly wallSeconds: number;
  /** sipp's user + system time. */
  readonly sippCpuMicros: number;
  readonly exitCode: number | null;
  /** The end of sipp's error log, when it wrote one. */
  readonly errors: string;
}

export function scenarioFile(mode: KamailioMode): string {
  const name = mode === 'auth' ? 'register-auth.xml' : 'register-noauth.xml';
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** The sipp command line, with <placeholders> for what changes per run (printed at the top). */
export const SIPP_TEMPLATE =
  'sipp 127.0.0.1:<port> -sf register-<mode>.xml -inf users.csv -t t1 -i 127.0.0.1 -p <free> ' +
  '-cp <free> -mp <free> -r <rate> -m <rate*T1_SECS> -l 10000 -nostdin -default_behaviors all,-bye ' +
  '-recv_timeout 5s -timeout <T1_SECS+30>s -timeout_error -trace_stat -stf stat.csv -fd 1 ' +
  '-trace_err -error_file errors.log';

/** The last row of sipp's statistics CSV (`;`-separated, header first), by column name. */
function lastStats(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const header = lines[0]?.split(';') ?? [];
  const last = lines.length >= 2 ? (lines[lines.length - 1]?.split(';') ?? []) : [];
  const stats: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name !== '') stats[name] = last[i] ?? '';
  });
  return stats;
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

export async function runSipp(
  options: {
    readonly port: number;
    readonly mode: KamailioMode;
    readonly rate: number;
    readonly calls: number;
    readonly usersFile: string;
    readonly dir: string;
  },
  signal: AbortSignal,
): Promise<SippRun> {
  const { dir } = options;
  const files = {
    stats: join(dir, 'stat.csv'),
    errors: join(dir, 'errors.log'),
    log: join(dir, 'sipp.out'),
  };
  for (const file of Object.values(files)) rmSync(file, { force: true });
  const seconds = Math.ceil(options.calls / options.rate);
  const args = [
    ...[`127.0.0.1:${options.port}`, '-sf', scenarioFile(options.mode), '-inf', options.usersFile],
    ...['-t', 't1', '-i', '127.0.0.1', '-p', String(await freePortPair())],
    ...['-cp', String(await freeUdpPort()), '-mp', String(await freePortPair())],
    ...['-r', String(options.rate), '-m', String(options.calls), '-l', '10000', '-nostdin'],
    ...['-default_behaviors', 'all,-bye', '-recv_timeout', '5s'],
    ...['-timeout', `${seconds + 30}s`, '-timeout_error'],
    ...['-trace_stat', '-stf', files.stats, '-fd', '1', '-trace_err', '-error_file', files.errors],
  ];
  const cpuBefore = reapedChildrenCpuMicros();
  const run = await runLogged(
    'sipp',
    args,
    { cwd: dir, logFile: files.log, timeoutMs: (seconds + 45) * 1000 },
    signal,
  );
  const cpuAfter = reapedChildrenCpuMicros();
  const stats = lastStats(files.stats);
  return {
    ok: Number(stats['SuccessfulCall(C)'] ?? 0),
    failed: Number(stats['FailedCall(C)'] ?? 0),
    wallSeconds: run.wallMs / 1000,
    sippCpuMicros: cpuAfter - cpuBefore,
    exitCode: run.code,
    errors: readTail(files.errors) || (run.code === 0 ? '' : readTail(files.log)),
  };
}

/** "SIPp v3.6.1-SCTP-PCAP-RTPSTREAM" (sipp -v prints it after a blank line, and exits 99). */
export function sippVersion(): string {
  const out = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  return /SIPp v\S+/.exec(`${out.stdout}${out.stderr}`)?.[0] ?? 'sipp: unknown version';
}
