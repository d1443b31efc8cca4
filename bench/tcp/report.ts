// The bulk benchmark's figures: one row per transfer, ratios to direct and pbxgate / HAProxy in the
// same run, and the medians over runs.

import { fixed, median, table } from '../sip/harness.ts';
import type { TargetName } from './settings.ts';

/** The goal: bulk throughput through pbxgate at least 0.9x HAProxy's. */
export const MIN_RATIO = 0.9;

export interface Transfer {
  readonly run: number;
  readonly target: TargetName;
  readonly streams: number;
  readonly bytes: number;
  /** The source's own clock: connects to the last end-to-end ack. */
  readonly seconds: number;
  readonly mibPerSecond: number;
  /** The relay's utime + stime over the transfer; NaN for direct. */
  readonly relayCpuMicros: number;
  readonly sinkCpuMicros: number;
  readonly sourceCpuMicros: number;
  /** Busy time of all CPUs over the transfer. */
  readonly machineBusyMicros: number;
  /** Wall time of the source process, as seen from here. */
  readonly wallSeconds: number;
}

const GIB = 1024 ** 3;
const percentOfCore = (micros: number, seconds: number): number => micros / (seconds * 10_000);

export function relaySecondsPerGib(t: Transfer): number {
  return t.relayCpuMicros / 1e6 / (t.bytes / GIB);
}

function cells(t: Transfer): (string | number)[] {
  return [
    t.target,
    t.streams,
    fixed(t.mibPerSecond, 0),
    fixed(t.seconds, 2),
    fixed(percentOfCore(t.relayCpuMicros, t.wallSeconds), 0),
    fixed(relaySecondsPerGib(t), 3),
    fixed(percentOfCore(t.sinkCpuMicros, t.wallSeconds), 0),
    fixed(percentOfCore(t.sourceCpuMicros, t.wallSeconds), 0),
    fixed(percentOfCore(t.machineBusyMicros, t.wallSeconds), 0),
  ];
}

export function transferLine(t: Transfer): string {
  const [, , mib, secs, relayPct, perGib, sinkPct, sourcePct, busy] = cells(t);
  return (
    `run ${t.run} ${t.target} ${t.streams} stream(s): ${mib} MiB/s (${secs} s), relay ${relayPct} % CPU ` +
    `= ${perGib} s/GiB, sink ${sinkPct} %, source ${sourcePct} %, machine busy ${busy} % of one CPU`
  );
}

const HEADER = [
  'target',
  'streams',
  'MiB/s',
  's',
  'relay CPU %',
  'relay CPU s/GiB',
  'sink CPU %',
  'source CPU %',
  'machine busy %',
];

function ratio(of: readonly Transfer[], target: TargetName, base: TargetName): number {
  const a = of.find((t) => t.target === target)?.mibPerSecond ?? NaN;
  const b = of.find((t) => t.target === base)?.mibPerSecond ?? NaN;
  return a / b;
}

function verdict(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return `${value.toFixed(3)}${value >= MIN_RATIO ? ' ok' : ' BELOW 0.9'}`;
}

export function runTable(transfers: readonly Transfer[]): string {
  const rows = transfers.map((t) => {
    const same = transfers.filter((o) => o.streams === t.streams);
    return [
      ...cells(t),
      t.target === 'direct' ? '-' : fixed(ratio(same, t.target, 'direct'), 3),
      t.target === 'pbxgate' ? verdict(ratio(same, 'pbxgate', 'haproxy')) : '-',
    ];
  });
  return table([...HEADER, 'vs direct', 'pbxgate / haproxy'], rows);
}

export function summaryTable(
  transfers: readonly Transfer[],
  targets: readonly TargetName[],
  streamCounts: readonly number[],
): string {
  const rows: (string | number)[][] = [];
  for (const streams of streamCounts) {
    const runs = [...new Set(transfers.map((t) => t.run))];
    const inRun = (run: number): Transfer[] =>
      transfers.filter((t) => t.run === run && t.streams === streams);
    for (const target of targets) {
      const of = transfers.filter((t) => t.target === target && t.streams === streams);
      if (of.length === 0) continue;
      const rates = of.map((t) => t.mibPerSecond);
      const vsHaproxy = runs.map((run) => ratio(inRun(run), 'pbxgate', 'haproxy'));
      rows.push([
        target,
        streams,
        `${fixed(median(rates), 0)} (${fixed(Math.min(...rates), 0)}-${fixed(Math.max(...rates), 0)})`,
        target === 'direct'
          ? '-'
          : fixed(median(runs.map((run) => ratio(inRun(run), target, 'direct'))), 3),
        target === 'pbxgate'
          ? `${verdict(median(vsHaproxy))} (${vsHaproxy.map((r) => fixed(r, 3)).join(' ')})`
          : '-',
        fixed(median(of.map((t) => percentOfCore(t.relayCpuMicros, t.wallSeconds))), 0),
        fixed(median(of.map(relaySecondsPerGib)), 3),
      ]);
    }
  }
  return table(
    [
      'target',
      'streams',
      'MiB/s median (min-max)',
      'vs direct',
      'pbxgate / haproxy median (per run)',
      'relay CPU %',
      'relay CPU s/GiB',
    ],
    rows,
  );
}
