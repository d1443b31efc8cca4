// HTTP Basic authentication (RFC 7617) on every admin request, with per-client login backoff.
// Every failed login is a suspicious event for the client's address.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Suspicious } from '../fraud/suspicious.ts';
import type { Logger } from '../observe/log.ts';
import type { CredentialCheck } from './credentials.ts';
import { type LoginBackoff, clientIp } from './login-backoff.ts';
import { replyError } from './reply.ts';

export const AUTH_CHALLENGE = 'Basic realm="pbxgate admin", charset="UTF-8"';

/** The suspicious-event reasons of the admin API. */
export type AdminReason = 'admin.bad-credentials' | 'admin.malformed-authorization';

export interface AuthDeps {
  readonly credentials: CredentialCheck;
  readonly backoff: LoginBackoff;
  readonly suspicious: Suspicious;
  readonly log: Logger;
}

const users = new WeakMap<FastifyRequest, string>();

/** The user an authenticated request logged in as. */
export function adminUserOf(request: FastifyRequest): string {
  return users.get(request) ?? '';
}

export function createAuthHook(deps: AuthDeps) {
  const { credentials, backoff, suspicious, log } = deps;
  const refuse = (reply: FastifyReply, message: string): FastifyReply =>
    replyError(reply.header('www-authenticate', AUTH_CHALLENGE), 401, 'unauthorized', message);

  return async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> => {
    const ip = clientIp(request.ip);
    const waitMs = backoff.retryAfterMs(ip);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      reply.header('retry-after', String(seconds));
      const message = `too many failed logins from ${ip}: try again in ${seconds} s`;
      return replyError(reply, 429, 'too-many-attempts', message);
    }
    const header = request.headers.authorization;
    if (header === undefined) return refuse(reply, 'log in with a user name and password');
    const login = readBasicCredentials(header);
    const outcome = login ? await credentials.check(login.name, login.password) : 'wrong';
    if (outcome === 'busy') {
      reply.header('retry-after', '1');
      return replyError(reply, 503, 'busy', 'too many logins at once: try again');
    }
    if (outcome === 'wrong' || !login) {
      const reason: AdminReason = login ? 'admin.bad-credentials' : 'admin.malformed-authorization';
      backoff.failed(ip);
      suspicious(ip, reason);
      log.info({ remoteIp: ip, user: login?.name, reason }, 'admin login failed');
      return refuse(reply, 'wrong user name or password');
    }
    backoff.succeeded(ip);
    users.set(request, login.name);
    return undefined;
  };
}

/** `Basic base64(name:password)`; undefined when the header is anything else. */
export function readBasicCredentials(
  header: string,
): { name: string; password: string } | undefined {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match?.[1]) return undefined;
  const text = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = text.indexOf(':'); // RFC 7617 §2: the user-id cannot contain a colon, the password can
  if (colon <= 0) return undefined;
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
}
