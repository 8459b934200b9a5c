/**
 * Composition root: config → logger → provider → pool → refresh → health → listeners.
 * Nothing else wires components together, and nothing here parses flags or exits the process.
 */
import { Agent, type Dispatcher } from 'undici';
import { systemClock, type Clock } from './clock.js';
import type { SwivelConfig } from './config/types.js';
import { isSwivelError, SwivelError } from './errors.js';
import { PassiveHealth } from './health/passive.js';
import { Prober } from './health/prober.js';
import { silentLogger, type Logger } from './logger.js';
import { createAddressFilter } from './pool/address-filter.js';
import type { Endpoint } from './pool/endpoint.js';
import { describeGeo, type GeoSelection } from './pool/geo-key.js';
import { EndpointPool } from './pool/pool.js';
import { ProviderClient } from './provider/client.js';
import { FileSource } from './provider/file-source.js';
import type { EndpointSource } from './provider/types.js';
import { Refresher } from './refresh/refresher.js';
import { Dialer } from './server/dialer.js';
import type { AuthPolicy } from './server/dialects/index.js';
import { HttpProxyListener, type HttpProxyOptions } from './server/http-proxy.js';
import { SessionPortError, SessionPorts } from './server/session-ports.js';
import { SocksProxyListener, type SocksProxyOptions } from './server/socks-proxy.js';
import type { Tunnel } from './server/upstream/handshake.js';
import { openHttpTunnel } from './server/upstream/http-connect.js';
import { openSocksTunnel } from './server/upstream/socks-connect.js';
import { createHttpProxyForwarder } from './server/upstream/http-forward.js';
import { createTunnelForwarder } from './server/upstream/tunnel-forward.js';

export interface AppDependencies {
  logger?: Logger;
  clock?: Clock;
  random?: () => number;
  /** Endpoint source; built from the config when absent. */
  source?: EndpointSource;
  /** undici dispatcher for plain-HTTP forwarding; one keep-alive Agent when absent. */
  dispatcher?: Dispatcher;
}

/** Provider errors that mean the user must fix something: no point starting. */
const FATAL_AT_START = new Set(['provider_auth', 'provider_unverified', 'config_invalid']);

export interface StartSummary {
  httpUrl: string;
  socksUrl: string | undefined;
  /** `127.0.0.1:10001-10100` when --session-ports is set. */
  sessionPorts: string | undefined;
  source: string;
  /** Usable endpoints in the default sub-pool right after start-up. */
  endpoints: number;
  geo: string;
  /** Set when the first extraction failed but swivel started anyway (it keeps retrying). */
  warning: string | undefined;
}

export function createSource(config: SwivelConfig, logger: Logger): EndpointSource {
  const { source } = config;
  if (source.proxiesFile !== undefined) return new FileSource(source.proxiesFile);
  if (source.apiBase === undefined || source.appKey === undefined) {
    throw new SwivelError('config_invalid', 'No endpoint source: pass --api-base with --app-key, or --proxies-file');
  }
  return new ProviderClient({ apiBase: source.apiBase, appKey: source.appKey, timeoutMs: source.apiTimeoutMs, logger });
}

/** min(life, max-age): the provider stops honouring an endpoint after `life` minutes. */
export function endpointLifetimeMs(config: SwivelConfig): number {
  const lifeMs = config.source.life === undefined ? Infinity : config.source.life * 60_000;
  return Math.min(lifeMs, config.pool.maxAgeMs ?? Infinity);
}

export class SwivelApp {
  readonly pool: EndpointPool;
  readonly refresher: Refresher;
  readonly health: PassiveHealth;
  readonly prober: Prober;
  readonly http: HttpProxyListener;
  readonly socks: SocksProxyListener | undefined;
  readonly sessionPorts: SessionPorts | undefined;
  readonly source: EndpointSource;
  private readonly log: Logger;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private started = false;

