// The gateway's own small HTTP answers (ARCHITECTURE.md: "a clean refusal in the client's own
// protocol"): fixed plain-text pages that close the connection and never echo request bytes.

import type { RefusalCause } from '../protocol.ts';
import type { HttpProblem } from './problem.ts';

export type RefusalStatus = 400 | 403 | 404 | 421 | 431 | 502 | 504;

const reasons: Readonly<Record<RefusalStatus, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  421: 'Misdirected Request',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

function build(status: RefusalStatus): Buffer {
  const body = `${status} ${reasons[status]}\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${reasons[status]}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n` +
      'Connection: close\r\n' +
      'Cache-Control: no-store\r\n' +
      '\r\n' +
      body,
    'latin1',
  );
}

const pages: Readonly<Record<RefusalStatus, Buffer>> = {
  400: build(400),
  403: build(403),
  404: build(404),
  421: build(421),
  431: build(431),
  502: build(502),
  504: build(504),
};

/** The complete response for `status`; shared bytes, so callers must not write into them. */
export function refusal(status: RefusalStatus): Uint8Array {
  return pages[status];
}

/** RFC 9110 §15.5.1 / RFC 6585 §5: oversized heads are 431, every other malformed request 400. */
export function statusForProblem(problem: HttpProblem): RefusalStatus {
  if (problem === 'http.head-too-large' || problem === 'http.too-many-headers') return 431;
  return problem === 'http.url-not-allowed' || problem === 'http.unsafe-path' ? 403 : 400;
}

/**
 * The status for a pipeline refusal cause, or undefined to close without answering (a client that
 * sent nothing before the deadline gets no page, as nginx does).
 */
export function statusForCause(cause: RefusalCause): RefusalStatus | undefined {
  switch (cause) {
    case 'malformed':
      return 400;
    case 'unknown-service':
      return 404;
    case 'forbidden':
      return 403;
    case 'backend-unavailable':
      return 502;
    case 'backend-timeout':
      return 504;
    case 'too-large':
      return 431;
    case 'first-message-timeout':
      return undefined;
  }
}
