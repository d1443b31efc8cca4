// Browser-facing hardening of the admin API: security headers on every answer, and no cross-site
// requests (a browser resends remembered Basic credentials with a cross-site form post).

import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { replyError } from './reply.ts';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function setSecurityHeaders(
  _request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  reply.headers(SECURITY_HEADERS);
  done();
}

/**
 * A browser sends `Origin` with every cross-origin request and with same-origin POST/DELETE; curl
 * and the CLI send none. A request whose Origin is not this server's own host is refused.
 */
export async function refuseCrossSite(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const { origin, host } = request.headers;
  const fetchSite = request.headers['sec-fetch-site'];
  const isCrossSite =
    fetchSite === 'cross-site' || (origin !== undefined && originHost(origin) !== host);
  if (!isCrossSite) return undefined;
  return replyError(reply, 403, 'cross-origin', 'cross-origin requests are refused');
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined; // `null` (sandboxed frames, file: pages) and junk never match
  }
}
