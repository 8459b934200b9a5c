/**
 * The stats snapshot (undici's PoolStats is the model): one plain, JSON-safe object built on
 * demand from the pool's counters, the refresher's and the prober's. The admin layer (JSON,
 * page, metrics, `swivel status`) reads only this; nobody reaches into another module's fields.
 * Never carries credentials: endpoints appear by id (host:port) only.
 */
import type { Prober } from './health/prober.js';
import { endpointState, type EndpointState } from './pool/endpoint.js';
import { describeGeo } from './pool/geo-key.js';
import type { EndpointPool } from './pool/pool.js';
import type { Refresher, RefreshStatus } from './refresh/refresher.js';

export interface EndpointStats {
  id: string;
  state: EndpointState;
  ageMs: number;
  remainingMs: number;
  inFlight: number;
  uses: number;
  successes: number;
  failures: number;
  lastError: string | undefined;
  latencyEwmaMs: number;
}

export interface SubPoolStats {
  key: string;
  geo: string;
  isDefault: boolean;
  sessions: number;
  /** Picks (rotations, new sessions) expected per endpoint lifetime; null while nothing is measured yet. */
  picksPerLifetime: number | null;
  /** Usable endpoints the refresher keeps this sub-pool at (refresh/demand.ts). */
  target: number;
  usable: number;
  ejected: number;
  expired: number;
  provider: RefreshStatus;
  endpoints: EndpointStats[];
}

export interface SwivelStats {
  /** ms since epoch, from the injected clock. */
  now: number;
  startedAt: number;
  draining: boolean;
  source: string;
  pools: SubPoolStats[];
  sessions: { open: number; created: number; rebound: number };
  extraction: {
    calls: number;
    ok: number;
    /** Served by a batch another replica extracted: not counted in `calls`. */
    shared: number;
    failed: Record<string, number>;
    extracted: number;
    renewed: number;
    expired: number;
    wasted: number;
    /** Endpoints that carried traffic (handed out at least once), counted at first use. */
    used: number;
    /**
     * used / (used + wasted): of the endpoints whose fate is known — used, or expired unused — the
     * share that carried traffic. Endpoints still alive and not yet used are left out (not yet
     * decided). Null until one is known.
     */
    utilization: number | null;
  };
  health: { ejected: number; readmitted: number; probes: number; probesOk: number; probesFailed: number };
  /** Client connections closed at accept past --max-connections, per listener; local fd/buffer shortages seen. */
  connections: { dropped: Record<string, number>; overloaded: number };
}

export interface StatsParts {
  pool: EndpointPool;
  refresher: Refresher;
  prober: Prober;
  source: string;
  startedAt: number;
  draining: boolean;
  /** Per listener kind: connections dropped past --max-connections. */
  dropped?: Record<string, number>;
  /** Local resource shortages (EMFILE/ENFILE/...) met on accept or dial. */
  overloaded?: number;
}

export function collectStats({ pool, refresher, prober, source, startedAt, draining, dropped, overloaded }: StatsParts): SwivelStats {
  const now = pool.now;
  const perPool = pool.sessionsPerPool();
  const pools: SubPoolStats[] = [];
  for (const sub of pool.allSubPools()) {
    const endpoints: EndpointStats[] = [];
    let usable = 0;
    let ejected = 0;
    let expired = 0;
    sub.forEach((e) => {
      const state = endpointState(e, now);
      if (state === 'usable') usable++;
      else if (state === 'ejected') ejected++;
      else expired++;
      endpoints.push({
        id: e.id,
        state,
        ageMs: now - e.extractedAt,
        remainingMs: Math.max(0, e.expiresAt - now),
        inFlight: e.inFlight,
        uses: e.uses,
        successes: e.successes,
        failures: e.failures,
        lastError: e.lastErrorCode,
        latencyEwmaMs: Math.round(e.latencyEwmaMs * 10) / 10,
      });
    });
    const demand = refresher.demandStatus(sub);
    pools.push({
      key: sub.key,
      geo: describeGeo(sub.geo),
      isDefault: sub.isDefault,
      sessions: perPool.get(sub.key) ?? 0,
      picksPerLifetime: demand.picksPerLifetime === undefined ? null : Math.round(demand.picksPerLifetime * 10) / 10,
      target: demand.target,
      usable,
      ejected,
      expired,
      provider: refresher.status(sub),
      endpoints,
    });
  }
  const c = pool.counters;
  return {
    now,
    startedAt,
    draining,
    source,
    pools,
    sessions: { open: pool.sessionCount, created: c.sessionsCreated, rebound: c.sessionsRebound },
    extraction: {
      calls: refresher.calls,
      ok: refresher.callsOk,
      shared: refresher.callsShared,
      failed: Object.fromEntries(refresher.callsFailed),
      extracted: c.extracted,
      renewed: c.renewed,
      expired: c.expired,
      wasted: c.wasted,
      used: c.used,
      utilization: utilization(c.used, c.wasted),
    },
    connections: { dropped: dropped ?? {}, overloaded: overloaded ?? 0 },
    health: {
      ejected: c.ejected,
      readmitted: c.readmitted,
      probes: prober.probes,
      probesOk: prober.probesOk,
      probesFailed: prober.probesFailed,
    },
  };
}

/** used / (used + wasted), or null while no endpoint's fate is known. */
export function utilization(used: number, wasted: number): number | null {
  return used + wasted === 0 ? null : used / (used + wasted);
}
