// The HTTP benchmark's knobs, read from environment variables with their defaults, and its targets.

import { resolve } from 'node:path';
import { type Env, listKnob, positiveKnob } from '../support/knobs.ts';

/**
 * What wrk is pointed at. `nginx` is the backend itself (the ceiling); every other target is a
 * proxy in front of the same backend. The suffix is the pairing: 1t = one thread / one process,
 * 2t = two threads, 2w = two worker processes.
 */
export const TARGETS = [
  'nginx',
  'haproxy-1t',
  'haproxy-2t',
  'haproxy-https-1t',
  'haproxy-https-2t',
  'pbxgate',
  'pbxgate-https',
  'pbxgate-2w',
  'pbxgate-https-2w',
] as const;
export type TargetName = (typeof TARGETS)[number];

export const DEFAULT_TARGETS: readonly TargetName[] = TARGETS;

export const MODES = ['keepalive', 'close'] as const;
export type Mode = (typeof MODES)[number];

export interface BenchSettings {
  readonly runs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly connections: number;
  /** wrk -t; when undefined: 1 against one-thread targets, 2 against two-thread ones. */
  readonly wrkThreads: number | undefined;
  readonly servers: readonly TargetName[];
  readonly modes: readonly Mode[];
  /** Bytes of the backend's response body. */
  readonly bodyBytes: number;
  readonly pbxgateEntry: string;
}

export const settingsHelp = [
  'RUNS=3           rounds; each round measures every server in every mode once, order alternating',
  'DURATION=10      measured seconds per server and mode (after WARMUP)',
  'WARMUP=2         seconds of wrk load before the measured window (a separate wrk run)',
  'CONNECTIONS=50   wrk -c',
  'WRK_THREADS=     wrk -t; default 1 against 1t/1-process targets and nginx, 2 against 2t/2w targets',
  `SERVERS=${DEFAULT_TARGETS.join(',')}`,
  `                 any of ${TARGETS.join(', ')}`,
  'MODES=keepalive,close   close = wrk -H "Connection: close" (one TCP connection per request)',
  'BODY_BYTES=100   size of the backend response body',
  'PBXGATE_ENTRY=dist/main.js  the pbxgate build to run',
].join('\n');

export function readSettings(env: Env, defaultEntry: string): BenchSettings {
  const entry = env['PBXGATE_ENTRY'];
  const threads = env['WRK_THREADS'];
  return {
    runs: positiveKnob(env, 'RUNS', 3, true),
    warmupMs: positiveKnob(env, 'WARMUP', 2, false) * 1000,
    durationMs: positiveKnob(env, 'DURATION', 10, false) * 1000,
    connections: positiveKnob(env, 'CONNECTIONS', 50, true),
    wrkThreads:
      threads === undefined || threads === ''
        ? undefined
        : positiveKnob(env, 'WRK_THREADS', 1, true),
    servers: listKnob(env, 'SERVERS', TARGETS, DEFAULT_TARGETS),
    modes: listKnob(env, 'MODES', MODES, MODES),
    bodyBytes: positiveKnob(env, 'BODY_BYTES', 100, true),
    pbxgateEntry: entry === undefined || entry === '' ? defaultEntry : resolve(entry),
  };
}

/** Threads (or worker processes) of the target: 2 for the 2t/2w pairings, else 1. */
export function targetThreads(target: TargetName): number {
  return target.endsWith('-2t') || target.endsWith('-2w') ? 2 : 1;
}

export function isHttps(target: TargetName): boolean {
  return target.includes('https');
}
