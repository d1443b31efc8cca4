// Figures of one measured window, the per-run and summary tables, the pbxgate/HAProxy ratios.

import type { Mode, TargetName } from './settings.ts';
import type { WrkResult } from './wrk.ts';

export interface Measurement {
  readonly run: number;
  readonly target: TargetName;
  readonly mode: Mode;
  readonly wrkThreads: number;
  readonly wrk: WrkResult;
  /** Wall time of the measured wrk run, as seen from here. */
  readonly seconds: number;
  /** The target's process tree; for `nginx` the backend itself. */
  readonly serverCpuMicros: number;
  readonly serverSystemMicros: number;
  /** The backend behind a proxy; 0 for `nginx` (it is the server). */
  readonly backendCpuMicros: number;
  /** The measured wrk process (all its threads). */
  readonly wrkCpuMicros: number;
  /** Busy time of the whole machine in the window (all CPUs). */
  readonly machineBusyMicros: number;
}

/** Issue 3's goal for each pairing: rate at least 0.8x HAProxy's, p99 at most 2x. */
export const MIN_RATE_RATIO = 0.8;
export const MAX_P99_RATIO = 2;

/** pbxgate target -> the HAProxy target it is compared with (1 process vs 1 thread, 2 vs 2). */
export const PAIRS: readonly (readonly [TargetName, TargetName])[] = [
  ['pbxgate', 'haproxy-1t'],
  ['pbxgate-https', 'haproxy-https-1t'],
  ['pbxgate-2w', 'haproxy-2t'],
  ['pbxgate-https-2w', 'haproxy-https-2t'],
];

export function cpuMicrosPerRequest(m: Measurement): number {
  return m.wrk.requests === 0 ? NaN : m.serverCpuMicros / m.wrk.requests;
}

const percentOfCore = (micros: number, seconds: number): number => micros / (seconds * 10_000);

/** Other processes (not server, backend or wrk) in the window, % of one core: noise. */
export function otherCpuPercent(m: Measurement): number {
  const other = m.machineBusyMicros - m.serverCpuMicros - m.backendCpuMicros - m.wrkCpuMicros;
  return percentOfCore(Math.max(0, other), m.seconds);
}

export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
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

function errors(m: Measurement): string {
  return m.wrk.socketErrors === 0 ? '0' : `${m.wrk.socketErrors} (${m.wrk.socketErrorDetail})`;
}

export function runTable(measurements: readonly Measurement[]): string {
  const header = [
    'target',
    'mode',
    'wrk -t',
    'req/s',
    'p50 / p99 ms',
    'socket errors',
    'non-2xx',
    'server CPU % of a core',
    'server CPU µs/req (of it kernel)',
    'backend CPU %',
    'wrk CPU %',
    'other CPU %',
  ];
  const rows = measurements.map((m) => [
    m.target,
    m.mode,
    String(m.wrkThreads),
    int(m.wrk.requestsPerSecond),
    `${fixed(m.wrk.p50Ms, 2)} / ${fixed(m.wrk.p99Ms, 2)}`,
    errors(m),
    String(m.wrk.non2xx),
    fixed(percentOfCore(m.serverCpuMicros, m.seconds), 0),
    `${fixed(cpuMicrosPerRequest(m), 1)} (${fixed(m.serverSystemMicros / m.wrk.requests, 1)})`,
    m.target === 'nginx'
      ? '(is the server)'
      : fixed(percentOfCore(m.backendCpuMicros, m.seconds), 0),
    fixed(percentOfCore(m.wrkCpuMicros, m.seconds), 0),
    fixed(otherCpuPercent(m), 0),
  ]);
  return table(header, rows);
}

function range(values: readonly number[], format: (n: number) => string): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '-';
  return `${format(median(finite))} [${format(Math.min(...finite))}..${format(Math.max(...finite))}]`;
}

/** Per run, a/b of the same mode; the median of those (the machine drifts less within a run). */
function ratio(
  all: readonly Measurement[],
  mode: Mode,
  a: TargetName,
  b: TargetName,
  pick: (m: Measurement) => number,
): number[] {
  const ratios: number[] = [];
  for (const m of all.filter((x) => x.target === a && x.mode === mode)) {
    const other = all.find((x) => x.target === b && x.mode === mode && x.run === m.run);
    if (other !== undefined) ratios.push(pick(m) / pick(other));
  }
  return ratios;
}

export interface Summary {
  readonly text: string;
  /** A pbxgate target had socket errors or non-2xx answers. */
  readonly pbxgateFailed: boolean;
}

export function summaryReport(
  all: readonly Measurement[],
  targets: readonly TargetName[],
  modes: readonly Mode[],
): Summary {
  const rows: string[][] = [];
  for (const mode of modes) {
    for (const target of targets) {
      const mine = all.filter((m) => m.target === target && m.mode === mode);
      if (mine.length === 0) continue;
      const sum = (pick: (m: Measurement) => number): number =>
        mine.reduce((total, m) => total + pick(m), 0);
      rows.push([
        target,
        mode,
        range(
          mine.map((m) => m.wrk.requestsPerSecond),
          int,
        ),
        target === 'nginx'
          ? '1'
          : range(
              ratio(all, mode, target, 'nginx', (m) => m.wrk.requestsPerSecond),
              (n) => fixed(n, 2),
            ),
        range(
          mine.map((m) => m.wrk.p99Ms),
          (n) => fixed(n, 2),
        ),
        String(sum((m) => m.wrk.socketErrors)),
        String(sum((m) => m.wrk.non2xx)),
        range(mine.map(cpuMicrosPerRequest), (n) => fixed(n, 1)),
      ]);
    }
  }
  const lines = [
    table(
      [
        'target',
        'mode',
        'req/s median [min..max]',
        'x nginx direct',
        'p99 ms median [min..max]',
        'socket errors (sum)',
        'non-2xx (sum)',
        'server CPU µs/req median [min..max]',
      ],
      rows,
    ),
  ];
  const pairLines: string[][] = [];
  for (const [pbx, hap] of PAIRS) {
    for (const mode of modes) {
      const rate = median(ratio(all, mode, pbx, hap, (m) => m.wrk.requestsPerSecond));
      if (!Number.isFinite(rate)) continue;
      const p99 = median(ratio(all, mode, pbx, hap, (m) => m.wrk.p99Ms));
      const cpu = median(ratio(all, mode, pbx, hap, cpuMicrosPerRequest));
      const met = rate >= MIN_RATE_RATIO && p99 <= MAX_P99_RATIO;
      pairLines.push([
        `${pbx} / ${hap}`,
        mode,
        fixed(rate, 2),
        fixed(p99, 2),
        fixed(cpu, 2),
        met ? 'MET' : 'NOT MET',
      ]);
    }
  }
  if (pairLines.length > 0) {
    lines.push(
      '',
      `pbxgate / HAProxy, medians of per-run ratios (goal: req/s >= ${MIN_RATE_RATIO}x, p99 <= ${MAX_P99_RATIO}x)`,
      table(['pair', 'mode', 'req/s', 'p99', 'CPU µs/req', 'goal'], pairLines),
    );
  }
  const noise = all.map(otherCpuPercent);
  lines.push(
    '',
    `other processes (not server, backend or wrk) during the measured windows: ${fixed(median(noise), 0)} % of a core median, ${fixed(Math.max(...noise), 0)} % max`,
  );
  const pbxgateFailed = all.some(
    (m) => m.target.startsWith('pbxgate') && m.wrk.socketErrors + m.wrk.non2xx > 0,
  );
  return { text: lines.join('\n'), pbxgateFailed };
}
