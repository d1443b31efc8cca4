// Durations in the config (`250ms`, `10s`, `5m`, `1h`, `1d`): text in, milliseconds out.
import { z } from 'zod';

const MS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
]);

// A bare number is refused: `10` could mean seconds or milliseconds, and a config must not guess.
const DURATION = /^(\d{1,15})(ms|s|m|h|d)$/;

const DURATION_EXPECTED = 'expected a duration like 10s, 5m, 1h';

/** Milliseconds for `<digits><unit>` with unit ms, s, m, h or d; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const [, digits = '', unit = ''] = match;
  const msPerUnit = MS_PER_UNIT.get(unit);
  if (msPerUnit === undefined) return undefined;
  const ms = Number(digits) * msPerUnit;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A config field holding a duration: accepts the text, outputs milliseconds. */
export const durationSchema = z
  .string({ error: DURATION_EXPECTED })
  .transform((text, ctx): number => {
    const ms = parseDuration(text);
    if (ms !== undefined) return ms;
    ctx.addIssue({ code: 'custom', message: `${DURATION_EXPECTED} (units: ms, s, m, h, d)` });
    return z.NEVER;
  });
