/**
 * One upstream endpoint in the pool: where it is, until when it may be handed out, and the
 * counters the rotation strategies and the health layer read. A class so V8 keeps one shape for
 * every endpoint on the selection path.
 */
import type { ParsedEndpoint } from '../provider/types.js';

/** `unknown` until first used; `healthy` after a success; `ejected` while it must not be handed out. */
export type EndpointHealth = 'unknown' | 'healthy' | 'ejected';

export class Endpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** The sub-pool this endpoint belongs to. */
  readonly poolKey: string;
  readonly extractedAt: number;
  /** ms since epoch; never handed out at or after this instant. */
  expiresAt: number;
  /** Times handed out; read by the least-used strategy. */
  uses = 0;
  lastUsedAt = 0;
  /** Last active health probe, successful or not. */
  lastProbedAt = 0;
  health: EndpointHealth = 'unknown';
  consecutiveFailures = 0;
  /** How many times it was ejected; grows the ejection back-off. */
  ejections = 0;
  ejectedUntil = 0;
  /** Set when the pool drops it; a retired endpoint is never handed out again. */
  retired = false;
  /**
   * The checked IP address to dial when `host` is a name (upstream/resolve.ts): resolved once and
   * filtered, so what passed the filter is what is dialled (no second lookup, no rebinding).
   */
  address: string | undefined = undefined;
  /** Attempts running through it right now. */
  inFlight = 0;
  /** Attempts that succeeded / failed in a way that blames it (status page). */
  successes = 0;
  failures = 0;
  lastErrorCode: string | undefined = undefined;
  /** Exponentially weighted attempt latency; 0 until the first success. */
  latencyEwmaMs = 0;
  /**
   * Where the sub-pool's selection structures hold it (sub-pool.ts, live-set.ts, strategies/): its
   * index in the rotation list and in the least-used heap, -1 when out of them, and the heap's
   * tie-break (when it was last handed out or added). Bookkeeping of the pool, not state to read.
   */
  liveSlot = -1;
  heapSlot = -1;
  useSeq = 0;
  /** Built on first read: an ingest of 100 000 endpoints should not build 100 000 strings nobody reads. */
  private idText: string | undefined;

  /** `id` may be passed when the caller already built it. */
  constructor(parsed: ParsedEndpoint, poolKey: string, extractedAt: number, expiresAt: number, id?: string) {
    this.host = parsed.host;
    this.port = parsed.port;
    this.username = parsed.username;
    this.password = parsed.password;
    this.idText = id;
    this.poolKey = poolKey;
    this.extractedAt = extractedAt;
    this.expiresAt = expiresAt;
  }

  /** `host:port` (`[v6]:port`); what logs and metrics show. Never carries credentials. */
  get id(): string {
    return (this.idText ??= endpointId(this.host, this.port));
  }
}

export function endpointId(host: string, port: number): string {
  return host.indexOf(':') === -1 ? `${host}:${port}` : `[${host}]:${port}`;
}

/** The state the status page and metrics show. */
export type EndpointState = 'usable' | 'ejected' | 'expired';

export function endpointState(endpoint: Endpoint, now: number): EndpointState {
  if (endpoint.retired || now >= endpoint.expiresAt) return 'expired';
  return endpoint.health === 'ejected' ? 'ejected' : 'usable';
}

export function isExpired(endpoint: Endpoint, now: number): boolean {
  return now >= endpoint.expiresAt;
}

/** May this endpoint be handed out right now? The one predicate every strategy uses. */
export function isUsable(endpoint: Endpoint, now: number): boolean {
  return !endpoint.retired && now < endpoint.expiresAt && endpoint.health !== 'ejected';
}

/** Basic credentials for the upstream, or undefined when the endpoint has none. */
export function upstreamAuthorization(endpoint: Endpoint): string | undefined {
  if (endpoint.username === undefined) return undefined;
  return `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password ?? ''}`).toString('base64')}`;
}
