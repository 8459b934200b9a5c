/**
 * Typed pool events and the stats snapshot the admin layer reads (undici's PoolStats is the
 * model): state changes go through EndpointPool methods that bump plain counters and, only when
 * someone listens, emit one of these. No listener, no allocation.
 */
import type { Endpoint } from './endpoint.js';

export type PoolEvent =
  | { type: 'extracted'; pool: string; added: number; renewed: number }
  | { type: 'ejected'; endpoint: Endpoint; reason: string; forMs: number }
  | { type: 'readmitted'; endpoint: Endpoint; why: string }
  /** `wasted`: it expired without ever being handed out (the provider billed for nothing). */
  | { type: 'expired'; endpoint: Endpoint; wasted: boolean }
  | { type: 'session-bound'; pool: string; rebound: boolean };

export type PoolEventType = PoolEvent['type'];

/** Monotonic counters since start; plain numbers bumped on the paths that change state. */
export interface PoolCounters {
  /** New endpoints ingested from extractions (renewals not counted). */
  extracted: number;
  renewed: number;
  expired: number;
  /** Expired (or dropped) without carrying any request or tunnel. */
  wasted: number;
  /** Endpoints handed out for the first time (each counted once: the first-use marker is `uses` going 0 → 1). */
  used: number;
  ejected: number;
  readmitted: number;
  sessionsCreated: number;
  sessionsRebound: number;
}

export function emptyCounters(): PoolCounters {
  return { extracted: 0, renewed: 0, expired: 0, wasted: 0, used: 0, ejected: 0, readmitted: 0, sessionsCreated: 0, sessionsRebound: 0 };
}

/** A minimal typed emitter: a listener array, checked for emptiness before building an event. */
export class Emitter<E extends { type: string }> {
  private listeners: Array<(event: E) => void> = [];

  get listening(): boolean {
    return this.listeners.length > 0;
  }

  on(listener: (event: E) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: E): void {
    for (const l of this.listeners) l(event);
  }
}
