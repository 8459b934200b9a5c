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
import { describeGeo, type GeoSelection } from './pool/geo-key.js';
import { EndpointPool } from './pool/pool.js';
import { ProviderClient } from './provider/client.js';
import { FileSource } from './provider/file-source.js';
import type { EndpointSource } from './provider/types.js';
import { Refresher } from './refresh/refresher.js';
import { Dialer } from './server/dialer.js';
import { HttpProxyListener } from './server/http-proxy.js';
import { SocksProxyListener } from './server/socks-proxy.js';
import { createTunnelOpener } from './upstream/opener.js';
import { EndpointResolver, forwardingResolved, resolvingFirst, systemResolver, type Resolver } from './upstream/resolve.js';
import { createHttpProxyForwarder } from './upstream/http-forward.js';
import { createTunnelForwarder } from './upstream/tunnel-forward.js';

export interface AppDependencies {
  logger?: Logger;
  clock?: Clock;
  random?: () => number;
  /** Endpoint source; built from the config when absent. */
  source?: EndpointSource;
  /** undici dispatcher for plain-HTTP forwarding; one keep-alive Agent when absent. */
  dispatcher?: Dispatcher;
  /** Resolves endpoint host names (tests inject one so they never query real DNS). */
  resolver?: Resolver;
}

/** Provider errors that mean the user must fix something: no point starting. */
const FATAL_AT_START = new Set(['provider_auth', 'provider_unverified', 'config_invalid']);

export interface StartSummary {
  httpUrl: string;
  socksUrl: string | undefined;
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
  return new ProviderClient({
    apiBase: source.apiBase,
    appKey: source.appKey,
    timeoutMs: source.apiTimeoutMs,
    maxBodyBytes: source.apiMaxBodyBytes,
    logger,
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
  readonly http: HttpProxyListener;
  readonly socks: SocksProxyListener | undefined;
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
    const addressFilter = createAddressFilter({ allowPrivate: up.allowPrivateEndpoints, ownPorts: this.ownPorts() });
    const resolver = new EndpointResolver({
      resolve: deps.resolver ?? systemResolver,
      check: (host, port) => addressFilter({ host, port }),
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
      reject: addressFilter,
    });
    this.health = new PassiveHealth({ pool: this.pool, clock, maxFailures: config.health.maxFailures, logger });
    const openTunnel = resolvingFirst(resolver, createTunnelOpener(up.protocol, up));
    this.prober = new Prober({
      pool: this.pool,
      health: this.health,
      clock,
      openTunnel,
      probeUrl: config.health.probeUrl,
      probeIdleMs: config.health.probeIdleMs,
      concurrency: config.health.probeConcurrency,
      logger,
    });
    const dialer = new Dialer({
      pool: this.pool,
      health: this.health,
      retries: up.retries,
      strictSessions: config.pool.strictSessions,
      logger,
    });
    const { host, port, socksPort, auth } = config.listen;
    const targetPolicy = { denyPrivate: config.listen.denyPrivateTargets, allowPorts: config.listen.allowPorts };
    this.http = new HttpProxyListener({
      host,
      port,
      dialer,
      defaultGeo,
      auth,
      forward:
        up.protocol === 'socks5'
          ? createTunnelForwarder({ openTunnel, responseTimeoutMs: up.responseTimeoutMs })
          : forwardingResolved(
              resolver,
              createHttpProxyForwarder({
                dispatcher: this.dispatcher,
                responseTimeoutMs: up.responseTimeoutMs,
                idleTimeoutMs: up.idleTimeoutMs,
              }),
            ),
      openTunnel,
      idleTimeoutMs: up.idleTimeoutMs,
      logger,
      onSuccess: (h, p) => this.prober.noteTarget(h, p),
      limits: config.listen,
      targetPolicy,
    });
    this.socks =
      socksPort === 0
        ? undefined
        : new SocksProxyListener({
            host,
            port: socksPort,
            dialer,
            defaultGeo,
            auth,
            openTunnel,
            negotiationTimeoutMs: up.socksTimeoutMs,
            idleTimeoutMs: up.idleTimeoutMs,
            logger,
            onSuccess: (h, p) => this.prober.noteTarget(h, p),
            maxConnections: config.listen.maxConnections,
            targetPolicy,
          });
  }

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
    await Promise.allSettled([this.http.drain(drainMs), this.socks?.close(drainMs)]);
    this.refresher.stop();
    this.prober.stop();
    if (this.ownsDispatcher) await this.dispatcher.destroy().catch(() => undefined);
    if (this.started) this.log.info('swivel stopped');
    this.started = false;
  }

  private ownPorts(): number[] {
    const { port, socksPort, adminPort } = this.config.listen;
    return [port, socksPort, adminPort].filter((p) => p !== 0);
  }
}

function listenError(err: unknown, config: SwivelConfig): SwivelError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const { host } = config.listen;
  if (code === 'EADDRINUSE')
    return new SwivelError(
      'config_invalid',
      `A port on ${host} is already in use (--port ${config.listen.port}, --socks-port ${config.listen.socksPort}); pick free ones or stop the other process`,
    );
  if (code === 'EADDRNOTAVAIL') return new SwivelError('config_invalid', `Cannot listen on ${host}: no such local address (--host)`);
  if (code === 'EACCES') return new SwivelError('config_invalid', `Not allowed to listen on ${host} (ports below 1024 need privileges)`);
  return new SwivelError('internal', `Could not start the listeners: ${code ?? String(err)}`, { cause: err });
}
