// The SIP benchmark's knobs, read from environment variables with their defaults.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { listKnob, numbersKnob, positiveKnob } from '../support/knobs.ts';
import type { KamailioMode } from './servers.ts';

/** direct = sipp to Kamailio; pbxgate = through its sip-tcp listener; haproxy = mode tcp routing. */
export const TARGETS = ['direct', 'pbxgate', 'haproxy'] as const;
export type TargetName = (typeof TARGETS)[number];

export const MODES: readonly KamailioMode[] = ['noauth', 'auth'];

export interface SipSettings {
  readonly runs: number;
  readonly modes: readonly KamailioMode[];
  readonly rates: readonly number[];
  readonly stepSeconds: number;
  readonly targets: readonly TargetName[];
  readonly tcpChildren: number;
  readonly pbxgateEntry: string;
}

export const settingsHelp = [
  'RUNS=3                rounds; each measures every mode, rate and target, order alternating by run',
  'MODES=noauth,auth     Kamailio without auth, or digest auth (db_text subscriber table; 2 requests per REGISTER)',
  'T1_RATES=2000,4000,6000,8000,12000,16000,24000,32000   REGISTER/s steps (sipp -r), one TCP connection',
  'T1_SECS=5             seconds per step (sipp -m = rate * T1_SECS)',
  `TARGETS=direct,pbxgate   any of ${TARGETS.join(', ')}`,
  'TCP_CHILDREN=4        Kamailio tcp_children',
  'PBXGATE_ENTRY=dist/main.js   the pbxgate build to run',
].join('\n');

export function readSettings(
  env: Readonly<Record<string, string | undefined>>,
  defaultEntry: string,
): SipSettings {
  const entry = env['PBXGATE_ENTRY'];
  const pbxgateEntry = entry === undefined || entry === '' ? defaultEntry : resolve(entry);
  const settings: SipSettings = {
    runs: positiveKnob(env, 'RUNS', 3),
    modes: listKnob(env, 'MODES', MODES, MODES),
    rates: numbersKnob(env, 'T1_RATES', [2000, 4000, 6000, 8000, 12000, 16000, 24000, 32000]),
    stepSeconds: positiveKnob(env, 'T1_SECS', 5),
    targets: listKnob(env, 'TARGETS', TARGETS, ['direct', 'pbxgate']),
    tcpChildren: positiveKnob(env, 'TCP_CHILDREN', 4),
    pbxgateEntry,
  };
  if (settings.targets.includes('pbxgate') && !existsSync(pbxgateEntry)) {
    throw new Error(`${pbxgateEntry} is missing: run npm run build`);
  }
  return settings;
}

/** The knobs as they are in force, for the header. */
export function knobs(s: SipSettings): Record<string, string> {
  return {
    RUNS: String(s.runs),
    MODES: s.modes.join(','),
    T1_RATES: s.rates.join(','),
    T1_SECS: String(s.stepSeconds),
    TARGETS: s.targets.join(','),
    TCP_CHILDREN: String(s.tcpChildren),
    PBXGATE_ENTRY: s.pbxgateEntry,
  };
}
