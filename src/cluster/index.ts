/**
 * The shared tier for the composition root: a Cluster when `--redis-url` is set, and the
 * extraction source the refresher calls in every case (`--api-rate` alone caps one process).
 */
import type { Clock } from '../clock.js';
import type { SwivelConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { EndpointPool } from '../pool/pool.js';
import type { EndpointSource, ParsedEndpoint } from '../provider/types.js';
import { LocalBudget } from './budget.js';
import { BudgetedSource } from './budgeted-source.js';
import { Cluster } from './cluster.js';

export { Cluster, type ClusterStatus } from './cluster.js';

export function createCluster(
  config: SwivelConfig,
  deps: { sourceName: string; clock: Clock; logger: Logger; lifetimeMs: number },
): Cluster | undefined {
  const { redisUrl } = config.cluster;
  if (redisUrl === undefined) return undefined;
  return new Cluster({
    config: { ...config.cluster, redisUrl },
    sourceName: deps.sourceName,
    clock: deps.clock,
    logger: deps.logger,
    sessionTtlMs: config.pool.sessionTtlMs,
    sessionMax: config.pool.sessionMax,
    lifetimeMs: deps.lifetimeMs,
    apiTimeoutMs: config.source.apiTimeoutMs,
    apiRatePerMin: config.source.apiRatePerMin,
  });
}

/** The source the refresher calls: shared through the cluster, budgeted locally, or as is. */
export function refreshSource(
  config: SwivelConfig,
  cluster: Cluster | undefined,
  parts: { pool: EndpointPool; source: EndpointSource; clock: Clock; reject?: (e: ParsedEndpoint) => string | undefined },
): EndpointSource {
  if (cluster !== undefined) return cluster.attach(parts.pool, parts.source, parts.reject);
  const rate = config.source.apiRatePerMin;
  return rate > 0 ? new BudgetedSource(parts.source, new LocalBudget(rate, parts.clock)) : parts.source;
}
