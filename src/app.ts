/**
 * Composition root: config → logger → provider → pool → refresh → health → listeners → admin.
 * Nothing else wires components together, and nothing here parses flags or exits the process.
 */
import type { Dispatcher } from 'undici';
import { accessLogger } from './admin/access-log.js';
// Types only: prom-client and the admin server load in start(), and only with an admin port (idle RSS).
import type { SwivelMetrics } from './admin/metrics.js';
import type { AdminListener, Readiness } from './admin/server.js';
import type { OutcomeHook, ProxyOutcome } from './server/outcome.js';
import { collectStats, type SwivelStats } from './stats.js';
import { systemClock, type Clock } from './clock.js';
import { createCluster, refreshSource, type Cluster } from './cluster/index.js';
import type { SwivelConfig } from './config/types.js';
import { ERRORS, isSwivelError, SwivelError } from './errors.js';
import { PassiveHealth } from './health/passive.js';
import { Prober } from './health/prober.js';
import { silentLogger, type Logger } from './logger.js';
import { createAddressFilter } from './pool/address-filter.js';
import { describeGeo, type GeoSelection } from './pool/geo-key.js';
import { EndpointPool } from './pool/pool.js';
import { ProviderClient } from './provider/client.js';
import { NodeAgents } from './provider/transport.js';
import { FileSource } from './provider/file-source.js';
import type { EndpointSource } from './provider/types.js';
import { COVERAGE } from './refresh/demand.js';
import { Refresher } from './refresh/refresher.js';
import { StateKeeper } from './state/keeper.js';
import { Dialer } from './server/dialer.js';
import type { AuthPolicy } from './server/dialects/index.js';
import { HttpProxyListener, type HttpProxyOptions } from './server/http-proxy.js';
import type { Listener } from './server/listener.js';
import { SessionPortError, SessionPorts } from './server/session-ports.js';
import { SocksProxyListener, type SocksProxyOptions } from './server/socks-proxy.js';
import { createRelayTunnelOpener, createTunnelOpener, tunnelEngine, type TunnelEngine } from './upstream/opener.js';
import { EndpointResolver, forwardingResolved, resolvingFirst, systemResolver, type Resolver } from './upstream/resolve.js';
import { createHttpProxyForwarder } from './upstream/http-forward.js';
import { UpstreamSockets } from './upstream/h1-sockets.js';
import { createTunnelForwarder } from './upstream/tunnel-forward.js';
import { version } from './version.js';

export interface AppDependencies {
  logger?: Logger;
  clock?: Clock;
  random?: () => number;
  /** Endpoint source; built from the config when absent. */
  source?: EndpointSource;
  /**
   * Open the admin listener on an ephemeral port even though --admin-port is 0 (which means off):
   * tests get a port nobody can take between choosing and binding it.
   */
  adminEphemeral?: boolean;
  /** Resolves endpoint host names (tests inject one so they never query real DNS). */
  resolver?: Resolver;
}

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
  /** The admin port's base URL, when --admin-port is set. */
  adminUrl: string | undefined;
}

