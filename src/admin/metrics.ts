/**
 * Prometheus metrics, registered once here on a registry of our own (not prom-client's global one,
 * so two apps in one process never collide). Counters that mirror the stats snapshot are filled
 * at scrape time from `stats()`; per-request ones are observed from the listeners' outcome hook and
 * the refresher's extraction events. Labels come only from bounded sets: listener, kind, outcome
 * code, state, and the capped sub-pool key (pool-label.ts). Never a session id, target or address.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ExtractionEvent } from '../refresh/refresher.js';
import type { ProxyOutcome } from '../server/outcome.js';
import type { SwivelStats } from '../stats.js';
import type { UpstreamSocketsStats } from '../upstream/h1-sockets.js';
import { PoolLabels } from './pool-label.js';

export interface MetricsOptions {
  stats: () => SwivelStats;
  defaultPoolKey: string;
  poolLabelCap: number;
  version: string;
  /** The plain-HTTP keep-alive pool's counts (upstream/h1-sockets.ts); no metrics for it when absent. */
  upstreamConnections?: () => UpstreamSocketsStats;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LIFE_BUCKETS = [10, 30, 60, 120, 300, 600, 1800, 3600];

export class SwivelMetrics {
  readonly registry = new Registry();
  readonly labels: PoolLabels;
  private readonly requests: Counter<'listener' | 'kind' | 'code' | 'pool'>;
  private readonly duration: Histogram<'listener' | 'kind'>;
  private readonly setup: Histogram<'listener' | 'kind'>;
  private readonly connect: Histogram<'outcome'>;
  private readonly failovers: Counter<'listener'>;
  private readonly bytes: Counter<'listener' | 'direction'>;
  private readonly extractionDuration: Histogram<'outcome'>;
  private snapshot: SwivelStats | undefined;
  /** Scrapes so far: what per-scrape caches key on. */
  private scrapes = 0;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.labels = new PoolLabels(options.poolLabelCap, options.defaultPoolKey);
    const labels = this.labels;
    // One snapshot per scrape, shared by every collect() below; text() clears it first.
    const stats = (): SwivelStats => (this.snapshot ??= options.stats());
    collectDefaultMetrics({ register: this.registry });

    new Gauge({
      name: 'swivel_build_info',
      help: 'Always 1; labels carry the version of swivel and Node',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: options.version, node: process.version }, 1);

