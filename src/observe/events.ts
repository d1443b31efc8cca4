// The suspicious-event log: one structured line and one counted metric per event, then the fraud sink.

import type { Suspicious } from '../fraud/suspicious.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';

/** A flood of bad packets must not become a flood of log lines: at most this many per second. */
export const MAX_EVENT_LINES_PER_SECOND = 50;

export function createSuspiciousEvents(options: {
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Where events go after logging (the fraud tracker); none yet = only logged and counted. */
  readonly next?: Suspicious;
  readonly now?: () => number;
}): Suspicious {
  const log = options.log.child({ part: 'events' });
  const now = options.now ?? Date.now;
  let windowStart = 0;
  let lines = 0;
  let suppressed = 0;
  return (ip, reason) => {
    options.metrics.suspiciousEvents.inc({ reason });
    const t = now();
    if (t - windowStart >= 1000) {
      if (suppressed > 0)
        log.warn({ suppressed }, 'suspicious events not logged (rate limit); see the metric');
      windowStart = t;
      lines = 0;
      suppressed = 0;
    }
    if (lines < MAX_EVENT_LINES_PER_SECOND) {
      lines++;
      log.info({ remoteIp: ip, reason }, 'suspicious event');
    } else {
      suppressed++;
    }
    options.next?.(ip, reason);
  };
}
