/**
 * The option catalogue: every flag swivel accepts, once. The CLI builds its yargs options and help
 * from it, and load.ts resolves values from it (defaults ← env `SWIVEL_<NAME>` ← flags), so a flag,
 * its environment variable, its default and its help text can never drift apart.
 */
import { ENDPOINT_NETWORKS, EXTRACT_SIZINGS, LOG_LEVELS, ROTATE_STRATEGIES, TUNNEL_ENGINES, UPSTREAM_PROTOCOLS } from './types.js';

export type OptionKind = 'string' | 'int' | 'duration' | 'enum' | 'boolean' | 'credentials' | 'secret';

export type OptionGroup = 'Provider' | 'Selection' | 'Pool' | 'Listeners' | 'Admin' | 'Upstream' | 'Health' | 'Cluster' | 'General';

export interface OptionSpec {
  readonly kind: OptionKind;
  readonly group: OptionGroup;
  readonly describe: string;
  readonly alias?: string;
  /** Default as the user would type it; parsed by the same code as user input. */
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  /** For int: inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
}

export const OPTIONS = {
  // Provider
  'api-base': {
    kind: 'string',
    group: 'Provider',
    describe:
      "Extraction API base URL including the brand's path prefix (/gateway, /cgi, /end-point, /openapi, /pub), e.g. https://api.example.com/gateway",
  },
  provider: {
    kind: 'string',
    group: 'Provider',
    describe:
      'Brand preset for --api-base where the brand documents its base: proxy4free, proxylite; account commands also know gateway, openapi, pub, ipidea',
  },
  'app-key': { kind: 'secret', group: 'Provider', describe: 'Provider app_key (never logged). Prefer the env SWIVEL_APP_KEY' },
  'credential-field': {
    kind: 'string',
    group: 'Provider',
    describe: "Name of the credential parameter of the account API (default: the provider profile's, app_key; IPIDEA: appkey)",
  },
  'proxies-file': {
    kind: 'string',
    group: 'Provider',
    describe: 'Static endpoint list instead of the API: host:port[:user:pass] or a proxy URL per line',
  },
  num: { kind: 'int', group: 'Provider', describe: 'Endpoints per extraction call (num)', default: 10, min: 1, max: 1000 },
  life: { kind: 'int', group: 'Provider', describe: 'Minutes the provider keeps each endpoint (life)', default: 5, min: 1, max: 10080 },
  format: { kind: 'string', group: 'Provider', describe: 'Answer format asked of the API (format); JSON when unset' },
  lb: { kind: 'string', group: 'Provider', describe: 'Separator for text formats (lb)' },
  'api-timeout': { kind: 'duration', group: 'Provider', describe: 'Timeout of one API call', default: '10s' },
  'api-max-body': {
    kind: 'int',
    group: 'Provider',
    describe: 'Largest provider answer in KiB; a bigger one is aborted (last-known-good endpoints stay)',
    default: 4096,
    min: 16,
    max: 65536,
  },
  'extract-sizing': {
    kind: 'enum',
    group: 'Provider',
    describe:
      "How many endpoints each extraction asks for: demand (what the sub-pool's measured rotations and new sessions can use before expiry, within --pool-min and --num) or fixed (always --num; for per-GB billing)",
    choices: EXTRACT_SIZINGS,
    default: 'demand',
  },
  'api-concurrency': {
    kind: 'int',
    group: 'Provider',
    describe: 'Extraction calls in flight at once, across all sub-pools',
    default: 2,
    min: 1,
    max: 32,
  },
  'api-rate': {
    kind: 'int',
    group: 'Provider',
    describe: 'Most extraction calls per minute (0 = no cap); with --redis-url the cap holds across every replica',
    default: 0,
    min: 0,
    max: 100_000,
  },
  // Selection (defaults for requests that do not say otherwise in their username)
  cc: { kind: 'string', group: 'Selection', alias: 'country', describe: 'Default country/region code (cc), e.g. us, de' },
  state: { kind: 'string', group: 'Selection', describe: 'Default state or province (state)' },
  city: { kind: 'string', group: 'Selection', describe: 'Default city (city)' },
  ep: { kind: 'enum', group: 'Selection', describe: 'Default endpoint network (ep)', choices: ENDPOINT_NETWORKS },
  // Pool
  rotate: {
    kind: 'enum',
    group: 'Pool',
    describe: 'How requests without a session pick an endpoint',
    choices: ROTATE_STRATEGIES,
    default: 'round-robin',
  },
  'max-age': {
    kind: 'duration',
    group: 'Pool',
    describe: 'Retire endpoints older than this even if --life is longer (e.g. 30s, 5m)',
  },
  'session-ttl': { kind: 'duration', group: 'Pool', describe: 'A sticky session idle this long is forgotten', default: '10m' },
  'session-max-ttl': {
    kind: 'duration',
    group: 'Pool',
    describe: 'Cap on a session lifetime a client asks for in its username (sesstime, sessionduration, lifetime, ...)',
    default: '24h',
  },
  'session-max': {
    kind: 'int',
    group: 'Pool',
    describe: 'Most sticky sessions remembered at once',
    default: 10000,
    min: 1,
    max: 10_000_000,
  },
  'state-file': {
    kind: 'string',
    group: 'Pool',
    describe:
      'Keep unexpired endpoints (with expiry and health), live sessions and measured demand in this file (mode 0600): written every minute and on a clean stop, read at start, so a restart within the lifetime extracts nothing',
  },
  'pool-min': {
    kind: 'int',
    group: 'Pool',
    describe: 'Extract more when fewer usable endpoints than this remain, or will remain soon',
    default: 3,
    min: 1,
    max: 1000,
  },
  'acquire-timeout': {
    kind: 'duration',
    group: 'Pool',
    describe: 'How long a request waits for an endpoint before it gets 503',
    default: '10s',
  },
  'idle-drop': {
    kind: 'duration',
    group: 'Pool',
    describe: 'Drop a non-default sub-pool (country/state/city/ep) nobody used for this long',
    default: '10m',
  },
  'strict-sessions': {
    kind: 'boolean',
    group: 'Pool',
    describe: 'Answer 502 when a session loses its endpoint instead of moving it to another IP',
    default: false,
  },
  // Listeners
  host: { kind: 'string', group: 'Listeners', describe: 'Listen address of every listener', default: '127.0.0.1' },
  port: { kind: 'int', group: 'Listeners', describe: 'HTTP/CONNECT proxy port', default: 8080, min: 0, max: 65535 },
  'socks-port': { kind: 'int', group: 'Listeners', describe: 'SOCKS5 port (0 = off)', default: 1080, min: 0, max: 65535 },
  'admin-port': {
    kind: 'int',
    group: 'Admin',
    describe: 'Admin port: /healthz, /readyz, /metrics, /status and the status page (0 = off)',
    default: 0,
    min: 0,
    max: 65535,
  },
  'admin-host': { kind: 'string', group: 'Admin', describe: 'Listen address of the admin port', default: '127.0.0.1' },
  'admin-auth': {
    kind: 'credentials',
    group: 'Admin',
    describe: 'Require user:pass for /metrics, /status and the page (the probes /healthz and /readyz stay open)',
  },
  'ready-min': {
    kind: 'int',
    group: 'Admin',
    describe: '/readyz answers 200 while the default sub-pool has at least this many usable endpoints',
    default: 1,
    min: 0,
    max: 1000,
  },
  'metrics-pool-cap': {
    kind: 'int',
    group: 'Admin',
    describe: 'Most sub-pool keys used as metric labels; the rest are folded into `other`',
    default: 20,
    min: 1,
    max: 1000,
  },
  'access-log': {
    kind: 'boolean',
    group: 'Admin',
    describe: 'Log one line per request and tunnel (listener, sub-pool, endpoint, code, attempts, bytes, duration)',
    default: false,
  },
  'drain-timeout': {
    kind: 'duration',
    group: 'Listeners',
    describe: 'On SIGTERM/SIGINT, let requests and tunnels in flight finish for this long, then close them (0 = at once)',
    default: '5s',
    min: 0,
  },
  'header-timeout': {
    kind: 'duration',
    group: 'Listeners',
    describe: 'Time a client has to send a complete request head (slowloris guard); 408 and close after it',
    default: '10s',
  },
  'keepalive-timeout': {
    kind: 'duration',
    group: 'Listeners',
    describe: 'Close an idle keep-alive client connection after this long',
    default: '5s',
  },
  'max-header-size': {
    kind: 'int',
    group: 'Listeners',
    describe: 'Largest request head in bytes; larger gets 431 (a request line over 8 KiB gets 414)',
    default: 16384,
    min: 1024,
    max: 1_048_576,
  },
  'max-headers': {
    kind: 'int',
    group: 'Listeners',
    describe: 'Most request header fields; more gets 431',
    default: 100,
    min: 1,
    max: 2000,
  },
  'max-connections': {
    kind: 'int',
    group: 'Listeners',
    describe: 'Open client connections per listener; beyond it new ones are closed at once (0 = no cap)',
    default: 0,
    min: 0,
    max: 1_000_000,
  },
  'deny-private-targets': {
    kind: 'boolean',
    group: 'Listeners',
    describe: 'Refuse CONNECT/absolute-form/SOCKS targets that are literal loopback, private or link-local addresses (403 / REP 0x02)',
    default: false,
  },
  'allow-ports': {
    kind: 'string',
    group: 'Listeners',
    describe: 'Comma-separated target ports clients may reach, e.g. 443,8443 (default: any)',
  },
  auth: {
    kind: 'credentials',
    group: 'Listeners',
    describe: 'Require user:pass from clients (any user name, dashes included); the username may carry -session-/-country- pairs after it',
  },
  'auth-challenge': {
    kind: 'boolean',
    group: 'Listeners',
    describe:
      'Answer 407 to HTTP requests without credentials so browsers send theirs (on whenever --auth is set); without --auth any password is accepted',
  },
  'session-ports': {
    kind: 'string',
    group: 'Listeners',
    describe:
      'Port range on --host, e.g. 10001-10100: each port is one fixed sticky session, HTTP and SOCKS5 on the same port, no credentials',
  },
  'session-ports-cc': { kind: 'string', group: 'Listeners', describe: 'Country of the --session-ports range (default: --cc)' },
  'session-ports-state': { kind: 'string', group: 'Listeners', describe: 'State of the --session-ports range (default: --state)' },
  'session-ports-city': { kind: 'string', group: 'Listeners', describe: 'City of the --session-ports range (default: --city)' },
  'session-ports-ep': {
    kind: 'enum',
    group: 'Listeners',
    describe: 'Endpoint network of the --session-ports range (default: --ep)',
    choices: ENDPOINT_NETWORKS,
  },
  // Upstream
  'upstream-protocol': {
    kind: 'enum',
    group: 'Upstream',
    describe: 'Protocol spoken to upstream endpoints',
    choices: UPSTREAM_PROTOCOLS,
    default: 'http',
  },
  'tunnel-engine': {
    kind: 'enum',
    group: 'Upstream',
    describe: 'How tunnels reach upstreams: raw libuv handles (falls back to net where the runtime lacks them) or net.Socket',
    choices: TUNNEL_ENGINES,
    default: 'raw',
  },
  'connect-timeout': { kind: 'duration', group: 'Upstream', describe: 'TCP connect timeout to an upstream', default: '5s' },
  'response-timeout': {
    kind: 'duration',
    group: 'Upstream',
    describe: 'Longest a request waits for an answer (CONNECT reply or response head), across every endpoint it tries',
    default: '15s',
  },
  'attempt-timeout': {
    kind: 'duration',
    group: 'Upstream',
    describe:
      'Try another endpoint alongside one that has not answered in this long; the first answer wins (replayable requests; default: a third of --response-timeout)',
  },
  'idle-timeout': { kind: 'duration', group: 'Upstream', describe: 'Close a tunnel or response idle this long', default: '5m' },
  'socks-timeout': { kind: 'duration', group: 'Upstream', describe: 'SOCKS5 client negotiation timeout', default: '10s' },
  retries: {
    kind: 'int',
    group: 'Upstream',
    describe: 'Extra attempts on another endpoint before a byte reaches the client',
    default: 2,
    min: 0,
    max: 10,
  },
  'allow-private-endpoints': {
    kind: 'boolean',
    group: 'Upstream',
    describe: 'Accept provider endpoints on loopback/private/link-local addresses (simulator, tests)',
    default: false,
  },
  // Health
  'max-failures': {
    kind: 'int',
    group: 'Health',
    describe: 'Consecutive connect-level failures that eject an endpoint (a 407 ejects at once)',
    default: 3,
    min: 1,
    max: 100,
  },
  'probe-idle': {
    kind: 'duration',
    group: 'Health',
    describe: 'Probe endpoints unused this long (and ejected ones when their back-off ends)',
    default: '2m',
  },
  'probe-url': {
    kind: 'string',
    group: 'Health',
    describe: 'http:// URL fetched through an endpoint to probe it; default: a target that succeeded recently',
  },
  'probe-concurrency': { kind: 'int', group: 'Health', describe: 'Probes in flight at once', default: 4, min: 1, max: 64 },
  // Cluster
  'redis-url': {
    kind: 'secret',
    group: 'Cluster',
    describe:
      'Share the pool, sessions, ejections and --api-rate between replicas through Redis: redis://[user:pass@]host:6379[/db] (never logged; prefer SWIVEL_REDIS_URL)',
  },
  'redis-prefix': {
    kind: 'string',
    group: 'Cluster',
    describe: 'Namespace of the Redis keys; replicas that share one pool use the same',
    default: 'swivel',
  },
  'redis-timeout': {
    kind: 'duration',
    group: 'Cluster',
    describe: 'Bound on every Redis call; past it the replica serves from its local pool and sessions until Redis answers again',
    default: '200ms',
  },
  // General
  'log-level': {
    kind: 'enum',
    group: 'General',
    describe: 'Log level of the JSON log on stderr',
    choices: LOG_LEVELS,
    default: 'info',
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** What each kind of option parses to (values.ts). */
interface KindValue {
  string: string;
  int: number;
  duration: number;
  enum: string;
  boolean: boolean;
  credentials: { username: string; password: string };
  secret: string;
}

type SpecValue<S> = S extends { readonly kind: 'enum'; readonly choices: readonly (infer C)[] }
  ? C
  : S extends { readonly kind: infer K extends keyof KindValue }
    ? KindValue[K]
    : never;

/**
 * The parsed type of option `N`, derived from the catalogue: an enum's choices, a kind's value,
 * and `undefined` unless the option has a default. Assembly reads values through this type, so a
 * config field and its option cannot disagree silently.
 */
export type OptionValue<N extends OptionName> =
  SpecValue<(typeof OPTIONS)[N]> | ((typeof OPTIONS)[N] extends { readonly default: unknown } ? never : undefined);

/** `api-base` → `SWIVEL_API_BASE`. */
export function envName(option: string): string {
  return `SWIVEL_${option.toUpperCase().replace(/-/g, '_')}`;
}

/** Old or commonly guessed names, rejected with a hint instead of "unknown argument". */
export const RENAMED: Readonly<Record<string, string>> = {
  'api-url': 'api-base',
  'base-url': 'api-base',
  key: 'app-key',
  appkey: 'app-key',
  app_key: 'app-key',
  'country-code': 'cc',
  rotation: 'rotate',
  'listen-port': 'port',
  listen: 'host and --port',
  'proxy-file': 'proxies-file',
  'proxy-list': 'proxies-file',
  ttl: 'session-ttl',
};