  constructor(
    readonly config: SwivelConfig,
    deps: AppDependencies = {},
  ) {
    const logger = deps.logger ?? silentLogger;
    const clock = deps.clock ?? systemClock;
    this.log = logger;
    const up = config.upstream;
    this.source = deps.source ?? createSource(config, logger);
    this.ownsDispatcher = deps.dispatcher === undefined;
    this.dispatcher =
      deps.dispatcher ??
      new Agent({
        connect: { timeout: up.connectTimeoutMs },
        headersTimeout: up.responseTimeoutMs,
        bodyTimeout: up.idleTimeoutMs,
        keepAliveTimeout: 4_000,
      });
    const defaultGeo: GeoSelection = config.geo;

    this.pool = new EndpointPool({
      defaultGeo,
      rotate: config.pool.rotate,
      sessionTtlMs: config.pool.sessionTtlMs,
      sessionMax: config.pool.sessionMax,
      acquireTimeoutMs: config.pool.acquireTimeoutMs,
      idleDropMs: config.pool.idleDropMs,
      clock,
      random: deps.random,
      logger,
    });
    this.refresher = new Refresher({
      source: this.source,
      pool: this.pool,
      clock,
      random: deps.random,
      logger,
      query: { num: config.source.num, life: config.source.life, format: config.source.format, lb: config.source.lb },
      lifetimeMs: endpointLifetimeMs(config),
      poolMin: config.pool.poolMin,
      concurrency: config.source.apiConcurrency,
      reject: createAddressFilter({ allowPrivate: up.allowPrivateEndpoints, ownPorts: this.ownPorts() }),
    });
    this.health = new PassiveHealth({ pool: this.pool, clock, maxFailures: config.health.maxFailures, logger });
    const openTunnel = (endpoint: Endpoint, host: string, port: number): Promise<Tunnel> =>
      (up.protocol === 'socks5' ? openSocksTunnel : openHttpTunnel)(endpoint, host, port, up);
    this.prober = new Prober({
      pool: this.pool,
      health: this.health,
      clock,
      openTunnel,
      probeUrl: config.health.probeUrl,
      probeIdleMs: config.health.probeIdleMs,
      concurrency: config.health.probeConcurrency,
      timeouts: up,
      logger,
    });
    const dialer = new Dialer({
      pool: this.pool,
      health: this.health,
      retries: up.retries,
      strictSessions: config.pool.strictSessions,
      logger,
    });
    const { host, port, socksPort, auth, authChallenge } = config.listen;
    const policy: AuthPolicy = {
      auth,
      challenge: authChallenge,
      defaultGeo,
      sessionTtlCapMs: Math.min(config.pool.sessionMaxTtlMs, endpointLifetimeMs(config)),
    };
    const httpOptions: HttpProxyOptions = {
      host,
      port,
      dialer,
      policy,
      forward:
        up.protocol === 'socks5'
          ? createTunnelForwarder({ openTunnel, responseTimeoutMs: up.responseTimeoutMs })
          : createHttpProxyForwarder({
              dispatcher: this.dispatcher,
              responseTimeoutMs: up.responseTimeoutMs,
              idleTimeoutMs: up.idleTimeoutMs,
            }),
      openTunnel,
      idleTimeoutMs: up.idleTimeoutMs,
      logger,
      onSuccess: (h, p) => this.prober.noteTarget(h, p),
    };
    const socksOptions: SocksProxyOptions = {
      host,
      port: socksPort,
      dialer,
      policy,
      openTunnel,
      negotiationTimeoutMs: up.socksTimeoutMs,
      idleTimeoutMs: up.idleTimeoutMs,
      logger,
      onSuccess: (h, p) => this.prober.noteTarget(h, p),
    };
    this.http = new HttpProxyListener(httpOptions);
    this.socks = socksPort === 0 ? undefined : new SocksProxyListener(socksOptions);
    this.sessionPorts = undefined;
    const range = config.listen.sessionPorts;
    if (range !== undefined) {
      // Listeners of their own that never listen: they take connections the session ports hand over.
      const selectionForPort = (p: number): ReturnType<SessionPorts['selectionFor']> => this.sessionPorts?.selectionFor(p);
      this.portHttp = new HttpProxyListener({ ...httpOptions, port: 0, selectionForPort });
      this.portSocks = new SocksProxyListener({ ...socksOptions, port: 0, selectionForPort });
      this.sessionPorts = new SessionPorts({ host, ...range, pool: this.pool, http: this.portHttp, socks: this.portSocks });
    }
  }

