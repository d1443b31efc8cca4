// Why SIP bytes are refused: one closed set of dotted reasons (CONVENTIONS §2), used as the
// suspicious-event reason, the metric label and the log field; plus the limits that bound framing.

/** Framing problems of RFC 3261 §7 and §18.3 (stream transports). */
export type SipFramingProblem =
  | 'sip.too-many-crlf'
  | 'sip.bad-line-end'
  | 'sip.control-char'
  | 'sip.head-too-large'
  | 'sip.bad-start-line'
  | 'sip.bad-version'
  | 'sip.bad-header'
  | 'sip.bad-fold'
  | 'sip.missing-content-length'
  | 'sip.duplicate-content-length'
  | 'sip.bad-content-length'
  | 'sip.body-too-large';

/** Problems of a request's own fields (RFC 3261 §8.1.1) and of its routing key (the From URI). */
export type SipRequestProblem =
  | 'sip.not-a-request'
  | 'sip.no-from'
  | 'sip.multiple-from'
  | 'sip.bad-from'
  | 'sip.bad-to'
  | 'sip.bad-uri'
  | 'sip.tel-uri'
  | 'sip.unsupported-scheme'
  | 'sip.missing-header'
  | 'sip.duplicate-header'
  | 'sip.bad-cseq'
  | 'sip.cseq-mismatch';

/** What the sniffer and the watcher report on top of the problems of one message. */
export type SipPolicyProblem =
  | 'sip.response-first'
  | 'sip.other-domain'
  | 'sip.malformed'
  | 'sip.register-forbidden'
  | 'sip.register-rejected';

export type SipProblem = SipFramingProblem | SipRequestProblem | SipPolicyProblem;

/** The result of reading one field: a value, or the reason it cannot be used. */
export type Checked<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'malformed'; readonly reason: SipProblem };

export function checked<T>(value: T): Checked<T> {
  return { kind: 'ok', value };
}

export function refused<T>(reason: SipProblem): Checked<T> {
  return { kind: 'malformed', reason };
}

/** Bounds on one SIP message on a stream; each one caps what a client can make us buffer. */
export interface SipLimits {
  /** Most bytes of the start line and headers, the final CRLF CRLF included. */
  readonly maxHeadBytes: number;
  /** Most bytes of a body (the Content-Length value). */
  readonly maxBodyBytes: number;
  /** Most bytes of CRLF keep-alives (RFC 5626 §3.5.1) before the first request. */
  readonly maxLeadingCrlfBytes: number;
}

/** RFC 4475 `longreq` (3515 bytes) is a valid head; real REGISTERs and INVITEs stay under 4 KiB. */
export const defaultSipLimits: SipLimits = {
  maxHeadBytes: 16_384,
  maxBodyBytes: 65_536,
  maxLeadingCrlfBytes: 64,
};
