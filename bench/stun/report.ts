// Figures from one measured window, the per-run and summary tables, and the goal verdict.

import { type LoadCounts, latencyPercentile } from './counters.ts';
import type { ServerName } from './settings.ts';

export interface Measurement {
  readonly run: number;
  readonly server: ServerName;
  readonly seconds: number;
  /** Counts in the measured window. */
  readonly counts: LoadCounts;
  /** Counts during the warm-up second(s), kept for the pass/fail check. */
  readonly warmup: LoadCounts;
  readonly serverCpuMicros: number;
  /** The kernel's part of serverCpuMicros (stime): system calls and the loopback network stack. */
  readonly serverSystemMicros: number;
  /** The generator process (all its threads). */
  readonly clientCpuMicros: number;
  /** Busy CPU time of everything else on the machine in the window (noise from other work). */
  readonly otherCpuMicros: number;
}

/** The goal: at least coturn's rate, no timeouts or bad answers, at most 1.5x its CPU per answer. */
export const MAX_CPU_RATIO = 1.5;

export function answeredPerSecond(m: Measurement): number {
  return m.counts.answered / m.seconds;
}

export function cpuMicrosPerAnswer(m: Measurement): number {
  return m.counts.answered === 0 ? NaN : m.serverCpuMicros / m.counts.answered;
}

export function otherCpuPercent(m: Measurement): number {
  return percentOfCore(m.otherCpuMicros, m.seconds);
}

function percentOfCore(micros: number, seconds: number): number {
  return micros / (seconds * 10_000);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US').replaceAll(',', ' ') : '-';
const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function badDetail(counts: LoadCounts): string {
  const kinds = Object.entries(counts.badByKind).filter(([, n]) => n > 0);
  return kinds.length === 0
    ? '0'
    : `${counts.bad} (${kinds.map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

export function runTable(measurements: readonly Measurement[]): string {
  const header = [
    'run',
    'server',
    'answered/s',
    'timeouts',
    'bad',
    'late',
    'p50 / p99 µs',
    'server CPU % of a core',
    'server CPU µs/answer (of it kernel)',
    'client CPU %',
    'other CPU %',
  ];
  const rows = measurements.map((m) => [
    String(m.run),
    m.server,
    int(answeredPerSecond(m)),
    String(m.counts.timeouts),
    badDetail(m.counts),
    String(m.counts.late),
    `${int(latencyPercentile(m.counts, 0.5))} / ${int(latencyPercentile(m.counts, 0.99))}`,
    fixed(percentOfCore(m.serverCpuMicros, m.seconds), 0),
    `${fixed(cpuMicrosPerAnswer(m), 2)} (${fixed(m.serverSystemMicros / m.counts.answered, 1)})`,
    fixed(percentOfCore(m.clientCpuMicros, m.seconds), 0),
    fixed(percentOfCore(m.otherCpuMicros, m.seconds), 0),
  ]);
  return table(header, rows);
}

interface ServerSummary {
  readonly rate: number;
  readonly cpuPerAnswer: number;
  readonly timeouts: number;
  readonly bad: number;
  readonly warmupFailures: number;
}

function summarize(all: readonly Measurement[], server: ServerName): ServerSummary | undefined {
  const mine = all.filter((m) => m.server === server);
  if (mine.length === 0) return undefined;
  const total = (pick: (m: Measurement) => number): number =>
    mine.reduce((sum, m) => sum + pick(m), 0);
  return {
    rate: median(mine.map(answeredPerSecond)),
    cpuPerAnswer: median(mine.map(cpuMicrosPerAnswer)),
    timeouts: total((m) => m.counts.timeouts),
    bad: total((m) => m.counts.bad),
    warmupFailures: total((m) => m.warmup.timeouts + m.warmup.bad),
  };
}

function range(values: readonly number[], format: (n: number) => string): string {
  return `${format(median(values))} [${format(Math.min(...values))}..${format(Math.max(...values))}]`;
}

export interface Summary {
  readonly text: string;
  /** pbxgate had a timeout or a bad answer (warm-up included). */
  readonly pbxgateFailed: boolean;
}

export function summaryReport(all: readonly Measurement[]): Summary {
  const servers = (['pbxgate', 'coturn'] as const).filter((s) => all.some((m) => m.server === s));
  const rows = servers.map((server) => {
    const mine = all.filter((m) => m.server === server);
    const s = summarize(all, server);
    return [
      server,
      range(mine.map(answeredPerSecond), int),
      String(s?.timeouts ?? 0),
      String(s?.bad ?? 0),
      range(mine.map(cpuMicrosPerAnswer), (n) => fixed(n, 2)),
    ];
  });
  const lines = [
    table(
      [
        'server',
        'answered/s median [min..max]',
        'timeouts',
        'bad',
        'server CPU µs/answer median [min..max]',
      ],
      rows,
    ),
  ];
  const pbx = summarize(all, 'pbxgate');
  const coturn = summarize(all, 'coturn');
  const pbxgateFailed = pbx !== undefined && pbx.timeouts + pbx.bad + pbx.warmupFailures > 0;
  if (pbx && coturn) {
    const rateRatio = pbx.rate / coturn.rate;
    const cpuRatio = pbx.cpuPerAnswer / coturn.cpuPerAnswer;
    const met = rateRatio >= 1 && !pbxgateFailed && cpuRatio <= MAX_CPU_RATIO;
    lines.push(
      '',
      `pbxgate/coturn (medians): answered/s ${fixed(rateRatio, 2)}x, server CPU per answer ${fixed(cpuRatio, 2)}x`,
      `goal (rate >= 1x, no timeouts or bad answers, CPU/answer <= ${MAX_CPU_RATIO}x): ${met ? 'MET' : 'NOT MET'}`,
    );
  }
  const noise = all.map(otherCpuPercent);
  lines.push(
    `other processes during the measured windows: ${fixed(median(noise), 0)} % of a core median, ${fixed(Math.max(...noise), 0)} % max`,
  );
  if (pbx && pbx.warmupFailures > 0) {
    lines.push(`pbxgate timeouts + bad answers during warm-up: ${pbx.warmupFailures}`);
  }
  return { text: lines.join('\n'), pbxgateFailed };
}
