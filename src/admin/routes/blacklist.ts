// /api/fraud/blacklist: add an entry by hand, remove one, or turn one into a whitelist entry.

import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import { cidrSchema, ipSchema, mapping } from '../../config/schema-fields.ts';
import type { BlacklistEntry, FraudDetection } from '../../fraud/fraud.ts';
import type { Logger } from '../../observe/log.ts';
import { adminUserOf } from '../auth.ts';
import { parseInput } from '../input.ts';
import { clientIp } from '../login-backoff.ts';
import { replyError } from '../reply.ts';
import { whitelistEntryJson } from './whitelist.ts';

/** A manual entry lasts at most a year; 0 means until removed by hand. */
export const MAX_BLOCK_MINUTES = 525_600;
const MINUTES_EXPECTED = `expected a whole number of minutes from 0 (until removed) to ${MAX_BLOCK_MINUTES}`;

const blockBody = mapping({
  ip: ipSchema,
  minutes: z
    .int({ error: MINUTES_EXPECTED })
    .min(0, { error: MINUTES_EXPECTED })
    .max(MAX_BLOCK_MINUTES, { error: MINUTES_EXPECTED })
    .optional(),
});

// An entry's key is an address or, for IPv6, a prefix like 2001:db8::/64.
const entryPath = z.object({ ip: cidrSchema });

export interface BlacklistEntryJson {
  readonly key: string;
  readonly reason: string;
  /** Epoch milliseconds. */
  readonly since: number;
  /** Epoch milliseconds; null = until removed by hand. */
  readonly until: number | null;
  readonly manual: boolean;
}

export function blacklistEntryJson(entry: BlacklistEntry): BlacklistEntryJson {
  const { key, reason, since, until, manual } = entry;
  return { key, reason, since, until: until ?? null, manual };
}

export interface BlacklistRoutesOptions {
  readonly fraud: FraudDetection;
  readonly log: Logger;
}

export const blacklistRoutes: FastifyPluginCallback<BlacklistRoutesOptions> = (
  app,
  options,
  done,
) => {
  const { fraud, log } = options;

  app.post('/api/fraud/blacklist', (request, reply) => {
    const body = parseInput(blockBody, request.body, 'body', '{"ip": "192.0.2.1", "minutes": 60}');
    if (!body.ok) return void replyError(reply, 400, 'bad-request', body.message);
    const { ip, minutes } = body.value;
    const entry = fraud.block(ip, minutes === undefined ? {} : { minutes });
    log.info(
      { user: adminUserOf(request), remoteIp: clientIp(request.ip), key: entry.key, minutes },
      'blacklist entry added by hand',
    );
    reply.code(201).send(blacklistEntryJson(entry));
  });

  app.delete('/api/fraud/blacklist/:ip', (request, reply) => {
    const path = parseInput(entryPath, request.params, 'path', '/api/fraud/blacklist/192.0.2.1');
    if (!path.ok) return void replyError(reply, 400, 'bad-request', path.message);
    const { ip } = path.value;
    if (!fraud.unblock(ip))
      return void replyError(reply, 404, 'not-found', `${ip} is not blacklisted`);
    log.info(
      { user: adminUserOf(request), remoteIp: clientIp(request.ip), key: ip },
      'blacklist entry removed by hand',
    );
    reply.code(204).send();
  });

  app.post('/api/fraud/blacklist/:ip/promote', (request, reply) => {
    const path = parseInput(entryPath, request.params, 'path', '/api/fraud/blacklist/192.0.2.1');
    if (!path.ok) return void replyError(reply, 400, 'bad-request', path.message);
    const entry = fraud.promote(path.value.ip);
    log.info(
      { user: adminUserOf(request), remoteIp: clientIp(request.ip), cidr: entry.cidr },
      'blacklist entry moved to the whitelist',
    );
    reply.send(whitelistEntryJson(entry));
  });

  done();
};
