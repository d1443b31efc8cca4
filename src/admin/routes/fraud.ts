// GET /api/fraud: both lists at once; and the 404 every /api/fraud route gives when fraud is not configured.

import type { FastifyPluginCallback } from 'fastify';
import type { FraudDetection, FraudSnapshot } from '../../fraud/fraud.ts';
import { replyError } from '../reply.ts';
import { type BlacklistEntryJson, blacklistEntryJson } from './blacklist.ts';
import { type WhitelistEntryJson, whitelistEntryJson } from './whitelist.ts';

export interface FraudSnapshotJson {
  readonly blacklist: readonly BlacklistEntryJson[];
  readonly whitelist: readonly WhitelistEntryJson[];
}

export function fraudSnapshotJson(snapshot: FraudSnapshot): FraudSnapshotJson {
  return {
    blacklist: snapshot.blacklist.map(blacklistEntryJson),
    whitelist: snapshot.whitelist.map(whitelistEntryJson),
  };
}

export interface FraudRoutesOptions {
  readonly fraud: FraudDetection;
}

export const fraudRoutes: FastifyPluginCallback<FraudRoutesOptions> = (app, options, done) => {
  app.get('/api/fraud', (_request, reply) => {
    reply.send(fraudSnapshotJson(options.fraud.snapshot()));
  });
  done();
};

/** Registered instead of the fraud routes when the config has no `fraud:` section. */
export const fraudNotConfiguredRoutes: FastifyPluginCallback = (app, _options, done) => {
  const handler = (_request: unknown, reply: Parameters<typeof replyError>[0]): void => {
    replyError(
      reply,
      404,
      'fraud-not-configured',
      'fraud detection is not configured (the config has no fraud: section)',
    );
  };
  app.all('/api/fraud', handler);
  app.all('/api/fraud/*', handler);
  done();
};
