// /api/fraud/whitelist: add an address or CIDR by hand, or remove one added by hand.

import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import { cidrSchema, mapping } from '../../config/schema-fields.ts';
import type { FraudDetection, WhitelistEntry } from '../../fraud/fraud.ts';
import type { Logger } from '../../observe/log.ts';
import { adminUserOf } from '../auth.ts';
import { parseInput } from '../input.ts';
import { clientIp } from '../login-backoff.ts';
import { replyError } from '../reply.ts';

const allowBody = mapping({ cidr: cidrSchema });
const entryPath = z.object({ cidr: cidrSchema });

export interface WhitelistEntryJson {
  readonly cidr: string;
  readonly source: 'config' | 'manual';
}

export function whitelistEntryJson(entry: WhitelistEntry): WhitelistEntryJson {
  return { cidr: entry.cidr, source: entry.source };
}

export interface WhitelistRoutesOptions {
  readonly fraud: FraudDetection;
  readonly log: Logger;
}

export const whitelistRoutes: FastifyPluginCallback<WhitelistRoutesOptions> = (
  app,
  options,
  done,
) => {
  const { fraud, log } = options;

  app.post('/api/fraud/whitelist', (request, reply) => {
    const body = parseInput(allowBody, request.body, 'body', '{"cidr": "198.51.100.0/24"}');
    if (!body.ok) return void replyError(reply, 400, 'bad-request', body.message);
    const entry = fraud.allow(body.value.cidr);
    log.info(
      { user: adminUserOf(request), remoteIp: clientIp(request.ip), cidr: entry.cidr },
      'whitelist entry added by hand',
    );
    reply.code(201).send(whitelistEntryJson(entry));
  });

  // The CIDR's slash is sent URL-encoded: /api/fraud/whitelist/198.51.100.0%2F24.
  app.delete('/api/fraud/whitelist/:cidr', (request, reply) => {
    const example = '/api/fraud/whitelist/198.51.100.0%2F24';
    const path = parseInput(entryPath, request.params, 'path', example);
    if (!path.ok) return void replyError(reply, 400, 'bad-request', path.message);
    const { cidr } = path.value;
    if (fraud.disallow(cidr)) {
      log.info(
        { user: adminUserOf(request), remoteIp: clientIp(request.ip), cidr },
        'whitelist entry removed by hand',
      );
      return void reply.code(204).send();
    }
    const fromConfig = fraud
      .snapshot()
      .whitelist.some((entry) => entry.cidr === cidr && entry.source === 'config');
    if (fromConfig)
      return void replyError(
        reply,
        409,
        'config-entry',
        `${cidr} comes from the config file (fraud.whitelist): remove it there`,
      );
    replyError(reply, 404, 'not-found', `${cidr} is not whitelisted`);
  });

  done();
};
