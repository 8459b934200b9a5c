/**
 * One upstream endpoint in the pool: where it is, until when it may be handed out, and the
 * counters the rotation strategies and the health layer read. A class so V8 keeps one shape for
 * every endpoint on the selection path.
 */
import type { ParsedEndpoint } from '../provider/types.js';
import type { EndpointStore } from './endpoint-store.js';

/** `unknown` until first used; `healthy` after a success; `ejected` while it must not be handed out. */
export type EndpointHealth = 'unknown' | 'healthy' | 'ejected';

/** Bits of an endpoint's state flags (EndpointStore.flags, Endpoint's own when detached). */
export const RETIRED = 1;
export const HEALTHY = 2;
export const EJECTED = 4;

export function healthOf(flags: number): EndpointHealth {
  return (flags & EJECTED) !== 0 ? 'ejected' : (flags & HEALTHY) !== 0 ? 'healthy' : 'unknown';
}

export function healthFlags(flags: number, health: EndpointHealth): number {
  const rest = flags & ~(HEALTHY | EJECTED);
  return health === 'ejected' ? rest | EJECTED : health === 'healthy' ? rest | HEALTHY : rest;
}

export class Endpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** The sub-pool this endpoint belongs to. */
  readonly poolKey: string;
  readonly extractedAt: number;
  lastUsedAt = 0;
  /** Last active health probe, successful or not. */
  lastProbedAt = 0;
  consecutiveFailures = 0;
  /** How many times it was ejected; grows the ejection back-off. */
  ejections = 0;
  ejectedUntil = 0;
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
   * The sub-pool's column store holding this endpoint and its slot there (pool/endpoint-store.ts),
   * or undefined once it left the pool (or for one built on its own). While attached, expiry, use
   * count, health and the retired flag live in the store's columns, which selection reads without
   * touching objects; the fields below hold them otherwise. Bookkeeping of the pool.
   */
  store: EndpointStore | undefined = undefined;
  slot = -1;
  private ownExpiresAt: number;
  private ownUses = 0;
  private ownFlags = 0;
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
    this.ownExpiresAt = expiresAt;
  }

  /** `host:port` (`[v6]:port`); what logs and metrics show. Never carries credentials. */
  get id(): string {
    return (this.idText ??= endpointId(this.host, this.port));
  }

  /** ms since epoch; never handed out at or after this instant. */
  get expiresAt(): number {
    const s = this.store;
    return s === undefined ? this.ownExpiresAt : s.expiresAt[this.slot]!;
  }

  set expiresAt(value: number) {
    const s = this.store;
    if (s === undefined) this.ownExpiresAt = value;
    else s.expiresAt[this.slot] = value;
  }

  /** Times handed out; read by the least-used strategy. */
  get uses(): number {
    const s = this.store;
    return s === undefined ? this.ownUses : s.uses[this.slot]!;
  }

  set uses(value: number) {
    const s = this.store;
    if (s === undefined) this.ownUses = value;
    else s.uses[this.slot] = value;
  }

  get health(): EndpointHealth {
    return healthOf(this.flags);
  }

  set health(value: EndpointHealth) {
    this.flags = healthFlags(this.flags, value);
  }

  /** Set when the pool drops it; a retired endpoint is never handed out again. */
  get retired(): boolean {
    return (this.flags & RETIRED) !== 0;
  }

  set retired(value: boolean) {
    this.flags = value ? this.flags | RETIRED : this.flags & ~RETIRED;
  }

  private get flags(): number {
    const s = this.store;
    return s === undefined ? this.ownFlags : s.flags[this.slot]!;
  }

  private set flags(value: number) {
    const s = this.store;
    if (s === undefined) this.ownFlags = value;
    else s.flags[this.slot] = value;
  }

  /** The store built this object for `slot` (EndpointStore.endpoint). */
  attach(store: EndpointStore, slot: number): void {
    this.store = store;
    this.slot = slot;
  }

  /** The slot is leaving the store: keep its values as own fields from now on. */
  detach(): void {
    const s = this.store;
    if (s === undefined) return;
    this.ownExpiresAt = s.expiresAt[this.slot]!;
    this.ownUses = s.uses[this.slot]!;
    this.ownFlags = s.flags[this.slot]!;
    this.store = undefined;
    this.slot = -1;
  }
}

export function endpointId(host: string, port: number): string {
  return host.indexOf(':') === -1 ? `${host}:${port}` : `[${host}]:${port}`;
}

/** The state the status page and metrics show. */
export type EndpointState = 'usable' | 'ejected' | 'expired';

/** What the state predicates read: an Endpoint, or a view of a slot (pool/endpoint-view.ts). */
export type EndpointStateFields = Pick<Endpoint, 'retired' | 'expiresAt' | 'health'>;

export function endpointState(endpoint: EndpointStateFields, now: number): EndpointState {
  if (endpoint.retired || now >= endpoint.expiresAt) return 'expired';
  return endpoint.health === 'ejected' ? 'ejected' : 'usable';
}

export function isExpired(endpoint: Pick<Endpoint, 'expiresAt'>, now: number): boolean {
  return now >= endpoint.expiresAt;
}

/** May this endpoint be handed out right now? The one predicate every strategy uses. */
export function isUsable(endpoint: EndpointStateFields, now: number): boolean {
  return !endpoint.retired && now < endpoint.expiresAt && endpoint.health !== 'ejected';
}

/** Basic credentials for the upstream, or undefined when the endpoint has none. */
export function upstreamAuthorization(endpoint: Endpoint): string | undefined {
  if (endpoint.username === undefined) return undefined;
  return `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password ?? ''}`).toString('base64')}`;
}
