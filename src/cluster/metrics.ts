// /metrics of `start --workers N`: the primary's own metrics (fraud, STUN, admin) and every worker's
// (the proxy) summed per series, as prom-client's cluster aggregation does.

import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';
import type { MetricsSource } from '../admin/routes/metrics.ts';
import type { WorkerPool } from './pool.ts';

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

function isMetricList(value: unknown): value is MetricJson[] {
  return (
    Array.isArray(value) &&
    value.every((m) => typeof m === 'object' && m !== null && 'name' in m && 'values' in m)
  );
}

export function clusterMetrics(own: Registry, pool: Pick<WorkerPool, 'metrics'>): MetricsSource {
  return {
    contentType: own.contentType,
    async metrics() {
      const [mine, theirs] = await Promise.all([own.getMetricsAsJSON(), pool.metrics()]);
      const all = [mine, ...theirs.filter(isMetricList)];
      return AggregatorRegistry.aggregate(all).metrics();
    },
  };
}
