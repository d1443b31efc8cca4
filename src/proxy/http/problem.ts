// Why an HTTP/1.1 head or chunked body is refused: one closed set of dotted reasons (CONVENTIONS §2),
// used as the suspicious-event reason, the metric label and the log field.

/** Problems shared by request and response heads (RFC 9112 §2-§6). */
export type HttpHeadProblem =
  | 'http.head-too-large'
  | 'http.too-many-headers'
  | 'http.bare-lf'
  | 'http.bare-cr'
  | 'http.nul'
  | 'http.bad-version'
  | 'http.unsupported-version'
  | 'http.obs-fold'
  | 'http.space-before-colon'
  | 'http.bad-field-name'
  | 'http.bad-field-value'
  | 'http.duplicate-content-length'
  | 'http.bad-content-length'
  | 'http.content-length-with-transfer-encoding'
  | 'http.bad-transfer-encoding'
  | 'http.transfer-encoding-http10';

/** Problems only a request head has (RFC 9112 §3, RFC 9110 §7.2). */
export type HttpRequestProblem =
  | HttpHeadProblem
  | 'http.bad-method'
  | 'http.bad-request-line'
  | 'http.bad-target'
  | 'http.connect'
  | 'http.missing-host'
  | 'http.duplicate-host'
  | 'http.bad-host'
  | 'http.host-mismatch'
  | 'http.upgrade-with-body';

/** Problems only a response head has (RFC 9112 §4). */
export type HttpResponseProblem = HttpHeadProblem | 'http.bad-status-line';

/** Problems of a chunked body (RFC 9112 §7.1). */
export type ChunkedProblem =
  | 'http.bare-lf'
  | 'http.bare-cr'
  | 'http.obs-fold'
  | 'http.bad-chunk-size'
  | 'http.chunk-size-overflow'
  | 'http.bad-chunk-ext'
  | 'http.chunk-ext-too-large'
  | 'http.bad-chunk-end'
  | 'http.bad-trailer'
  | 'http.trailer-too-large';

/** Why a request path is refused by a service's URL allow-list (ARCHITECTURE.md). */
export type UrlProblem = 'http.url-not-allowed' | 'http.unsafe-path';

export type HttpProblem = HttpRequestProblem | HttpResponseProblem | ChunkedProblem | UrlProblem;

/** Limits on one head; the pipeline passes `proxy.maxFirstMessageBytes` or a per-request limit. */
export interface HeadLimits {
  /** Most bytes a head may span, request line (or status line) and the final CRLFCRLF included. */
  readonly maxHeadBytes: number;
  /** Most field lines a head may carry. */
  readonly maxHeaders: number;
}

/** HAProxy allows 101 fields in a 16 KiB buffer; a browser sends about 20 fields in under 2 KiB. */
export const defaultHeadLimits: HeadLimits = { maxHeadBytes: 16_384, maxHeaders: 100 };
