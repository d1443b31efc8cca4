// The one error shape of the admin API, { error: { code, message } }, and fastify's own errors mapped to it.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { PbxgateError } from '../errors.ts';
import type { Logger } from '../observe/log.ts';

export type AdminErrorCode =
  | 'bad-request'
  | 'refused'
  | 'unauthorized'
  | 'too-many-attempts'
  | 'cross-origin'
  | 'not-found'
  | 'fraud-not-configured'
  | 'config-entry'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'busy'
  | 'internal-error';

export interface AdminErrorBody {
  readonly error: { readonly code: AdminErrorCode; readonly message: string };
}

export function replyError(
  reply: FastifyReply,
  status: number,
  code: AdminErrorCode,
  message: string,
): FastifyReply {
  const body: AdminErrorBody = { error: { code, message } };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * fastify's client errors (bad JSON, body too large, unknown media type) keep their status and
 * message; anything else is a bug: logged with its stack, answered without it.
 */
export function createErrorHandler(log: Logger) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    // A refusal from the fraud part (block a whitelisted address, bad input) is the client's error.
    if (err instanceof PbxgateError && err.code === 'PBX_ERR_USAGE') {
      return replyError(reply, 409, 'refused', err.message);
    }
    const status = statusOf(err);
    if (status >= 400 && status < 500) {
      const message = err instanceof Error ? err.message : 'bad request';
      if (status === 413) {
        const limit = `a request body may have at most ${request.routeOptions.bodyLimit} bytes`;
        return replyError(reply, 413, 'payload-too-large', limit);
      }
      if (status === 415) {
        const type = (request.headers['content-type'] ?? '').slice(0, 100);
        const hint = `content-type ${type} is not accepted: send JSON (application/json)`;
        return replyError(reply, 415, 'unsupported-media-type', hint);
      }
      return replyError(reply, status, 'bad-request', message);
    }
    log.error({ err, method: request.method, url: request.url }, 'admin request failed');
    return replyError(reply, 500, 'internal-error', 'internal error (see the gateway log)');
  };
}

export function replyNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '';
  return replyError(reply, 404, 'not-found', `no route ${request.method} ${path}`);
}

function statusOf(err: unknown): number {
  if (typeof err !== 'object' || err === null || !('statusCode' in err)) return 500;
  const { statusCode } = err;
  return typeof statusCode === 'number' ? statusCode : 500;
}
