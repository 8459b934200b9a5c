/**
 * Where sticky sessions live: session key → endpoint, with an idle TTL. The pool talks only to
 * this interface, so a shared store (Redis, for replicas) is a second implementation, not a
 * rewrite of selection.
 *
 * The synchronous methods are the local tier, on the per-request hot path. A shared store adds
 * `lookup`, consulted asynchronously only when the local tier misses: the pool then waits for it
 * before binding a new endpoint, so a session that began on another replica keeps its IP.
 */
import type { Endpoint } from '../endpoint.js';

export interface SessionStore {
  /** The endpoint bound to `key`, restarting its idle TTL; undefined when none or idled out. */
  get(key: string): Endpoint | undefined;
  /** Bind `key` to `endpoint`; `ttlMs` overrides the store's idle TTL for this session. */
  bind(key: string, endpoint: Endpoint, ttlMs?: number): void;
  /** Restart the idle TTL without reading (a long tunnel keeps its session alive). */
  touch(key: string): void;
  forget(key: string): void;
  /** Forget every session whose key starts with `prefix` (a dropped sub-pool). */
  forgetPrefix(prefix: string): void;
  /** Whether any live session points into the sub-pool `poolKey`. */
  hasSessionsIn(poolKey: string): boolean;
  /** Live sessions in the local tier. */
  readonly size: number;
  /** Live sessions per sub-pool key, in the local tier (status page, metrics). */
  countByPool(): Map<string, number>;
  /**
   * Shared tier, optional: the id of the endpoint `key` is bound to elsewhere, or undefined.
   * Never rejects: a store that cannot answer resolves undefined and the pool binds locally.
   */
  lookup?(key: string): Promise<string | undefined>;
  /** Optional: every live session of the local tier, for a state file to save. */
  snapshot?(): SessionEntry[];
  /** Optional: re-bind a saved session with its idle TTL running from `touchedAt`. */
  restore?(entry: SessionEntry): void;
}

/** One live session as saved and restored: its key, endpoint, idle TTL and when it was last used. */
export interface SessionEntry {
  key: string;
  endpoint: Endpoint;
  ttlMs: number;
  /** Clock ms of the last use; the session idles out at touchedAt + ttlMs. */
  touchedAt: number;
}

/** The session key: sub-pool key and client's id, so `session-a` in two countries are two sessions. */
export function sessionKey(poolKey: string, sessionId: string): string {
  return `${poolKey}#${sessionId}`;
}
