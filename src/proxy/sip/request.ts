// The fields of a SIP request that the gateway relies on (RFC 3261 §8.1.1): exactly one From, To,
// Call-ID and CSeq, at least one Via; and its routing key, the domain of the From URI.

import { type SipAddress, readAddress } from './address.ts';
import { TOKEN, isMadeOf } from './chars.ts';
import { type SipHead, headerValues } from './head.ts';
import { type Checked, checked, refused } from './problem.ts';
import { readUri, userIdentity } from './uri.ts';

export interface CSeq {
  readonly number: number;
  readonly method: string;
}

export interface SipRequest {
  readonly method: string;
  readonly from: SipAddress;
  readonly callId: string;
  readonly cseq: CSeq;
  /** The request carries Authorization or Proxy-Authorization (RFC 3261 §22). */
  readonly hasCredentials: boolean;
}

export interface SipRoute {
  /** The From URI's host: lower-cased, trailing dot stripped. */
  readonly domain: string;
  /** The From URI's user part, escapes decoded; undefined without one. */
  readonly identity: string | undefined;
}

/** RFC 3261 §8.1.1.5: the sequence number is a 32-bit unsigned integer below 2**31. */
const MAX_CSEQ = 2 ** 31 - 1;

/** CSeq = 1*DIGIT LWS Method (RFC 4475 `wsinv` has `0009` and a folded method). */
export function readCSeq(value: string): CSeq | undefined {
  const match = /^(\d{1,10})[ \t]+(\S+)$/.exec(value);
  if (match === null) return undefined;
  const [, digits = '', method = ''] = match;
  const number = Number(digits);
  return number <= MAX_CSEQ && isMadeOf(method, TOKEN) ? { number, method } : undefined;
}

/** The one value of a header that must appear exactly once. */
function single(head: SipHead, name: string): Checked<string> {
  const values = headerValues(head, name);
  const [value] = values;
  if (value === undefined) return refused('sip.missing-header');
  return values.length > 1 ? refused('sip.duplicate-header') : checked(value);
}

/**
 * Exactly one From (RFC 4475 `multi01` has two with different domains: routing by one while the
 * backend reads the other would be a parser differential), and it must parse.
 */
function readFrom(head: SipHead): Checked<SipAddress> {
  const values = headerValues(head, 'from');
  const [value] = values;
  if (value === undefined) return refused('sip.no-from');
  if (values.length > 1) return refused('sip.multiple-from');
  const from = readAddress(value);
  return from === undefined ? refused('sip.bad-from') : checked(from);
}

function readCSeqHeader(head: SipHead, method: string): Checked<CSeq> {
  const value = single(head, 'cseq');
  if (value.kind !== 'ok') return value;
  const cseq = readCSeq(value.value);
  if (cseq === undefined) return refused('sip.bad-cseq');
  // RFC 4475 `mismatch01`: the CSeq method must be the request's method.
  return cseq.method === method ? checked(cseq) : refused('sip.cseq-mismatch');
}

/** Reads a request head; a response is 'sip.not-a-request'. */
export function readSipRequest(head: SipHead): Checked<SipRequest> {
  const { startLine } = head;
  if (startLine.kind !== 'request') return refused('sip.not-a-request');
  const from = readFrom(head);
  if (from.kind !== 'ok') return from;
  const to = single(head, 'to');
  if (to.kind !== 'ok') return to;
  if (readAddress(to.value) === undefined) return refused('sip.bad-to');
  const callId = single(head, 'call-id');
  if (callId.kind !== 'ok') return callId;
  const cseq = readCSeqHeader(head, startLine.method);
  if (cseq.kind !== 'ok') return cseq;
  if (headerValues(head, 'via').length === 0) return refused('sip.missing-header');
  const hasCredentials = head.headers.some(
    ({ name }) => name === 'authorization' || name === 'proxy-authorization',
  );
  return checked({
    method: startLine.method,
    from: from.value,
    callId: callId.value,
    cseq: cseq.value,
    hasCredentials,
  });
}

/** The routing key of a request: the From URI's domain. tel: and other schemes have none. */
export function readRoute(from: SipAddress): Checked<SipRoute> {
  const uri = readUri(from.uri);
  if (uri === undefined) return refused('sip.bad-uri');
  if (uri.scheme === 'tel') return refused('sip.tel-uri');
  if (uri.scheme === 'other') return refused('sip.unsupported-scheme');
  const identity = uri.user === undefined ? undefined : userIdentity(uri.user);
  return checked({ domain: uri.domain, identity });
}
