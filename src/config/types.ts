/** The validated configuration every component is built from. Durations in ms, sizes in counts. */

export type RotateStrategy = 'round-robin' | 'random' | 'least-used';
export const ROTATE_STRATEGIES: readonly RotateStrategy[] = ['round-robin', 'random', 'least-used'];

export type UpstreamProtocol = 'http' | 'socks5';
export const UPSTREAM_PROTOCOLS: readonly UpstreamProtocol[] = ['http', 'socks5'];
/** How tunnels reach upstreams: libuv handles (`raw`, the default where the runtime has them) or net.Socket. */
export type TunnelEngine = 'raw' | 'net';
export const TUNNEL_ENGINES: readonly TunnelEngine[] = ['raw', 'net'];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** How each extraction is sized (refresh/demand.ts). */
export type ExtractSizing = 'demand' | 'fixed';
export const EXTRACT_SIZINGS: readonly ExtractSizing[] = ['demand', 'fixed'];

/** Endpoint networks the provider documents for `ep`. */
export const ENDPOINT_NETWORKS: readonly string[] = ['us', 'hk', 'de'];

export interface GeoDefaults {
  cc?: string;
  state?: string;
  city?: string;
  ep?: string;
}

export interface SourceConfig {
  /** Extraction API base including the brand's path prefix, e.g. `https://api.example.com/gateway`. */
  apiBase?: string;
  appKey?: string;
  /** Static source instead of the API. */
  proxiesFile?: string;
  num: number;
  /** Minutes the provider keeps an endpoint (`life`). */
  life?: number;
  format?: string;
  lb?: string;
  apiTimeoutMs: number;
  apiConcurrency: number;
  /** `demand`: from the sub-pool's measured demand, within poolMin and num; `fixed`: always num. */
  sizing: ExtractSizing;
  /** Provider answers larger than this are aborted. */
  apiMaxBodyBytes: number;
  /** Most extraction calls per minute; 0 = no cap. Fleet-wide with a Redis URL. */
  apiRatePerMin: number;
}

export interface PoolConfig {
  rotate: RotateStrategy;
  /** Cap on an endpoint's age regardless of `life`. */
  maxAgeMs?: number;
  sessionTtlMs: number;
  /** Cap on a session TTL a client asks for in its credentials. */
  sessionMaxTtlMs: number;
  sessionMax: number;
  poolMin: number;
  acquireTimeoutMs: number;
  /** A sub-pool nobody asked for in this long is dropped (the default one never is). */
  idleDropMs: number;
  strictSessions: boolean;
  /** Where endpoints, sessions and demand survive a restart (state/); off when undefined. */
  stateFile?: string;
}

export interface ListenConfig {
  host: string;
  port: number;
  /**
   * undefined = off (`--socks-port 0` on the command line). From code, 0 asks for an ephemeral
   * port, as for the HTTP listener, so tests never race for a port found free beforehand.
   */
  socksPort: number | undefined;
  /** 0 = off. */
  adminPort: number;
  /** How long a stop waits for requests and tunnels in flight. */
  drainTimeoutMs: number;
  auth?: { username: string; password: string };
  /** Client-side limits (server/limits.ts). */
  headerTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderSize: number;
  maxHeaders: number;
  /** Per listener; 0 = no cap. */
  maxConnections: number;
  /** Destination policy (server/target-policy.ts). */
  denyPrivateTargets: boolean;
  /** Empty: any port. */
  allowPorts: number[];
  /** 407 to HTTP requests without credentials; on by default with auth. */
  authChallenge: boolean;
  sessionPorts?: SessionPortsConfig;
}

/** `--session-ports 10001-10100`: each port one sticky session with this geo. */
export interface SessionPortsConfig {
  first: number;
  last: number;
  geo: GeoDefaults;
}

export interface AdminConfig {
  host: string;
  auth?: { username: string; password: string };
  /** Usable endpoints in the default sub-pool for /readyz to say ready. */
  readyMin: number;
  /** Sub-pool keys allowed as metric labels before the rest become `other`. */
  poolLabelCap: number;
  accessLog: boolean;
}

export interface UpstreamConfig {
  protocol: UpstreamProtocol;
  tunnelEngine: TunnelEngine;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /** Hedge point: another endpoint is tried alongside an attempt silent this long. */
  attemptTimeoutMs: number;
  idleTimeoutMs: number;
  socksTimeoutMs: number;
  retries: number;
  allowPrivateEndpoints: boolean;
}

export interface HealthConfig {
  maxFailures: number;
  probeIdleMs: number;
  probeUrl?: string;
  probeConcurrency: number;
}

/** `--redis-url`: replicas share one pool, session table, health and budget. */
export interface ClusterConfig {
  /** undefined = off: every replica on its own. May carry a password: never log it as is. */
  redisUrl?: string;
  redisPrefix: string;
  /** Bound on one Redis call. */
  redisTimeoutMs: number;
}

export interface SwivelConfig {
  source: SourceConfig;
  geo: GeoDefaults;
  pool: PoolConfig;
  listen: ListenConfig;
  admin: AdminConfig;
  upstream: UpstreamConfig;
  health: HealthConfig;
  cluster: ClusterConfig;
  logLevel: LogLevel;
}
