// GET /metrics: every pbxgate metric in the Prometheus text format.

import type { FastifyPluginCallback } from 'fastify';
import type { Registry } from 'prom-client';

export interface MetricsRoutesOptions {
  readonly registry: Registry;
}

export const metricsRoutes: FastifyPluginCallback<MetricsRoutesOptions> = (app, options, done) => {
  const { registry } = options;
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
  done();
};