export function createSource(
  config: SwivelConfig,
  logger: Logger,
  provider: { dispatcher?: Dispatcher; agents?: NodeAgents; clock?: Clock } = {},
): EndpointSource {
  const { source } = config;
  if (source.proxiesFile !== undefined) return new FileSource(source.proxiesFile);
  if (source.apiBase === undefined || source.appKey === undefined) {
    throw new SwivelError('config_invalid', 'No endpoint source: pass --api-base with --app-key, or --proxies-file');
  }
  return new ProviderClient({
    apiBase: source.apiBase,
    appKey: source.appKey,
    timeoutMs: source.apiTimeoutMs,
    maxBodyBytes: source.apiMaxBodyBytes,
    logger,
    ...provider,
  });
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
  /** How tunnels reach upstreams here (--tunnel-engine, or net where the runtime lacks raw handles). */
  readonly tunnelEngine: TunnelEngine;
  private readonly dialer: Dialer;
  readonly http: HttpProxyListener;
  readonly socks: SocksProxyListener | undefined;
  readonly sessionPorts: SessionPorts | undefined;
  readonly source: EndpointSource;
  private adminListener: AdminListener | undefined;
  private swivelMetrics: SwivelMetrics | undefined;
  private readonly wantsAdmin: boolean;
  /** `--state-file`: endpoints, sessions and demand kept across restarts. */
  readonly state: StateKeeper | undefined;
  /** The shared tier (--redis-url), when set. */
  readonly cluster: Cluster | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;
  private startedAt = 0;
  private draining = false;
  /** Kept-alive connections for plain-HTTP forwarding (upstream/h1-sockets.ts), closed on stop(). */
  private readonly upstreamSockets: UpstreamSockets;
  private readonly providerAgents: NodeAgents | undefined;
  private started = false;

  constructor(
    readonly config: SwivelConfig,
    deps: AppDependencies = {},
  ) {
    const logger = deps.logger ?? silentLogger;
    const clock = deps.clock ?? systemClock;
    this.clock = clock;
    this.log = logger;
    const up = config.upstream;
    // The provider API gets its own keep-alive agents (node:http: see provider/transport.ts for why
    // not undici), owned here and closed on stop(): a module singleton would outlive the app and
    // keep sockets to the provider open.
    this.providerAgents = deps.source === undefined ? new NodeAgents() : undefined;
    this.source = deps.source ?? createSource(config, logger, { agents: this.providerAgents!, clock });
    this.upstreamSockets = new UpstreamSockets({ connectTimeoutMs: up.connectTimeoutMs, clock });
    const defaultGeo: GeoSelection = config.geo;
    this.cluster = createCluster(config, { sourceName: this.source.name, clock, logger, lifetimeMs: endpointLifetimeMs(config) });

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
      sessionStore: this.cluster?.sessions,
    });
    this.pool.events.on((e) => (e.type === 'ejected' || e.type === 'expired' ? this.upstreamSockets.closeIdle(e.endpoint) : undefined));
    const addressFilter = createAddressFilter({ allowPrivate: up.allowPrivateEndpoints, ownPorts: this.ownPorts() });
    const resolver = new EndpointResolver({
      resolve: deps.resolver ?? systemResolver,
      check: (host, port) => addressFilter({ host, port }),
    });
    this.refresher = new Refresher({
      source: refreshSource(config, this.cluster, { pool: this.pool, source: this.source, clock, reject: addressFilter }),
      pool: this.pool,
      clock,
      random: deps.random,
      logger,
      query: { num: config.source.num, life: config.source.life, format: config.source.format, lb: config.source.lb },
      lifetimeMs: endpointLifetimeMs(config),
      poolMin: config.pool.poolMin,
      concurrency: config.source.apiConcurrency,
      reject: addressFilter,
      sizing: config.source.sizing,
      coverage: COVERAGE[config.pool.rotate],
    });
    this.state =
      config.pool.stateFile === undefined
        ? undefined
        : new StateKeeper({
            path: config.pool.stateFile,
            pool: this.pool,
            refresher: this.refresher,
            clock,
            source: this.source.name,
            lifetimeMs: endpointLifetimeMs(config),
            reject: addressFilter,
            logger,
          });
    this.health = new PassiveHealth({ pool: this.pool, clock, maxFailures: config.health.maxFailures, logger });
    const engine = (this.tunnelEngine = tunnelEngine(up.tunnelEngine));
    if (engine !== up.tunnelEngine)
      logger.info({ wanted: up.tunnelEngine, engine }, 'raw TCP handles unavailable in this runtime: tunnels use net.Socket');
    // Listeners and the prober relay or close tunnels of either kind; node:http over a SOCKS5
    // tunnel (tunnel-forward.ts) needs a net.Socket.
    const openRelayTunnel = resolvingFirst(resolver, createRelayTunnelOpener(up.protocol, up, engine));
    const openTunnel = resolvingFirst(resolver, createTunnelOpener(up.protocol, up));
    this.prober = new Prober({
      pool: this.pool,
      health: this.health,
      clock,
      openTunnel: openRelayTunnel,
      probeUrl: config.health.probeUrl,
      probeIdleMs: config.health.probeIdleMs,
      concurrency: config.health.probeConcurrency,
      logger,
    });
    const wantsAdmin = (this.wantsAdmin = config.listen.adminPort !== 0 || deps.adminEphemeral === true);
    // The metrics exist from the start of start() on, before any extraction or connection.
    const observe: OutcomeHook | undefined = wantsAdmin ? (o) => this.swivelMetrics?.observe(o) : undefined;
    const onOutcome = outcomeHook(observe, config.admin.accessLog ? accessLogger(logger) : undefined);
    const dialer = (this.dialer = new Dialer({
      pool: this.pool,
      health: this.health,
      retries: up.retries,
      strictSessions: config.pool.strictSessions,
      responseTimeoutMs: up.responseTimeoutMs,
      attemptTimeoutMs: up.attemptTimeoutMs,
      clock,
      logger,
      onAttempt: wantsAdmin ? (ms, ok) => this.swivelMetrics?.observeAttempt(ms, ok) : undefined,
    }));
    const { host, port, socksPort, auth, authChallenge } = config.listen;
    const targetPolicy = { denyPrivate: config.listen.denyPrivateTargets, allowPorts: config.listen.allowPorts };
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
          : forwardingResolved(
              resolver,
              createHttpProxyForwarder({
                sockets: this.upstreamSockets,
                responseTimeoutMs: up.responseTimeoutMs,
                idleTimeoutMs: up.idleTimeoutMs,
              }),
            ),
      openTunnel: openRelayTunnel,
      idleTimeoutMs: up.idleTimeoutMs,
      logger,
      onSuccess: (h, p) => this.prober.noteTarget(h, p),
      limits: config.listen,
      targetPolicy,
      onOutcome,
    };
    const socksOptions: SocksProxyOptions = {
      host,
      port: socksPort ?? 0,
      dialer,
      policy,
      openTunnel: openRelayTunnel,
      negotiationTimeoutMs: up.socksTimeoutMs,
      idleTimeoutMs: up.idleTimeoutMs,
      logger,
      onSuccess: (h, p) => this.prober.noteTarget(h, p),
      maxConnections: config.listen.maxConnections,
      targetPolicy,
      onOutcome,
    };
    this.http = new HttpProxyListener(httpOptions);
    this.socks = socksPort === undefined ? undefined : new SocksProxyListener(socksOptions);
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

  get metrics(): SwivelMetrics | undefined {
    return this.swivelMetrics;
  }

  /** The admin listener, once start() has begun (with --admin-port or adminEphemeral). */
  get admin(): AdminListener | undefined {
    return this.adminListener;
  }

  private async loadAdmin(): Promise<void> {
    const [{ SwivelMetrics }, { AdminListener }] = await Promise.all([import('./admin/metrics.js'), import('./admin/server.js')]);
    const config = this.config;
    const metrics = (this.swivelMetrics = new SwivelMetrics({
      stats: () => this.stats(),
      defaultPoolKey: this.pool.defaultPool.key,
      poolLabelCap: config.admin.poolLabelCap,
      version,
      upstreamConnections: () => this.upstreamSockets.stats(),
    }));
    this.refresher.events.on((e) => metrics.observeExtraction(e));
    this.adminListener = new AdminListener({
      host: config.admin.host,
      port: config.listen.adminPort,
      auth: config.admin.auth,
      stats: () => this.stats(),
      readiness: () => this.readiness(),
      // Never the provider: a pool emptied by the provider is a readiness matter, not a restart.
      live: () => this.draining || (this.http.server.listening && (this.socks?.server.listening ?? true)),
      metrics,
    });
  }

  /** A snapshot of the pool, provider and health counters (what the admin layer shows). */
  stats(): SwivelStats {
    return collectStats({
      pool: this.pool,
      refresher: this.refresher,
      prober: this.prober,
      source: this.source.name,
      startedAt: this.startedAt,
      draining: this.draining,
      dropped: Object.fromEntries(this.listeners().map((l) => [l.kind, l.droppedConnections])),
      overloaded: this.dialer.overload.total,
    });
  }

  /** Ready: not draining, and the default sub-pool has at least --ready-min usable endpoints. */
  readiness(): Readiness {
    if (this.draining) return { ready: false, reason: 'draining' };
    if (!this.started) return { ready: false, reason: 'starting' };
    const usable = this.pool.defaultPool.usableAt(this.pool.now);
    if (usable >= this.config.admin.readyMin) return { ready: true };
    const failure = this.refresher.lastFailure(this.pool.defaultPool);
    return {
      ready: false,
      reason: 'pool_empty',
      detail:
        failure === undefined
          ? `${usable} usable endpoint${usable === 1 ? '' : 's'}, --ready-min is ${this.config.admin.readyMin}`
          : `${failure.code}: ${failure.message}`,
    };
  }

  private readonly portHttp: HttpProxyListener | undefined;
  private readonly portSocks: SocksProxyListener | undefined;

  /**
   * Extract once (a bad key or unverified account fails here, before any port is bound), then
   * listen. Other provider failures do not stop start-up: swivel listens and keeps retrying.
   */
  async start(): Promise<StartSummary> {
    if (this.wantsAdmin && this.swivelMetrics === undefined) await this.loadAdmin();
    let warning: string | undefined;
    // Bounded, never rejects: without Redis this replica starts on its own and rejoins later.
    await this.cluster?.start();
    // A state file that still holds enough of the default sub-pool replaces the first extraction:
    // a restart within the lifetime costs no call (the key is then checked at the next one).
    const restored = await this.state?.load();
    const stocked = restored !== undefined && this.pool.defaultPool.usableAt(this.pool.now) >= this.config.pool.poolMin;
    try {
      if (!stocked) await this.refresher.refreshNow(this.pool.defaultPool);
    } catch (err) {
      if (isSwivelError(err) && ERRORS[err.code].fatalAtStart) throw err;
      warning = `first extraction failed (${isSwivelError(err) ? err.message : String(err)}); serving will start once the provider answers`;
    }
    try {
      for (const listener of this.listeners()) await listener.listen();
      await this.sessionPorts?.listen();
      await this.admin?.listen();
    } catch (err) {
      await this.stop();
      throw listenError(err, this.config);
    }
    this.started = true;
    this.startedAt = this.clock.now();
    this.refresher.start();
    this.prober.start();
    this.state?.start();
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
      adminUrl: this.admin?.url,
    };
  }

  /**
   * Stop listening, let what is in flight finish for up to `drainMs` (0: cut at once), close every
   * connection, stop timers. Safe to call twice.
   */
  async stop(drainMs = 0): Promise<void> {
    // /readyz turns 503 at once, so a load balancer stops sending while what is in flight finishes.
    this.draining = true;
    await Promise.allSettled([
      ...this.listeners().map((l) => l.drain(drainMs)),
      this.sessionPorts?.close(),
      this.portHttp?.drain(drainMs),
      this.portSocks?.drain(drainMs),
    ]);
    this.refresher.stop();
    this.prober.stop();
    // After the drain, so the file has the last uses and sessions; only a run that started has a
    // pool worth keeping (a failed start must not overwrite a good file with an empty one).
    this.state?.stop();
    if (this.started) await this.state?.save();
    await this.cluster?.stop();
    await this.admin?.close();
    this.upstreamSockets.close();
    this.providerAgents?.close();
    if (this.started) this.log.info('swivel stopped');
    this.started = false;
  }

  /** Every listener, in start order. */
  listeners(): Listener[] {
    return this.socks === undefined ? [this.http] : [this.http, this.socks];
  }

  private ownPorts(): number[] {
    const { port, socksPort, adminPort, sessionPorts } = this.config.listen;
    const own = [port, socksPort ?? 0, adminPort].filter((p) => p !== 0);
    if (sessionPorts !== undefined) for (let p = sessionPorts.first; p <= sessionPorts.last; p++) own.push(p);
    return own;
  }
}

/** The listeners' one outcome hook: metrics and/or the access log, or nothing at all. */
function outcomeHook(metrics: OutcomeHook | undefined, access: OutcomeHook | undefined): OutcomeHook | undefined {
  if (metrics === undefined) return access;
  if (access === undefined) return metrics;
  return (o: ProxyOutcome) => {
    metrics(o);
    access(o);
  };
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

/** Build and start swivel from a validated config; the programmatic twin of `swivel serve`. */
export async function startSwivel(config: SwivelConfig, deps: AppDependencies = {}): Promise<{ app: SwivelApp; summary: StartSummary }> {
  const app = new SwivelApp(config, deps);
  const summary = await app.start();
  return { app, summary };
}
