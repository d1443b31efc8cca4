// Signals that abort when another does or after a deadline (AbortSignal.any needs Node 20.3).

/** One signal that aborts when any of `signals` does, or after `timeoutMs`. */
export function combineSignals(
  signals: readonly (AbortSignal | undefined)[],
  timeoutMs?: number,
): { readonly signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort();
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(abort, timeoutMs);
  const given = signals.filter((signal) => signal !== undefined);
  for (const signal of given) {
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  }
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      for (const signal of given) signal.removeEventListener('abort', abort);
    },
  };
}

/** A signal that aborts when `signal` does or after `timeoutMs`. */
export function withDeadline(
  signal: AbortSignal,
  timeoutMs: number,
): { signal: AbortSignal; clear(): void } {
  return combineSignals([signal], timeoutMs);
}
