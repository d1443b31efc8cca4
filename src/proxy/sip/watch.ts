// The SIP watcher of a relayed connection: frames both directions, keeps later requests on the
// service the connection was routed to, and reports REGISTERs the service turned down
// (protocols.md §3.4) as suspicious events.

import type { RefusalCause, WatchContext, WatchVerdict, Watcher } from '../protocol.ts';
import { hasStaleChallenge } from './challenge.ts';
import { type SipHead, headerValues } from './head.ts';
import { createOutstandingRequests } from './outstanding.ts';
import type { SipLimits } from './problem.ts';
import { readCSeq, readRoute, readSipRequest } from './request.ts';
import { createSipStreamReader } from './stream.ts';

export interface SipWatcherOptions {
  readonly limits: SipLimits;
  /** The SIP response that refuses `head` for `cause` (the verdict's answer). */
  readonly answer?: (head: SipHead, cause: RefusalCause) => Uint8Array | undefined;
}

/** The service name as a From domain is compared: lower case, one trailing dot stripped. */
function domainOf(service: string): string {
  const lower = service.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The one value of `name`, or undefined when it is missing or repeated. */
function single(head: SipHead, name: string): string | undefined {
  const values = headerValues(head, name);
  return values.length === 1 ? values[0] : undefined;
}

export function createSipWatcher(ctx: WatchContext, options: SipWatcherOptions): Watcher {
  const { limits, answer } = options;
  const client = createSipStreamReader(limits);
  const server = createSipStreamReader(limits);
  const outstanding = createOutstandingRequests();
  const service = domainOf(ctx.service);
  let requests = 0;

  /** A request from the client; its responses to the PBX's requests pass unexamined. */
  const judge = (head: SipHead): WatchVerdict => {
    if (head.startLine.kind !== 'request') return 'pass';
    const request = readSipRequest(head);
    if (request.kind !== 'ok') return { refuse: 'malformed', reason: request.reason };
    // The first request is the one the sniffer routed by; every later one must name that service.
    if (requests++ > 0) {
      const route = readRoute(request.value.from);
      if (route.kind !== 'ok') return { refuse: 'forbidden', reason: route.reason };
      if (route.value.domain !== service) {
        return { refuse: 'forbidden', reason: 'sip.other-domain' };
      }
    }
    // Only a REGISTER's final response is judged: only REGISTERs need remembering.
    const { method, callId, cseq, hasCredentials } = request.value;
    if (method === 'REGISTER') outstanding.add(callId, cseq, hasCredentials);
    return 'pass';
  };

  /** A final response to a REGISTER: 403, or 401/407 after credentials, unless only stale. */
  const noteResponse = (head: SipHead): void => {
    const { startLine } = head;
    if (startLine.kind !== 'response' || startLine.status < 200) return;
    const callId = single(head, 'call-id');
    const cseq = readCSeq(single(head, 'cseq') ?? '');
    if (callId === undefined || cseq === undefined || cseq.method !== 'REGISTER') return;
    const hadCredentials = outstanding.find(callId, cseq);
    outstanding.remove(callId, cseq);
    const { status } = startLine;
    if (status === 403) {
      ctx.suspicious('sip.register-forbidden');
    } else if ((status === 401 || status === 407) && hadCredentials === true) {
      if (!hasStaleChallenge(head)) ctx.suspicious('sip.register-rejected');
    }
  };

  return {
    fromClient(chunk) {
      const { heads, problem } = client.read(chunk);
      for (const head of heads) {
        const verdict = judge(head);
        if (verdict === 'pass') continue;
        return { ...verdict, answer: answer?.(head, verdict.refuse) };
      }
      return problem === undefined ? 'pass' : { refuse: 'malformed', reason: 'sip.malformed' };
    },
    fromServer(chunk) {
      // A backend that sends what we cannot frame is no longer watched; its bytes still pass.
      for (const head of server.read(chunk).heads) {
        if (head.startLine.kind === 'response') noteResponse(head);
      }
    },
  };
}
