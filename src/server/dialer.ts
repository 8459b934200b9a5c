/**
 * The one loop both listeners run: pick an endpoint, try it, report the outcome, and on a
 * connect-level failure try another endpoint, up to `retries` more times, as long as nothing has
 * reached the client yet and the request may be replayed (RFC 9110 §9.2.2). A connection to an
 * endpoint that failed before any byte of the request was sent is retried whatever the method, and
 * a refused connect (the endpoint is gone, ejected at once) does not use up the retry budget: each
 * one removes an endpoint, so the loop is bounded by the sub-pool's size.
 */
import { ERRORS, SwivelError, isSwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { PassiveHealth } from '../health/passive.js';
import { isUsable, type Endpoint } from '../pool/endpoint.js';
import type { GeoSelection } from '../pool/geo-key.js';
import type { EndpointPool } from '../pool/pool.js';
import type { DialCancel } from '../upstream/types.js';
import { OverloadReporter } from './overload.js';

/** Failures that happen before any byte of the request left: safe to send elsewhere. */
const NOTHING_SENT = new Set(['upstream_refused', 'upstream_connect_failed', 'endpoint_refused']);

export interface DialRequest {
  geo: GeoSelection;
  session?: string | undefined;
  /** The session's own idle TTL (from the credentials, capped); the pool's default when undefined. */
  sessionTtlMs?: number | undefined;
  /** Endpoints to avoid if any other is usable (session ports spread over distinct endpoints). */
  spread?: readonly Endpoint[] | undefined;
  /** False for a request whose body is being streamed: it cannot be sent twice. */
  replayable: boolean;
  /** Set by the listener when the client leaves; the dial stops and blames nobody. */
  cancel?: DialCancel | undefined;
}

/** Filled in as the dial proceeds, so the caller can report attempts even on failure. */
export interface DialTrace {
  attempts: number;
  endpoint: Endpoint | undefined;
}

export interface DialerOptions {
  pool: EndpointPool;
  health: PassiveHealth;
  retries: number;
  /** Fail a session whose endpoint is gone instead of silently moving it to another IP. */
  strictSessions: boolean;
  logger?: Logger;
  /** Told how long each attempt took to connect (or fail); feeds the upstream-connect histogram. */
  onAttempt?: (durationMs: number, ok: boolean) => void;
}

function isCancelled(req: DialRequest): boolean {
  return req.cancel?.cancelled === true;
}

export class Dialer {
  private readonly log: Logger;
  readonly overload: OverloadReporter;

  constructor(private readonly options: DialerOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'dialer' });
    this.overload = new OverloadReporter(this.log, () => options.pool.now);
  }

  async dial<T>(req: DialRequest, trace: DialTrace, attempt: (endpoint: Endpoint) => Promise<T>): Promise<T> {
    const { pool, health, retries, strictSessions } = this.options;
    const sub = pool.subPoolFor(req.geo);
    const strict = strictSessions && req.session !== undefined;
    let avoid: Endpoint[] | undefined;
    let lastError: SwivelError | undefined;
    let free = 0;
    for (;;) {
      if (isCancelled(req)) throw new SwivelError('client_closed', 'client closed the connection');
      if (strict) this.checkStrictSession(req.session!, sub);
      const endpoint =
        (req.spread !== undefined && avoid === undefined ? pool.select(sub, req.session, req.spread, req.sessionTtlMs) : undefined) ??
        pool.select(sub, req.session, avoid, req.sessionTtlMs) ??
        (await this.acquire(req, avoid, lastError));
      trace.attempts++;
      trace.endpoint = endpoint;
      const startedAt = performance.now();
      endpoint.inFlight++;
      try {
        const result = await attempt(endpoint);
        const tookMs = performance.now() - startedAt;
        health.success(endpoint, tookMs);
        this.options.onAttempt?.(tookMs, true);
        return result;
      } catch (err) {
        this.options.onAttempt?.(performance.now() - startedAt, false);
        const error = isSwivelError(err) ? err : new SwivelError('internal', 'unexpected failure while forwarding', { cause: err });
        if (isCancelled(req)) throw new SwivelError('client_closed', 'client closed the connection', { cause: error });
        if (error.code === 'overloaded') this.overload.report('dial', error.details?.['errno']);
        const blames = ERRORS[error.code].blamesEndpoint;
        if (blames) health.failure(endpoint, error);
        this.log.debug({ endpoint: endpoint.id, code: error.code, attempt: trace.attempts }, 'attempt failed');
        if (error.code === 'upstream_refused' && free < sub.size) free++;
        const replayable = req.replayable || NOTHING_SENT.has(error.code);
        if (!blames || !replayable || trace.attempts - free > retries) throw error;
        if (strict) throw this.sessionLost(req.session!, sub.key, endpoint, error.code);
        avoid ??= [];
        avoid.push(endpoint);
        lastError = error;
      } finally {
        endpoint.inFlight--;
      }
    }
  }

  /**
   * Wait for the pool (a fresh extraction when nothing usable is left). When this request already
   * failed on every endpoint there is, the upstream's error says more than "pool empty".
   */
  private async acquire(req: DialRequest, avoid: Endpoint[] | undefined, lastError: SwivelError | undefined): Promise<Endpoint> {
    try {
      return await this.options.pool.acquire({ geo: req.geo, session: req.session, sessionTtlMs: req.sessionTtlMs }, avoid);
    } catch (err) {
      if (lastError !== undefined && isSwivelError(err, 'pool_empty')) throw lastError;
      throw err;
    }
  }

  private checkStrictSession(session: string, sub: ReturnType<EndpointPool['subPoolFor']>): void {
    const bound = this.options.pool.boundEndpoint(sub, session);
    if (bound !== undefined && !isUsable(bound, this.options.pool.now)) {
      throw this.sessionLost(session, sub.key, bound, bound.health === 'ejected' ? 'ejected' : 'expired');
    }
  }

  private sessionLost(session: string, poolKey: string, endpoint: Endpoint, why: string): SwivelError {
    this.options.pool.forgetSession(poolKey, session);
    this.log.info({ session, endpoint: endpoint.id, why }, 'strict session lost its endpoint');
    return new SwivelError('session_lost', `session ${session} lost its endpoint (${why}); the next request starts a new session`);
  }
}