    this.requests = new Counter({
      name: 'swivel_requests_total',
      help: 'Requests (kind=request) and tunnels (kind=tunnel) by listener, outcome code and sub-pool',
      labelNames: ['listener', 'kind', 'code', 'pool'],
      registers,
    });
    this.duration = new Histogram({
      name: 'swivel_request_duration_seconds',
      help: 'Whole request or tunnel lifetime',
      labelNames: ['listener', 'kind'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.setup = new Histogram({
      name: 'swivel_setup_duration_seconds',
      help: 'Until the client got its response head or its tunnel',
      labelNames: ['listener', 'kind'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.connect = new Histogram({
      name: 'swivel_upstream_connect_duration_seconds',
      help: 'One attempt through one endpoint, until it answered or failed',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.failovers = new Counter({
      name: 'swivel_failovers_total',
      help: 'Attempts retried on another endpoint (attempts beyond the first)',
      labelNames: ['listener'],
      registers,
    });
    this.bytes = new Counter({
      name: 'swivel_relayed_bytes_total',
      help: 'Bytes relayed, by direction (in: client to upstream, out: upstream to client)',
      labelNames: ['listener', 'direction'],
      registers,
    });
    this.extractionDuration = new Histogram({
      name: 'swivel_extraction_duration_seconds',
      help: 'Extraction API call duration by outcome',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });

    const mirror = (name: string, help: string, read: (s: SwivelStats) => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read(stats()));
        },
      });
    };
    new Counter({
      name: 'swivel_extraction_calls_total',
      help: 'Extraction API calls by outcome (ok or error code)',
      labelNames: ['outcome'],
      registers,
      collect() {
        const s = stats();
        this.reset();
        this.inc({ outcome: 'ok' }, s.extraction.ok);
        for (const [code, n] of Object.entries(s.extraction.failed)) this.inc({ outcome: code }, n);
      },
    });
    new Counter({
      name: 'swivel_extraction_shared_total',
      help: 'Extractions served by a batch another replica extracted (--redis-url); no API call was made',
      registers,
      collect() {
        this.reset();
        this.inc(stats().extraction.shared);
      },
    });
    new Counter({
      name: 'swivel_connections_dropped_total',
      help: 'Client connections closed at accept because the listener was at --max-connections',
      labelNames: ['listener'],
      registers,
      collect() {
        const s = stats();
        this.reset();
        for (const [listener, n] of Object.entries(s.connections.dropped)) this.inc({ listener }, n);
      },
    });
    mirror(
      'swivel_overloaded_total',
      'Local resource shortages (EMFILE, ENFILE, ENOBUFS, ENOMEM) met on accept or dial; never blamed on an endpoint',
      (s) => s.connections.overloaded,
    );
    mirror('swivel_endpoints_extracted_total', 'New endpoints received from extractions', (s) => s.extraction.extracted);
    mirror('swivel_endpoints_renewed_total', 'Endpoints the provider handed out again', (s) => s.extraction.renewed);
    mirror('swivel_endpoints_expired_total', 'Endpoints retired at expiry or with their sub-pool', (s) => s.extraction.expired);
    mirror(
      'swivel_endpoints_wasted_total',
      'Endpoints that expired without carrying any request or tunnel (paid for, never used)',
      (s) => s.extraction.wasted,
    );
    mirror(
      'swivel_endpoints_used_total',
      'Endpoints that carried traffic: handed out at least once, counted at their first use',
      (s) => s.extraction.used,
    );
    new Gauge({
      name: 'swivel_endpoint_utilization_ratio',
      help: 'used / (used + wasted): share of the endpoints whose fate is known (used, or expired unused) that carried traffic; NaN until one is known',
      registers,
      collect() {
        this.set(stats().extraction.utilization ?? NaN);
      },
    });
    new Gauge({
      name: 'swivel_pool_target_endpoints',
      help: 'Usable endpoints the refresher keeps each sub-pool at: measured demand within --pool-min and --num',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const p of stats().pools) this.inc({ pool: labels.label(p.key) }, p.target);
      },
    });
    mirror('swivel_endpoint_ejections_total', 'Endpoints ejected by passive health or a failed probe', (s) => s.health.ejected);
    mirror('swivel_endpoint_readmissions_total', 'Ejected endpoints put back into rotation', (s) => s.health.readmitted);
    mirror('swivel_sessions_created_total', 'Sticky sessions bound for the first time', (s) => s.sessions.created);
    mirror('swivel_sessions_rebound_total', 'Sticky sessions moved to another endpoint', (s) => s.sessions.rebound);
    new Counter({
      name: 'swivel_probes_total',
      help: 'Active health probes by outcome',
      labelNames: ['outcome'],
      registers,
      collect() {
        const s = stats();
        this.reset();
        this.inc({ outcome: 'ok' }, s.health.probesOk);
        this.inc({ outcome: 'failed' }, s.health.probesFailed);
      },
    });
    new Gauge({
      name: 'swivel_sessions_open',
      help: 'Sticky sessions remembered now',
      registers,
      collect() {
        this.set(stats().sessions.open);
      },
    });
    new Gauge({
      name: 'swivel_endpoints',
      help: 'Endpoints by sub-pool and state (usable, ejected, expired)',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        this.reset();
        for (const p of stats().pools) {
          const pool = labels.label(p.key);
          this.inc({ pool, state: 'usable' }, p.usable);
          this.inc({ pool, state: 'ejected' }, p.ejected);
          this.inc({ pool, state: 'expired' }, p.expired);
        }
      },
    });
    new Histogram({
      name: 'swivel_endpoint_remaining_life_seconds',
      help: 'Remaining life of usable endpoints, by sub-pool (observed at scrape)',
      labelNames: ['pool'],
      buckets: LIFE_BUCKETS,
      registers,
      collect() {
        this.reset();
        for (const p of stats().pools) {
          const pool = labels.label(p.key);
          for (const e of p.endpoints) if (e.state === 'usable') this.observe({ pool }, e.remainingMs / 1000);
        }
      },
    });
    new Gauge({
      name: 'swivel_provider_backoff',
      help: '1 while extraction for the sub-pool is failing and backing off, else 0',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        // Folded pools: `other` is 1 when any of them is failing.
        for (const p of stats().pools) if (p.provider.failing) this.set({ pool: labels.label(p.key) }, 1);
        for (const p of stats().pools) if (!p.provider.failing) this.inc({ pool: labels.label(p.key) }, 0);
      },
    });
    if (options.upstreamConnections !== undefined) this.registerUpstreamConnections(options.upstreamConnections, registers);
  }

  /**
   * The plain-HTTP keep-alive pool: connections open by state, opened and reused. No labels but
   * the state: a per-endpoint label would be an address, and their number unbounded.
   */
  private registerUpstreamConnections(read: () => UpstreamSocketsStats, registers: Registry[]): void {
    // One read per scrape: the three collect() calls below run in the same registry.metrics().
    let cached: UpstreamSocketsStats | undefined;
    let cachedAt = -1;
    const current = (): UpstreamSocketsStats => {
      if (cached === undefined || cachedAt !== this.scrapes) {
        cached = read();
        cachedAt = this.scrapes;
      }
      return cached;
    };
    new Gauge({
      name: 'swivel_upstream_connections',
      help: 'Kept-alive connections to upstream proxies for plain HTTP, by state (busy: carrying a request; idle: waiting for one)',
      labelNames: ['state'],
      registers,
      collect() {
        const c = current();
        this.set({ state: 'busy' }, c.open - c.idle);
        this.set({ state: 'idle' }, c.idle);
      },
    });
    new Counter({
      name: 'swivel_upstream_connections_opened_total',
      help: 'Connections opened to upstream proxies for plain HTTP',
      registers,
      collect() {
        this.reset();
        this.inc(current().opened);
      },
    });
    new Counter({
      name: 'swivel_upstream_connection_reuses_total',
      help: 'Plain HTTP requests sent on an idle kept-alive upstream connection instead of a new one',
      registers,
      collect() {
        this.reset();
        this.inc(current().reused);
      },
    });
  }

  /** Listener outcome hook: one counter bump per label set, three histogram observations. */
  observe(o: ProxyOutcome): void {
    this.requests.inc({ listener: o.listener, kind: o.kind, code: o.code, pool: this.labels.label(o.pool) });
    this.duration.observe({ listener: o.listener, kind: o.kind }, o.durationMs / 1000);
    this.setup.observe({ listener: o.listener, kind: o.kind }, o.setupMs / 1000);
    if (o.attempts > 1) this.failovers.inc({ listener: o.listener }, o.attempts - 1);
    if (o.bytesIn > 0) this.bytes.inc({ listener: o.listener, direction: 'in' }, o.bytesIn);
    if (o.bytesOut > 0) this.bytes.inc({ listener: o.listener, direction: 'out' }, o.bytesOut);
  }

  observeAttempt(durationMs: number, ok: boolean): void {
    this.connect.observe({ outcome: ok ? 'ok' : 'failed' }, durationMs / 1000);
  }

  observeExtraction(e: ExtractionEvent): void {
    this.extractionDuration.observe({ outcome: e.outcome }, e.durationMs / 1000);
  }

  async text(): Promise<string> {
    this.snapshot = undefined;
    this.scrapes++;
    return this.registry.metrics();
  }
}
