/**
 * What replicas tell each other, as JSON on the bus channel and, for batches, as members of a
 * sub-pool's sorted set. Decoding checks every field: a message from a replica of another version
 * (or anything else that publishes there) is dropped, never half-applied.
 */
import type { ParsedEndpoint } from '../provider/types.js';

/** The endpoints one extraction brought, for everyone: they all expire together. */
export interface SharedBatch {
  /** Unique per extraction; how a replica knows it already holds a batch. */
  id: string;
  pool: string;
  /** ms since epoch; the batch is not handed out at or after it. */
  expiresAt: number;
  endpoints: ParsedEndpoint[];
}

export type BusMessage =
  | { t: 'batch'; from: string; batch: SharedBatch }
  /** The lock holder's extraction failed: waiters fail with the same code instead of calling again. */
  | { t: 'failed'; from: string; pool: string; code: string; message: string; retryAfter?: string }
  /** An endpoint ejected on `from`, out for `forMs` from when the notice arrives (no clock skew). */
  | { t: 'eject'; from: string; pool: string; id: string; forMs: number; ejections: number; reason: string };

export function encode(message: BusMessage | SharedBatch): string {
  return JSON.stringify(message);
}

export function decodeBatch(text: string): SharedBatch | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return asBatch(v);
}

export function decodeMessage(text: string): BusMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(v) || typeof v.from !== 'string') return undefined;
  if (v.t === 'batch') {
    const batch = asBatch(v.batch);
    return batch === undefined ? undefined : { t: 'batch', from: v.from, batch };
  }
  if (v.t === 'failed' && typeof v.pool === 'string' && typeof v.code === 'string' && typeof v.message === 'string') {
    const failed: BusMessage = { t: 'failed', from: v.from, pool: v.pool, code: v.code, message: v.message };
    if (typeof v.retryAfter === 'string') failed.retryAfter = v.retryAfter;
    return failed;
  }
  if (
    v.t === 'eject' &&
    typeof v.pool === 'string' &&
    typeof v.id === 'string' &&
    isCount(v.forMs) &&
    isCount(v.ejections) &&
    typeof v.reason === 'string'
  ) {
    return { t: 'eject', from: v.from, pool: v.pool, id: v.id, forMs: v.forMs, ejections: v.ejections, reason: v.reason };
  }
  return undefined;
}

function asBatch(v: unknown): SharedBatch | undefined {
  if (!isObject(v) || typeof v.id !== 'string' || typeof v.pool !== 'string' || !isCount(v.expiresAt)) return undefined;
  if (!Array.isArray(v.endpoints)) return undefined;
  const endpoints: ParsedEndpoint[] = [];
  for (const e of v.endpoints as unknown[]) {
    if (!isObject(e) || typeof e.host !== 'string' || e.host === '' || !isPort(e.port)) return undefined;
    const p: ParsedEndpoint = { host: e.host, port: e.port };
    if (typeof e.username === 'string') p.username = e.username;
    if (typeof e.password === 'string') p.password = e.password;
    endpoints.push(p);
  }
  return { id: v.id, pool: v.pool, expiresAt: v.expiresAt, endpoints };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536;
}
