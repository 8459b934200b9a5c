/**
 * Every Redis key and channel the shared tier uses, in one place. All live under one namespace:
 * `--redis-prefix` plus a short hash of the endpoint source's (secret-free) name, so two fleets on
 * one Redis, or one fleet pointed at two providers, never read each other's endpoints.
 */
import { createHash } from 'node:crypto';

export interface ClusterKeys {
  /** Sorted set of published batches for a sub-pool, scored by expiry (ms since epoch). */
  pool(poolKey: string): string;
  /** The short lock a replica holds while it extracts for a sub-pool. */
  lock(poolKey: string): string;
  /** Session key → endpoint id, with the session's idle TTL. */
  session(sessionKey: string): string;
  /** Extraction calls made in one budget window (minute number since epoch). */
  rate(window: number): string;
  /** The one pub/sub channel: batches, failed extractions, ejections. */
  readonly bus: string;
}

export function clusterKeys(prefix: string, sourceName: string): ClusterKeys {
  const ns = `${prefix}:${createHash('sha256').update(sourceName).digest('hex').slice(0, 8)}`;
  return {
    pool: (poolKey) => `${ns}:pool:${poolKey}`,
    lock: (poolKey) => `${ns}:lock:${poolKey}`,
    session: (sessionKey) => `${ns}:session:${sessionKey}`,
    rate: (window) => `${ns}:rate:${window}`,
    bus: `${ns}:bus`,
  };
}
