// GET /metrics: every pbxgate metric in the Prometheus text format.

import type { FastifyPluginCallback } from 'fastify';

/** A prom-client Registry, or the primary's view over its workers' registries (--workers). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface MetricsRoutesOptions {
  readonly registry: MetricsSource;
}

export const metricsRoutes: FastifyPluginCallback<MetricsRoutesOptions> = (app, options, done) => {
  const { registry } = options;
  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
  done();
};
