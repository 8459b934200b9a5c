/** Pools for unit tests: an EndpointPool on a ManualClock, and the parsed endpoints to fill it with. */
import { ManualClock } from '../../src/clock.js';
import type { Endpoint } from '../../src/pool/endpoint.js';
import { EndpointPool, type EndpointPoolOptions } from '../../src/pool/pool.js';
import type { ParsedEndpoint } from '../../src/provider/types.js';

/** Endpoint n of the documentation range (RFC 5737): `203.0.113.n:(8000+n)`. */
export function parsed(n: number, extra: Partial<ParsedEndpoint> = {}): ParsedEndpoint {
  return { host: `203.0.113.${n}`, port: 8000 + n, ...extra };
}

/** A round-robin pool without a default geo; sessions and idle drops long enough to stay out of the way. */
export function makePool(options: Partial<Omit<EndpointPoolOptions, 'clock'>> = {}): { pool: EndpointPool; clock: ManualClock } {
  const clock = new ManualClock();
  const pool = new EndpointPool({
    defaultGeo: {},
    rotate: 'round-robin',
    sessionTtlMs: 600_000,
    sessionMax: 100,
    acquireTimeoutMs: 1_000,
    idleDropMs: 600_000,
    clock,
    ...options,
  });
  return { pool, clock };
}

export interface StockedPool {
  pool: EndpointPool;
  clock: ManualClock;
  /** The default sub-pool's endpoints, `parsed(1)` … `parsed(size)`. */
  endpoints: Endpoint[];
}

/** makePool() with `size` endpoints in the default sub-pool, each living `lifeMs` from now. */
export function stockedPool(size: number, lifeMs: number): StockedPool {
  const { pool, clock } = makePool();
  pool.defaultPool.ingest(
    Array.from({ length: size }, (_, i) => parsed(i + 1)),
    clock.now(),
    lifeMs,
  );
  return { pool, clock, endpoints: pool.defaultPool.endpoints };
}
