// GET /api/status: what the gateway reports about itself (the composition root decides the fields).

import type { FastifyPluginCallback } from 'fastify';

export interface StatusRoutesOptions {
  readonly status: () => object;
}

export const statusRoutes: FastifyPluginCallback<StatusRoutesOptions> = (app, options, done) => {
  app.get('/api/status', (_request, reply) => {
    reply.send(options.status());
  });
  done();
};
