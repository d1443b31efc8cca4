// The requests a client sent that still await a final response, keyed the way RFC 3261 §17.1.3
// matches them on one connection (Call-ID, CSeq number and method), with whether each carried
// credentials. Bounded: the oldest entry goes first, so a client cannot make the table grow.

import type { CSeq } from './request.ts';

export const MAX_OUTSTANDING = 64;

export interface OutstandingRequests {
  add(callId: string, cseq: CSeq, hasCredentials: boolean): void;
  /** Whether the request carried credentials; undefined when it is not (or no longer) known. */
  find(callId: string, cseq: CSeq): boolean | undefined;
  /** A final response ends the transaction. */
  remove(callId: string, cseq: CSeq): void;
  readonly size: number;
}

function keyOf(callId: string, cseq: CSeq): string {
  // A header value never holds a LF, so the separator cannot make two keys one.
  return `${callId}\n${cseq.number}\n${cseq.method}`;
}

export function createOutstandingRequests(max = MAX_OUTSTANDING): OutstandingRequests {
  const entries = new Map<string, boolean>();
  return {
    add(callId, cseq, hasCredentials) {
      const key = keyOf(callId, cseq);
      entries.delete(key); // a repeat moves to the end
      entries.set(key, hasCredentials);
      // Map keeps insertion order: the first key is the oldest.
      for (const oldest of entries.keys()) {
        if (entries.size <= max) break;
        entries.delete(oldest);
      }
    },
    find: (callId, cseq) => entries.get(keyOf(callId, cseq)),
    remove(callId, cseq) {
      entries.delete(keyOf(callId, cseq));
    },
    get size() {
      return entries.size;
    },
  };
}
