// Watcher tests compare verdicts by cause and reason; the answer a refusal carries (WatchVerdict)
// is taken off and kept for the test to read.

import type { Watcher } from '../../../src/proxy/protocol.ts';

export interface AnsweringWatcher {
  /** The same watcher, its refusals without `answer`. */
  readonly watcher: Watcher;
  /** The answer of the last refusal (undefined before one, or when it had none). */
  answer(): Uint8Array | undefined;
}

export function splitAnswers(inner: Watcher): AnsweringWatcher {
  let last: Uint8Array | undefined;
  return {
    watcher: {
      fromClient(chunk) {
        const verdict = inner.fromClient(chunk);
        if (verdict === 'pass') return verdict;
        const { answer, ...refusal } = verdict;
        last = answer;
        return refusal;
      },
      fromServer(chunk) {
        inner.fromServer(chunk);
      },
    },
    answer: () => last,
  };
}