  private readonly portHttp: HttpProxyListener | undefined;
  private readonly portSocks: SocksProxyListener | undefined;

  /**
   * Extract once (a bad key or unverified account fails here, before any port is bound), then
   * listen. Other provider failures do not stop start-up: swivel listens and keeps retrying.
   */
  async start(): Promise<StartSummary> {
    let warning: string | undefined;
    try {
      await this.refresher.refreshNow(this.pool.defaultPool);
    } catch (err) {
      if (isSwivelError(err) && FATAL_AT_START.has(err.code)) throw err;
      warning = `first extraction failed (${isSwivelError(err) ? err.message : String(err)}); serving will start once the provider answers`;
    }
    try {
      await this.http.listen();
      await this.socks?.listen();
      await this.sessionPorts?.listen();
    } catch (err) {
      await this.stop();
      throw listenError(err, this.config);
    }
    this.started = true;
    this.refresher.start();
    this.prober.start();
    const { host } = this.config.listen;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    return {
      httpUrl: `http://${shownHost}:${this.http.port}`,
      socksUrl: this.socks === undefined ? undefined : `socks5://${shownHost}:${this.socks.port}`,
      sessionPorts:
        this.sessionPorts === undefined ? undefined : `${shownHost}:${this.sessionPorts.ports.first}-${this.sessionPorts.ports.last}`,
      source: this.source.name,
      endpoints: this.pool.defaultPool.usableAt(this.pool.now),
      geo: describeGeo(this.config.geo),
      warning,
    };
  }

  /**
   * Stop listening, let what is in flight finish for up to `drainMs` (0: cut at once), close every
   * connection, stop timers. Safe to call twice.
   */
  async stop(drainMs = 0): Promise<void> {
    await Promise.allSettled([
      this.http.drain(drainMs),
      this.socks?.close(drainMs),
      this.sessionPorts?.close(),
      this.portHttp?.drain(drainMs),
      this.portSocks?.close(drainMs),
    ]);
    this.refresher.stop();
    this.prober.stop();
    if (this.ownsDispatcher) await this.dispatcher.destroy().catch(() => undefined);
    if (this.started) this.log.info('swivel stopped');
    this.started = false;
  }

  private ownPorts(): number[] {
    const { port, socksPort, adminPort, sessionPorts } = this.config.listen;
    const own = [port, socksPort, adminPort].filter((p) => p !== 0);
    if (sessionPorts !== undefined) for (let p = sessionPorts.first; p <= sessionPorts.last; p++) own.push(p);
    return own;
  }
}

/** The one flag whose port could not be bound, for the message. */
function flagOfPort(err: unknown, config: SwivelConfig): string {
  if (err instanceof SessionPortError) return `--session-ports (port ${err.port})`;
  const port = (err as { port?: number } | undefined)?.port;
  if (port === config.listen.socksPort) return `--socks-port ${port}`;
  if (port === config.listen.adminPort) return `--admin-port ${port}`;
  return `--port ${port ?? config.listen.port}`;
}

export function listenError(err: unknown, config: SwivelConfig): SwivelError {
  const flag = flagOfPort(err, config);
  if (err instanceof SessionPortError) err = err.cause;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const { host } = config.listen;
  if (code === 'EADDRINUSE')
    return new SwivelError('port_in_use', `Port in use: ${flag} on ${host} is taken; pick a free one or stop the other process`);
  if (code === 'EADDRNOTAVAIL') return new SwivelError('config_invalid', `Cannot listen on ${host}: no such local address (--host)`);
  if (code === 'EACCES') return new SwivelError('config_invalid', `Not allowed to listen on ${host} (ports below 1024 need privileges)`);
  return new SwivelError('internal', `Could not start the listeners: ${code ?? String(err)}`, { cause: err });
}
