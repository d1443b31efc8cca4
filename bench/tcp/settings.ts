// The bulk benchmark's knobs, read from environment variables with their defaults.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { listKnob, numbersKnob, positiveKnob } from '../support/knobs.ts';

/**
 * direct = source to sink with no relay (the ceiling); pbxgate = its sip-tcp listener; haproxy =
 * mode tcp, one thread, routing by the From domain of the first SIP head; haproxy-splice = the
 * same with option splice-auto; node-pipe = a reference, not a peer: net.Server + socket.pipe() in
 * one Node process (bulk-ends.ts relay), what Node costs before pbxgate adds anything.
 */
export const TARGETS = ['direct', 'pbxgate', 'haproxy', 'haproxy-splice', 'node-pipe'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface BulkSettings {
  readonly runs: number;
  /** Bytes per measurement, all streams together. */
  readonly bytes: number;
  readonly streams: readonly number[];
  readonly targets: readonly TargetName[];
  readonly bodyBytes: number;
  /** Bytes sent once through each freshly started relay before the measured transfer; 0: none. */
  readonly warmupBytes: number;
  readonly pbxgateEntry: string;
  /** Where pbxgate's --cpu-prof profiles go (one per transfer); undefined: no profiling. */
  readonly cpuProfDir: string | undefined;
}

/** pbxgate's SIP body cap (SipLimits.maxBodyBytes). */
const MAX_BODY_BYTES = 65_536;

export const settingsHelp = [
  'RUNS=3               rounds; each measures every target and stream count, order alternating by run',
  'BYTES=2147483648     bytes per measurement, all streams together (split evenly)',
  'STREAMS=1            parallel connections; a list (1,4) measures each',
  `TARGETS=direct,pbxgate,haproxy   any of ${TARGETS.join(', ')}`,
  `BODY_BYTES=60000     body of each SIP MESSAGE (at most ${MAX_BODY_BYTES}, pbxgate's cap)`,
  'WARMUP_BYTES=67108864  sent once through every fresh relay before the measured transfer (0: none)',
  'PBXGATE_ENTRY=dist/main.js  the pbxgate build to run',
  'PBXGATE_CPU_PROF=    a folder: run pbxgate under node --cpu-prof, one profile per transfer',
  '                     (read them with node --import tsx bench/stun/profile-top.ts FILE)',
].join('\n');

function nonNegative(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
) {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name}=${text}: expected 0 or more`);
  return value;
}

export function readSettings(
  env: Readonly<Record<string, string | undefined>>,
  defaultEntry: string,
): BulkSettings {
  const entry = env['PBXGATE_ENTRY'];
  const pbxgateEntry = entry === undefined || entry === '' ? defaultEntry : resolve(entry);
  const prof = env['PBXGATE_CPU_PROF'];
  const settings: BulkSettings = {
    runs: positiveKnob(env, 'RUNS', 3),
    bytes: positiveKnob(env, 'BYTES', 2 * 1024 ** 3),
    streams: numbersKnob(env, 'STREAMS', [1]),
    targets: listKnob(env, 'TARGETS', TARGETS, ['direct', 'pbxgate', 'haproxy']),
    bodyBytes: positiveKnob(env, 'BODY_BYTES', 60_000),
    warmupBytes: nonNegative(env, 'WARMUP_BYTES', 64 * 1024 ** 2),
    pbxgateEntry,
    cpuProfDir: prof === undefined || prof === '' ? undefined : resolve(prof),
  };
  if (settings.bodyBytes > MAX_BODY_BYTES) {
    throw new Error(
      `BODY_BYTES=${settings.bodyBytes}: pbxgate refuses bodies over ${MAX_BODY_BYTES}`,
    );
  }
  if (settings.targets.includes('pbxgate') && !existsSync(pbxgateEntry)) {
    throw new Error(`${pbxgateEntry} is missing: run npm run build`);
  }
  return settings;
}

export function knobs(s: BulkSettings): Record<string, string> {
  return {
    RUNS: String(s.runs),
    BYTES: String(s.bytes),
    STREAMS: s.streams.join(','),
    TARGETS: s.targets.join(','),
    BODY_BYTES: String(s.bodyBytes),
    WARMUP_BYTES: String(s.warmupBytes),
    PBXGATE_ENTRY: s.pbxgateEntry,
    ...(s.cpuProfDir === undefined ? {} : { PBXGATE_CPU_PROF: s.cpuProfDir }),
  };
}
