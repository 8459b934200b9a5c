/**
 * The shared tier (`--redis-url`), assembled: one Redis link, the session store the pool is built
 * with, and — once the pool exists — the shared extraction source the refresher calls, the feed
 * that brings other replicas' batches in, and the ejection exchange. The composition root (app.ts)
 * only builds this, hands its pieces to the pool and refresher, and starts and stops it.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ClusterConfig } from '../config/types.js';
import { silentLogger, type Logger } from '../logger.js';
import type { EndpointPool } from '../pool/pool.js';
import type { EndpointSource, ParsedEndpoint } from '../provider/types.js';
import { SharedBudget } from './budget.js';
import { HealthSync } from './health-sync.js';
import { clusterKeys, type ClusterKeys } from './keys.js';
import { RedisLink } from './link.js';
import { PoolFeed } from './pool-feed.js';
import { SharedSessionStore } from './shared-sessions.js';
import { SharedSource } from './shared-source.js';

export interface ClusterOptions {
  config: ClusterConfig & { redisUrl: string };
  /** The endpoint source's secret-free name: part of the key namespace. */
  sourceName: string;
  clock: Clock;
  logger?: Logger;
  sessionTtlMs: number;
  sessionMax: number;
  /** How long an extracted endpoint may be handed out. */
  lifetimeMs: number;
  /** One provider call's timeout: a lock outlives it by a margin. */
  apiTimeoutMs: number;
  /** `--api-rate`; 0 = no cap. */
  apiRatePerMin: number;
}

/** What the status line and tests read. */
export interface ClusterStatus {
  redis: string;
  up: boolean;
  /** Provider calls this replica made; extractions it served from another replica's batch. */
  apiCalls: number;
  servedShared: number;
  adopted: number;
  ejectionsFromPeers: number;
  sessionLookups: number;
  sessionLookupHits: number;
}

export class Cluster {
  readonly link: RedisLink;
  readonly keys: ClusterKeys;
  readonly replicaId = randomUUID();
  readonly sessions: SharedSessionStore;
  private source: SharedSource | undefined;
  private feed: PoolFeed | undefined;
  private health: HealthSync | undefined;
  private readonly log: Logger;

  constructor(private readonly options: ClusterOptions) {
    this.log = options.logger ?? silentLogger;
    this.link = new RedisLink({ url: options.config.redisUrl, timeoutMs: options.config.redisTimeoutMs, logger: this.log });
    this.keys = clusterKeys(options.config.redisPrefix, options.sourceName);
    this.sessions = new SharedSessionStore({
      ttlMs: options.sessionTtlMs,
      max: options.sessionMax,
      clock: options.clock,
      link: this.link,
      keys: this.keys,
    });
  }

  /**
   * Join `pool` to the shared pool and health; returns the source the refresher must call in
   * place of `inner`. `reject` is the ingest filter, applied to peers' batches too.
   */
  attach(pool: EndpointPool, inner: EndpointSource, reject?: (e: ParsedEndpoint) => string | undefined): EndpointSource {
    const { clock, lifetimeMs, apiRatePerMin } = this.options;
    const common = { link: this.link, keys: this.keys, clock, replicaId: this.replicaId, logger: this.log };
    this.health = new HealthSync({ ...common, pool });
    const source = new SharedSource({
      ...common,
      inner,
      lifetimeMs,
      lockMs: this.options.apiTimeoutMs + 2_000,
      budget: apiRatePerMin > 0 ? new SharedBudget(apiRatePerMin, clock, this.link, this.keys) : undefined,
      adopt: (batch) => this.feed?.adopt(batch),
    });
    this.source = source;
    this.feed = new PoolFeed({ ...common, pool, source, health: this.health, reject });
    return source;
  }

  /** Connect (bounded; never rejects: without Redis the replica serves on its own) and subscribe. */
  async start(): Promise<void> {
    await this.link.start();
    this.health?.start();
    await this.feed?.start();
  }

  async stop(): Promise<void> {
    this.health?.stop();
    this.feed?.stop();
    await this.link.stop();
  }

  status(): ClusterStatus {
    return {
      redis: this.link.shownUrl,
      up: this.link.up,
      apiCalls: this.source?.apiCalls ?? 0,
      servedShared: this.source?.servedShared ?? 0,
      adopted: this.feed?.adopted ?? 0,
      ejectionsFromPeers: this.health?.applied ?? 0,
      sessionLookups: this.sessions.lookups,
      sessionLookupHits: this.sessions.lookupHits,
    };
  }
}
