// The gateway's own SIP answers (RFC 3261 §8.2.6): a final response built from the refused
// request, carrying only its Via headers (in order), From, To (tagged), Call-ID and CSeq. A
// message that is not a request we can answer (a response, an ACK, garbage) gets no answer.

import type { RefusalCause } from '../protocol.ts';
import { readAddress } from './address.ts';
import { skipLeadingCrlf } from './framing.ts';
import { type SipHead, decodeSipHead, findHeadEnd, headerValues } from './head.ts';
import type { SipLimits } from './problem.ts';
import { readCSeq } from './request.ts';

export type SipRefusalStatus = 400 | 403 | 404 | 408 | 503;

const reasons: Readonly<Record<SipRefusalStatus, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  503: 'Service Unavailable',
};

/**
 * The status for a pipeline refusal. A backend that does not answer in time is 503 like one that
 * cannot be reached: 504 Server Time-out (RFC 3261 §21.5.5) speaks of a server the gateway asked,
 * and 503 is what a UA already knows to retry elsewhere (RFC 3263 §4.3).
 */
export function statusForCause(cause: RefusalCause): SipRefusalStatus {
  switch (cause) {
    case 'unknown-service':
      return 404;
    case 'forbidden':
      return 403;
    case 'backend-unavailable':
    case 'backend-timeout':
      return 503;
    case 'malformed':
    case 'too-large':
      return 400;
    case 'first-message-timeout':
      return 408;
  }
}

/** The one value of a header that must appear exactly once, or undefined. */
function single(head: SipHead, name: string): string | undefined {
  const values = headerValues(head, name);
  return values.length === 1 ? values[0] : undefined;
}

/** What a response copies from the request (RFC 3261 §8.2.6.2). */
interface Answerable {
  readonly vias: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly toHasTag: boolean;
  readonly callId: string;
  readonly cseq: string;
}

function readAnswerable(head: SipHead): Answerable | undefined {
  // RFC 3261 §17.2.1: an ACK is never answered.
  if (head.startLine.kind !== 'request' || head.startLine.method === 'ACK') return undefined;
  const vias = headerValues(head, 'via');
  const from = single(head, 'from');
  const to = single(head, 'to');
  const callId = single(head, 'call-id');
  const cseq = single(head, 'cseq');
  if (vias.length === 0 || from === undefined || to === undefined) return undefined;
  if (callId === undefined || cseq === undefined || readCSeq(cseq) === undefined) return undefined;
  const toAddress = readAddress(to);
  if (toAddress === undefined || readAddress(from) === undefined) return undefined;
  return { vias, from, to, toHasTag: toAddress.tag !== undefined, callId, cseq };
}

/**
 * The response to `head` with `status`, or undefined when `head` is not a request that can be
 * answered. `tag` becomes the To tag when the request has none (RFC 3261 §8.2.6.2).
 */
export function buildSipRefusal(
  head: SipHead,
  status: SipRefusalStatus,
  tag: string,
): Uint8Array | undefined {
  const request = readAnswerable(head);
  if (request === undefined) return undefined;
  const { vias, from, to, toHasTag, callId, cseq } = request;
  const lines = [
    `SIP/2.0 ${status} ${reasons[status]}`,
    ...vias.map((via) => `Via: ${via}`),
    `From: ${from}`,
    `To: ${toHasTag ? to : `${to};tag=${tag}`}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq}`,
    'Server: pbxgate',
    'Content-Length: 0',
    '',
    '',
  ];
  // Values are latin1 text of the request's bytes: written back byte for byte.
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** Decodes the head of the first message in `bytes` without judging its framing or body. */
export function readRefusedHead(bytes: Uint8Array, limits: SipLimits): SipHead | undefined {
  const skipped = skipLeadingCrlf(bytes, limits.maxLeadingCrlfBytes);
  if (skipped.kind !== 'ok') return undefined;
  const headEnd = findHeadEnd(bytes, skipped.value, limits.maxHeadBytes);
  if (headEnd < 0) return undefined;
  const head = decodeSipHead(bytes, skipped.value, headEnd);
  return head.kind === 'ok' ? head.value : undefined;
}
