// The NAT detection part of `pbxgate start`: detects at start and then every nat.interval, feeds
// the metrics and the status API, and logs each logical server's verdict when it changes.

import type { Registry } from 'prom-client';
import type { Logger } from '../observe/log.ts';
import type { Part } from '../part.ts';
import { type DetectOptions, type ServerDetection, detectNat } from './detect.ts';
import { createNatRecorder, registerNatMetrics } from './metrics.ts';
import { type NatServerReport, reportDetection } from './report.ts';
import type { LogicalStunServer } from './server-list.ts';

/** The `nat:` section as loaded (config/schema.ts): parsed servers, interval in ms. */
export interface NatConfig {
  readonly stunServers: readonly LogicalStunServer[];
  readonly interval: number;
}

export type NatDetector = (
  servers: readonly LogicalStunServer[],
  options: DetectOptions,
) => Promise<readonly ServerDetection[]>;

export interface NatPartDeps {
  readonly log: Logger;
  readonly metrics: { readonly registry: Registry };
  /** Tests replace the network with their own detector. */
  readonly detect?: NatDetector;
  readonly now?: () => number;
}

export interface NatStatus {
  /** When the last detection finished (ISO 8601), null before the first. */
  readonly checkedAt: string | null;
  readonly checking: boolean;
  readonly intervalSeconds: number;
  /** One per logical server, in nat.stunServers order; empty before the first detection. */
  readonly servers: readonly NatServerReport[];
}

export interface NatPart extends Part {
  status(): NatStatus;
  /** Detects now (or joins the detection running) and resolves with the new status. */
  check(): Promise<NatStatus>;
}

/** What a change is judged on: the verdicts and the external IP (its port differs per socket). */
function verdictKey(report: NatServerReport): string {
  const externalIp = report.externalAddress?.slice(0, report.externalAddress.lastIndexOf(':'));
  return JSON.stringify([
    report.natPresent,
    report.classic,
    report.mapping,
    report.filtering,
    report.hairpinning,
    externalIp ?? null,
  ]);
}

function logFields(report: NatServerReport) {
  return {
    server: report.server,
    answeredBy: report.answeredBy,
    externalAddress: report.externalAddress,
    classic: report.classic,
    mapping: report.mapping,
    filtering: report.filtering,
    hairpinning: report.hairpinning,
    ...(Object.keys(report.unknown).length > 0 ? { unknown: report.unknown } : {}),
  };
}

export function createNatPart(config: NatConfig, deps: NatPartDeps): NatPart {
  const log = deps.log.child({ part: 'nat' });
  const detect = deps.detect ?? detectNat;
  const now = deps.now ?? Date.now;
  const record = createNatRecorder(registerNatMetrics(deps.metrics.registry));
  let servers: readonly NatServerReport[] = [];
  let checkedAt: string | null = null;
  let running: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  const status = (): NatStatus => ({
    checkedAt,
    checking: running !== undefined,
    intervalSeconds: config.interval / 1000,
    servers,
  });

  const update = (detections: readonly ServerDetection[]): void => {
    const reports = detections.map(reportDetection);
    reports.forEach((report, index) => {
      const position = String(index + 1);
      record(position, report);
      const before = servers[index];
      if (before === undefined) log.info(logFields(report), 'nat type detected');
      else if (verdictKey(before) !== verdictKey(report))
        log.warn({ ...logFields(report), previous: logFields(before) }, 'nat type changed');
    });
    servers = reports;
    checkedAt = new Date(now()).toISOString();
  };

  const schedule = (delayMs: number): void => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => {
      void runCheck();
    }, delayMs);
  };

  const runCheck = (): Promise<void> => {
    if (running) return running;
    clearTimeout(timer);
    const abort = new AbortController();
    controller = abort;
    running = (async () => {
      try {
        update(await detect(config.stunServers, { signal: abort.signal }));
      } catch (err) {
        // A stop() in the middle aborts the detection: nothing to report then.
        if (!abort.signal.aborted) log.error({ err }, 'nat detection failed');
      } finally {
        running = undefined;
        controller = undefined;
        schedule(config.interval);
      }
    })();
    return running;
  };

  return {
    name: 'nat',
    start() {
      stopped = false;
      // In the background: a detection may take up to the RFC 8489 schedule (39.5 s) per test.
      schedule(0);
      return Promise.resolve();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
      await running;
    },
    status,
    async check() {
      await runCheck();
      return status();
    },
  };
}
