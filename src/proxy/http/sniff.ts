// HTTP on the ProxyProtocol contract (src/proxy/protocol.ts): the first request head routes by its
// Host. Later requests on the connection go through decodeRequestHead the same way, one by one.

import type { ProxyProtocol, SniffResult } from '../protocol.ts';
import type { HeadLimits } from './problem.ts';
import { refusal, statusForCause } from './refuse.ts';
import { decodeRequestHead } from './request-head.ts';

/**
 * Routes a request head by its Host (RFC 9112 §3.2). `size` is the head's size: the body, if any,
 * follows by the head's framing. An HTTP/1.0 request without Host has no routing key.
 */
export function sniffHttpRequest(bytes: Uint8Array, limits: HeadLimits): SniffResult {
  const head = decodeRequestHead(bytes, limits);
  if (head.kind === 'incomplete') return { kind: 'need-more' };
  if (head.kind === 'malformed') return { kind: 'reject', reason: head.reason };
  const { host, size } = head.value;
  if (host === undefined) return { kind: 'reject', reason: 'http.missing-host' };
  return { kind: 'route', services: [host], identity: undefined, size };
}

export function createHttpProtocol(limits: HeadLimits): ProxyProtocol {
  return {
    kind: 'http',
    sniff: (bytes) => sniffHttpRequest(bytes, limits),
    refuse: (_firstMessage, cause) => {
      const status = statusForCause(cause);
      return status === undefined ? undefined : refusal(status);
    },
  };
}
