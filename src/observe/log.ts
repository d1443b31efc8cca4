// The one root logger (pino): JSON lines, pretty on a TTY, secrets redacted. Parts take children of it.

import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LogOptions {
  readonly level: LevelWithSilent;
  /** Pretty-print for people; defaults to whether stdout is a terminal. */
  readonly pretty?: boolean;
  /** Where JSON lines go; defaults to stdout (fd 1). */
  readonly destination?: NodeJS.WritableStream;
}

const REDACT = [
  '*.password',
  '*.passwordHash',
  'sharedSecret',
  '*.sharedSecret',
  'authorization',
  '*.authorization',
];

export function createLogger(options: LogOptions): Logger {
  const base = { level: options.level, base: null, redact: REDACT };
  if (options.destination) return pino(base, options.destination);
  const pretty = options.pretty ?? process.stdout.isTTY;
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' },
      },
    });
  }
  return pino(base, pino.destination({ fd: 1, sync: false }));
}
