// The benchmark's knobs, read from environment variables with their defaults.

import { resolve } from 'node:path';
import { type Env, listKnob, positiveKnob } from '../support/knobs.ts';

export type ServerName = 'pbxgate' | 'coturn';
const SERVERS: readonly ServerName[] = ['pbxgate', 'coturn'];

export interface BenchSettings {
  readonly runs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly workers: number;
  readonly sockets: number;
  readonly window: number;
  /** A request unanswered this long is a timeout; its slot sends a new one. */
  readonly timeoutMs: number;
  readonly servers: readonly ServerName[];
  /** When set, pbxgate runs with --cpu-prof and writes its profiles here. */
  readonly cpuProfDir: string | undefined;
  /**
   * On a shared machine: a round in which other processes used more than this % of one core during
   * a measured window is measured again (up to MAX_ROUND_ATTEMPTS times). Undefined = never.
   */
  readonly maxOtherCpuPercent: number | undefined;
  /** The pbxgate entry point run by node; another build can be compared with the same generator. */
  readonly pbxgateEntry: string;
}

export const settingsHelp = [
  'RUNS=3          rounds; each round measures every server once, the order alternating',
  'DURATION=5      measured seconds per server and round (after WARMUP)',
  'WARMUP=1        seconds of load before the measured window',
  'WORKERS=2       load worker threads',
  'SOCKETS=4       UDP sockets per worker',
  'WINDOW=16       Binding requests in flight per socket (closed loop)',
  'TIMEOUT_MS=500  a request unanswered this long counts as a timeout and is replaced',
  'SERVERS=pbxgate,coturn',
  'CPU_PROF_DIR=   run pbxgate with --cpu-prof, profiles written to this directory',
  'MAX_OTHER_CPU=  repeat a round when other processes used more than this % of a core (shared box)',
  'PBXGATE_ENTRY=dist/main.js  the pbxgate build to run (e.g. a patched copy, for an A/B run)',
].join('\n');

export function readSettings(env: Env, defaultEntry: string): BenchSettings {
  const cpuProfDir = env['CPU_PROF_DIR'];
  const entry = env['PBXGATE_ENTRY'];
  return {
    runs: positiveKnob(env, 'RUNS', 3, true),
    warmupMs: positiveKnob(env, 'WARMUP', 1, false) * 1000,
    durationMs: positiveKnob(env, 'DURATION', 5, false) * 1000,
    workers: positiveKnob(env, 'WORKERS', 2, true),
    sockets: positiveKnob(env, 'SOCKETS', 4, true),
    window: positiveKnob(env, 'WINDOW', 16, true),
    timeoutMs: positiveKnob(env, 'TIMEOUT_MS', 500, false),
    servers: listKnob(env, 'SERVERS', SERVERS, SERVERS),
    cpuProfDir: cpuProfDir === undefined || cpuProfDir === '' ? undefined : cpuProfDir,
    maxOtherCpuPercent: env['MAX_OTHER_CPU']
      ? positiveKnob(env, 'MAX_OTHER_CPU', 0, false)
      : undefined,
    pbxgateEntry: entry === undefined || entry === '' ? defaultEntry : resolve(entry),
  };
}
