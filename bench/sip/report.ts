// The SIP benchmark's figures: one row per sipp step, the highest clean rate per target in a run,
// the ratio to direct in the same run, and the medians over runs.

import { fixed, median, table } from './harness.ts';
import type { KamailioMode } from './servers.ts';
import type { TargetName } from './settings.ts';

/** The goal: REGISTER rate through pbxgate at least 0.9x direct. */
export const MIN_RATIO = 0.9;
/** A step is clean when sipp achieved at least this share of the target rate (and nothing failed). */
export const MIN_ACHIEVED = 0.95;

export interface Step {
  readonly run: number;
  readonly mode: KamailioMode;
  readonly target: TargetName;
  readonly rate: number;
  readonly calls: number;
  readonly ok: number;
  readonly failed: number;
  readonly wallSeconds: number;
  /** Successful REGISTERs (calls) per second of sipp's wall time. */
  readonly achieved: number;
  readonly clean: boolean;
  readonly kamailioMicrosPerRegister: number;
  /** pbxgate or HAProxy; NaN for direct. */
  readonly relayMicrosPerRegister: number;
  readonly relayCpuPercent: number;
  readonly sippCpuPercent: number;
}

export function stepLine(s: Step): string {
  const relay =
    s.target === 'direct'
      ? ''
      : `, ${s.target} ${fixed(s.relayMicrosPerRegister, 1)} µs/REG (${fixed(s.relayCpuPercent, 0)} % CPU)`;
  return (
    `run ${s.run} ${s.mode} ${s.target} @${s.rate}/s: ok ${s.ok}/${s.calls}, failed ${s.failed}, ` +
    `${fixed(s.achieved, 0)}/s in ${fixed(s.wallSeconds, 2)} s ${s.clean ? 'clean' : 'NOT clean'}; ` +
    `kamailio ${fixed(s.kamailioMicrosPerRegister, 1)} µs/REG${relay}, sipp ${fixed(s.sippCpuPercent, 0)} % CPU`
  );
}

/** The clean step with the highest achieved rate, of one target in one run and mode. */
export function bestClean(steps: readonly Step[]): Step | undefined {
  let best: Step | undefined;
  for (const s of steps)
    if (s.clean && (best === undefined || s.achieved > best.achieved)) best = s;
  return best;
}

interface Best {
  readonly run: number;
  readonly mode: KamailioMode;
  readonly target: TargetName;
  readonly step: Step | undefined;
  /** The highest rate step was clean: the ceiling is above T1_RATES. */
  readonly topClean: boolean;
  readonly ratio: number;
}

function bests(steps: readonly Step[], targets: readonly TargetName[], maxRate: number): Best[] {
  const out: Best[] = [];
  const keys = new Set(steps.map((s) => `${s.run}\t${s.mode}`));
  for (const key of keys) {
    const of = steps.filter((s) => `${s.run}\t${s.mode}` === key);
    const direct = bestClean(of.filter((s) => s.target === 'direct'));
    for (const target of targets) {
      const mine = of.filter((s) => s.target === target);
      const step = bestClean(mine);
      const first = mine[0];
      if (first === undefined) continue;
      out.push({
        run: first.run,
        mode: first.mode,
        target,
        step,
        topClean: mine.some((s) => s.rate === maxRate && s.clean),
        ratio: (step?.achieved ?? 0) / (direct?.achieved ?? NaN),
      });
    }
  }
  return out;
}

function ratioCell(b: Best): string {
  if (b.target === 'direct' || !Number.isFinite(b.ratio)) return '-';
  const verdict = b.target === 'pbxgate' ? (b.ratio >= MIN_RATIO ? ' ok' : ' BELOW 0.9') : '';
  return `${b.ratio.toFixed(3)}${verdict}`;
}

export function runTable(
  steps: readonly Step[],
  targets: readonly TargetName[],
  maxRate: number,
): string {
  const rows = bests(steps, targets, maxRate).map((b) => [
    b.run,
    b.mode,
    b.target,
    b.step === undefined
      ? 'none'
      : `${fixed(b.step.achieved, 0)}${b.topClean ? ' (top step)' : ''}`,
    ratioCell(b),
    fixed(b.step?.kamailioMicrosPerRegister ?? NaN, 1),
    fixed(b.step?.relayMicrosPerRegister ?? NaN, 1),
  ]);
  return table(
    [
      'run',
      'mode',
      'target',
      'max clean REGISTER/s',
      'ratio vs direct',
      'kamailio µs/REG',
      'relay µs/REG',
    ],
    rows,
  );
}

export function summaryTable(
  steps: readonly Step[],
  targets: readonly TargetName[],
  modes: readonly KamailioMode[],
  maxRate: number,
): string {
  const all = bests(steps, targets, maxRate);
  const rows: (string | number)[][] = [];
  for (const mode of modes) {
    for (const target of targets) {
      const of = all.filter((b) => b.mode === mode && b.target === target);
      if (of.length === 0) continue;
      const rates = of.map((b) => b.step?.achieved ?? 0);
      const ratios = of.map((b) => b.ratio);
      const spread = `${fixed(Math.min(...rates), 0)}-${fixed(Math.max(...rates), 0)}`;
      rows.push([
        mode,
        target,
        `${fixed(median(rates), 0)} (${spread})`,
        target === 'direct'
          ? '-'
          : `${fixed(median(ratios), 3)} (${ratios.map((r) => fixed(r, 3)).join(' ')})`,
        fixed(median(of.map((b) => b.step?.kamailioMicrosPerRegister ?? NaN)), 1),
        fixed(median(of.map((b) => b.step?.relayMicrosPerRegister ?? NaN)), 1),
        of.filter((b) => b.topClean).length > 0 ? 'yes: raise T1_RATES' : 'no',
      ]);
    }
  }
  return table(
    [
      'mode',
      'target',
      'max clean REGISTER/s median (min-max)',
      'ratio vs direct median (per run)',
      'kamailio µs/REG',
      'relay µs/REG',
      'top step clean',
    ],
    rows,
  );
}
