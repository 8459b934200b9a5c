/**
 * The one loop both listeners run: pick an endpoint, try it, report the outcome, and on a
 * connect-level failure try another endpoint, up to `retries` more times, as long as nothing has
 * reached the client yet and the request may be replayed (RFC 9110 §9.2.2).
 */
import { ERRORS, SwivelError, isSwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { PassiveHealth } from '../health/passive.js';
import { isUsable, type Endpoint } from '../pool/endpoint.js';
import type { GeoSelection } from '../pool/geo-key.js';
import type { EndpointPool } from '../pool/pool.js';

export interface DialRequest {
  geo: GeoSelection;
  session?: string | undefined;
  /** The session's own idle TTL (from the credentials, capped); the pool's default when undefined. */
  sessionTtlMs?: number | undefined;
  /** Endpoints to avoid if any other is usable (session ports spread over distinct endpoints). */
  spread?: readonly Endpoint[] | undefined;
  /** False for a request whose body is being streamed: it cannot be sent twice. */
  replayable: boolean;
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
}

export class Dialer {
  private readonly log: Logger;

  constructor(private readonly options: DialerOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'dialer' });
  }

  async dial<T>(req: DialRequest, trace: DialTrace, attempt: (endpoint: Endpoint) => Promise<T>): Promise<T> {
    const { pool, health, retries, strictSessions } = this.options;
    const sub = pool.subPoolFor(req.geo);
    const strict = strictSessions && req.session !== undefined;
    let avoid: Endpoint[] | undefined;
    let lastError: SwivelError | undefined;
    for (;;) {
      if (strict) this.checkStrictSession(req.session!, sub);
      const endpoint =
        (req.spread !== undefined && avoid === undefined ? pool.select(sub, req.session, req.spread, req.sessionTtlMs) : undefined) ??
        pool.select(sub, req.session, avoid, req.sessionTtlMs) ??
        (await this.acquire(req, avoid, lastError));
      trace.attempts++;
      trace.endpoint = endpoint;
      try {
        const result = await attempt(endpoint);
        health.success(endpoint);
        return result;
      } catch (err) {
        const error = isSwivelError(err) ? err : new SwivelError('internal', 'unexpected failure while forwarding', { cause: err });
        const blames = ERRORS[error.code].blamesEndpoint;
        if (blames) health.failure(endpoint, error);
        this.log.debug({ endpoint: endpoint.id, code: error.code, attempt: trace.attempts }, 'attempt failed');
        if (!blames || !req.replayable || trace.attempts > retries) throw error;
        if (strict) throw this.sessionLost(req.session!, sub.key, endpoint, error.code);
        avoid ??= [];
        avoid.push(endpoint);
        lastError = error;
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
