// A metric already registered under its name (a part created twice in one process, as in tests and
// on a restart of the part) is taken again instead of registered twice, which prom-client refuses.

import type { Registry } from 'prom-client';

export function reuse<Metric, Options extends { readonly name: string }>(
  registry: Registry,
  Kind: new (options: Options) => Metric,
  options: Options,
): Metric {
  const existing = registry.getSingleMetric(options.name);
  return existing instanceof Kind ? existing : new Kind(options);
}
