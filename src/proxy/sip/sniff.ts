// SIP on the ProxyProtocol contract: the first request on a connection routes by the domain of
// its From URI (ARCHITECTURE.md "Routing keys"), whatever its method, and names its From user as
// the identity a client certificate must carry.

import type { SniffResult } from '../protocol.ts';
import { frameSipHead } from './framing.ts';
import type { SipLimits } from './problem.ts';
import { readRoute, readSipRequest } from './request.ts';

/**
 * need-more until the first message is complete; reject as soon as its head shows it cannot be
 * routed (a response, no or two From, a tel: or non-SIP URI), before its body arrives.
 */
export function sniffSipRequest(bytes: Uint8Array, limits: SipLimits): SniffResult {
  const frame = frameSipHead(bytes, limits);
  if (frame.kind === 'incomplete') return { kind: 'need-more' };
  if (frame.kind === 'malformed') return { kind: 'reject', reason: frame.reason };
  const { head, headEnd, contentLength } = frame.value;
  if (head.startLine.kind !== 'request') return { kind: 'reject', reason: 'sip.response-first' };
  const request = readSipRequest(head);
  if (request.kind !== 'ok') return { kind: 'reject', reason: request.reason };
  const route = readRoute(request.value.from);
  if (route.kind !== 'ok') return { kind: 'reject', reason: route.reason };
  const size = headEnd + contentLength;
  if (bytes.length < size) return { kind: 'need-more' };
  const { domain, identity } = route.value;
  return { kind: 'route', services: [domain], identity, size };
}
